"""What each config layer sets: its keys and values, those of the bases it names in `_BASE_` marked with
the base's file name, and a mark where a later layer sets the same key again (later wins).

    python -m medprompt.run.config_layers CoOp rn50

prints this after the list of layers (medprompt/run/config_layers.py).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from medprompt.run.config_layers import BASE_KEY, Layer, flat_keys


def file_keys(path: Path, _seen: tuple[Path, ...] = ()) -> list[tuple[str, object, str]]:
    """(key, value, the base file it comes from or '') of one yaml, its bases' keys first."""
    path = Path(path)
    if path.resolve() in _seen or not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    bases = data.pop(BASE_KEY, [])
    rows: list[tuple[str, object, str]] = []
    for base in [bases] if isinstance(bases, str) else bases:
        rows += [(k, v, src or Path(base).name) for k, v, src in file_keys(path.parent / base, (*_seen, path.resolve()))]
    return rows + [(k, v, "") for k, v in flat_keys(data).items()]


def describe_layer_keys(layers: list[Layer]) -> str:
    """Each layer with the keys it sets, in merge order."""
    keyed = [(layer, file_keys(layer.path)) for layer in layers]
    last_role: dict[str, str] = {}
    for layer, rows in keyed:
        for key, _, _ in rows:
            last_role[key] = f"{layer.role} {layer.path.name}"
    lines = ["  defaults       Dassl's, the project's and every trainer's keys"]
    for layer, rows in keyed:
        lines.append(f"  {layer.role:<14} {layer.path}")
        final = {key: i for i, (key, _, _) in enumerate(rows)}  # a layer may set a key its base set too
        for i, (key, value, source) in enumerate(rows):
            notes = [f"from {source}"] if source else []
            if final[key] != i:
                notes.append("replaced in this layer")
            elif last_role[key] != f"{layer.role} {layer.path.name}":
                notes.append(f"replaced by {last_role[key]}")
            lines.append(f"                   {key}: {value!r}" + (f"  ({'; '.join(notes)})" if notes else ""))
    return "\n".join(lines)
