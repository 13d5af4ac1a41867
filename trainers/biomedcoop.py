"""BiomedCoOp: CoOp plus SCCM (prompted class features close to the mean of the class's LLM prompts)
and KDSP (prompted logits distilled toward zero-shot logits of the LLM prompts that survive MAD outlier
pruning on each batch); medprompt/biomedcoop.py. The LLM prompts are the project's description files."""

from __future__ import annotations

import torch
from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.biomedcoop import (kdsp_loss, mad_keep_mask, masked_mean_direction, pad_prompt_features,
                                  prompt_scores, pruned_class_features, sccm_loss)
from medprompt.descriptions import load_descriptions
from medprompt.losses import cosine_logits
from trainers.base import resolve_description_file
from trainers.coop import CoOp, add_prompt_keys
from trainers.stacking import add_stacking_config


def add_config(cfg):
    cfg.TRAINER.BIOMEDCOOP = CN()
    b = cfg.TRAINER.BIOMEDCOOP
    add_prompt_keys(b, n_ctx=4, ctx_init="a photo of a")
    b.N_PROMPTS = 50  # LLM prompts per class (all of them when a class has fewer); -1 = all
    b.DESCRIPTIONS = ""  # "" = llm_descriptions/<DATASET.NAME>.json
    b.SCCM_LAMBDA = 1.0
    b.KDSP_LAMBDA = 1.0
    b.TAU = 1.5  # pruning threshold on the standardised MAD z-score
    add_stacking_config(cfg)


@TRAINER_REGISTRY.register()
class BiomedCoOp(CoOp):
    OPTS = "BIOMEDCOOP"

    def build_learner(self):
        learner = super().build_learner()
        o = self.opts
        path = resolve_description_file(o.DESCRIPTIONS, self.cfg.DATASET.NAME, data_root=self.cfg.DATASET.ROOT)
        limit = None if o.N_PROMPTS == -1 else int(o.N_PROMPTS)  # -1: every description (checked >= 1 otherwise)
        per_class = [texts[:limit] for texts in self.match_class_texts(load_descriptions(path), path)]
        short = {name: len(texts) for name, texts in zip(self.classnames, per_class)
                 if limit is not None and len(texts) < limit}
        if short:
            print(f"BiomedCoOp: N_PROMPTS={o.N_PROMPTS} but {len(short)} of {len(per_class)} classes have fewer "
                  f"LLM prompts in {path}; using all of theirs: {short}")
        features = self.frozen_text_features([t for texts in per_class for t in texts], source=path)
        self.llm_features, self.llm_valid = pad_prompt_features(torch.split(features, [len(t) for t in per_class]))
        self.llm_mean = masked_mean_direction(self.llm_features, self.llm_valid)
        return learner

    def extra_losses(self, class_features, step=None):
        extra = super().extra_losses(class_features, step)
        features = class_features if class_features is not None else self.classifier()
        extra["sccm_loss"] = self.opts.SCCM_LAMBDA * sccm_loss(features, self.llm_mean)
        if step is not None and step.image_features is not None:
            with torch.no_grad():
                scores = prompt_scores(step.image_features, self.llm_features, self.llm_valid, self.logit_scale)
                keep = mad_keep_mask(scores, float(self.opts.TAU))
                zeroshot = cosine_logits(step.image_features,
                                         pruned_class_features(self.llm_features, self.llm_valid, keep), self.logit_scale)
            extra["kdsp_loss"] = self.opts.KDSP_LAMBDA * kdsp_loss(step.logits, zeroshot)
        return extra
