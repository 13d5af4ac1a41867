"""CLIP-Adapter: a residual bottleneck MLP on the frozen image feature, zero-shot text classifier
(medprompt/methods/clip_adapter.py); trained with cross-entropy on cached image features (trainers/cached.py)."""

from __future__ import annotations

from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.methods.clip_adapter import ClipAdapter as ClipAdapterHead
from trainers.cached import FeatureTrainer


def add_config(cfg):
    cfg.TRAINER.CLIP_ADAPTER = CN()
    cfg.TRAINER.CLIP_ADAPTER.REDUCTION = 4  # hidden size = feature size / REDUCTION
    cfg.TRAINER.CLIP_ADAPTER.RATIO = 0.2  # weight of the adapted feature in the blend
    cfg.TRAINER.CLIP_ADAPTER.ZS_TEMPLATE = "a photo of a {}."  # "{modality}" is filled from the dataset


@TRAINER_REGISTRY.register()
class CLIPAdapter(FeatureTrainer):
    def build_learner(self):
        o = self.cfg.TRAINER.CLIP_ADAPTER
        text = self.template_features(o.ZS_TEMPLATE, source="TRAINER.CLIP_ADAPTER.ZS_TEMPLATE")
        return ClipAdapterHead(text, int(o.REDUCTION), float(o.RATIO), self.logit_scale)

    def checkpoint_meta(self) -> dict:  # the adapter does not depend on the classes: base-to-new works
        meta = super().checkpoint_meta()
        meta.pop("num_classes")
        return meta
