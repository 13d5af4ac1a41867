"""Where a dataset's split file is on disk.

Users keep the folder layouts of the code bases they downloaded data for, and split files under
several names (`split_<Name>.json`, `split_zhou_<Name>.json`, `data_split.json`). The search looks in
<root>/<folder>/ first and then in the image folder (the two differ for the biomedcoop layout); a path
given in the config (DATASET.SPLIT_FILE) wins over all of them.
"""

from __future__ import annotations

import os
from pathlib import Path

from medprompt.data.errors import dataset_error
from medprompt.data.specs import DatasetSpec


def split_candidates(spec: DatasetSpec, root: str | os.PathLike[str]) -> list[Path]:
    """Every place a split file is looked for, in search order."""
    dirs = dict.fromkeys([spec.dataset_dir(root), spec.image_dir(root)])
    return [d / name for d in dirs for name in spec.split_file_names]


def configured_split_file(spec: DatasetSpec, root: str | os.PathLike[str], split_file: str) -> Path:
    """DATASET.SPLIT_FILE resolved: absolute, or relative to <root>/<folder>/; it must exist."""
    path = Path(split_file).expanduser()
    if not path.is_absolute():
        path = spec.dataset_dir(root) / path
    if not path.is_file():
        raise dataset_error(spec.name, "split file from DATASET.SPLIT_FILE not found", path)
    return path


def find_split_file(spec: DatasetSpec, root: str | os.PathLike[str]) -> Path | None:
    """The first recognised split file on disk, or None."""
    return next((p for p in split_candidates(spec, root) if p.is_file()), None)
