"""Tiny on-disk datasets for tests: an image tree and split file in a registered dataset's own layout.

Not a test module: other tests import `write_tiny_dataset` to get a dataset that the registered Dassl
dataset of that name loads with `--root <root>`, without /work/shared or any real data. Each class
gets its own colour (plus a little seeded noise), so a model could tell the classes apart.
"""

from __future__ import annotations

import colorsys
import json
import random
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from medprompt.data.specs import get_spec

SPLIT_KEYS = ("train", "val", "test")


def class_colour(label: int, num_classes: int) -> tuple[int, int, int]:
    """A saturated colour per label, evenly spaced in hue."""
    r, g, b = colorsys.hsv_to_rgb(label / max(num_classes, 1), 0.8, 0.9)
    return int(r * 255), int(g * 255), int(b * 255)


def write_image(path: Path, colour: tuple[int, int, int], size: int, rng: random.Random) -> None:
    """A size x size PNG of `colour` with a few noisy pixels."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", (size, size), colour)
    for _ in range(size):
        xy = (rng.randrange(size), rng.randrange(size))
        image.putpixel(xy, tuple(min(255, max(0, c + rng.randint(-40, 40))) for c in colour))
    image.save(path)


def write_tiny_dataset(
    root: Path,
    name: str,
    per_class: int = 2,
    size: int = 32,
    seed: int = 0,
    with_train_images: bool = True,
    counts: dict[str, int] | None = None,
    writer: Callable[[Path, int, int, random.Random], None] | None = None,
    suffix: str = ".png",
) -> Path:
    """Write `per_class` images per class and split under <root>/<folder> with a split file; return that folder.
    `counts` gives a split's total instead (e.g. a real dataset's test size), spread over the classes.

    Images go to <class folder>/<split>_<i>.png below the spec's image folder (or class_<label>/ where
    the layout has no class folders); the split file is the spec's default split file name. With
    `with_train_images` False the train entries are listed but their images are not written.
    `writer(path, label, size, rng)` writes each image instead of the class colour (file names end in `suffix`).
    """
    spec = get_spec(name)
    root = Path(root)
    rng = random.Random(seed)
    image_dir = spec.image_dir(root)
    folders = spec.class_folders or tuple(f"class_{i}" for i in range(spec.num_classes))
    split: dict[str, list[list]] = {k: [] for k in SPLIT_KEYS}
    for label, (folder, raw) in enumerate(zip(folders, spec.raw_classnames)):
        colour = class_colour(label, spec.num_classes)
        for key in SPLIT_KEYS:
            total = (counts or {}).get(key)
            n = per_class if total is None else total // spec.num_classes + (label < total % spec.num_classes)
            for i in range(n):
                rel = f"{folder}/{key}_{i}{suffix}"
                split[key].append([rel, label, raw])
                if key == "train" and not with_train_images:
                    continue
                if writer is None:
                    write_image(image_dir / rel, colour, size, rng)
                else:
                    (image_dir / rel).parent.mkdir(parents=True, exist_ok=True)
                    writer(image_dir / rel, label, size, rng)
    dataset_dir = spec.dataset_dir(root)
    dataset_dir.mkdir(parents=True, exist_ok=True)
    (dataset_dir / spec.default_split_file).write_text(json.dumps(split), encoding="utf-8")
    return dataset_dir
