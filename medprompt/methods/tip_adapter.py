"""Tip-Adapter (Zhang et al., ECCV 2022): cache keys = normalised few-shot image features [K, D], values =
their one-hot labels [K, C]; logits = zero-shot logits + alpha·exp(-beta·(1 - f·Kᵀ))·V. Tip-Adapter-F
fine-tunes the keys. alpha and beta are chosen on the validation split by a grid search.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def tip_logits(image_features: Tensor, keys: Tensor, values: Tensor, class_features: Tensor,
               alpha: float | Tensor, beta: float | Tensor, logit_scale: float) -> Tensor:
    """scale·f·Wᵀ + alpha·exp(-beta·(1 - f·Kᵀ))·V with f and W normalised, K as given."""
    f = F.normalize(image_features.float(), dim=-1)
    zero_shot = logit_scale * f @ F.normalize(class_features.float(), dim=-1).t()
    affinity = f @ keys.float().t()
    return zero_shot + alpha * torch.exp(-beta * (1 - affinity)) @ values.float()


class TipAdapter(nn.Module):
    """The cache (keys trainable for Tip-Adapter-F) with its values and the chosen alpha and beta; all of
    it is checkpointed, since the cache is the model."""

    def __init__(self, keys: Tensor, labels: Tensor, num_classes: int, class_features: Tensor,
                 alpha: float, beta: float, logit_scale: float, train_keys: bool):
        super().__init__()
        self.keys = nn.Parameter(F.normalize(keys.float(), dim=-1), requires_grad=train_keys)
        self.register_buffer("values", F.one_hot(labels.long(), num_classes).float())
        self.register_buffer("alpha", torch.tensor(float(alpha)))
        self.register_buffer("beta", torch.tensor(float(beta)))
        self.register_buffer("class_features", F.normalize(class_features.float(), dim=-1), persistent=False)
        self.logit_scale = logit_scale

    def forward(self, image_features: Tensor) -> Tensor:
        return tip_logits(image_features, self.keys, self.values, self.class_features, self.alpha, self.beta,
                          self.logit_scale)


def search_grid(scale: float, steps: int) -> list[float]:
    """Tip-Adapter's grid: `steps` values from 0.1 in equal strides of (scale - 0.1) / steps."""
    return [i * (scale - 0.1) / steps + 0.1 for i in range(steps)]


@dataclass(frozen=True)
class TipSearch:
    alpha: float
    beta: float
    accuracy: float  # percent on the validation features


@torch.no_grad()
def search_alpha_beta(adapter: TipAdapter, features: Tensor, labels: Tensor,
                      betas: list[float], alphas: list[float]) -> TipSearch:
    """The (alpha, beta) of the grids with the best validation accuracy; the first best in the order
    beta-major, alpha-minor wins ties, as in the published search."""
    f = F.normalize(features.float().to(adapter.keys.device), dim=-1)
    labels = labels.to(f.device)
    zero_shot = adapter.logit_scale * f @ adapter.class_features.t()
    affinity = f @ adapter.keys.float().t()
    alpha_t = torch.tensor(alphas, device=f.device).view(-1, 1, 1)
    best = TipSearch(alphas[0], betas[0], -1.0)
    for beta in betas:
        cache = torch.exp(-beta * (1 - affinity)) @ adapter.values  # [N, C]
        predictions = (zero_shot.unsqueeze(0) + alpha_t * cache.unsqueeze(0)).argmax(dim=-1)  # [A, N]
        accuracy = 100.0 * (predictions == labels).float().mean(dim=1)
        i = int(accuracy.argmax())  # the first maximum
        if accuracy[i] > best.accuracy:
            best = TipSearch(alphas[i], beta, float(accuracy[i]))
    return best
