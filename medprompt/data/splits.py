"""CoOp-format split files: reading and validating them, base/new class groups, few-shot samples.

A split file is `{"train"|"val"|"test": [[relative image path, label, class name], ...]}` (the
convention of the CoOp family). Reading one checks its structure, that every label keeps one class
name, and that the names agree with the dataset spec's label order, so a reordered or foreign file
fails loudly instead of silently training on wrong labels. Base/new groups and few-shot sampling
follow the CoOp protocol (docs/DESIGN.md §2), but sample with a local `random.Random(seed)` so the sample
never depends on what a trainer did to the global random state before.
"""

from __future__ import annotations

import json
import math
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from medprompt.data.classnames import normalize_classname
from medprompt.data.errors import dataset_error
from medprompt.data.folders import build_split_from_folders  # noqa: F401  (part of this module's API)
from medprompt.data.specs import DatasetSpec
from medprompt.utils.errors import ConfigError

SPLITS = ("train", "val", "test")
SUBSAMPLE_CHOICES = ("all", "base", "new")
#: Validation shots are capped at this many per class (CoOp protocol).
MAX_VAL_SHOTS = 4


@dataclass(frozen=True)
class Item:
    """One labelled image: absolute path, label, prompt class name."""

    impath: str
    label: int
    classname: str


