"""Stacking an image-trained prompt method on MedPromptCLIP's text-only prompts.

Two mechanisms, both driven by TRAINER.STACKING and usable by any trainer whose learner holds a
`TextPrompts` module and whose classifier is the prompted template of each class:
(a) INIT_FROM: before training starts, the text prompts are loaded from a MedPromptCLIP checkpoint
    (an output folder or a checkpoint file); the backbone and every prompt tensor's shape must agree,
    otherwise the run stops with one error that lists the differences;
(b) TEXT_LOSS_WEIGHT > 0: MedPromptCLIP's text-to-text loss (prompted template of class c vs. the frozen
    features of c's LLM descriptions) is added to the method's own loss with that weight.
"""

from __future__ import annotations

import os.path as osp

import torch
from torch import Tensor
from yacs.config import CfgNode as CN

from medprompt.run.checkpoints import find_checkpoint, read_checkpoint
from medprompt.utils.errors import ConfigError, InputFileError
from medprompt.methods.medpromptclip import TEXT_LOSSES, TextPairLoss
from medprompt.clip.prompts import TextPrompts
from trainers.checkpointing import CheckpointMismatchError, check_shapes

STACKING_KEYS = "TRAINER.STACKING"


def add_stacking_config(cfg) -> None:
    """Declare TRAINER.STACKING (once, whichever trainer module asks first)."""
    if "STACKING" in cfg.TRAINER:
        return
    cfg.TRAINER.STACKING = CN()
    s = cfg.TRAINER.STACKING
    s.INIT_FROM = ""  # MedPromptCLIP output folder or checkpoint file; "" = no initialisation
    s.TEXT_LOSS_WEIGHT = 0.0  # weight of MedPromptCLIP's loss as an auxiliary term; 0 = off
    s.TEXT_LOSS = "mse"  # mse | l1 | centered | contrastive, as MedPromptCLIP's LOSS
    s.TEXT_LOSS_SCALE = 1000.0  # as MedPromptCLIP's LOSS_SCALE: the auxiliary term is WEIGHT * SCALE * loss
    s.DESCRIPTIONS = ""  # "" = llm_descriptions/<DATASET.NAME>.json


def checkpoint_file(path: str) -> str:
    """The checkpoint file named by INIT_FROM: the file itself, or the best (else latest) one of an
    output folder (<folder>/prompt_learner/...) or of a learner folder."""
    if osp.isfile(path):
        return path
    if not osp.isdir(path):
        raise InputFileError(f"{STACKING_KEYS}.INIT_FROM: {path} is neither a checkpoint file nor a folder")
    folder = osp.join(path, "prompt_learner") if osp.isdir(osp.join(path, "prompt_learner")) else path
    try:
        return str(find_checkpoint(folder))
    except FileNotFoundError as err:
        raise InputFileError(f"{STACKING_KEYS}.INIT_FROM: {err}") from None


def load_prompt_checkpoint(path: str, prompts: TextPrompts, backbone_identity: dict) -> str:
    """Copy a checkpoint's prompt tensors into `prompts`; returns the file read.

    Raises CheckpointMismatchError naming the file and every differing tensor when the checkpoint was
    made with another backbone or other prompt shapes (N_CTX, DEPTH, class-specific context).
    """
    path = checkpoint_file(path)
    ckpt = read_checkpoint(path)
    meta = ckpt.get("meta", {})
    if "backbone" in meta and meta["backbone"] != backbone_identity:
        raise CheckpointMismatchError(
            f"{STACKING_KEYS}.INIT_FROM {path} was made with backbone {meta['backbone']!r}, "
            f"but this run uses {backbone_identity!r}."
        )
    state = ckpt["state_dict"]
    try:
        check_shapes(path, prompts, state)
    except CheckpointMismatchError as err:
        raise CheckpointMismatchError(
            f"{STACKING_KEYS}.INIT_FROM: {err}\nSet N_CTX, DEPTH and CSC of this method to those of the "
            f"checkpoint's trainer ({meta.get('trainer', 'unknown')}, n_ctx={meta.get('n_ctx', '?')}, "
            f"depth={meta.get('depth', '?')})."
        ) from None
    prompts.load_state_dict(state)
    return path


class StackingMixin:
    """Mix into a PromptTrainerBase subclass whose learner holds `self.prompts` (TextPrompts).

    Call `stacking_before_train()` before Dassl's before_train (so a resumed run's own checkpoint
    still wins) and add `text_aux_loss(class_features)` to the method's loss.
    """

    REQUIRE_INIT = False  # stacked trainers (MedPromptCLIP_CoOp, ...) refuse to run without INIT_FROM

    @property
    def stacking(self):
        return self.cfg.TRAINER.STACKING

    def check_stacking_config(self, require_init: bool = False) -> None:
        """Fail early on bad TRAINER.STACKING values (INIT_FROM is required only before training)."""
        s = self.stacking
        if s.TEXT_LOSS not in TEXT_LOSSES:
            raise ConfigError(f"{STACKING_KEYS}.TEXT_LOSS must be one of {TEXT_LOSSES}, got {s.TEXT_LOSS!r}")
        if s.TEXT_LOSS_WEIGHT < 0:
            raise ConfigError(f"{STACKING_KEYS}.TEXT_LOSS_WEIGHT must be >= 0, got {s.TEXT_LOSS_WEIGHT}")
        if require_init and not s.INIT_FROM:
            raise ConfigError(
                f"Trainer {self.cfg.TRAINER.NAME} starts from MedPromptCLIP prompts: set {STACKING_KEYS}.INIT_FROM "
                "to a MedPromptCLIP output folder or checkpoint file (scripts/ do this for you)."
            )

    def stacking_before_train(self) -> None:
        self.check_stacking_config(require_init=self.REQUIRE_INIT)
        if self.stacking.INIT_FROM:
            path = load_prompt_checkpoint(self.stacking.INIT_FROM, self.prompts, self.backbone.identity)
            print(f"Initialised the text prompts from {path}")

    def _description_loss(self) -> tuple[Tensor, TextPairLoss]:
        """(class index per description, the text loss over the frozen description features), made once."""
        if getattr(self, "_stack_loss", None) is None:
            path, _, per_class = self.class_texts(self.stacking.DESCRIPTIONS)
            class_ids = torch.tensor([c for c, texts in enumerate(per_class) for _ in texts], device=self.device)
            texts = [t for texts in per_class for t in texts]
            print(f"Auxiliary text-to-text loss: {len(texts)} descriptions of {len(per_class)} classes from {path}")
            targets = self.frozen_text_features(texts, source=path)
            loss = TextPairLoss(self.stacking.TEXT_LOSS, float(self.stacking.TEXT_LOSS_SCALE), targets, class_ids,
                                self.logit_scale)
            self._stack_loss = (class_ids, loss)
        return self._stack_loss

    def text_aux_loss(self, class_features: Tensor) -> Tensor | None:
        """WEIGHT x MedPromptCLIP's loss between the prompted templates [C, D] (this dataset's classes,
        in label order) and every description of those classes; None when the weight is 0."""
        weight = float(self.stacking.TEXT_LOSS_WEIGHT)
        if weight == 0:
            return None
        class_ids, loss = self._description_loss()
        return weight * loss(class_features[class_ids], torch.arange(len(class_ids), device=class_ids.device))
