"""What every trainer of the project shares, on top of Dassl's TrainerX.

- the backbone: loaded through open_clip by MODEL.BACKBONE.NAME / WEIGHTS, frozen, kept out of every
  registered module so checkpoints hold only what was learned;
- the optimiser from Dassl's OPTIM keys and the schedule from medprompt.schedule (stock Dassl's warm-up
  wrapper fails on current torch);
- checkpoints that record the backbone and prompt shape, reloaded with `weights_only=True`, tolerant of
  a missing validation result, refused with a clear message when they do not fit;
- evaluation on cached image features whenever the image encoder is frozen and the classifier is a set
  of class text vectors.
"""

from __future__ import annotations

import contextlib
import functools
import os
import os.path as osp
import pathlib
import random
import warnings

import numpy as np
import torch
from dassl.data.data_manager import build_data_loader
from dassl.engine import TrainerX
from dassl.optim import build_optimizer
from torch import nn

from medprompt import checkpoints
from medprompt.backbones import load_backbone
from medprompt.descriptions import match_descriptions, truncate_to_context
from medprompt.data.specs import synthetic_descriptions
from medprompt.errors import CheckpointError
from medprompt.feature_cache import FeatureCache, cache_root, content_key, file_id
from medprompt.image_features import encode_loader, loader_settings
from medprompt.losses import cosine_logits
from medprompt.results.plausibility import FLAG_PREFIX, unchanged_predictions
from medprompt.run.config_checks import check_trainer_config
from medprompt.schedule import build_lr_scheduler
from medprompt.text_encoder import PromptedTextEncoder
from medprompt.threads import available_cores
from medprompt.timing import RUN_TIMER
from medprompt.zeroshot import fill_template

LEARNER = "prompt_learner"


class CheckpointMismatchError(CheckpointError):
    """A checkpoint was made with another backbone or prompt shape."""


