"""On-disk caches of frozen-encoder features.

With a frozen image encoder, every method and every seed run on one backbone and transform sees the same
feature for an image, so each image is encoded once. Two kinds of entry:
- `get_or_compute`: one file per computed result (text features), keyed by a digest of everything that
  changes its content; a change of any part is a miss;
- `get_or_compute_rows`: one feature per image (image features), kept in shards under a folder keyed by
  what every row shares (backbone, dataset, transform, precision); a row is identified by its image's
  path, size and modification time. A request encodes only the images no shard holds yet, so a few-shot
  sample of another seed, the validation split or another method's run pays only for images never seen.
Files are written atomically, so a killed run never leaves a half-written entry, and computing is done
under a file lock (<root>/.locks/), so concurrent runs of a sweep (several local jobs, cluster jobs on a
shared disk) compute an entry or an image once: the others wait and read it. With a `label`, each lookup
prints one line ("Cached N <label> at ..." or "Reused N cached <label> from ..."), which lands in the
run's log. Labels are never cached: they come from the split file each time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterator, Sequence

import torch
from filelock import FileLock
from torch import Tensor

from medprompt.utils.atomic import write_with


def content_key(parts: dict) -> str:
    """A stable digest of a JSON-able description of what was computed."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def file_id(path: str) -> str:
    """A file's identity for the caches: its path, size and modification time."""
    st = os.stat(path)
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}"


class FeatureCache:
    """Tensors under <root>/<kind>/<key>.pt (or <key>/<shard>.pt for rows); root None disables caching.

    `hits` and `misses` count entries, and for row entries the rows (images) found and computed."""

    def __init__(self, root: str | Path | None):
        self.root = Path(root) if root else None
        self.hits = self.misses = 0

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.pt"

    @contextlib.contextmanager
    def _locked(self, kind: str, key: str) -> Iterator[None]:
        lock = self.root / ".locks" / f"{kind}-{key}.lock"  # apart from the entries: <kind>/ holds only them
        lock.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(lock)):
            yield

    def get_or_compute(self, kind: str, parts: dict, compute: Callable[[], dict], label: str = "") -> dict:
        """The cached dict of tensors for `parts`, computing and storing it on a miss."""
        if self.root is None:
            return compute()
        key = content_key(parts)
        path = self.path(kind, key)
        payload = self._load(path)
        if payload is None:
            with self._locked(kind, key):
                payload = self._load(path)  # another run may have computed it while this one waited
                if payload is None:
                    self.misses += 1
                    payload = compute()
                    write_with(path, lambda tmp: torch.save(payload, tmp))
                    if label:
                        print(f"Cached {_rows(payload)} {label} at {path}")
                    return payload
        self.hits += 1
        if label:
            print(f"Reused {_rows(payload)} cached {label} from {path}")
        return payload

    @staticmethod
    def _load(path: Path) -> dict | None:
        if not path.is_file():
            return None
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # a corrupt entry is recomputed, not fatal
            print(f"Ignoring unreadable cache entry {path}: {err}")
            return None

    def get_or_compute_rows(self, kind: str, parts: dict, ids: Sequence[str],
                            compute: Callable[[list[int]], Tensor], label: str = "") -> Tensor:
        """[len(ids), D] rows for `ids`, in order; `compute(positions)` returns the rows of the ids at
        those positions and is called at most once, with only the ids that no stored shard holds."""
        if self.root is None:
            return compute(list(range(len(ids)))).float().cpu()
        key = content_key(parts)
        folder = self.root / kind / key
        known = self._load_rows(folder)
        if any(i not in known for i in ids):
            with self._locked(kind, key):
                known = self._load_rows(folder)  # shards another run wrote while this one waited
                new_ids = list(dict.fromkeys(i for i in ids if i not in known))
                if new_ids:
                    first: dict[str, int] = {}
                    for position, i in enumerate(ids):
                        first.setdefault(i, position)
                    rows = compute([first[i] for i in new_ids]).float().cpu()
                    known.update(zip(new_ids, rows))
                    payload = {"ids": new_ids, "features": rows}
                    write_with(folder / f"{content_key({'ids': new_ids})}.pt", lambda tmp: torch.save(payload, tmp))
                    self.misses += len(new_ids)
                    self.hits += len(ids) - sum(i in new_ids for i in ids)
                    if label:
                        print(f"Cached {len(new_ids)} {label} at {folder} (reused {len(ids) - len(new_ids)})")
                    return torch.stack([known[i] for i in ids])
        self.hits += len(ids)
        if label:
            print(f"Reused {len(ids)} cached {label} from {folder}")
        return torch.stack([known[i] for i in ids])

    def _load_rows(self, folder: Path) -> dict[str, Tensor]:
        """Every row the shards of a folder hold, by id."""
        known: dict[str, Tensor] = {}
        for shard in sorted(folder.glob("*.pt")) if folder.is_dir() else ():
            payload = self._load(shard)
            if payload is not None:
                known.update(zip(payload["ids"], payload["features"]))
        return known


def _rows(payload: dict) -> int:
    """How many items a cached entry holds (rows of its 'features')."""
    features = payload.get("features")
    return int(features.shape[0]) if features is not None else 0
