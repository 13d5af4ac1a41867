"""The demo's runs: which methods, on which datasets of the synthetic world, in which folders.

The datasets and their classes come from the world itself (medprompt.synthetic.diseases: every modality
is a dataset, the first half of its classes are its base classes), so the demo follows whatever world the
package defines. For each world seed S the world is written to <data>/world<S> and every run of that world
uses training seed S too: one seed folder `seed<S>` of the output tree is one independent replicate (a world
and a training seed), and the results tables' mean ± std over seeds is over replicates.

Per method, replicate and the training modality D (K shots; layout of medprompt/results/output_tree.py):
  base2new/train_base/D/...   trained on D's base classes (an evaluation only, for the zero-shot methods)
  base2new/test_new/D/...     the same prompts on D's new classes (--eval-only)
  heldout_modality/H/...      the same prompts on every class of each held-out modality H (--eval-only)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from medprompt.utils.errors import ConfigError
from medprompt.sweep.grid import STACKED_ON, RunSpec
from medprompt.results.output_tree import RunKey, run_dir
from medprompt.sweep.task import Task
from medprompt.synthetic.diseases import MODALITIES
from medprompt.synthetic.world import WorldSettings
from medprompt.utils.path_checks import refuse_file

BACKBONE = "synth"  # configs/backbones/synth.yaml: the shipped tiny CLIP of the synthetic world
TRAINING_FREE = frozenset({"ZeroshotCLIP", "ZeroshotDescriptions"})  # their "training" run only evaluates
HELDOUT_PROTOCOL = "heldout_modality"
RUN_ENV = {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONUNBUFFERED": "1"}  # unbuffered: the progress lines read the run's log as it is written


@dataclass(frozen=True)
class Method:
    """A trainer with a config variant (configs/methods/<trainer>/<variant>.yaml; '' = none)."""

    trainer: str
    variant: str = ""

    @property
    def name(self) -> str:
        """How the demo's command line names it: Trainer or Trainer/variant."""
        return f"{self.trainer}/{self.variant}" if self.variant else self.trainer

    @property
    def config(self) -> str:
        """The config name of its runs (medprompt/run/config_layers.py): <variant>_<backbone> or <backbone>."""
        return f"{self.variant}_{BACKBONE}" if self.variant else BACKBONE

    @property
    def label(self) -> str:
        """Its name in the results tables when one trainer has several configs (medprompt/results/tables.py)."""
        return f"{self.trainer}/{self.config}"


#: MedPromptCLIP's new option in the demo, fixed before any run of it (configs/methods/MedPromptCLIP/centered.yaml
#: says why): the centered loss.
NEW_OPTION = Method("MedPromptCLIP", "centered")
METHODS: tuple[Method, ...] = (
    Method("ZeroshotCLIP"),  # class names
    Method("ZeroshotDescriptions"),  # CuPL: the mean of the class's descriptions
    Method("MedPromptCLIP"),  # upstream settings
    NEW_OPTION,
    Method("CoOp"),
    Method("MedPromptCLIP_CoOp"),  # CoOp started from MedPromptCLIP's (upstream) prompts
)
METHOD_NAMES = {m.name: m for m in METHODS}
REFERENCE = (Method("ZeroshotCLIP"), Method("ZeroshotDescriptions"))  # the gap: class names -> descriptions


def modality_datasets() -> list[str]:
    """The world's datasets, one per modality, in the world's order."""
    return [m.dataset for m in MODALITIES]


def with_sources(methods: list[Method]) -> list[Method]:
    """`methods` with, before each stacked method, the method whose prompts it starts from."""
    out: list[Method] = []
    for method in methods:
        source = STACKED_ON.get(method.trainer)
        if source and Method(source) not in out:
            out.append(Method(source))
        if method not in out:
            out.append(method)
    return out


