"""Encode every image of a loader once with a frozen image encoder (the content of the image cache)."""

from __future__ import annotations

from typing import Callable, Iterable

import torch
from torch import Tensor
from tqdm import tqdm


@torch.no_grad()
def encode_loader(encode: Callable[[Tensor], Tensor], loader: Iterable[dict], device: torch.device,
                  desc: str = "Encoding images") -> dict[str, Tensor]:
    """{'features': [N, D] float32 on CPU, 'labels': [N]} over a loader of {'img', 'label'} batches."""
    features, labels = [], []
    for batch in tqdm(loader, desc=desc, leave=False):
        features.append(encode(batch["img"].to(device)).float().cpu())
        labels.append(torch.as_tensor(batch["label"]))
    return {"features": torch.cat(features), "labels": torch.cat(labels)}
