"""Heads on frozen image features (the adapter family): CLIP-Adapter, Tip-Adapter(-F) and a
text-informed linear probe. Each takes image features [N, D] and returns logits [N, C]; none of them
needs an encoder during training, so they train on cached features.

- CLIP-Adapter (Gao et al., IJCV 2023): a residual bottleneck MLP (D -> D/reduction -> D, no bias, ReLU
  after each layer) on the image feature, blended as ratio·adapter(f) + (1 - ratio)·f; cosine logits
  against the frozen zero-shot class vectors.
- Tip-Adapter (Zhang et al., ECCV 2022): cache keys = normalised few-shot image features [K, D], values
  = their one-hot labels [K, C]; logits = zero-shot logits + alpha·exp(-beta·(1 - f·Kᵀ))·V. Tip-Adapter-F
  fine-tunes the keys. alpha and beta are chosen on the validation split by a grid search.
- Text-informed linear probe (LP++, Huang et al., CVPR 2024; CLAP, Silva-Rodríguez et al., CVPR 2024):
  logits = scale·(f·vᶜ + alpha_c·f·tᶜ) with v initialised to the class's visual prototype (mean of its
  normalised few-shot features), t the frozen zero-shot text vector and alpha a learnable per-class
  multiplier, initialised to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ClipAdapter(nn.Module):
    """Residual bottleneck MLP on image features, with frozen zero-shot class vectors."""

    def __init__(self, class_features: Tensor, reduction: int = 4, ratio: float = 0.2, logit_scale: float = 100.0):
        super().__init__()
        dim = class_features.shape[1]
        if dim // reduction < 1:
            raise ValueError(f"CLIP-Adapter REDUCTION {reduction} leaves no hidden unit for features of size {dim}")
        self.mlp = nn.Sequential(nn.Linear(dim, dim // reduction, bias=False), nn.ReLU(inplace=True),
                                 nn.Linear(dim // reduction, dim, bias=False), nn.ReLU(inplace=True))
        self.register_buffer("class_features", F.normalize(class_features.float(), dim=-1), persistent=False)
        self.ratio, self.logit_scale = ratio, logit_scale

    def forward(self, image_features: Tensor) -> Tensor:
        f = image_features.float()
        f = self.ratio * self.mlp(f) + (1 - self.ratio) * f
        return self.logit_scale * F.normalize(f, dim=-1) @ self.class_features.t()


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
