"""Methods that never back-propagate through an encoder train on cached image features.

The training images are encoded once, with the test-time transform (no augmentation), through the same
row cache as evaluation (PromptTrainerBase.split_features): every such method and every seed reuses the
features of images already seen. Each epoch then runs Dassl's own loop over batches of those features,
so checkpoints, validation and logs are those of every other trainer.

With MODEL.AUGMENTED_VIEWS V > 0 the heads train on V augmented views of each training image instead, as
the published heads do (medprompt/clip/augmented_views.py): view v is the training transform under a random
state fixed by (MODEL.AUGMENT_SEED, v, image), cached per (images, transform, seed, view) like any feature
row, so every method and seed that asks for it reuses it. Epoch e trains on view e mod V; Tip-Adapter's
cache holds the mean of the V views' features (its published construction).
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from dassl.metrics import compute_accuracy
from torch.utils.data import DataLoader, TensorDataset

from medprompt.clip.augmented_views import augmented_batch
from medprompt.data.decode import decode_image
from medprompt.utils.errors import ConfigError
from medprompt.run.feature_cache import file_id
from medprompt.clip.image_features import encode_loader
from medprompt.utils.timing import RUN_TIMER
from trainers.base import PromptTrainerBase, seeded_generator


class FeatureTrainer(PromptTrainerBase):
    """Base of the heads on frozen image features: `build_learner` returns a module mapping image
    features [N, D] to logits [N, C]."""

    def train_features(self) -> dict:
        """{'features', 'labels'} of the (few-shot) training images: under the test-time transform, or with
        MODEL.AUGMENTED_VIEWS the mean of the augmented views' features (and 'views' [V, N, D] beside it)."""
        items = list(self.dm.dataset.train_x)
        views = int(self.cfg.MODEL.AUGMENTED_VIEWS)
        if views <= 0:
            return self.split_features("train", items, self.test_loader.dataset.transform)
        stacked = torch.stack([self.view_features(items, v) for v in range(views)])
        return {"features": stacked.mean(0), "views": stacked, "labels": torch.tensor([i.label for i in items])}

    def view_features(self, items: list, view: int) -> torch.Tensor:
        """[N, D] features of view `view` of `items` under the training transform, from the row cache."""
        transform = self.dm.train_loader_x.dataset.transform
        seed = int(self.cfg.MODEL.AUGMENT_SEED)
        parts = {"backbone": self.backbone.identity, "dataset": self.cfg.DATASET.NAME, "transform": repr(transform),
                 "decode": self.decode_rule.key(), "precision": self.effective_precision, "augment_seed": seed,
                 "view": view}
        ids = [file_id(item.impath) for item in items]
        rule = self.decode_rule
        batch_size = int(self.cfg.DATALOADER.TEST.BATCH_SIZE)

        def compute(positions: list[int]) -> torch.Tensor:
            batches = ({"img": augmented_batch([decode_image(items[i].impath, rule) for i in chunk], [ids[i] for i in chunk],
                                               transform, seed, view), "label": [items[i].label for i in chunk]}
                       for chunk in (positions[j:j + batch_size] for j in range(0, len(positions), batch_size)))
            with self.autocast():
                return encode_loader(self.clip.encode_image, batches, self.device,
                                     desc=f"Encoding view {view} of {len(positions)} train images")["features"]

        with RUN_TIMER.phase("image encoding"):
            return self.cache.get_or_compute_rows("image_rows", parts, ids, compute,
                                                  label=f"train image features, augmented view {view}")

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
        self.train_views = data.get("views")
        self.train_labels = data["labels"]
        self.generator = seeded_generator(self.cfg.SEED)
        self.train_loader_x = self.feature_loader(data["features"] if self.train_views is None else self.train_views[0])

    def feature_loader(self, features: torch.Tensor) -> DataLoader:
        return DataLoader(TensorDataset(features, self.train_labels), batch_size=self.cfg.DATALOADER.TRAIN_X.BATCH_SIZE,
                          shuffle=True, generator=self.generator)

    def before_epoch(self):
        super().before_epoch()
        if getattr(self, "train_views", None) is not None:  # epoch e trains on view e mod V
            self.train_loader_x = self.feature_loader(self.train_views[self.epoch % len(self.train_views)])

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
