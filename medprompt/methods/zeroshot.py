"""Class vectors and scores for training-free classification.

- Templates: the mean of the normalised features of "a photo of a {}."-style prompts (one or an ensemble;
  "{modality}" in a template is filled with the dataset's imaging modality).
- CuPL: the mean of the normalised features of a class's LLM descriptions, normalised again.
- DCLIP: one text per descriptor, "{class}, which is/has {descriptor}"; a class's score is the mean of its
  descriptors' cosine scores.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

VERB_STARTS = ("is ", "are ", "has ", "have ", "shows ", "show ", "appears ", "appear ", "contains ", "looks ")


def fill_template(template: str, classname: str, modality: str = "") -> str:
    return template.replace("{modality}", modality).format(classname)


def mean_direction(features: Tensor) -> Tensor:
    """Normalise each row, average, normalise again."""
    return F.normalize(F.normalize(features.float(), dim=-1).mean(dim=0), dim=-1)


def template_class_features(encode, classnames: Sequence[str], templates: Sequence[str], modality: str = "") -> Tensor:
    """[C, D] class vectors from hand-written templates; `encode(texts) -> [N, D]`."""
    return torch.stack([
        mean_direction(encode([fill_template(t, name, modality) for t in templates])) for name in classnames
    ])


def cupl_class_features(per_class_features: Sequence[Tensor]) -> Tensor:
    """[C, D]: each class's description features averaged (CuPL)."""
    return torch.stack([mean_direction(f) for f in per_class_features])


def dclip_text(classname: str, descriptor: str) -> str:
    """'{class}, which has {descriptor}' (or 'which {descriptor}' when it starts with a verb)."""
    d = descriptor.strip().rstrip(".")
    d = d[:1].lower() + d[1:]
    return f"{classname}, which {d}" if d.startswith(VERB_STARTS) else f"{classname}, which has {d}"


def dclip_logits(image_features: Tensor, per_class_features: Sequence[Tensor], logit_scale: float) -> Tensor:
    """[N, C]: per class, the mean over its descriptors of scale * cos(image, descriptor text)."""
    img = F.normalize(image_features.float(), dim=-1)
    return torch.stack([
        logit_scale * (img @ F.normalize(f.float(), dim=-1).t()).mean(dim=1) for f in per_class_features
    ], dim=1)
