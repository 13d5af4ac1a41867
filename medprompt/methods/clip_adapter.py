"""CLIP-Adapter (Gao et al., IJCV 2023): a residual bottleneck MLP (D -> D/reduction -> D, no bias, ReLU
after each layer) on the frozen image feature, blended as ratio·adapter(f) + (1 - ratio)·f; cosine logits
against the frozen zero-shot class vectors. It needs no encoder in training, so it trains on cached features.
"""

from __future__ import annotations

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
