"""KgCoOp: CoOp plus a knowledge-guided term that keeps the learned class text features close to the
frozen features of a hand-written template: loss = CE + LAMBDA * (1 - mean_c cos(w_learned, w_zero-shot))."""

from __future__ import annotations

from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.methods.kgcoop import knowledge_distance
from trainers.coop import CoOp, add_prompt_keys
from trainers.stacking import add_stacking_config


def add_config(cfg):
    cfg.TRAINER.KGCOOP = CN()
    add_prompt_keys(cfg.TRAINER.KGCOOP, n_ctx=4, ctx_init="a photo of a")
    cfg.TRAINER.KGCOOP.LAMBDA = 8.0
    cfg.TRAINER.KGCOOP.ZS_TEMPLATE = "a photo of a {}."  # "{modality}" is filled from the dataset
    add_stacking_config(cfg)


@TRAINER_REGISTRY.register()
class KgCoOp(CoOp):
    OPTS = "KGCOOP"

    def build_learner(self):
        learner = super().build_learner()
        self.zeroshot_features = self.template_features(self.opts.ZS_TEMPLATE, source="TRAINER.KGCOOP.ZS_TEMPLATE")
        return learner

    def extra_losses(self, class_features, step=None):
        extra = super().extra_losses(class_features, step)
        features = class_features if class_features is not None else self.classifier()
        extra["kg_loss"] = self.opts.LAMBDA * knowledge_distance(features, self.zeroshot_features)
        return extra