def load_split_json(path: str | os.PathLike[str], dataset: str) -> dict:
    """The raw JSON of a split file, with its top-level structure checked."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise dataset_error(dataset, "split file not found", path) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise dataset_error(dataset, f"split file is not readable JSON ({exc})", path) from None
    if not isinstance(data, dict):
        raise dataset_error(dataset, "split file must hold an object with keys train/val/test", path)
    missing = [k for k in SPLITS if k not in data]
    if missing:
        raise dataset_error(dataset, "split file lacks keys", path, missing)
    bad = [f"{k}[{i}]: {e!r}" for k in SPLITS for i, e in enumerate(data[k]) if not _is_entry(e)]
    if bad:
        raise dataset_error(dataset, "malformed split entries (want [path, int label, class name])", path, bad)
    return data


def _is_entry(entry: object) -> bool:
    return (
        isinstance(entry, (list, tuple))
        and len(entry) == 3
        and isinstance(entry[0], str)
        and isinstance(entry[1], int)
        and not isinstance(entry[1], bool)
        and isinstance(entry[2], str)
    )


def check_labels(data: dict, spec: DatasetSpec, path: str | os.PathLike[str]) -> None:
    """Raise if a label is out of range, a label carries two class names, or names disagree with the spec."""
    entries = [(k, i, e) for k in SPLITS for i, e in enumerate(data[k])]
    out_of_range = [f"{k}[{i}]: {e!r}" for k, i, e in entries if not 0 <= e[1] < spec.num_classes]
    if out_of_range:
        raise dataset_error(spec.name, f"labels outside 0..{spec.num_classes - 1} in split file", path, out_of_range)
    names: dict[int, Counter] = defaultdict(Counter)
    for _, _, (_, label, name) in entries:
        names[label][name] += 1
    # The most frequent name of a label is taken as intended; entries with another name disagree.
    usual = {label: counts.most_common(1)[0][0] for label, counts in names.items()}
    disagree = [
        f"{k}[{i}]: {e!r} (label {e[1]} is {usual[e[1]]!r} elsewhere)" for k, i, e in entries if e[2] != usual[e[1]]
    ]
    if disagree:
        raise dataset_error(spec.name, "label and class name disagree in split file", path, disagree)
    wrong = [
        f"label {label}: file {name!r}, expected {spec.raw_classnames[label]!r}"
        for label, name in sorted(usual.items())
        if not _same_class(name, spec, label)
    ]
    if wrong:
        raise dataset_error(
            spec.name,
            "class names in split file do not match the dataset's label order",
            path,
            wrong,
            hint=f"expected, by label: {list(spec.raw_classnames)}",
        )


def _same_class(name: str, spec: DatasetSpec, label: int) -> bool:
    forms = {spec.raw_classnames[label], spec.classnames[label]}
    return name in forms or normalize_classname(name) in {normalize_classname(f) for f in forms}


def read_split(
    path: str | os.PathLike[str],
    spec: DatasetSpec,
    image_dir: str | os.PathLike[str],
    log=print,
) -> dict[str, list[Item]]:
    """Read and validate a split file into {"train", "val", "test"} lists of Items with absolute paths.

    Entries whose path ends with one of the spec's `ignored_suffixes` (archives listed by mistake in a
    published file) are dropped with one log line. Image existence is not checked here.
    """
    data = load_split_json(path, spec.name)
    check_labels(data, spec, path)
    image_dir = Path(image_dir)
    out: dict[str, list[Item]] = {}
    skipped = []
    for key in SPLITS:
        items = []
        for rel, label, _ in data[key]:
            if spec.ignored_suffixes and rel.lower().endswith(spec.ignored_suffixes):
                skipped.append(f"{key}: {rel}")
                continue
            impath = os.path.normpath(image_dir / rel)
            items.append(Item(impath, label, spec.classnames[label]))
        out[key] = items
    if skipped:
        log(f"{spec.name}: skipped {len(skipped)} split entries that are not images: {skipped}")
    return out


def base_new_labels(num_classes: int, subsample: str) -> list[int]:
    """Labels kept by `subsample`: all, the first ceil(n/2) (base), or the rest (new)."""
    if subsample not in SUBSAMPLE_CHOICES:
        raise ConfigError(f"DATASET.SUBSAMPLE_CLASSES must be one of {SUBSAMPLE_CHOICES}, got {subsample!r}")
    labels = list(range(num_classes))
    cut = math.ceil(num_classes / 2)
    return {"all": labels, "base": labels[:cut], "new": labels[cut:]}[subsample]


def subsample_classes(
    *splits: Sequence[Item], subsample: str = "all", num_classes: int | None = None
) -> tuple[list[Item], ...]:
    """Keep the base or new classes of every split and relabel them from 0 (one tuple entry per split).

    The classes are 0..num_classes-1, by default every label seen in any split.
    """
    if num_classes is None:
        num_classes = 1 + max((it.label for s in splits for it in s), default=-1)
    kept = base_new_labels(num_classes, subsample)
    relabel = {old: new for new, old in enumerate(kept)}
    return tuple(
        [Item(it.impath, relabel[it.label], it.classname) for it in split if it.label in relabel] for split in splits
    )


def sample_per_class(items: Iterable[Item], num_shots: int, rng: random.Random) -> list[Item]:
    """Up to `num_shots` items per label drawn with `rng`, labels in ascending order; all if num_shots < 1."""
    items = list(items)
    if num_shots < 1:
        return items
    by_label: dict[int, list[Item]] = defaultdict(list)
    for it in items:
        by_label[it.label].append(it)
    out: list[Item] = []
    for label in sorted(by_label):
        group = by_label[label]
        out.extend(rng.sample(group, min(num_shots, len(group))))
    return out


def few_shot(train: Sequence[Item], val: Sequence[Item], num_shots: int, seed: int) -> tuple[list[Item], list[Item]]:
    """The K-shot train sample and min(K, 4)-shot val sample of one seed (K < 1: everything)."""
    if num_shots < 1:
        return list(train), list(val)
    rng = random.Random(seed)  # local: independent of anything done to the global `random` before
    return sample_per_class(train, num_shots, rng), sample_per_class(val, min(num_shots, MAX_VAL_SHOTS), rng)


def short_classes(train: Sequence[Item], num_shots: int) -> list[tuple[str, int]]:
    """(class name, image count) of every class with fewer than `num_shots` training images."""
    counts = Counter((it.label, it.classname) for it in train)
    return [(name, n) for (_, name), n in sorted(counts.items()) if n < num_shots]