@dataclass(frozen=True)
class DemoPlan:
    data: Path  # world S is written to <data>/world<S>
    output: Path
    train_on: str
    heldout: tuple[str, ...]
    shots: int
    seeds: tuple[int, ...]  # world seeds; each replicate's training seed is its world seed
    methods: tuple[Method, ...]
    world: WorldSettings  # image counts per class (its seed is replaced by each world seed)
    opts: tuple[str, ...] = ()  # KEY VALUE options for every run

    def __post_init__(self):
        known = modality_datasets()
        for name in (self.train_on, *self.heldout):
            if name not in known:
                raise ConfigError(f"{name!r} is not a modality of the synthetic world; its datasets: "
                                  f"{', '.join(known)}")
        if self.train_on in self.heldout:
            raise ConfigError(f"{self.train_on} is the training modality and cannot be held out too")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds) or min(self.seeds) < 0:
            raise ConfigError(f"world seeds must be distinct non-negative integers, got {list(self.seeds)}")
        for flag, path in (("--data", self.data), ("--output", self.output)):
            refuse_file(path, flag)
        if len(self.opts) % 2:
            raise ConfigError(f"options must be KEY VALUE pairs, got {len(self.opts)} words: {list(self.opts)}")

    def world_root(self, seed: int) -> Path:
        return self.data / f"world{seed}"

    def world_settings(self, seed: int) -> WorldSettings:
        return dataclasses.replace(self.world, seed=seed)

    def folder(self, protocol: str, dataset: str, method: Method, seed: int) -> Path:
        return run_dir(self.output, RunKey(protocol, dataset, self.shots, method.trainer, method.config, seed))


def run_specs(plan: DemoPlan, seed: int) -> list[RunSpec]:
    """Every run of one replicate, each after the runs it reads; training runs first, so that with several
    runs at a time the long ones start early."""
    common = ("DATASET.NUM_SHOTS", str(plan.shots), "MODEL.CACHE_DIR", str(plan.output / "cache"), *plan.opts)
    trained, evaluations = [], []
    for method in with_sources(list(plan.methods)):
        base = plan.folder("base2new/train_base", plan.train_on, method, seed)
        source = STACKED_ON.get(method.trainer)
        init, after = (), ()
        if source:
            source_folder = plan.folder("base2new/train_base", plan.train_on, Method(source), seed)
            init, after = ("TRAINER.STACKING.INIT_FROM", str(source_folder)), (source_folder,)
        key = RunKey("base2new/train_base", plan.train_on, plan.shots, method.trainer, method.config, seed)
        spec = RunSpec(key, base, ("--eval-only",) if method.trainer in TRAINING_FREE else (),
                       (*common, "DATASET.SUBSAMPLE_CLASSES", "base", *init), after)
        (evaluations if method.trainer in TRAINING_FREE else trained).append(spec)
        targets = [("base2new/test_new", plan.train_on, "new")] + [(HELDOUT_PROTOCOL, d, "all") for d in plan.heldout]
        for protocol, dataset, classes in targets:
            key = RunKey(protocol, dataset, plan.shots, method.trainer, method.config, seed)
            evaluations.append(RunSpec(key, run_dir(plan.output, key), ("--eval-only", "--model-dir", str(base)),
                                       (*common, "DATASET.SUBSAMPLE_CLASSES", classes), (base,)))
    return trained + evaluations


def tasks(plan: DemoPlan, python: str) -> list[Task]:
    """The runs of every replicate as executor tasks (medprompt/sweep/task.py), in the order to start them."""
    out = []
    for seed in plan.seeds:
        for spec in run_specs(plan, seed):
            task = Task.from_spec(spec, plan.output, plan.world_root(seed), python, redo=False)
            out.append(task.with_env(RUN_ENV))
    return out


def part_of(task: Task, plan: DemoPlan) -> str:
    """'SynthDerm base' / 'SynthDerm new' / 'SynthFundus all' (+ the world seed when there are several)."""
    rel = Path(task.folder).relative_to(plan.output).parts
    protocol, dataset, seed = "/".join(rel[:-5]), rel[-5], rel[-1]
    part = {"base2new/train_base": "base", "base2new/test_new": "new"}.get(protocol, "all")
    return f"{dataset} {part}" + (f" w{seed.removeprefix('seed')}" if len(plan.seeds) > 1 else "")


def method_of(task: Task, plan: DemoPlan) -> Method:
    rel = Path(task.folder).relative_to(plan.output).parts
    trainer, config = rel[-3], rel[-2]
    return next(m for m in with_sources(list(plan.methods)) if (m.trainer, m.config) == (trainer, config))
