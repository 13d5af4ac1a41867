"""Text-only validation on held-out training classes, for choosing a MedPromptCLIP checkpoint.

MedPromptCLIP is meant to carry over to classes it never trained on, yet the last epoch is usually the
one most fitted to the training classes. Holding out a seeded share of the training classes (with all
their descriptions) gives a validation that needs no image: each held-out description is classified
among the held-out classes by its cosine to their prompted templates, as an image is at test time.
The score is the accuracy of that classification; the mean rank of the own class is logged beside it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor

from medprompt.errors import ConfigError

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

