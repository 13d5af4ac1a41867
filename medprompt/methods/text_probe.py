"""Text-informed linear probe (LP++, Huang et al., CVPR 2024; CLAP, Silva-Rodríguez et al., CVPR 2024):
logits = scale·(f·vᶜ + alpha_c·f·tᶜ) with v initialised to the class's visual prototype (mean of its
normalised few-shot features), t the frozen zero-shot text vector and alpha a learnable per-class
multiplier, initialised to 1. It trains on cached image features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class TextInformedProbe(nn.Module):
    """Visual class weights plus per-class multiples of the frozen zero-shot text vectors."""

    def __init__(self, prototypes: Tensor, class_features: Tensor, logit_scale: float = 100.0):
        super().__init__()
        self.visual = nn.Parameter(prototypes.float().clone())
        self.alpha = nn.Parameter(torch.ones(class_features.shape[0]))
        self.register_buffer("class_features", F.normalize(class_features.float(), dim=-1), persistent=False)
        self.logit_scale = logit_scale

    def forward(self, image_features: Tensor) -> Tensor:
        f = F.normalize(image_features.float(), dim=-1)
        return self.logit_scale * (f @ self.visual.t() + self.alpha * (f @ self.class_features.t()))


def class_prototypes(features: Tensor, labels: Tensor, num_classes: int) -> Tensor:
    """[C, D]: the mean of each class's normalised features (zeros for a class with none)."""
    f = F.normalize(features.float(), dim=-1)
    sums = torch.zeros(num_classes, f.shape[1]).index_add_(0, labels.long().cpu(), f.cpu())
    counts = torch.bincount(labels.long().cpu(), minlength=num_classes).clamp_min(1).unsqueeze(1)
    return (sums / counts).to(features.device)
