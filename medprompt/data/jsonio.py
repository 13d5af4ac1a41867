"""Atomic JSON writing for split files and few-shot caches.

A crash or a full disk must never leave a half-written split file that the next run would trust, so
files are written to a temporary file in the same folder and moved into place with `os.replace`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomic(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write `obj` as JSON to `path` atomically (temp file in the same folder, then os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(obj, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        # Leave nothing behind: the destination is untouched and the temp file goes.
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
