"""Linear probe: logistic regression on frozen image features, C chosen on the validation split.

Training images are encoded once with the test-time transform (no augmentation) and cached like every
other frozen feature (trainers/cached.py); the fitted weights live in a linear layer that is checkpointed
like a learner, so `--eval-only --model-dir` works as for the prompt methods.
"""

from __future__ import annotations

import time

import torch
from dassl.engine import TRAINER_REGISTRY
from torch import nn
from yacs.config import CfgNode as CN

from medprompt.methods.linear_probe import DEFAULT_C_GRID, fit_linear_probe, probe_logits
from trainers.cached import FeatureTrainer


def add_config(cfg):
    cfg.TRAINER.LINEAR_PROBE = CN()
    cfg.TRAINER.LINEAR_PROBE.C_GRID = list(DEFAULT_C_GRID)  # inverse regularisation strengths tried on val
    cfg.TRAINER.LINEAR_PROBE.MAX_ITER = 1000


@TRAINER_REGISTRY.register()
class LinearProbe(FeatureTrainer):
    def build_learner(self):
        self.head = nn.Linear(self.embed_dim, len(self.classnames)).requires_grad_(False)
        return self.head  # fitted by scikit-learn, not by gradient descent

    def train(self):
        start = time.time()
        o = self.cfg.TRAINER.LINEAR_PROBE
        train, val = self.train_features(), self.val_features("chooses C")
        fit = fit_linear_probe(train["features"], train["labels"], val["features"], val["labels"],
                               len(self.classnames), list(o.C_GRID), int(o.MAX_ITER))
        for c, acc in fit.scores.items():
            print(f"C={c:g}: val accuracy {acc:.2f}%")
        print(f"Chosen C={fit.best_c:g} (val accuracy {fit.val_accuracy:.2f}%)")
        with torch.no_grad():
            self.head.weight.copy_(fit.weight)
            self.head.bias.copy_(fit.bias)
        self.finish_without_epochs(start, fit.val_accuracy)

    def logits(self, image_features):
        return probe_logits(image_features.to(self.device), self.head.weight, self.head.bias)
