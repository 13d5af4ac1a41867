"""MedPromptCLIP's Dassl-free math: its text-to-text losses and its text-only held-out validation.

Losses. The prompted template's feature of class c is pulled towards the frozen
feature of one of c's descriptions. Four kinds (TRAINER.MEDPROMPTCLIP.LOSS), each scaled by a weight:
- `mse` (upstream): MSE between the L2-normalised features; scaled (x1000 by default) because distances
  between unit vectors of high dimension are tiny.
- `l1`: the same with the L1 distance.
- `centered`: MSE after subtracting the fixed mean of all training targets from both sides and
  normalising again. Descriptions of different classes are nearly parallel (cosine ~0.9), so in plain MSE
  the part of the target that tells classes apart is a few percent of the loss and the prompts first
  collapse onto the mean description; centring leaves only that class-specific part.
- `contrastive`: InfoNCE over classes. For the pair (template of c, description d of c) the positive is d
  and the negatives are every training description of the other classes (the whole fixed target bank,
  not only the batch, so each step sees every other class); other descriptions of c are neither. Logits
  are cosines times the backbone's logit scale, the scale the same cosines get at test time when images
  are classified, so training sharpens the softmax exactly as deployment does.

Held-out validation. MedPromptCLIP is meant to carry over to classes it never trained on, yet the
last epoch is usually the one most fitted to the training classes. Holding out a seeded share of the training classes (with all
their descriptions) gives a validation that needs no image: each held-out description is classified
among the held-out classes by its cosine to their prompted templates, as an image is at test time.
The score is the accuracy of that classification; the mean rank of the own class is logged beside it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from medprompt.utils.errors import ConfigError
from medprompt.run.choices import TEXT_LOSSES


def text_to_text_loss(pred: Tensor, target: Tensor, kind: str = "mse", weight: float = 1000.0) -> Tensor:
    """weight * MSE (or L1) between normalised predicted and target features [B, D]."""
    pred, target = F.normalize(pred.float(), dim=-1), F.normalize(target.float(), dim=-1)
    if kind == "mse":
        return weight * F.mse_loss(pred, target)
    if kind == "l1":
        return weight * F.l1_loss(pred, target)
    raise ConfigError(f"Unknown text loss {kind!r}; choose one of {TEXT_LOSSES}")


def centered_loss(pred: Tensor, target: Tensor, center: Tensor, weight: float = 1000.0) -> Tensor:
    """weight * MSE between normalise(normalise(pred) - center) and normalise(normalise(target) - center).

    `center` [D] is the mean of the normalised training targets, fixed for the whole run.
    """
    center = center.float()
    pred = F.normalize(F.normalize(pred.float(), dim=-1) - center, dim=-1)
    target = F.normalize(F.normalize(target.float(), dim=-1) - center, dim=-1)
    return weight * F.mse_loss(pred, target)


def class_contrastive_loss(
    pred: Tensor, pair_ids: Tensor, bank: Tensor, bank_classes: Tensor, scale: float, weight: float = 1.0
) -> Tensor:
    """weight * InfoNCE of each template [B, D] against the target bank [M, D].

    Pair i's positive is bank[pair_ids[i]]; its negatives are the bank entries whose class differs from
    bank_classes[pair_ids[i]]. Logits are scale * cosine.
    """
    logits = scale * F.normalize(pred.float(), dim=-1) @ F.normalize(bank.float(), dim=-1).t()  # [B, M]
    own_class = bank_classes[pair_ids]
    keep = bank_classes.unsqueeze(0) != own_class.unsqueeze(1)  # other classes' descriptions
    keep[torch.arange(len(pair_ids), device=keep.device), pair_ids] = True  # ... and the pair's own one
    logits = logits.masked_fill(~keep, float("-inf"))
    return weight * F.cross_entropy(logits, pair_ids)


class TextPairLoss:
    """A text-to-text loss that knows the fixed bank of training targets (needed by `centered` and
    `contrastive`): call it with the prompted features of a batch [B, D] and their description indices.
    """

    def __init__(self, kind: str, weight: float, targets: Tensor, target_classes: Tensor, logit_scale: float):
        if kind not in TEXT_LOSSES:
            raise ConfigError(f"Unknown text loss {kind!r}; choose one of {TEXT_LOSSES}")
        n_classes = int(target_classes.unique().numel())
        if kind in ("centered", "contrastive") and n_classes < 2:
            raise ConfigError(f"The {kind!r} text loss needs descriptions of at least 2 classes, got {n_classes}")
        self.kind, self.weight, self.scale = kind, float(weight), float(logit_scale)
        self.targets, self.target_classes = targets, target_classes
        self.center = F.normalize(targets.float(), dim=-1).mean(0) if kind == "centered" else None

    def __call__(self, pred: Tensor, desc_ids: Tensor) -> Tensor:
        if self.kind == "centered":
            return centered_loss(pred, self.targets[desc_ids], self.center, self.weight)
        if self.kind == "contrastive":
            return class_contrastive_loss(pred, desc_ids, self.targets, self.target_classes, self.scale, self.weight)
        return text_to_text_loss(pred, self.targets[desc_ids], self.kind, self.weight)


def cosine_logits(image_features: Tensor, text_features: Tensor, logit_scale: float) -> Tensor:
    """scale * cos(image, text) for every image [N, D] and class [C, D]."""
    return logit_scale * F.normalize(image_features.float(), dim=-1) @ F.normalize(text_features.float(), dim=-1).t()


# -- held-out validation ----------------------------------------------------------------------
HELDOUT_KEY = "TRAINER.MEDPROMPTCLIP.VAL_HELDOUT_CLASSES"


def split_heldout_classes(names: list[str], share: float, seed: int) -> tuple[list[int], list[int]]:
    """(kept, held out) class indices: round(share * len(names)) classes drawn with `seed`, both in
    label order. Raises ConfigError naming the key when the share is out of [0, 1) or leaves fewer
    than 2 held-out classes (nothing to tell apart) or no class to train on."""
    if not 0 <= share < 1:
        raise ConfigError(f"{HELDOUT_KEY} must be in [0, 1), got {share}")
    n_held = round(share * len(names))
    if n_held < 2 or n_held > len(names) - 1:
        raise ConfigError(
            f"{HELDOUT_KEY} {share} of {len(names)} training classes holds out {n_held}; it must hold out at "
            f"least 2 classes and keep at least 1 for training (training classes: {names})"
        )
    held = sorted(random.Random(seed).sample(range(len(names)), n_held))
    kept = [i for i in range(len(names)) if i not in held]
    return kept, held


@dataclass(frozen=True)
class HeldoutScore:
    accuracy: float  # % of held-out descriptions whose nearest held-out template is their own class's
    mean_rank: float  # mean rank of the own class among the held-out classes (1 = nearest)


def heldout_score(templates: Tensor, descriptions: Tensor, description_classes: Tensor) -> HeldoutScore:
    """Classify each description [M, D] among the class templates [K, D] by cosine.

    description_classes [M] holds each description's class index into `templates`.
    """
    sims = F.normalize(descriptions.float(), dim=-1) @ F.normalize(templates.float(), dim=-1).t()  # [M, K]
    own = sims.gather(1, description_classes.view(-1, 1))
    rank = 1 + (sims > own).sum(1).float()  # ties count in the description's favour
    return HeldoutScore(accuracy=100.0 * (rank == 1).float().mean().item(), mean_rank=rank.mean().item())
