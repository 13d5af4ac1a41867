"""Tip-Adapter (training-free) and Tip-Adapter-F (cache keys fine-tuned), medprompt/methods/tip_adapter.py.

The cache is built from the few-shot training features (test-time transform, cached once); alpha and
beta are chosen on the validation split by the published grid search, after fine-tuning for -F.
"""

from __future__ import annotations

import time

from dassl.engine import TRAINER_REGISTRY
from yacs.config import CfgNode as CN

from medprompt.methods.tip_adapter import TipAdapter as TipCache
from medprompt.run import checkpoints
from medprompt.methods.tip_adapter import search_alpha_beta, search_grid
from trainers.cached import FeatureTrainer


def add_config(cfg):
    cfg.TRAINER.TIP_ADAPTER = CN()
    t = cfg.TRAINER.TIP_ADAPTER
    t.ZS_TEMPLATE = "a photo of a {}."  # "{modality}" is filled from the dataset
    t.INIT_ALPHA = 1.0  # used while fine-tuning (-F), before the search
    t.INIT_BETA = 1.0
    t.SEARCH_SCALE = [50.0, 50.0]  # largest beta, largest alpha of the grids
    t.SEARCH_STEP = [200, 200]  # grid sizes for beta, alpha


@TRAINER_REGISTRY.register()
class TipAdapter(FeatureTrainer):
    TRAIN_KEYS = False

    @property
    def opts(self):
        return self.cfg.TRAINER.TIP_ADAPTER

    def build_learner(self):
        o = self.opts
        train = self.train_features()
        text = self.template_features(o.ZS_TEMPLATE, source="TRAINER.TIP_ADAPTER.ZS_TEMPLATE")
        print(f"Tip-Adapter cache: {len(train['labels'])} keys")
        return TipCache(train["features"], train["labels"], len(self.classnames), text, float(o.INIT_ALPHA),
                        float(o.INIT_BETA), self.logit_scale, train_keys=self.TRAIN_KEYS)

    def choose_alpha_beta(self) -> float:
        """Set alpha and beta to the best of the grids on the validation split; its accuracy."""
        (beta_scale, alpha_scale), (beta_steps, alpha_steps) = self.opts.SEARCH_SCALE, self.opts.SEARCH_STEP
        val = self.val_features("chooses alpha and beta")
        found = search_alpha_beta(self.learner, val["features"], val["labels"],
                                  search_grid(float(beta_scale), int(beta_steps)),
                                  search_grid(float(alpha_scale), int(alpha_steps)))
        self.learner.alpha.fill_(found.alpha)
        self.learner.beta.fill_(found.beta)
        print(f"Chosen alpha={found.alpha:.4g}, beta={found.beta:.4g} (val accuracy {found.accuracy:.2f}%)")
        return found.accuracy

    def train(self):
        start = time.time()
        self.finish_without_epochs(start, self.choose_alpha_beta())


@TRAINER_REGISTRY.register()
class TipAdapterF(TipAdapter):
    """The cache keys are trained with cross-entropy (Dassl's epoch loop over cached features); alpha and
    beta are searched once training ends, on the model that is deployed."""

    TRAIN_KEYS = True

    def train(self):
        FeatureTrainer.train(self)

    def after_train(self):
        best_val = self.cfg.TEST.FINAL_MODEL == "best_val" and not self.cfg.TEST.NO_TEST
        if best_val:
            self.load_model(self.output_dir)
        accuracy = self.choose_alpha_beta()
        self.save_model(self.epoch, self.output_dir, val_result=accuracy,
                        model_name=checkpoints.BEST if best_val else "")
        super().after_train()
