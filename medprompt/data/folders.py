"""Build a CoOp-format split from class folders when a dataset comes without a split file.

Each class's images are listed (recursively, sorted), shuffled with `random.Random(seed)` and cut into
train/val/test by the configured ratios, class by class, so every class is in every split and the same
folders always give the same split. The ratios' default (0.7/0.15/0.15) matches the published splits of
the datasets in the same layout family.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from pathlib import Path

from medprompt.data.errors import dataset_error

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".pgm", ".gif", ".webp", ".dcm", ".dicom")


def list_images(folder: Path) -> list[str]:
    """Image files below `folder` (recursively), as sorted POSIX paths relative to `folder`."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and name.lower().endswith(IMAGE_SUFFIXES):
                found.append(Path(dirpath, name).relative_to(folder).as_posix())
    return sorted(found)


def split_counts(n: int, train_ratio: float, val_ratio: float) -> tuple[int, int, int]:
    """Train/val/test sizes for n images; each at least 1 (n >= 3)."""
    n_train = max(1, round(n * train_ratio))
    n_val = max(1, round(n * val_ratio)) if val_ratio > 0 else 0
    while n_train + n_val > n - 1 and n_train > 1:
        n_train -= 1
    return n_train, n_val, n - n_train - n_val


def build_split_from_folders(
    image_dir: str | os.PathLike[str],
    class_folders: Sequence[str],
    raw_classnames: Sequence[str],
    *,
    train_ratio: float = 0.7,
    val_ratio: float = 0.15,
    seed: int = 1,
    dataset: str = "dataset",
) -> dict[str, list[list]]:
    """A split {"train"|"val"|"test": [[path relative to image_dir, label, class name], ...]}.

    Label i is `class_folders[i]`, written with `raw_classnames[i]`. Raises DatasetError when a class
    folder is missing or holds fewer than 3 images, or when the ratios leave no test set.
    """
    if not (0 < train_ratio < 1 and 0 <= val_ratio < 1 and train_ratio + val_ratio < 1):
        raise dataset_error(
            dataset,
            f"bad split ratios train={train_ratio} val={val_ratio}; need 0<train, 0<=val, train+val<1",
            "DATASET.SPLIT_TRAIN_RATIO / DATASET.SPLIT_VAL_RATIO",
        )
    image_dir = Path(image_dir)
    missing = [f for f in class_folders if not (image_dir / f).is_dir()]
    if missing:
        raise dataset_error(dataset, "class folders not found", image_dir, missing)
    listed = [list_images(image_dir / f) for f in class_folders]
    too_small = [f"{f} ({len(imgs)} images)" for f, imgs in zip(class_folders, listed) if len(imgs) < 3]
    if too_small:
        raise dataset_error(dataset, "class folders with fewer than 3 images", image_dir, too_small)
    rng = random.Random(seed)
    split: dict[str, list[list]] = {"train": [], "val": [], "test": []}
    for label, (folder, name, images) in enumerate(zip(class_folders, raw_classnames, listed)):
        rng.shuffle(images)
        n_train, n_val, _ = split_counts(len(images), train_ratio, val_ratio)
        parts = {"train": images[:n_train], "val": images[n_train : n_train + n_val], "test": images[n_train + n_val :]}
        for key, rels in parts.items():
            split[key].extend([f"{folder}/{rel}", label, name] for rel in rels)
    return split
