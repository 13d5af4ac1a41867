"""A text-informed linear probe (LP++ / CLAP style): visual class weights started at the class
prototypes, plus learnable per-class multiples of the frozen zero-shot text vectors
(medprompt/methods/text_probe.py), trained with cross-entropy on cached image features (trainers/cached.py)."""

from __future__ import annotations

from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.methods.text_probe import TextInformedProbe, class_prototypes
from trainers.cached import FeatureTrainer


def add_config(cfg):
    cfg.TRAINER.TEXT_PROBE = CN()
    cfg.TRAINER.TEXT_PROBE.ZS_TEMPLATE = "a photo of a {}."  # "{modality}" is filled from the dataset


@TRAINER_REGISTRY.register()
class TextLinearProbe(FeatureTrainer):
    def build_learner(self):
        train = self.train_features()
        text = self.template_features(self.cfg.TRAINER.TEXT_PROBE.ZS_TEMPLATE, source="TRAINER.TEXT_PROBE.ZS_TEMPLATE")
        prototypes = class_prototypes(train["features"], train["labels"], len(self.classnames))
        return TextInformedProbe(prototypes.to(text.device), text, self.logit_scale)
