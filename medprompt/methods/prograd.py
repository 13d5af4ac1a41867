"""ProGrad (Zhu et al., ICCV 2023): prompt-aligned gradients.

The cross-entropy gradient of each trainable tensor is kept where it agrees with the gradient of the
distillation term KL(zero-shot ‖ prompted) at temperature T; where the two conflict (negative dot
product), its component along the distillation gradient is removed (scaled by lambda, 1 upstream).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def distillation_loss(logits: Tensor, zeroshot_logits: Tensor, temperature: float = 1.0) -> Tensor:
    """T² · mean over the batch of KL(softmax(zero-shot / T) ‖ softmax(prompted / T)).

    The published code uses the soft cross-entropy -sum p_zs log p_prompted, which differs from this by
    the (constant) zero-shot entropy: same gradient, a loss that is 0 when the two agree."""
    t = float(temperature)
    return F.kl_div(F.log_softmax(logits.float() / t, dim=-1), F.log_softmax(zeroshot_logits.float() / t, dim=-1),
                    reduction="batchmean", log_target=True) * t * t


def project_conflicting(grad: Tensor, guide: Tensor, lam: float = 1.0) -> Tensor:
    """grad, minus lam times its projection on guide when the two point in conflicting directions."""
    norm = torch.linalg.vector_norm(guide)
    if norm == 0:
        return grad
    unit = guide / norm
    along = torch.dot(grad.flatten().float(), unit.flatten().float())
    if along >= 0:
        return grad
    return grad - (lam * along * unit).to(grad.dtype)
