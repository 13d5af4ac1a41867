"""The published split files in ../shared/splits/ (beside the checkout, as CI has them), and tiny image
trees written from them in each dataset's own layout."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image

from medprompt.data.specs import get_spec
from medprompt.data.splits import SPLITS
from medprompt.utils.paths import REPO

SHARED_SPLITS = REPO.parent / "shared" / "splits"
needs_shared = pytest.mark.skipif(
    not SHARED_SPLITS.is_dir(), reason=f"{SHARED_SPLITS} is absent (published split files)"
)
# Which spec a published split file belongs to, where the name differs from the file name.
SPEC_OF_FILE = {("biomedcoop", "COVID_19"): "COVID_19_BiomedCoOp"}


def shared_split_files() -> list[Path]:
    return sorted(SHARED_SPLITS.glob("*/*.json")) if SHARED_SPLITS.is_dir() else []


def spec_for_file(path: Path):
    return get_spec(SPEC_OF_FILE.get((path.parent.name, path.stem), path.stem))

PER_CLASS = 2


def published(path: Path) -> dict:
    return json.loads(path.read_text())


def is_ignored(spec, rel: str) -> bool:
    return bool(spec.ignored_suffixes) and rel.lower().endswith(spec.ignored_suffixes)


def write_tree(path: Path, root: Path) -> tuple[object, dict]:
    """A few entries per class and split of the published file, as tiny images in the dataset's layout."""
    spec = spec_for_file(path)
    rng = random.Random(0)
    data = published(path)
    small = {}
    for key in SPLITS:
        by_label: dict[int, list] = {}
        for entry in data[key]:
            by_label.setdefault(entry[1], []).append(entry)
        small[key] = [
            e for label in sorted(by_label) for e in rng.sample(by_label[label], min(PER_CLASS, len(by_label[label])))
        ]
        # Keep the published non-image entries (if any) to prove they are skipped, not reported missing.
        small[key] += [e for e in data[key] if is_ignored(spec, e[0]) and e not in small[key]]
    for entries in small.values():
        for rel, label, _ in entries:
            if not is_ignored(spec, rel):
                target = spec.image_dir(root) / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                Image.new("RGB", (8, 8), (label * 20 % 256, 0, 0)).save(target, format="PNG")
    # Exercise each discovery rule: biomedcoop's file in the image folder, medpromptclip's CoOp-style
    # alternative name, and ViP's own file name (split_pneumonia.json, split_skin.json) as ViP's code has it.
    where = {
        "biomedcoop": spec.image_dir(root) / spec.split_file_names[0],
        "medpromptclip": spec.dataset_dir(root) / f"split_zhou_{spec.folder}.json",
        "vip": spec.dataset_dir(root) / spec.published_split_file,
    }[spec.source]
    where.write_text(json.dumps(small))
    return spec, {k: [e for e in v if not is_ignored(spec, e[0])] for k, v in small.items()}
