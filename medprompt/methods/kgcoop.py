"""KgCoOp's knowledge-guided term: keep the learned class text features close to the hand-written
zero-shot ones, `1 - mean over classes of cos(w_learned, w_zero-shot)`, weighted by lambda (8 upstream)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def knowledge_distance(learned: Tensor, zeroshot: Tensor) -> Tensor:
    """1 - mean_c cos(learned[c], zeroshot[c]) for class features [C, D]."""
    return 1.0 - F.cosine_similarity(learned.float(), zeroshot.float(), dim=-1).mean()
