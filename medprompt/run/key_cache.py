"""The config keys a run of this code can set, written down by a run so that the next command can check
key names before importing torch and Dassl.

The full key list is known only once Dassl's defaults and every trainer's `add_config` have run, which
needs the imports a refusal should not wait for. So train.py writes the list after building its config,
into `$MEDPROMPT_CACHE` (else ~/.cache/medprompt, the feature cache's folder) under a digest of the
sources that declare keys (trainers/, datasets/, Dassl's defaults). A command started later with the same
code reads it in milliseconds; after any change of those sources (or before the first run) there is no
list, and key names are checked after the imports, as yacs does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from medprompt.run.config_layers import flat_keys
from medprompt.utils.atomic import write_json
from medprompt.utils.paths import REPO, cache_root

#: Folders whose Python files declare config keys (each trainer module adds its own).
KEY_SOURCES = ("trainers", "datasets")


def dassl_folder() -> Path | None:
    """The installed Dassl package's folder, found without importing it (None when not installed)."""
    spec = importlib.util.find_spec("dassl")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def source_digest() -> str:
    """A digest of every file that declares config keys: a changed file means another key list."""
    digest = hashlib.sha256()
    files = sorted(p for folder in KEY_SOURCES for p in (REPO / folder).glob("*.py"))
    dassl = dassl_folder()
    if dassl is not None:
        files.append(dassl / "config" / "defaults.py")
    for path in files:
        digest.update(str(path.relative_to(path.parents[1])).encode())
        digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()[:16]


def cache_file() -> Path:
    root = cache_root("")
    return root / "config_keys" / f"{source_digest()}.json"


def remember_keys(cfg: Mapping) -> None:
    """Write the config's key list for the next command (silently skipped when the cache is not writable)."""
    path = cache_file()
    if path.is_file():
        return
    try:
        write_json(path, sorted(flat_keys(cfg)))
    except OSError:
        pass


def known_keys() -> set[str] | None:
    """The keys a run of this code has, or None when no run of this code has written them down yet."""
    try:
        return set(json.loads(cache_file().read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def unknown_keys(keys: Iterable[str], known: set[str]) -> list[str]:
    """The keys of `keys` that are neither a leaf nor (for a whole node given as a value) a node of `known`."""
    nodes = {k.rsplit(".", i)[0] for k in known for i in range(1, k.count(".") + 1)}
    return [k for k in keys if k not in known and k not in nodes]
