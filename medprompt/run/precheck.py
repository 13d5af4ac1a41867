"""Refuse a command's mistakes before torch, open_clip and Dassl are imported (they take seconds to load).

Every check reads what the later code will accept from something that loads in milliseconds:
- trainer names: the classes registered in trainers/*.py and in the installed Dassl's engine, read as
  text (`@TRAINER_REGISTRY.register()` above `class Name`), not imported;
- dataset names: the dataset table (medprompt/data/specs.py) and Dassl's own registered datasets, read
  the same way;
- config names and layer files: medprompt/run/config_layers.py (yaml files on disk);
- config key names: the list a former run of the same code wrote down (medprompt/run/key_cache.py); with
  no list yet, key names are left to yacs after the imports;
- enumerated values: medprompt/run/choices.py;
- paths: the file system. A missing path names the closest entry of the deepest folder that exists.
Every refusal names the closest valid choice (medprompt/utils/suggest.py). What cannot be known here
(value ranges, a backbone name open_clip resolves) is checked after the imports, as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import yaml

from medprompt.run.config_layers import CONFIGS, ConfigLayerError, config_names, legacy_config, resolve_layers
from medprompt.utils.errors import ConfigError, InputFileError
from medprompt.results.output_tree import BEST_CHECKPOINT, CHECKPOINT_POINTER, EPOCH_CHECKPOINT_PREFIX
from medprompt.run.choices import choices_of
from medprompt.run.key_cache import dassl_folder, known_keys, unknown_keys
from medprompt.utils.paths import REPO
from medprompt.utils.path_checks import check_file, check_folder
from medprompt.utils.suggest import did_you_mean, unknown

#: The file names a learner folder of a trained run holds (Dassl's layout, medprompt/run/checkpoints.py).
CHECKPOINT_NAMES = (CHECKPOINT_POINTER, BEST_CHECKPOINT)


def _registered(folder: Path | None, registry: str) -> set[str]:
    """Class names registered in `registry` by the Python files under `folder`, read as text."""
    if folder is None or not folder.is_dir():
        return set()
    pattern = re.compile(rf"@{registry}\.register\(\)\s*\n\s*class\s+(\w+)")
    names: set[str] = set()
    for path in folder.rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


@cache
def trainer_names() -> tuple[str, ...]:
    """Every trainer Dassl's registry will hold once trainers/ is imported: the project's and Dassl's."""
    dassl = dassl_folder()
    return tuple(sorted(_registered(REPO / "trainers", "TRAINER_REGISTRY")
                        | _registered(dassl / "engine" if dassl else None, "TRAINER_REGISTRY")))


@cache
def dataset_names() -> tuple[str, ...]:
    """Every dataset Dassl's registry will hold once datasets/ is imported: the table's and Dassl's."""
    from medprompt.data.specs import DATASET_SPECS

    dassl = dassl_folder()
    return tuple(sorted(set(DATASET_SPECS) | _registered(dassl / "data" if dassl else None, "DATASET_REGISTRY")))


def check_trainer(name: str, where: str = "--trainer") -> None:
    if name and name not in trainer_names():
        raise ConfigError(unknown("trainer", name, trainer_names(), where))


def check_dataset(name: str, where: str) -> None:
    if name not in dataset_names():
        raise ConfigError(unknown("dataset", name, dataset_names(), where))


def dataset_of_config_file(path: str, flag: str = "--dataset-config-file") -> str:
    """DATASET.NAME of a dataset config file, which must exist and name a registered dataset."""
    check_file(path, flag)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{flag} {path} is not valid YAML: {err}") from None
    node = data.get("DATASET") if isinstance(data, dict) else None
    name = (node.get("NAME") if isinstance(node, dict) else None) or ""
    if name:
        check_dataset(str(name), f"DATASET.NAME in {path}")
    return str(name)


def config_error_with_hint(trainer: str, config: str, layers_error: ConfigLayerError) -> ConfigLayerError:
    """The config layer error with the closest config name of the trainer added, when there is one."""
    has_method = bool(trainer) and (CONFIGS / "methods" / f"{trainer}.yaml").is_file()
    hint = did_you_mean(config, config_names(trainer)) if has_method and config else ""
    return ConfigLayerError(f"{layers_error}{hint}") if hint else layers_error


def check_opts(opts: Sequence[str]) -> None:
    """Trailing KEY VALUE options: pairs, known key names (when a former run wrote them down), allowed words."""
    opts = list(opts or [])
    if len(opts) % 2:
        raise ConfigError(f"trailing options come in KEY VALUE pairs, got {len(opts)} words: {' '.join(opts)}")
    keys, values = opts[0::2], opts[1::2]
    known = known_keys()
    strangers = unknown_keys(keys, known) if known is not None else []
    if strangers:
        key = strangers[0]
        raise ConfigError(f"unknown config key {key}{did_you_mean(key, known)}. Keys are case-sensitive; "
                          "`python -m medprompt.run.config_layers METHOD CONFIG` lists the keys each layer sets.")
    for key, value in zip(keys, values):
        words = choices_of(key)
        if words is not None and value not in words:
            raise ConfigError(f"{key} must be one of {', '.join(words)}, got {value!r}{did_you_mean(value, words)}")
        if key == "TRAINER.NAME":
            check_trainer(value, key)
        elif key == "DATASET.NAME":
            check_dataset(value, key)


