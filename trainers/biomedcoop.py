"""BiomedCoOp: CoOp plus SCCM (prompted class features close to the mean of the class's LLM prompts)
and KDSP (prompted logits distilled toward zero-shot logits of the LLM prompts that survive MAD outlier
pruning on each batch); medprompt/methods/biomedcoop.py. The LLM prompts are BiomedCoOp's own, read from a user's
checkout of its repository (PUBLISHED_PROMPTS, medprompt/methods/biomedcoop_prompts.py), else the project's
description files (with a log line saying why)."""

from __future__ import annotations

import torch
from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.methods.biomedcoop import (kdsp_loss, mad_keep_mask, masked_mean_direction, pad_prompt_features,
                                          prompt_scores, pruned_class_features, sccm_loss)
from medprompt.clip.logits import cosine_logits
from medprompt.methods.biomedcoop_prompts import prompt_file, read_published_prompts
from medprompt.utils.errors import UserError
from trainers.coop import CoOp, add_prompt_keys
from trainers.stacking import add_stacking_config


def add_config(cfg):
    cfg.TRAINER.BIOMEDCOOP = CN()
    b = cfg.TRAINER.BIOMEDCOOP
    add_prompt_keys(b, n_ctx=4, ctx_init="a photo of a")
    b.N_PROMPTS = 50  # LLM prompts per class (all of them when a class has fewer); -1 = all
    b.DESCRIPTIONS = ""  # "" = llm_descriptions/<DATASET.NAME>.json
    # a BiomedCoOp checkout (or its trainers/prompt_templates.py): its published LLM prompts, read in place;
    # "" or unreadable = DESCRIPTIONS (the log says which)
    b.PUBLISHED_PROMPTS = ""
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
        path, per_class = self.llm_prompts()
        limit = None if o.N_PROMPTS == -1 else int(o.N_PROMPTS)  # -1: every description (checked >= 1 otherwise)
        per_class = [texts[:limit] for texts in per_class]
        short = {name: len(texts) for name, texts in zip(self.classnames, per_class)
                 if limit is not None and len(texts) < limit}
        if short:
            print(f"BiomedCoOp: N_PROMPTS={o.N_PROMPTS} but {len(short)} of {len(per_class)} classes have fewer "
                  f"LLM prompts in {path}; using all of theirs: {short}")
        self.llm_features, self.llm_valid = pad_prompt_features(self.frozen_class_features(per_class, source=path))
        self.llm_mean = masked_mean_direction(self.llm_features, self.llm_valid)
        return learner

    def llm_prompts(self) -> tuple[str, list[list[str]]]:
        """(where they came from, the LLM prompts of each class): BiomedCoOp's published prompts when
        PUBLISHED_PROMPTS names a readable checkout that has every class, else the project's descriptions."""
        o = self.opts
        if o.PUBLISHED_PROMPTS:
            source = str(prompt_file(o.PUBLISHED_PROMPTS))
            try:
                per_class = self.match_class_texts(read_published_prompts(o.PUBLISHED_PROMPTS), source)
                print(f"BiomedCoOp: LLM prompts from the publisher's file {source}")
                return source, per_class
            except UserError as err:
                fallback = "the project's descriptions"
                print(f"BiomedCoOp: cannot use the published prompts ({err}); using {fallback} instead")
        path, _, per_class = self.class_texts(o.DESCRIPTIONS)
        if not o.PUBLISHED_PROMPTS:
            print(f"BiomedCoOp: LLM prompts from the project's descriptions {path} (TRAINER.BIOMEDCOOP.PUBLISHED_PROMPTS "
                  f"names a BiomedCoOp checkout to use its own)")
        return path, per_class

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
