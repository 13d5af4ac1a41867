"""Augmented views of training images for the heads on frozen features, each view reproducible on its own.

The published feature heads augment their training images: Tip-Adapter averages the features of several
randomly augmented views into its cache, CLIP-Adapter sees a newly augmented image every epoch. To train
such heads from a cache, view v of an image is the training transform applied under a random state drawn
from (augmentation seed, v, the image's file id) alone: the same view comes out whichever run, method,
seed or batch asks for it, so its features are cached once per (images, transform, seed, view) and reused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import torch
from torch import Tensor


def view_seed(seed: int, view: int, image_id: str) -> int:
    """The random state of view `view` of one image: a 63-bit number from the three alone."""
    digest = hashlib.sha256(f"{seed}/{view}/{image_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def augmented_batch(images: Sequence, image_ids: Sequence[str], transform: Callable, seed: int, view: int) -> Tensor:
    """[N, 3, H, W]: `transform` applied to each image under its own view's random state; the caller's
    random state is left as it was."""
    out = []
    with torch.random.fork_rng(devices=[]):
        for image, image_id in zip(images, image_ids):
            torch.manual_seed(view_seed(seed, view, image_id))
            out.append(transform(image))
    return torch.stack(out)
