"""Load a dataset from disk as train/val/test Items, the way every trainer sees it (no Dassl needed).

Steps, each failing with one DatasetError that names the dataset and the file: find the dataset folder
under the root; find (or build from class folders, once) the split file; read and validate it; check
that the images exist (training images only when required: text-only methods never read them); take
the cached few-shot sample of the seed; check the images that will be used can be decoded, and log
their formats and modes with how each is read (medprompt.data.decode); keep the
base or new classes. Nothing is written until every check has passed.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from medprompt.data.classnames import closest_names
from medprompt.data import fewshot
from medprompt.data.errors import dataset_error
from medprompt.data.folders import build_split_from_folders
from medprompt.data.decode import DecodeRule
from medprompt.data.images import missing_images, survey_images
from medprompt.utils.atomic import write_json as write_json_atomic
from medprompt.data.split_files import configured_split_file, find_split_file, split_candidates
from medprompt.data.specs import DatasetSpec, spec_for_root
from medprompt.data.splits import Item, base_new_labels, few_shot, read_split, short_classes, subsample_classes


@dataclass(frozen=True)
class LoadOptions:
    """What a run asks of its dataset (the DATASET.* config keys, see datasets/config.py)."""

    num_shots: int = -1  # K shots per class; -1: all
    seed: int = 1  # few-shot seed (cfg.SEED)
    subsample: str = "all"  # all | base | new
    split_file: str = ""  # explicit split file (absolute, or relative to <root>/<folder>/)
    require_train_images: bool = True  # False: train images may be absent (text-only methods)
    verify_images: bool = True  # decode each used image's header once at load time
    decode: DecodeRule = DecodeRule()  # how image files are read (INPUT.DECODE.*, medprompt/data/decode.py)
    split_train_ratio: float = 0.7  # used only when a split is built from class folders
    split_val_ratio: float = 0.15
    split_seed: int = 1


@dataclass(frozen=True)
class LoadedDataset:
    """A dataset ready for a trainer: Items after few-shot sampling and base/new selection."""

    spec: DatasetSpec
    train: list[Item]
    val: list[Item]
    test: list[Item]
    classnames: list[str]  # prompt class names of the kept classes, by new label
    split_path: Path
    dataset_dir: Path
    image_dir: Path
    fewshot_path: Path | None = None
    notes: list[str] = field(default_factory=list)


def resolve_dirs(spec: DatasetSpec, root: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(dataset_dir, image_dir), checking that the root and both folders exist."""
    root_path = Path(root).expanduser() if str(root) else None
    if root_path is None or not root_path.is_dir():
        raise dataset_error(
            spec.name,
            "data root does not exist",
            root or "<empty>",
            hint="set --root (DATASET.ROOT) to the folder that holds " + spec.folder,
        )
    dataset_dir, image_dir = spec.dataset_dir(root_path), spec.image_dir(root_path)
    if not dataset_dir.is_dir():
        near = closest_names(spec.folder, [p.name for p in root_path.iterdir() if p.is_dir()])
        raise dataset_error(
            spec.name,
            f"dataset folder {spec.folder!r} not found under the root",
            dataset_dir,
            hint=f"closest folders there: {near}",
        )
    if not image_dir.is_dir():
        raise dataset_error(
            spec.name,
            "image folder not found",
            image_dir,
            hint=f"the {spec.source} layout keeps images in <root>/{spec.folder}/{spec.image_subdir}/",
        )
    return dataset_dir, image_dir


def locate_split(spec: DatasetSpec, root: str | os.PathLike[str], options: LoadOptions, log=print) -> Path:
    """The split file to use; builds and saves one from class folders when none exists and that is possible."""
    if options.split_file:
        return configured_split_file(spec, root, options.split_file)
    found = find_split_file(spec, root)
    if found is not None:
        return found
    searched = [str(p) for p in split_candidates(spec, root)]
    if spec.class_folders is None:
        raise dataset_error(
            spec.name,
            "no split file found, and this layout has no class folders to build one from",
            spec.dataset_dir(root),
            searched,
            hint="put the published split file there or set DATASET.SPLIT_FILE",
        )
    split = build_split_from_folders(
        spec.image_dir(root),
        spec.class_folders,
        spec.raw_classnames,
        train_ratio=options.split_train_ratio,
        val_ratio=options.split_val_ratio,
        seed=options.split_seed,
        dataset=spec.name,
    )
    target = spec.dataset_dir(root) / spec.default_split_file
    write_json_atomic(target, split)
    sizes = "/".join(str(len(split[k])) for k in ("train", "val", "test"))
    log(
        f"{spec.name}: no split file found; built one from the class folders (train/val/test {sizes}, ratios "
        f"{options.split_train_ratio}/{options.split_val_ratio}, seed {options.split_seed}) and saved it to {target}"
    )
    return target