def _has_checkpoint(folder: Path) -> bool:
    """Whether `folder` is a learner folder holding a checkpoint."""
    return folder.is_dir() and any(p.name in CHECKPOINT_NAMES or p.name.startswith(EPOCH_CHECKPOINT_PREFIX)
                                   for p in folder.iterdir())


def is_run_folder(folder: Path) -> bool:
    """Whether `folder` is the --output-dir of a run: a learner folder with a checkpoint in it, or a Dassl
    log (a training-free run, e.g. zero-shot, saves no checkpoint; its trainer loads none)."""
    from medprompt.results.runs import LOG_NAME

    return folder.is_dir() and any(_has_checkpoint(p) or (p.is_file() and LOG_NAME.match(p.name))
                                   for p in folder.iterdir())


def run_folders_below(folder: Path, depth: int = 4, limit: int = 5) -> list[Path]:
    """Run folders under `folder`, shallowest first, at most `limit`."""
    found, level = [], [folder]
    for _ in range(depth):
        level = sorted(q for p in level for q in p.iterdir() if q.is_dir())
        found += [p for p in level if is_run_folder(p)]
        if len(found) >= limit or not level:
            break
    return found[:limit]


def trainer_of_run(folder: Path) -> str:
    """The trainer a run folder's newest log names ('' when no log says)."""
    from medprompt.results.runs import read_run

    logs = read_run(folder).logs
    return logs[-1].config.get("TRAINER.NAME", "") or logs[-1].args.get("trainer", "") if logs else ""


def check_model_dir(model_dir: str, trainer: str = "", flag: str = "--model-dir") -> str:
    """Refuse a --model-dir that is missing, a learner folder inside a run, or a folder above run folders,
    naming the folder that would have worked; returns a note when the run was made by another trainer
    than `trainer` ('' otherwise). Whether a run needs a checkpoint at all is the trainer's to say."""
    folder = Path(model_dir).expanduser()
    check_folder(model_dir, flag)
    if not is_run_folder(folder):
        if is_run_folder(folder.parent) and _has_checkpoint(folder):
            raise InputFileError(f"{flag} {model_dir} is a learner folder inside a run; give the run folder: "
                                 f"{flag} {folder.parent}")
        below = run_folders_below(folder)
        if below:
            more = ", ".join(str(p) for p in below[1:])
            raise InputFileError(f"{flag} {model_dir} holds no checkpoint itself, but run folders below it do: "
                                 f"give one of them, e.g. {flag} {below[0]}" + (f" (or {more})" if more else ""))
        return ""  # an empty folder: the trainer says whether it needs a checkpoint (zero-shot ones do not)
    made_by = trainer_of_run(folder)
    if trainer and made_by and made_by != trainer:
        return (f"{flag} {model_dir} was trained by {made_by}, and this run is {trainer}: its prompts load only "
                f"where their shapes fit {trainer}'s")
    return ""


def check_train_args(args) -> list[str]:
    """Refuse the mistakes of a train.py (or explain_vip.py) command line that can be seen before the
    imports; returns notes to print."""
    check_trainer(args.trainer)
    if args.dataset_config_file:
        dataset_of_config_file(args.dataset_config_file)
    if args.config_file and not legacy_config(args.config_file):  # a former configs/trainers/ path is a name
        check_file(args.config_file, "--config-file")
    try:
        resolve_layers(trainer=args.trainer, config=args.config, backbone=args.backbone,
                       config_file=args.config_file, dataset_config_file=args.dataset_config_file)
    except ConfigLayerError as err:
        raise config_error_with_hint(args.trainer, args.config, err) from None
    check_opts(args.opts)
    notes = []
    if getattr(args, "print_config", False):
        return notes  # it prints the merged config and reads no data, checkpoint or output folder
    check_folder(args.root, "--root")
    if args.model_dir:
        note = check_model_dir(args.model_dir, args.trainer)
        notes += [note] if note else []
    if getattr(args, "resume", ""):
        check_folder(args.resume, "--resume")
    return notes


def dataset_config_names(root: Path = CONFIGS) -> list[str]:
    """The datasets that have a config file: configs/datasets/<name>.yaml."""
    return sorted(p.stem for p in (root / "datasets").glob("*.yaml"))


def check_sweep_args(methods: Sequence[str], datasets: Sequence[str], opts: Sequence[str], data: str = "") -> None:
    """Refuse a sweep's misspelt method, dataset, key or data folder before anything is planned."""
    for method in methods:
        check_trainer(method, "--methods")
    names = dataset_config_names()
    for dataset in datasets:
        if dataset not in names:
            raise ConfigError(unknown("dataset", dataset, names, f"no {CONFIGS.name}/datasets/{dataset}.yaml"))
    check_opts(opts)
    if data:
        check_folder(data, "DATA (--data)")
