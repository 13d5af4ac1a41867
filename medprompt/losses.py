"""Losses shared by the methods.

Text-to-text (MedPromptCLIP): the prompted template's feature of class c is pulled towards the frozen
feature of one of c's descriptions. Four kinds (TRAINER.MEDPROMPTCLIP.LOSS), each scaled by a weight:
- `mse` (upstream): MSE between the L2-normalised features; scaled (x1000 by default) because distances
  between unit vectors of high dimension are tiny.
- `l1`: the same with the L1 distance.
- `centered`: MSE after subtracting the fixed mean of all training targets from both sides and
  normalising again. Descriptions of different classes are nearly parallel (cosine ~0.9), so in plain MSE
  the part of the target that tells classes apart is a few percent of the loss and the prompts first
  collapse onto the mean description; centring leaves only that class-specific part.
- `contrastive`: InfoNCE over classes. For the pair (template of c, description d of c) the positive is d
  and the negatives are every training description of the other classes (the whole fixed target bank,
  not only the batch, so each step sees every other class); other descriptions of c are neither. Logits
  are cosines times the backbone's logit scale, the scale the same cosines get at test time when images
  are classified, so training sharpens the softmax exactly as deployment does.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from medprompt.errors import ConfigError
from medprompt.run.config_checks import TEXT_LOSSES  # the names, defined once beside their key's rule


def text_to_text_loss(pred: Tensor, target: Tensor, kind: str = "mse", weight: float = 1000.0) -> Tensor:
    """weight * MSE (or L1) between normalised predicted and target features [B, D]."""
    pred, target = F.normalize(pred.float(), dim=-1), F.normalize(target.float(), dim=-1)
    if kind == "mse":
        return weight * F.mse_loss(pred, target)
    if kind == "l1":
        return weight * F.l1_loss(pred, target)
    raise ConfigError(f"Unknown text loss {kind!r}; choose one of {TEXT_LOSSES}")


def centered_loss(pred: Tensor, target: Tensor, center: Tensor, weight: float = 1000.0) -> Tensor:
    """weight * MSE between normalise(normalise(pred) - center) and normalise(normalise(target) - center).

    `center` [D] is the mean of the normalised training targets, fixed for the whole run.
    """
    center = center.float()
    pred = F.normalize(F.normalize(pred.float(), dim=-1) - center, dim=-1)
    target = F.normalize(F.normalize(target.float(), dim=-1) - center, dim=-1)
    return weight * F.mse_loss(pred, target)


def class_contrastive_loss(
    pred: Tensor, pair_ids: Tensor, bank: Tensor, bank_classes: Tensor, scale: float, weight: float = 1.0
) -> Tensor:
    """weight * InfoNCE of each template [B, D] against the target bank [M, D].

    Pair i's positive is bank[pair_ids[i]]; its negatives are the bank entries whose class differs from
    bank_classes[pair_ids[i]]. Logits are scale * cosine.
    """
    logits = scale * F.normalize(pred.float(), dim=-1) @ F.normalize(bank.float(), dim=-1).t()  # [B, M]
    own_class = bank_classes[pair_ids]
    keep = bank_classes.unsqueeze(0) != own_class.unsqueeze(1)  # other classes' descriptions
    keep[torch.arange(len(pair_ids), device=keep.device), pair_ids] = True  # ... and the pair's own one
    logits = logits.masked_fill(~keep, float("-inf"))
    return weight * F.cross_entropy(logits, pair_ids)


class TextPairLoss:
    """A text-to-text loss that knows the fixed bank of training targets (needed by `centered` and
    `contrastive`): call it with the prompted features of a batch [B, D] and their description indices.
    """

    def __init__(self, kind: str, weight: float, targets: Tensor, target_classes: Tensor, logit_scale: float):
        if kind not in TEXT_LOSSES:
            raise ConfigError(f"Unknown text loss {kind!r}; choose one of {TEXT_LOSSES}")
        n_classes = int(target_classes.unique().numel())
        if kind in ("centered", "contrastive") and n_classes < 2:
            raise ConfigError(f"The {kind!r} text loss needs descriptions of at least 2 classes, got {n_classes}")
        self.kind, self.weight, self.scale = kind, float(weight), float(logit_scale)
        self.targets, self.target_classes = targets, target_classes
        self.center = F.normalize(targets.float(), dim=-1).mean(0) if kind == "centered" else None

    def __call__(self, pred: Tensor, desc_ids: Tensor) -> Tensor:
        if self.kind == "centered":
            return centered_loss(pred, self.targets[desc_ids], self.center, self.weight)
        if self.kind == "contrastive":
            return class_contrastive_loss(pred, desc_ids, self.targets, self.target_classes, self.scale, self.weight)
        return text_to_text_loss(pred, self.targets[desc_ids], self.kind, self.weight)


def cosine_logits(image_features: Tensor, text_features: Tensor, logit_scale: float) -> Tensor:
    """scale * cos(image, text) for every image [N, D] and class [C, D]."""
    return logit_scale * F.normalize(image_features.float(), dim=-1) @ F.normalize(text_features.float(), dim=-1).t()