class PromptTrainerBase(TrainerX):
    """Base of every method. Subclasses implement `build_learner` (return the module holding every
    trainable tensor, or None) and either `class_text_features` (a text classifier) or
    `model_inference`."""

    TEXT_ONLY = False  # True: training never reads images, so training images need not exist

    def check_cfg(self, cfg):
        """Dassl calls this first in TrainerX.__init__: every key of this trainer in its range or form
        (medprompt/run/config_checks.py), before any data is read or the backbone built."""
        check_trainer_config(cfg, type(self).__name__)

    # -- data ----------------------------------------------------------------------------------
    def build_data_loader(self):
        if not (self.TEXT_ONLY and "REQUIRE_TRAIN_IMAGES" in self.cfg.DATASET):
            return super().build_data_loader()
        cfg = self.cfg
        self.cfg = cfg.clone()
        self.cfg.defrost()
        self.cfg.DATASET.REQUIRE_TRAIN_IMAGES = False
        self.cfg.freeze()
        try:
            super().build_data_loader()
        finally:
            self.cfg = cfg

    @property
    def dataset(self):
        return self.dm.dataset

    @property
    def classnames(self) -> list[str]:
        return list(self.dm.dataset.classnames)

    def class_aliases(self, classnames=None) -> list[list[str]]:
        """Per class, the other names a description file may use for it (the published split-file name)."""
        spec = getattr(self.dm.dataset, "spec", None)
        if spec is None:
            return []
        raw = dict(zip(spec.classnames, spec.raw_classnames))
        return [[raw.get(name, name)] for name in (classnames or self.classnames)]

    def match_class_texts(self, data: dict, source: str) -> list:
        """The entries of a description-style file for each class of the dataset, in label order."""
        return match_descriptions(data, self.classnames, self.class_aliases(), source=source)

    @property
    def modality(self) -> str:
        return getattr(self.dm.dataset, "modality", "")

    # -- model ---------------------------------------------------------------------------------
    def build_model(self):
        cfg = self.cfg
        print(f"Loading backbone {cfg.MODEL.BACKBONE.NAME!r} (weights: {cfg.MODEL.BACKBONE.WEIGHTS or 'default'})")
        cache_dir = cache_root(cfg.MODEL.CACHE_DIR)
        with RUN_TIMER.phase("backbone build"):
            self.backbone = load_backbone(cfg.MODEL.BACKBONE.NAME, cfg.MODEL.BACKBONE.WEIGHTS, self.device,
                                          digest_cache=cache_dir)
        if self.backbone.prebuilt_seconds is not None:
            print(f"Backbone built by the sweep's warm interpreter before forking this run "
                  f"({self.backbone.prebuilt_seconds:.1f} s, outside this run's clock; shared by its runs)")
        self.clip = self.backbone.model
        self.text_encoder = PromptedTextEncoder(self.clip, self.backbone.tokenizer)
        if cfg.MODEL.FULL_TEXT_CONTEXT:
            self.text_encoder.full_context = True
            print(f"Text encoder: full {self.backbone.tokenizer.context_length}-token context "
                  "(MODEL.FULL_TEXT_CONTEXT True), no trimming to the longest prompt")
        self.logit_scale = float(self.clip.logit_scale.exp())
        self.cache = FeatureCache(cache_dir)

        self.learner = self.build_learner()
        if self.learner is None:
            return
        self.learner.to(self.device)
        trainable = [p for p in self.learner.parameters() if p.requires_grad]
        print(f"Trainable parameters: {sum(p.numel() for p in trainable):,}")
        if not trainable:  # fitted in closed form or chosen by search (linear probe, Tip-Adapter)
            self.register_model(LEARNER, self.learner)
            return
        optim = build_optimizer(self.learner, cfg.OPTIM, param_groups=[{"params": trainable}])
        sched = build_lr_scheduler(optim, cfg.OPTIM)
        self.register_model(LEARNER, self.learner, optim, sched)

    def build_learner(self) -> nn.Module | None:
        raise NotImplementedError

    def prompt_depth(self, key: str, depth: int) -> int:
        """A DEPTH setting capped at the text tower's layer count, saying so when it is capped."""
        layers = self.text_encoder.num_layers
        if depth > layers:
            warnings.warn(f"{key}={depth} but this text tower has {layers} layers: using DEPTH={layers}")
        return min(depth, layers)

    @functools.cached_property
    def embed_dim(self) -> int:
        """Size of the joint image-text embedding (read off one frozen text feature)."""
        with torch.no_grad():
            return int(self.text_encoder(self.text_encoder.tokenize(["a"])).shape[-1])

    def checkpoint_meta(self) -> dict:
        """What a checkpoint must agree with to be loaded into this trainer."""
        return {"trainer": self.cfg.TRAINER.NAME, "backbone": self.backbone.identity}

    @property
    def effective_precision(self) -> str:
        """The precision encoders really run at: MODEL.PRECISION on CUDA, fp32 on the CPU."""
        return self.cfg.MODEL.PRECISION if self.device.type == "cuda" else "fp32"

    def autocast(self):
        precision = self.effective_precision
        if precision == "fp32":
            return contextlib.nullcontext()
        dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}[precision]
        return torch.autocast("cuda", dtype=dtype)

    # -- training --------------------------------------------------------------------------------
    def parse_batch_train(self, batch):
        """(images, labels) of an image batch on the device (the domain label is not used)."""
        return batch["img"].to(self.device), batch["label"].to(self.device)

    def after_epoch(self):
        self.update_lr()  # per-epoch schedule, stepped before the epoch's checkpoint records it
        super().after_epoch()  # Dassl: best-val, every CHECKPOINT_FREQ epochs and the last epoch
        done = self.epoch + 1
        freq = self.cfg.TRAIN.CHECKPOINT_FREQ
        if self.get_model_names() and done < self.max_epoch and not (freq > 0 and done % freq == 0):
            self.save_model(self.epoch, self.output_dir, model_name=checkpoints.RESUME)

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
        self._check_meta(str(path), ckpt.get("meta", {}))
        self._check_shapes(str(path), self._models[name], ckpt["state_dict"])
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

    @staticmethod
    def _check_shapes(path: str, module: nn.Module, state: dict) -> None:
        own = module.state_dict()
        problems = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
                    for k, v in state.items() if k in own and own[k].shape != v.shape]
        problems += [f"{k}: missing in checkpoint" for k in own if k not in state]
        problems += [f"{k}: not in this model" for k in state if k not in own]
        if problems:
            raise CheckpointMismatchError(f"Checkpoint {path} does not fit this model:\n  " + "\n  ".join(problems))

    def frozen_text_features(self, texts: list[str], source: str) -> torch.Tensor:
        """Normalised features of plain texts from the frozen text encoder, cached; over-long texts are
        truncated with one warning."""
        texts = truncate_to_context(texts, self.text_encoder.fits, source)
        parts = {"backbone": self.backbone.identity, "texts": content_key({"texts": texts}),
                 "precision": self.effective_precision}

        def compute():
            with self.autocast():
                return {"features": self.text_encoder.encode_texts(texts)}

        with RUN_TIMER.phase("description encoding"):
            features = self.cache.get_or_compute("text_features", parts, compute, label="text features")["features"]
        return features.to(self.device)

    def template_features(self, template: str, source: str) -> torch.Tensor:
        """[C, D] normalised frozen features of a hand-written template ("a photo of a {}.") filled with
        each class name ("{modality}" with the dataset's modality): the zero-shot classifier."""
        texts = [fill_template(template, name, self.modality) for name in self.classnames]
        return self.frozen_text_features(texts, source=source)

    # -- evaluation ------------------------------------------------------------------------------
    def class_text_features(self) -> torch.Tensor:
        """[C, D] class vectors of the current dataset's classes (text classifiers only)."""
        raise NotImplementedError

    def image_features(self, split: str, loader) -> dict:
        """{'features' [N, D], 'labels' [N]} of every image of a loader's split under its transform."""
        return self.split_features(split, list(loader.dataset.data_source), loader.dataset.transform)

    def split_features(self, split: str, items: list, transform) -> dict:
        """{'features' [N, D], 'labels' [N]} of Dassl data items under a transform. Features come from the
        row cache (medprompt.feature_cache): only images it does not hold yet, under this backbone,
        transform and precision, go through the frozen encoder."""
        parts = {
            "backbone": self.backbone.identity,
            "dataset": self.cfg.DATASET.NAME,
            "transform": repr(transform),
            "precision": self.effective_precision,
        }

        def compute(positions: list[int]) -> torch.Tensor:
            batch_size, workers = loader_settings(self.device.type, self.cfg.DATALOADER.TEST.BATCH_SIZE,
                                                  self.cfg.DATALOADER.NUM_WORKERS, torch.get_num_threads(),
                                                  available_cores())
            cfg = self.cfg
            if workers != cfg.DATALOADER.NUM_WORKERS:  # Dassl's loader reads the worker count from the config
                cfg = cfg.clone()
                cfg.defrost()
                cfg.DATALOADER.NUM_WORKERS = workers
            subset = build_data_loader(
                cfg, sampler_type="SequentialSampler", data_source=[items[i] for i in positions],
                batch_size=batch_size, tfm=transform, is_train=False,
            )
            with self.autocast():
                return encode_loader(self.clip.encode_image, subset, self.device,
                                     desc=f"Encoding {len(positions)} {split} images")["features"]

        ids = [file_id(item.impath) for item in items]
        with RUN_TIMER.phase("image encoding"):
            features = self.cache.get_or_compute_rows("image_rows", parts, ids, compute, label=f"{split} image features")
        return {"features": features, "labels": torch.tensor([item.label for item in items])}

    @torch.no_grad()
    def test(self, split=None):
        """Evaluate on cached image features against class text vectors."""
        with RUN_TIMER.phase("evaluation"):
            return self._test(split)

    def _test(self, split):
        split = split or self.cfg.TEST.SPLIT
        loader = self.val_loader if split == "val" and self.val_loader is not None else self.test_loader
        split = "val" if loader is self.val_loader else "test"
        self.set_model_mode("eval")
        print(f"Evaluate on the *{split}* set")
        data = self.image_features(split, loader)
        with self.autocast():
            logits = self.logits(data["features"].to(self.device))
        self.evaluator.reset()
        self.evaluator.process(logits, data["labels"])
        results = self.evaluator.evaluate()
        if split == "test":
            self.flag_unchanged_predictions(data["features"], logits)
        for key, value in results.items():
            self.write_scalar(f"{split}/{key}", value, self.epoch)
        return list(results.values())[0]

    def before_train(self):
        super().before_train()  # Dassl: resume (sets start_epoch), writer, clock
        # the learned tensors before the first epoch, to see whether training moved any test prediction
        learner = getattr(self, "learner", None)
        trains = learner is not None and self.start_epoch == 0 and any(p.requires_grad for p in learner.parameters())
        self._initial_state = ({k: v.detach().clone() for k, v in learner.state_dict().items()} if trains else None)

    def after_train(self):
        self._trained = getattr(self, "_initial_state", None) is not None
        super().after_train()

    @torch.no_grad()
    def flag_unchanged_predictions(self, features: torch.Tensor, logits: torch.Tensor) -> None:
        """After training, print a flag when every test prediction equals the initial model's."""
        if not getattr(self, "_trained", False):
            return
        current = {k: v.detach().clone() for k, v in self.learner.state_dict().items()}
        self.learner.load_state_dict(self._initial_state)
        try:
            with self.autocast():
                initial = self.logits(features.to(self.device))
        finally:
            self.learner.load_state_dict(current)
        flag = unchanged_predictions(logits.argmax(1).tolist(), initial.argmax(1).tolist())
        if flag:
            print(FLAG_PREFIX + flag)

    def logits(self, image_features: torch.Tensor) -> torch.Tensor:
        """[N, C] scores of frozen image features; a text classifier's cosine logits by default."""
        return cosine_logits(image_features, self.class_text_features(), self.logit_scale)

    def model_inference(self, images):
        with self.autocast():
            return self.logits(self.clip.encode_image(images))

    def get_current_lr(self, names=None):
        return super().get_current_lr(names) if self.get_model_names() else 0.0


def resolve_description_file(path: str, dataset_name: str, subdir: str = "", data_root: str = "") -> str:
    """An explicit path, else the descriptions a written synthetic world keeps beside its dataset under
    `data_root` (its classes depend on its seed), else llm_descriptions/[subdir/]<dataset>.json beside this project."""
    if path:
        return path
    if data_root and not subdir:
        beside = synthetic_descriptions(dataset_name, data_root)
        if beside is not None:
            return beside
    root = osp.dirname(osp.dirname(osp.abspath(__file__)))
    return osp.join(root, "llm_descriptions", subdir, f"{dataset_name}.json")


def seeded_generator(seed: int) -> torch.Generator:
    gen = torch.Generator()
    gen.manual_seed(seed if seed >= 0 else int.from_bytes(os.urandom(4), "little"))
    return gen


def _numpy_state_to_tensors(state: tuple) -> tuple:
    """numpy's RNG state in types a weights_only checkpoint may hold (its key array as a tensor)."""
    kind, keys, pos, has_gauss, cached = state
    return kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)


def _numpy_state_from_tensors(state: tuple) -> tuple:
    kind, keys, pos, has_gauss, cached = state
    return kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached
