"""Protocols as grids of train.py runs (see docs/PROTOCOLS.md).

| protocol | runs per (method, config, dataset, seed) | folders |
|---|---|---|
| zeroshot | one run, no training image (`DATASET.NUM_SHOTS -1`) | `zeroshot/<D>/shots_0/...` |
| fewshot | one run per K | `fewshot/<D>/shots_<K>/...` |
| base2new | train on base classes (K shots, default 16), then `--eval-only` on new classes | `base2new/{train_base,test_new}/<D>/shots_<K>/...` |
| crossmodal | train once on D (K = 0: no images / all images), then `--eval-only` on each target | `crossmodal/<target>/shots_<K>/...` |

A stacked method (MedPromptCLIP_CoOp, MedPromptCLIP_MaPLe) first needs the run of the method it stacks on
with the same protocol, dataset, shots, seed and config name, passed as `TRAINER.STACKING.INIT_FROM`.
A run that reads another run's output lists that folder in `after`, so executors order them.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from medprompt.run.config_layers import ConfigLayerError, config_layers
from medprompt.utils.errors import ConfigError
from medprompt.results.output_tree import RunKey, dataset_config_file, run_dir
from medprompt.utils.paths import REPO
from medprompt.run.precheck import config_error_with_hint
from medprompt.run.config_checks import check_protocol

PROTOCOLS = ("zeroshot", "fewshot", "base2new", "crossmodal")
DEFAULT_SHOTS = {"zeroshot": (0,), "fewshot": (1, 2, 4, 8, 16), "base2new": (16,), "crossmodal": (0,)}
DEFAULT_SEEDS = (1, 2, 3)
CROSSMODAL_TARGETS = ("f1000images", "OCT_C8", "OCTDL", "ODIR_3x200", "FFA", "SLO")
STACKED_ON = {"MedPromptCLIP_CoOp": "MedPromptCLIP", "MedPromptCLIP_MaPLe": "MedPromptCLIP",
              "MedPromptCLIP_FewShot": "MedPromptCLIP"}


class GridError(ConfigError):
    """A grid that names a missing config or dataset, or an unknown protocol."""


@dataclass(frozen=True)
class RunSpec:
    """One train.py run: where it writes, its flags and options, and the runs it reads."""

    key: RunKey
    folder: Path
    flags: tuple[str, ...] = ()
    opts: tuple[str, ...] = ()
    after: tuple[Path, ...] = ()

    def command(self, data: str | Path, python: str) -> list[str]:
        """The train.py command line (CoOp's flags, then trailing KEY VALUE options)."""
        return train_command(python, data, self.key.seed, self.key.trainer, self.key.dataset,
                             self.key.config_name, self.folder, [*self.flags, *self.opts])


def train_command(python: str, data: str | Path, seed: int, trainer: str, dataset: str, config_name: str,
                  output_dir: Path, rest: list[str]) -> list[str]:
    """`python train.py` for one run; `rest` holds extra flags and trailing options."""
    return [python, str(REPO / "train.py"), "--root", str(data), "--seed", str(seed), "--trainer", trainer,
            "--config", config_name, "--dataset-config-file", str(dataset_config_file(dataset)),
            "--output-dir", str(output_dir), *rest]


def show(command: list[str]) -> str:
    return shlex.join(command)


@dataclass(frozen=True)
class Grid:
    """What a sweep covers. Empty `shots`/`seeds`/`targets` take the protocol's defaults; `stack_on` maps
    stacked methods to the method they start from (default :data:`STACKED_ON`)."""

    protocol: str
    methods: tuple[str, ...]
    configs: tuple[str, ...]
    datasets: tuple[str, ...]
    shots: tuple[int, ...] = ()
    seeds: tuple[int, ...] = ()
    targets: tuple[str, ...] = ()
    opts: tuple[str, ...] = ()
    stack_on: dict[str, str] = field(default_factory=lambda: dict(STACKED_ON))

    def __post_init__(self):
        if self.protocol not in PROTOCOLS:
            raise GridError(f"Unknown protocol {self.protocol!r}; known: {', '.join(PROTOCOLS)}")
        if len(self.opts) % 2:
            raise GridError(f"Trailing options must be KEY VALUE pairs; got {len(self.opts)} words: {self.opts}")

    @property
    def shot_counts(self) -> tuple[int, ...]:
        return self.shots or DEFAULT_SHOTS[self.protocol]

    @property
    def seed_list(self) -> tuple[int, ...]:
        return self.seeds or DEFAULT_SEEDS

    @property
    def target_list(self) -> tuple[str, ...]:
        return self.targets or CROSSMODAL_TARGETS

    def _pair_problem(self, method: str, config: str) -> str:
        """Why `method` cannot run with `config` (it, or the method it stacks on, lacks it), or ""."""
        for trainer in filter(None, (self.stack_on.get(method), method)):
            try:
                config_layers(trainer, config)
            except ConfigLayerError as err:
                return str(config_error_with_hint(trainer, config, err))  # with the closest config name
        return ""

    def pairs(self) -> list[tuple[str, str]]:
        """The (method, config) pairs the grid runs: every config with every method that has it. A variant
        belongs to one method (`ensemble_vit_b16` is ZeroshotCLIP's), so one sweep can cover several
        methods' settings; the pairs left out are listed by :meth:`left_out`."""
        return [(m, c) for m in self.methods for c in self.configs if not self._pair_problem(m, c)]

    def left_out(self) -> list[tuple[str, str]]:
        present = set(self.pairs())
        return [(m, c) for m in self.methods for c in self.configs if (m, c) not in present]

    def check(self) -> None:
        """Every config some method has, every method with some config, and every dataset file exist (one
        error naming each problem): a config no method has, or a method with none of the configs, is a
        mistake rather than a pair to leave out."""
        problems = []
        for config in self.configs:
            reasons = [self._pair_problem(m, config) for m in self.methods]
            if all(reasons):
                problems += reasons
        for method in self.methods:
            reasons = [self._pair_problem(method, c) for c in self.configs]
            if all(reasons):
                problems += reasons
        if self.protocol != "zeroshot":  # the zero-shot protocol asks the registry (sweep/cli.py check_text_only)
            for method in self.methods:
                try:
                    check_protocol(method, self.protocol)
                except ConfigError as err:
                    problems.append(str(err))
        datasets = [*self.datasets, *(self.target_list if self.protocol == "crossmodal" else ())]
        missing = [p for p in dict.fromkeys(dataset_config_file(d) for d in datasets) if not p.is_file()]
        if missing:
            problems.append("No config " + ", ".join(str(p.relative_to(REPO)) for p in missing))
        if problems:
            raise GridError("\n".join(dict.fromkeys(problems)))


def expand(grid: Grid, output: str | Path) -> list[RunSpec]:
    """Every run of the grid, each once, every run after the runs it reads."""
    specs: dict[Path, RunSpec] = {}

    def add(spec: RunSpec) -> RunSpec:
        known = specs.setdefault(spec.folder, spec)
        if known != spec:
            raise GridError(f"Two different runs would write {spec.folder}")
        return spec

    def one(protocol, dataset, shots, trainer, config, seed, *, flags=(), opts=(), after=()) -> RunSpec:
        key = RunKey(protocol, dataset, shots, trainer, config, seed)
        return add(RunSpec(key, run_dir(output, key), tuple(flags), tuple(opts), tuple(after)))

    def stacked(protocol, dataset, shots, method, config, seed, opts) -> RunSpec:
        """`method`, first making the run it stacks on (when it stacks on one)."""
        base = grid.stack_on.get(method)
        if not base:
            return one(protocol, dataset, shots, method, config, seed, opts=opts)
        source = one(protocol, dataset, shots, base, config, seed, opts=opts)
        return one(protocol, dataset, shots, method, config, seed,
                   opts=(*opts, "TRAINER.STACKING.INIT_FROM", str(source.folder)), after=(source.folder,))

    user = grid.opts
    for method, config in grid.pairs():
        for dataset in grid.datasets:
            _expand_one(grid, method, config, dataset, user, one, stacked)
    return list(specs.values())


def _expand_one(grid: Grid, method, config, dataset, user, one, stacked) -> None:
    protocol = grid.protocol
    for shots in grid.shot_counts:
        for seed in grid.seed_list:
            if protocol == "zeroshot":
                one("zeroshot", dataset, 0, method, config, seed, opts=(*user, "DATASET.NUM_SHOTS", "-1"))
            elif protocol == "fewshot":
                stacked("fewshot", dataset, shots, method, config, seed, (*user, "DATASET.NUM_SHOTS", str(shots)))
            elif protocol == "base2new":
                base = stacked("base2new/train_base", dataset, shots, method, config, seed,
                               (*user, "DATASET.NUM_SHOTS", str(shots), "DATASET.SUBSAMPLE_CLASSES", "base"))
                one("base2new/test_new", dataset, shots, method, config, seed,
                    flags=("--eval-only", "--model-dir", str(base.folder)),
                    opts=(*user, "DATASET.NUM_SHOTS", str(shots), "DATASET.SUBSAMPLE_CLASSES", "new"),
                    after=(base.folder,))
            else:  # crossmodal: K = 0 means no images for text-only methods, all images otherwise
                num_shots = str(shots) if shots else "-1"
                source = one("crossmodal", dataset, shots, method, config, seed,
                             opts=(*user, "DATASET.NUM_SHOTS", num_shots))
                for target in grid.target_list:
                    if target == dataset:
                        continue  # the training run already evaluated its own dataset
                    one("crossmodal", target, shots, method, config, seed,
                        flags=("--eval-only", "--model-dir", str(source.folder)),
                        opts=(*user, "DATASET.NUM_SHOTS", "-1"), after=(source.folder,))
