"""Reading and atomically writing description files and their provenance files.

A description file is `{class: [sentence, ...]}` (or `{class: {attribute: [phrase, ...]}}` for attribute
sets); its provenance sits beside it as `<stem>.provenance.json` and records how it was made. Every write
goes to a temporary file in the same folder and is then moved over the old one with os.replace, so a run
killed at any moment leaves either the old or the new file, never half of one.
"""

from __future__ import annotations

import json
from pathlib import Path

from medprompt.utils.atomic import write_json
from medprompt.utils.errors import FileFormatError


def provenance_path(output: Path) -> Path:
    """`llm_descriptions/FFA.json` -> `llm_descriptions/FFA.provenance.json`."""
    return output.with_name(output.stem + ".provenance.json")


def write_json_atomic(path: Path, data: object) -> None:
    """Write `data` as indented UTF-8 JSON to `path` atomically."""
    write_json(path, data, indent=2)


def read_json(path: Path) -> dict | None:
    """The JSON object in `path`, None if the file does not exist; a clear error if it is not an object."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise FileFormatError(f"{path}: expected a JSON object at the top level, got {type(data).__name__}")
    return data


def read_descriptions(path: Path, kind: str) -> dict:
    """An existing description file, checked to hold lists of strings (or attribute dicts of them)."""
    data = read_json(path) or {}

    def ok_list(value: object) -> bool:
        return isinstance(value, list) and all(isinstance(s, str) for s in value)

    if kind == "attributes":
        bad = [k for k, v in data.items() if not (isinstance(v, dict) and all(ok_list(x) for x in v.values()))]
        shape = "{attribute: [strings]}"
    else:
        bad = [k for k, v in data.items() if not ok_list(v)]
        shape = "a list of strings"
    if bad:
        raise FileFormatError(f"{path}: {len(bad)} class(es) do not map to {shape}; first: {bad[:5]}")
    return data
