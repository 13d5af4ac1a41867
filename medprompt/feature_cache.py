"""On-disk caches of frozen-encoder features.

With a frozen image encoder, every text-only method and every seed evaluated on one backbone, split and
transform sees the same image features, so they are computed once. A key is a digest of everything that
changes the content (backbone name, weights digest, the images with their sizes and modification times,
the transform, the precision); a change of any of them is a miss. Files are written atomically, so a
killed run never leaves a half-written entry, and a miss is computed under a file lock (<root>/.locks/),
so concurrent runs of a sweep (several local jobs, cluster jobs on a shared disk) compute it once: the
others wait and read it. Each labelled lookup prints one line ("Cached N ..." or "Reused N cached ..."),
which lands in the run's log.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterable

import torch
from filelock import FileLock

from medprompt.atomic import write_with

DEFAULT_DIR = Path(os.environ.get("MEDPROMPT_CACHE", Path.home() / ".cache" / "medprompt"))


def content_key(parts: dict) -> str:
    """A stable digest of a JSON-able description of what was computed."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def files_signature(paths: Iterable[str]) -> str:
    """Digest of paths with their sizes and modification times: changes when any image changes."""
    h = hashlib.sha256()
    for path in paths:
        st = os.stat(path)
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


class FeatureCache:
    """Tensors under <root>/<kind>/<key>.pt; root None disables caching."""

    def __init__(self, root: str | Path | None):
        self.root = Path(root) if root else None
        self.hits = self.misses = 0

    def path(self, kind: str, key: str) -> Path:
        return self.root / kind / f"{key}.pt"

    def get_or_compute(self, kind: str, parts: dict, compute: Callable[[], dict], label: str = "") -> dict:
        """The cached dict of tensors for `parts`, computing and storing it on a miss.

        With a `label` ("test image features"), a hit prints "Reused N cached <label> from <path>" and a
        miss "Cached N <label> at <path>", so a log says which runs paid for the encoding.
        """
        if self.root is None:
            return compute()
        key = content_key(parts)
        path = self.path(kind, key)
        payload = self._load(path)
        if payload is None:
            lock = self.root / ".locks" / f"{kind}-{key}.lock"  # apart from the entries: <kind>/ holds only them
            lock.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(lock)):
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


def _rows(payload: dict) -> int:
    """How many items a cached entry holds (rows of its 'features')."""
    features = payload.get("features")
    return int(features.shape[0]) if features is not None else 0
