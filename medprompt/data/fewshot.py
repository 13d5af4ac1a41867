"""Few-shot samples cached as JSON in <dataset dir>/split_fewshot/shot_<K>-seed_<S>.json.

The cache makes the K-shot sample of a seed a file a user can read and share, and guarantees that
every method run with that seed trains on the same images. It records a digest of the split file it
was drawn from; a cache from another split file is redrawn (and the redraw logged), never trusted.
Paths are stored relative to the image folder so the cache survives moving the data root.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from medprompt.utils.atomic import write_json as write_json_atomic
from medprompt.data.splits import Item


def cache_path(dataset_dir: str | os.PathLike[str], num_shots: int, seed: int) -> Path:
    """<dataset dir>/split_fewshot/shot_<K>-seed_<S>.json."""
    return Path(dataset_dir) / "split_fewshot" / f"shot_{num_shots}-seed_{seed}.json"


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _encode(items: Sequence[Item], image_dir: Path) -> list[list]:
    return [[Path(os.path.relpath(it.impath, image_dir)).as_posix(), it.label, it.classname] for it in items]


def _decode(rows: list, pool: Sequence[Item], image_dir: Path) -> list[Item] | None:
    """Items of `pool` named by cached rows; None when a row is not in the pool (stale cache)."""
    by_key = {(os.path.normpath(it.impath), it.label): it for it in pool}
    out = []
    for row in rows:
        item = by_key.get((os.path.normpath(image_dir / row[0]), row[1])) if len(row) >= 2 else None
        if item is None:
            return None
        out.append(item)
    return out


def read_sample(
    path: Path,
    split_path: str | os.PathLike[str],
    train: Sequence[Item],
    val: Sequence[Item],
    image_dir: str | os.PathLike[str],
    log=print,
) -> tuple[list[Item], list[Item]] | None:
    """The cached (train, val) sample at `path`, or None when absent or drawn from another split file."""
    if not path.is_file():
        return None
    image_dir = Path(image_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fresh = data.get("split_sha256") == file_digest(split_path)
        train_k = _decode(data["train"], train, image_dir) if fresh else None
        val_k = _decode(data["val"], val, image_dir) if fresh else None
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        train_k = val_k = None
    if train_k is None or val_k is None:
        log(f"Few-shot cache {path} does not match split file {split_path}; drawing the sample again")
        return None
    log(f"Loading few-shot sample from {path}")
    return train_k, val_k


def save_sample(
    path: Path,
    train_k: Sequence[Item],
    val_k: Sequence[Item],
    *,
    num_shots: int,
    seed: int,
    image_dir: str | os.PathLike[str],
    split_path: str | os.PathLike[str],
    log=print,
) -> None:
    """Write a few-shot sample atomically; a read-only data folder only costs the cache (logged)."""
    record = {
        "num_shots": num_shots,
        "seed": seed,
        "split_file": Path(split_path).name,
        "split_sha256": file_digest(split_path),
        "train": _encode(train_k, Path(image_dir)),
        "val": _encode(val_k, Path(image_dir)),
    }
    try:
        write_json_atomic(path, record)
        log(f"Saved few-shot sample to {path}")
    except OSError as exc:
        log(f"Could not save few-shot sample to {path} ({exc}); continuing without a cache")
