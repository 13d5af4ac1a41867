"""Losses shared by the methods.

Text-to-text (MedPromptCLIP): the prompted template's feature regresses onto the frozen feature of one
of the class's descriptions; both are L2-normalised, and the MSE is scaled (x1000 by default) because
distances between unit vectors of high dimension are tiny.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from medprompt.errors import ConfigError

TEXT_LOSSES = ("mse", "l1")


def text_to_text_loss(pred: Tensor, target: Tensor, kind: str = "mse", weight: float = 1000.0) -> Tensor:
    """weight * MSE (or L1) between normalised predicted and target features [B, D]."""
    pred, target = F.normalize(pred.float(), dim=-1), F.normalize(target.float(), dim=-1)
    if kind == "mse":
        return weight * F.mse_loss(pred, target)
    if kind == "l1":
        return weight * F.l1_loss(pred, target)
    raise ConfigError(f"Unknown text loss {kind!r}; choose one of {TEXT_LOSSES}")


def cosine_logits(image_features: Tensor, text_features: Tensor, logit_scale: float) -> Tensor:
    """scale * cos(image, text) for every image [N, D] and class [C, D]."""
    return logit_scale * F.normalize(image_features.float(), dim=-1) @ F.normalize(text_features.float(), dim=-1).t()
