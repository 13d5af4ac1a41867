"""Training-free baselines: hand-written templates (ZeroshotCLIP) and LLM descriptions
(ZeroshotDescriptions: CuPL's mean embedding, DCLIP's mean score, or attribute prompts after Qin et al.)."""

from __future__ import annotations

from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.data.attribute_prompts import DEFAULT_TEMPLATES, load_attributes, render_all
from medprompt.utils.errors import ConfigError
from medprompt.methods.zeroshot import cupl_class_features, dclip_logits, dclip_text, template_class_features
from trainers.base import PromptTrainerBase
from medprompt.run.choices import AGGREGATIONS



def add_config(cfg):
    cfg.TRAINER.ZEROSHOT = CN()
    cfg.TRAINER.ZEROSHOT.TEMPLATES = ["a photo of a {}."]  # "{modality}" is filled from the dataset
    # "" = llm_descriptions/<DATASET.NAME>.json (llm_descriptions/attributes/<DATASET.NAME>.json for "attributes")
    cfg.TRAINER.ZEROSHOT.DESCRIPTIONS = ""
    cfg.TRAINER.ZEROSHOT.AGGREGATION = "cupl"  # cupl | dclip | attributes
    # fields: {color} {shape} {texture} {location} {class} {modality}
    cfg.TRAINER.ZEROSHOT.ATTRIBUTE_TEMPLATES = list(DEFAULT_TEMPLATES)


class ZeroshotBase(PromptTrainerBase):
    TEXT_ONLY = True

    def build_learner(self):
        return None

    def train(self):
        print("Zero-shot method: nothing to train")
        # Dassl's mark of a finished training: the results reader takes the result after it as the run's
        # final one (without it a zero-shot run of the sweep's zeroshot protocol read as unfinished)
        print("Finish training")
        self.test()


@TRAINER_REGISTRY.register()
class ZeroshotCLIP(ZeroshotBase):
    """Class vector = mean of the prompts from TRAINER.ZEROSHOT.TEMPLATES (one template or an ensemble)."""

    def class_text_features(self):
        return template_class_features(
            lambda texts: self.frozen_text_features(texts, source="templates"),
            self.classnames, list(self.cfg.TRAINER.ZEROSHOT.TEMPLATES), self.modality,
        )


@TRAINER_REGISTRY.register()
class ZeroshotDescriptions(ZeroshotBase):
    """Classify by LLM descriptions: CuPL (mean description embedding), DCLIP (mean descriptor score) or
    attribute prompts (mean embedding of the attribute templates filled from an attribute file)."""

    def build_learner(self):
        opts = self.cfg.TRAINER.ZEROSHOT
        if opts.AGGREGATION not in AGGREGATIONS:
            raise ConfigError(f"TRAINER.ZEROSHOT.AGGREGATION must be one of {AGGREGATIONS}, got {opts.AGGREGATION!r}")
        attributes = opts.AGGREGATION == "attributes"
        if attributes:
            path, _, per_class = self.class_texts(opts.DESCRIPTIONS, "attributes", read=load_attributes)
            per_class = render_all(self.classnames, per_class, list(opts.ATTRIBUTE_TEMPLATES), self.modality, path)
        else:
            path, _, per_class = self.class_texts(opts.DESCRIPTIONS)
        if opts.AGGREGATION == "dclip":
            per_class = [[dclip_text(name, d) for d in ds] for name, ds in zip(self.classnames, per_class)]
        self.per_class_features = self.frozen_class_features(per_class, source=path)
        return None

    def class_text_features(self):
        return cupl_class_features(self.per_class_features)

    def logits(self, image_features):
        if self.cfg.TRAINER.ZEROSHOT.AGGREGATION == "dclip":
            return dclip_logits(image_features, self.per_class_features, self.logit_scale)
        return super().logits(image_features)
