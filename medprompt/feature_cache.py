"""On-disk caches of frozen-encoder features.

With a frozen image encoder, every text-only method and every seed evaluated on one backbone, split and
transform sees the same image features, so they are computed once. A key is a digest of everything that
changes the content (backbone name, weights digest, the images with their sizes and modification times
and their labels, the transform, the precision); a change of any of them is a miss. Files are written atomically, so a
killed run never leaves a half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable, Iterable

import torch

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

    def get_or_compute(self, kind: str, parts: dict, compute: Callable[[], dict]) -> dict:
        """The cached dict of tensors for `parts`, computing and storing it on a miss."""
        if self.root is None:
            return compute()
        path = self.path(kind, content_key(parts))
        if path.is_file():
            try:
                payload = torch.load(path, map_location="cpu", weights_only=True)
                self.hits += 1
                return payload
            except Exception as err:  # a corrupt entry is recomputed, not fatal
                print(f"Ignoring unreadable cache entry {path}: {err}")
        self.misses += 1
        payload = compute()
        write_with(path, lambda tmp: torch.save(payload, tmp))
        return payload
