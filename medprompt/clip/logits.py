"""CLIP's classification rule, shared by every method: logits are the scaled cosine between image
features and class text features."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def cosine_logits(image_features: Tensor, text_features: Tensor, logit_scale: float) -> Tensor:
    """scale * cos(image, text) for every image [N, D] and class [C, D]."""
    return logit_scale * F.normalize(image_features.float(), dim=-1) @ F.normalize(text_features.float(), dim=-1).t()