def load_dataset(
    spec: DatasetSpec, root: str | os.PathLike[str], options: LoadOptions = LoadOptions(), log=print
) -> LoadedDataset:
    """Load `spec` from `root` as configured by `options` (see the module docstring for the steps)."""
    spec = spec_for_root(spec, root)
    dataset_dir, image_dir = resolve_dirs(spec, root)
    split_path = locate_split(spec, root, options, log=log)
    splits = read_split(split_path, spec, image_dir, log=log)
    empty = [k for k in ("train", "test") if not splits[k]]
    if empty:
        raise dataset_error(spec.name, "split file has no entries for", split_path, empty)

    checked = ["val", "test"] + (["train"] if options.require_train_images else [])
    missing = {k: set(missing_images(it.impath for it in splits[k])) for k in checked}
    listed = [f"{k}: {os.path.relpath(p, image_dir)}" for k in checked for p in sorted(missing[k])]
    if listed:
        raise dataset_error(
            spec.name,
            f"images named in split file {split_path.name} are missing under {image_dir}",
            split_path,
            listed,
            hint=""
            if options.require_train_images
            else "missing train images are allowed (DATASET.REQUIRE_TRAIN_IMAGES False), val/test are not",
        )

    train, val, fewshot_path, fresh = splits["train"], splits["val"], None, False
    if options.num_shots > 0:
        fewshot_path = fewshot.cache_path(dataset_dir, options.num_shots, options.seed)
        cached = fewshot.read_sample(fewshot_path, split_path, train, val, image_dir, log=log)
        fresh = cached is None
        train, val = few_shot(train, val, options.num_shots, options.seed) if fresh else cached
        short = short_classes(splits["train"], options.num_shots)
        if short:
            warnings.warn(f"{spec.name}: DATASET.NUM_SHOTS is {options.num_shots} but {len(short)} class(es) have "
                          "fewer training images and use all they have: "
                          + "; ".join(f"{name} ({n})" for name, n in short))
    elif options.num_shots == 0 or options.num_shots < -1:
        raise dataset_error(
            spec.name, f"DATASET.NUM_SHOTS must be -1 (all) or >= 1, got {options.num_shots}", "DATASET.NUM_SHOTS"
        )

    test = splits["test"]
    if options.verify_images:
        used = (train if options.require_train_images else []) + val + test
        survey = survey_images((it.impath for it in used), options.decode)
        if survey.bad:
            raise dataset_error(
                spec.name,
                f"images named in split file {split_path.name} cannot be read",
                split_path,
                survey.bad,
                hint="set DATASET.VERIFY_IMAGES False to skip this check",
            )
        log(f"{spec.name}: images found, and how each kind is read ({options.decode.describe()}):\n  "
            + "\n  ".join(survey.lines()))
    if fresh:
        fewshot.save_sample(
            fewshot_path,
            train,
            val,
            num_shots=options.num_shots,
            seed=options.seed,
            image_dir=image_dir,
            split_path=split_path,
            log=log,
        )

    kept = base_new_labels(spec.num_classes, options.subsample)
    train, val, test = subsample_classes(train, val, test, subsample=options.subsample, num_classes=spec.num_classes)
    return LoadedDataset(
        spec=spec,
        train=train,
        val=val,
        test=test,
        classnames=[spec.classnames[i] for i in kept],
        split_path=split_path,
        dataset_dir=dataset_dir,
        image_dir=image_dir,
        fewshot_path=fewshot_path,
    )
