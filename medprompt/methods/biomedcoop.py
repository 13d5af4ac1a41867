"""BiomedCoOp (Koleilat et al., CVPR 2025): CoOp plus two terms built from a class's LLM prompts.

- SCCM: MSE between each normalised prompted class feature and the normalised mean of the normalised
  features of all the class's LLM prompts.
- KDSP: a KL term between the prompted logits and zero-shot logits whose class vectors are the means of
  the LLM prompts that survive outlier pruning on the current batch.
- Pruning, per prompt index i: s_i = mean over the batch of the max over classes of scale·cos(image,
  prompt i of the class); z = (s - median(s)) / MAD(s); keep i when |(z - mean z) / std z| <= tau.
  The published code uses torch's median (the lower middle value for an even count) and the unbiased std;
  so does this module. Standardising z undoes its affine MAD scaling, so for MAD > 0 the kept set equals
  that of standardised raw scores; that form is also used when MAD is 0, where z is undefined.

Classes may have different numbers of prompts: features come as [C, N, D] with a [C, N] validity mask.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def pad_prompt_features(per_class: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
    """([C, N, D] normalised features, zero-padded, [C, N] bool mask of real prompts) from per-class
    [n_c, D] features, N = max n_c."""
    n = max(f.shape[0] for f in per_class)
    dim = per_class[0].shape[1]
    features = per_class[0].new_zeros(len(per_class), n, dim, dtype=torch.float32)
    valid = torch.zeros(len(per_class), n, dtype=torch.bool, device=features.device)
    for c, f in enumerate(per_class):
        features[c, : f.shape[0]] = F.normalize(f.float(), dim=-1)
        valid[c, : f.shape[0]] = True
    return features, valid


def masked_mean_direction(features: Tensor, weights: Tensor) -> Tensor:
    """[C, D]: per class, the normalised mean of the prompts with weight True ([C, N, D], [C, N])."""
    w = weights.to(features.dtype).unsqueeze(-1)
    return F.normalize((features * w).sum(dim=1) / w.sum(dim=1).clamp_min(1), dim=-1)


def prompt_scores(image_features: Tensor, features: Tensor, valid: Tensor, logit_scale: float) -> Tensor:
    """[N]: per prompt index, the batch mean of the largest logit over the classes that have that prompt."""
    img = F.normalize(image_features.float(), dim=-1)
    logits = logit_scale * torch.einsum("bd,cnd->bnc", img, features)  # [B, N, C]
    logits = logits.masked_fill(~valid.t().unsqueeze(0), float("-inf"))
    return logits.max(dim=-1).values.mean(dim=0)


def mad_keep_mask(scores: Tensor, tau: float) -> Tensor:
    """[N] bool: the prompt indices whose standardised median/MAD z-score is within tau."""
    scores = scores.float()
    if scores.numel() < 2:
        return torch.ones_like(scores, dtype=torch.bool)
    median = scores.median()
    mad = (scores - median).abs().median()
    z = (scores - median) / mad if mad > 0 else scores
    std = z.std()
    if not std > 0:  # all scores equal: nothing is an outlier
        return torch.ones_like(scores, dtype=torch.bool)
    return ((z - z.mean()) / std).abs() <= tau


def pruned_class_features(features: Tensor, valid: Tensor, keep: Tensor) -> Tensor:
    """[C, D] zero-shot class vectors from the kept prompts; a class none of whose prompts is kept
    keeps all of them."""
    chosen = valid & keep.unsqueeze(0)
    chosen = torch.where(chosen.any(dim=1, keepdim=True), chosen, valid)
    return masked_mean_direction(features, chosen)


def sccm_loss(class_features: Tensor, llm_mean: Tensor) -> Tensor:
    """MSE between the normalised prompted class features [C, D] and the LLM prompt means [C, D]."""
    return F.mse_loss(F.normalize(class_features.float(), dim=-1), llm_mean.float())


def kdsp_loss(logits: Tensor, zeroshot_logits: Tensor) -> Tensor:
    """F.kl_div(log_softmax(prompted), log_softmax(zero-shot), log_target=True), summed and divided by
    the number of logits: sum p_zs·(log p_zs - log p_prompted) / (B·C), as the published code."""
    return F.kl_div(F.log_softmax(logits.float(), dim=1), F.log_softmax(zeroshot_logits.float(), dim=1),
                    reduction="sum", log_target=True) / logits.numel()
