"""On-disk caches of frozen-encoder features.

With a frozen image encoder, every method and every seed run on one backbone and transform sees the same
feature for an image, so each image is encoded once. Two kinds of entry:
- `get_or_compute`: one file per computed result (text features), keyed by a digest of everything that
  changes its content; a change of any part is a miss;
- `get_or_compute_rows`: one feature per image (image features), kept in shards under a folder keyed by
  what every row shares (backbone, transform, precision); a row is identified by its image's path, size
  and modification time. A request encodes only the images no shard holds yet, so a few-shot sample of
  another seed, the validation split or another method's run pays only for images never seen before.
Files are written atomically, so a killed run never leaves a half-written entry; two runs that fill the
same folder at once write different shards and at worst encode an image twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterable, Sequence

import torch
from torch import Tensor

from medprompt.atomic import write_with

DEFAULT_DIR = Path(os.environ.get("MEDPROMPT_CACHE", Path.home() / ".cache" / "medprompt"))


def content_key(parts: dict) -> str:
    """A stable digest of a JSON-able description of what was computed."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def file_id(path: str) -> str:
    """A file's identity for the caches: its path, size and modification time."""
    st = os.stat(path)
    return f"{path}\0{st.st_size}\0{st.st_mtime_ns}"


def files_signature(paths: Iterable[str]) -> str:
    """Digest of paths with their sizes and modification times: changes when any image changes."""
    h = hashlib.sha256()
    for path in paths:
        h.update(f"{file_id(path)}\n".encode())
    return h.hexdigest()


class FeatureCache:
    """Tensors under <root>/<kind>/<key>.pt (or <key>/<shard>.pt for rows); root None disables caching.

    `hits` and `misses` count entries, and for row entries the rows (images) found and computed."""

    def __init__(self, root: str | Path | None):
        self.root = Path(root) if root else None
        self.hits = self.misses = 0

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.pt"

    def get_or_compute(self, kind: str, parts: dict, compute: Callable[[], dict]) -> dict:
        """The cached dict of tensors for `parts`, computing and storing it on a miss."""
        if self.root is None:
            return compute()
        path = self.path(kind, content_key(parts))
        payload = self._load(path) if path.is_file() else None
        if payload is not None:
            self.hits += 1
            return payload
        self.misses += 1
        payload = compute()
        write_with(path, lambda tmp: torch.save(payload, tmp))
        return payload

    def _load(self, path: Path) -> dict | None:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # a corrupt entry is recomputed, not fatal
            print(f"Ignoring unreadable cache entry {path}: {err}")
            return None

    def get_or_compute_rows(self, kind: str, parts: dict, ids: Sequence[str],
                            compute: Callable[[list[int]], Tensor]) -> Tensor:
        """[len(ids), D] rows for `ids`, in order; `compute(positions)` returns the rows of the ids at
        those positions and is called once, with only the ids that no stored shard holds."""
        if self.root is None:
            return compute(list(range(len(ids)))).float().cpu()
        folder = self.root / kind / content_key(parts)
        known: dict[str, Tensor] = {}
        if folder.is_dir():
            for shard in sorted(folder.glob("*.pt")):
                payload = self._load(shard)
                if payload is not None:
                    known.update(zip(payload["ids"], payload["features"]))
        new_ids = list(dict.fromkeys(key for key in ids if key not in known))
        self.hits += len(ids) - sum(key not in known for key in ids)
        if new_ids:
            self.misses += len(new_ids)
            first: dict[str, int] = {}
            for i, key in enumerate(ids):
                first.setdefault(key, i)
            rows = compute([first[key] for key in new_ids]).float().cpu()
            known.update(zip(new_ids, rows))
            payload = {"ids": new_ids, "features": rows}
            write_with(folder / f"{content_key({'ids': new_ids})}.pt", lambda tmp: torch.save(payload, tmp))
        return torch.stack([known[key] for key in ids])
