"""Methods that never back-propagate through an encoder train on cached image features.

The training images are encoded once, with the test-time transform (no augmentation), through the same
row cache as evaluation (PromptTrainerBase.split_features): every such method and every seed reuses the
features of images already seen. Each epoch then runs Dassl's own loop over batches of those features,
so checkpoints, validation and logs are those of every other trainer.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from dassl.metrics import compute_accuracy
from torch.utils.data import DataLoader, TensorDataset

from medprompt.utils.errors import ConfigError
from trainers.base import PromptTrainerBase, seeded_generator


class FeatureTrainer(PromptTrainerBase):
    """Base of the heads on frozen image features: `build_learner` returns a module mapping image
    features [N, D] to logits [N, C]."""

    def train_features(self) -> dict:
        """{'features', 'labels'} of the (few-shot) training images under the test-time transform."""
        return self.split_features("train", list(self.dm.dataset.train_x), self.test_loader.dataset.transform)

    def val_features(self, purpose: str) -> dict:
        if self.val_loader is None:
            raise ConfigError(f"{self.cfg.DATASET.NAME}: {self.cfg.TRAINER.NAME} {purpose} on the validation "
                             "split, which is empty")
        return self.image_features("val", self.val_loader)

    def checkpoint_meta(self) -> dict:
        return {**super().checkpoint_meta(), "num_classes": len(self.classnames)}

    def before_train(self):
        super().before_train()
        data = self.train_features()
        self.train_loader_x = DataLoader(
            TensorDataset(data["features"], data["labels"]), batch_size=self.cfg.DATALOADER.TRAIN_X.BATCH_SIZE,
            shuffle=True, generator=seeded_generator(self.cfg.SEED),
        )

    def parse_batch_train(self, batch):
        features, labels = batch
        return features.to(self.device), labels.to(self.device)

    def forward_backward(self, batch):
        features, labels = self.parse_batch_train(batch)
        with self.autocast():
            logits = self.learner(features)
        loss = F.cross_entropy(logits.float(), labels)
        self.model_backward_and_update(loss)
        return {"loss": loss.item(), "acc": compute_accuracy(logits, labels)[0].item()}

    def logits(self, image_features):
        return self.learner(image_features.to(self.device))

    def finish_without_epochs(self, start: float, val_result: float) -> None:
        """For heads fitted in closed form or by search: save, say so as Dassl does, test."""
        self.save_model(0, self.output_dir, val_result=val_result)
        print("Finish training")
        with torch.no_grad():
            self.test()
        print(f"Elapsed: {time.time() - start:.1f} s")
