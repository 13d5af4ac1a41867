"""Linear probe: logistic regression on frozen image features, C chosen on the validation split.

Training images are encoded once with the test-time transform (no augmentation) and cached like every
other frozen feature; the fitted weights live in a linear layer that is checkpointed like a learner, so
`--eval-only --model-dir` works as for the prompt methods.
"""

from __future__ import annotations

import time

import torch
from dassl.data.data_manager import build_data_loader
from dassl.engine import TRAINER_REGISTRY
from torch import nn
from yacs.config import CfgNode as CN

from medprompt.errors import ConfigError
from medprompt.linear_probe import DEFAULT_C_GRID, fit_linear_probe, probe_logits
from trainers.base import LEARNER, PromptTrainerBase


def add_config(cfg):
    cfg.TRAINER.LINEAR_PROBE = CN()
    cfg.TRAINER.LINEAR_PROBE.C_GRID = list(DEFAULT_C_GRID)  # inverse regularisation strengths tried on val
    cfg.TRAINER.LINEAR_PROBE.MAX_ITER = 1000


@TRAINER_REGISTRY.register()
class LinearProbe(PromptTrainerBase):
    def build_learner(self):
        return None  # nothing is trained by gradient descent

    def build_model(self):
        super().build_model()
        self.head = nn.Linear(self.embed_dim, len(self.classnames)).requires_grad_(False).to(self.device)
        self.register_model(LEARNER, self.head)

    def checkpoint_meta(self) -> dict:
        return {**super().checkpoint_meta(), "num_classes": len(self.classnames)}

    def train_features(self) -> dict:
        """Features of the (few-shot) training images under the test-time transform."""
        loader = build_data_loader(
            self.cfg, sampler_type="SequentialSampler", data_source=self.dm.dataset.train_x,
            batch_size=self.cfg.DATALOADER.TEST.BATCH_SIZE, tfm=self.test_loader.dataset.transform, is_train=False,
        )
        return self.image_features("train", loader)

    def train(self):
        start = time.time()
        if self.val_loader is None:
            raise ConfigError(f"{self.cfg.DATASET.NAME}: the linear probe chooses C on the validation split, "
                              "which is empty")
        o = self.cfg.TRAINER.LINEAR_PROBE
        train, val = self.train_features(), self.image_features("val", self.val_loader)
        fit = fit_linear_probe(train["features"], train["labels"], val["features"], val["labels"],
                               len(self.classnames), list(o.C_GRID), int(o.MAX_ITER))
        for c, acc in fit.scores.items():
            print(f"C={c:g}: val accuracy {acc:.2f}%")
        print(f"Chosen C={fit.best_c:g} (val accuracy {fit.val_accuracy:.2f}%)")
        with torch.no_grad():
            self.head.weight.copy_(fit.weight)
            self.head.bias.copy_(fit.bias)
        self.save_model(0, self.output_dir, val_result=fit.val_accuracy)
        print("Finish training")
        self.test()
        print(f"Elapsed: {time.time() - start:.1f} s")

    def logits(self, image_features):
        return probe_logits(image_features.to(self.device), self.head.weight, self.head.bias)
