"""Description files: `{class name: [sentences]}` written by an LLM for each dataset.

Keys are matched to the dataset's class names after normalising case, underscores and white space
(medprompt.data.classnames). A dataset class with no key is an error that lists every unmatched class with
the closest keys, instead of silently training on fewer classes.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Mapping, Sequence

from medprompt.data.classnames import closest_names, normalize_classname
from medprompt.data.specs import synthetic_descriptions
from medprompt.utils.errors import UserError
from medprompt.utils.paths import DESCRIPTIONS


class DescriptionError(UserError, ValueError):
    """A description file does not fit the dataset it is used with."""


def read_class_file(path: str | Path, kind: str, shape: str) -> dict:
    """The non-empty JSON object of a per-class file (`kind` names it in errors, `shape` shows its form)."""
    path = Path(path)
    if not path.is_file():
        raise DescriptionError(f"{kind} {path} does not exist.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DescriptionError(f"{kind} {path} is not valid JSON: {err}") from err
    if not isinstance(data, dict) or not data:
        raise DescriptionError(f"{kind} {path} must hold a non-empty object {shape}.")
    return data


def load_descriptions(path: str | Path) -> dict[str, list[str]]:
    """Read and check a description file: a JSON object of non-empty lists of non-empty strings."""
    data = read_class_file(path, "Description file", "{class: [sentences]}")
    empty = [key for key, sentences in data.items() if not sentences]
    if empty:
        raise DescriptionError(f"Description file {path}: classes with an empty list: {empty}")
    bad = [key for key, sentences in data.items()
           if not isinstance(sentences, list) or not all(isinstance(s, str) and s.strip() for s in sentences)]
    if bad:
        raise DescriptionError(f"Description file {path}: entries that are not lists of non-empty strings: {bad}")
    return {key: [s.strip() for s in sentences] for key, sentences in data.items()}


def match_descriptions(
    descriptions: Mapping[str, list[str]],
    classnames: Sequence[str],
    aliases: Sequence[Sequence[str]] = (),
    source: str = "descriptions",
) -> list[list[str]]:
    """Sentences for each class, in class order.

    A class matches a key whose normalised form equals its own or one of its aliases (e.g. the name
    as written in the published split file).
    """
    by_norm: dict[str, str] = {}
    for key in descriptions:
        by_norm.setdefault(normalize_classname(key), key)
    matched, missing = [], []
    for i, name in enumerate(classnames):
        names = [name, *(aliases[i] if i < len(aliases) else ())]
        key = next((by_norm[normalize_classname(n)] for n in names if normalize_classname(n) in by_norm), None)
        if key is None:
            missing.append(name)
        else:
            matched.append(descriptions[key])
    if missing:
        lines = [f"  {name!r}: closest keys {closest_names(name, list(descriptions))}" for name in missing]
        raise DescriptionError(
            f"{source}: {len(missing)} of {len(classnames)} classes have no descriptions:\n" + "\n".join(lines)
        )
    return matched


def extra_classes(descriptions: Mapping[str, list[str]], classnames: Sequence[str],
                  aliases: Sequence[Sequence[str]] = ()) -> dict[str, list[str]]:
    """The file's classes that match none of the given classes (for training on a file's wider class
    set), under their normalised names, as dataset classes are: `{"macular hole": sentences}` for a key
    "macular_hole", so one disease is never trained under two spellings. Keys that normalise alike
    are merged."""
    known = {normalize_classname(n) for n in classnames}
    for group in aliases:
        known.update(normalize_classname(n) for n in group)
    extra: dict[str, list[str]] = {}
    for key, sentences in descriptions.items():
        name = normalize_classname(key)
        if name not in known:
            extra.setdefault(name, []).extend(sentences)
    return extra


def truncate_to_context(texts: Sequence[str], fits, source: str) -> list[str]:
    """Shorten texts that do not fit the text encoder's context, word by word, with one summary warning.

    `fits(text) -> bool` says whether a text fits.
    """
    out, cut = [], 0
    for text in texts:
        if not fits(text):
            words = text.split()
            lo, hi = 1, len(words)  # binary search for the longest prefix that fits
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if fits(" ".join(words[:mid])):
                    lo = mid
                else:
                    hi = mid - 1
            text = " ".join(words[:lo])
            cut += 1
        out.append(text)
    if cut:
        warnings.warn(f"{source}: {cut} of {len(texts)} sentences were longer than the text encoder's "
                      "context and were truncated.", stacklevel=2)
    return out


def resolve_description_file(path: str, dataset_name: str, subdir: str = "", data_root: str = "") -> str:
    """An explicit path, else the descriptions a written synthetic world keeps beside its dataset under
    `data_root` (its classes depend on its seed), else the shipped
    llm_descriptions/[subdir/]<dataset>.json."""
    if path:
        return path
    if data_root and not subdir:
        beside = synthetic_descriptions(dataset_name, data_root)
        if beside is not None:
            return beside
    return str(DESCRIPTIONS / subdir / f"{dataset_name}.json")
