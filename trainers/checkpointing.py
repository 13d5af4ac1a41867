"""Checkpoints of every trainer: what a run saves each epoch, how an unfinished run resumes as if never
stopped (learned tensors, optimiser, schedule and every random state), and how a finished run's prompts
are loaded for evaluation, refused with a clear message when they were made for another model.
"""

from __future__ import annotations

import os.path as osp
import pathlib
import random

import numpy as np
import torch
from torch import nn

from medprompt.run import checkpoints
from medprompt.utils.errors import CheckpointError


class CheckpointMismatchError(CheckpointError):
    """A checkpoint was made with another backbone or prompt shape."""


def check_shapes(path: str, module: nn.Module, state: dict) -> None:
    """Refuse, naming every differing tensor, a state dict that does not fit `module`."""
    own = module.state_dict()
    problems = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
                for k, v in state.items() if k in own and own[k].shape != v.shape]
    problems += [f"{k}: missing in checkpoint" for k in own if k not in state]
    problems += [f"{k}: not in this model" for k in state if k not in own]
    if problems:
        raise CheckpointMismatchError(f"Checkpoint {path} does not fit this model:\n  " + "\n  ".join(problems))


class CheckpointMixin:
    """Dassl's save_model / resume_model_if_exist / load_model for TrainerX subclasses, with the project's
    checkpoint files (medprompt.run.checkpoints)."""

    def checkpoint_meta(self) -> dict:
        """What a checkpoint must agree with to be loaded into this trainer."""
        return {"trainer": self.cfg.TRAINER.NAME, "backbone": self.backbone.identity}

    def resume_state(self) -> dict:
        """What a resumed run needs beside the learned tensors to continue as if never stopped."""
        loader = getattr(self, "train_loader_x", None)
        generator = getattr(loader, "generator", None)
        return {
            "best_result": float(self.best_result),
            "torch_rng": torch.get_rng_state(),
            "numpy_rng": _numpy_state_to_tensors(np.random.get_state()),
            "python_rng": random.getstate(),
            "loader_rng": generator.get_state() if generator is not None else None,
        }

    def restore_resume_state(self, state: dict) -> None:
        self.best_result = state["best_result"]
        torch.set_rng_state(state["torch_rng"])
        np.random.set_state(_numpy_state_from_tensors(state["numpy_rng"]))
        random.setstate(state["python_rng"])
        generator = getattr(getattr(self, "train_loader_x", None), "generator", None)
        if generator is not None and state["loader_rng"] is not None:
            generator.set_state(state["loader_rng"])

    def save_model(self, epoch, directory, is_best=False, val_result=None, model_name=""):
        """Atomically write every learner's checkpoint; a resume checkpoint also records the RNG states."""
        name = model_name or checkpoints.epoch_name(epoch + 1)
        for learner in self.get_model_names():
            sched = self._scheds[learner]
            state = {
                "state_dict": self._models[learner].state_dict(),
                "epoch": epoch + 1,
                "optimizer": self._optims[learner].state_dict() if self._optims[learner] else None,
                "scheduler": sched.state_dict() if sched else None,
                "val_result": None if val_result is None else float(val_result),
                "meta": self.checkpoint_meta(),
            }
            if name == checkpoints.RESUME:
                state["resume"] = self.resume_state()
            folder = osp.join(directory, learner)
            path = checkpoints.save_checkpoint(state, folder, name, point=name != checkpoints.BEST)
            print(f"Checkpoint saved to {path}")
            if is_best:
                checkpoints.save_checkpoint(state, folder, checkpoints.BEST, point=False)
            if name not in (checkpoints.RESUME, checkpoints.BEST):  # a kept checkpoint replaces the resume one
                pathlib.Path(folder, checkpoints.RESUME).unlink(missing_ok=True)

    def resume_model_if_exist(self, directory):
        """Continue from the latest checkpoint in `directory` (Dassl calls this before training)."""
        names = self.get_model_names()
        latest = {name: checkpoints.latest_checkpoint(osp.join(directory, name)) for name in names}
        if not names or None in latest.values():
            print("No checkpoint found, train from scratch")
            return 0
        for name, path in latest.items():
            ckpt = self._read_fitting_checkpoint(name, path)
            self._models[name].load_state_dict(ckpt["state_dict"])
            if self._optims[name] is not None and ckpt.get("optimizer"):
                self._optims[name].load_state_dict(ckpt["optimizer"])
            if self._scheds[name] is not None and ckpt.get("scheduler"):
                self._scheds[name].load_state_dict(ckpt["scheduler"])
        if "resume" in ckpt:
            self.restore_resume_state(ckpt["resume"])
        done = int(ckpt["epoch"])
        if done >= self.max_epoch:
            print(f"Found the finished run's checkpoint {path} ({done} epochs): no training left, evaluating it")
        else:
            print(f"Resuming from {path}: {done} of {self.max_epoch} epochs done, continuing with epoch {done + 1}")
        return done

    def load_model(self, directory, epoch=None):
        """Load the best (else the latest, or the given epoch's) checkpoint of every learner."""
        if not directory:
            print("No model directory given: evaluating without loading a checkpoint")
            return
        for name in self.get_model_names():
            path = self._checkpoint_path(osp.join(directory, name), epoch)
            ckpt = self._read_fitting_checkpoint(name, path)
            self._models[name].load_state_dict(ckpt["state_dict"])
            val = ckpt.get("val_result")
            print(f"Loaded {path} into {name} (epoch={ckpt['epoch']}, "
                  f"val_result={'n/a' if val is None else f'{val:.2f}'})")

    def _read_fitting_checkpoint(self, name: str, path) -> dict:
        """A learner's checkpoint, refused with a clear message when unreadable or made for another model."""
        ckpt = checkpoints.read_checkpoint(path, map_location=self.device)
        made_by, mine = ckpt.get("meta", {}).get("trainer"), self.cfg.TRAINER.NAME
        try:
            self._check_meta(str(path), ckpt.get("meta", {}))
            check_shapes(str(path), self._models[name], ckpt["state_dict"])
        except CheckpointMismatchError as err:
            if made_by and made_by != mine:  # say so first: the settings differ because the method does
                raise CheckpointMismatchError(f"Checkpoint {path} was made by the trainer {made_by}, not {mine} "
                                              f"(--trainer): give --trainer {made_by}, or a {mine} run. {err}") from None
            raise
        return ckpt

    @staticmethod
    def _checkpoint_path(folder: str, epoch) -> str:
        return str(checkpoints.find_checkpoint(folder, epoch))

    def _check_meta(self, path: str, meta: dict) -> None:
        mine = self.checkpoint_meta()
        for key, value in mine.items():
            if key == "trainer":
                continue  # other trainers' prompts may be loaded when their shapes fit (stacking)
            if key in meta and meta[key] != value:
                raise CheckpointMismatchError(
                    f"Checkpoint {path} was made with {key}={meta[key]!r}, but this run has {key}={value!r}. "
                    "Evaluate with the settings it was trained with, or train again."
                )


def _numpy_state_to_tensors(state: tuple) -> tuple:
    """numpy's RNG state in types a weights_only checkpoint may hold (its key array as a tensor)."""
    kind, keys, pos, has_gauss, cached = state
    return kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)


def _numpy_state_from_tensors(state: tuple) -> tuple:
    kind, keys, pos, has_gauss, cached = state
    return kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached
