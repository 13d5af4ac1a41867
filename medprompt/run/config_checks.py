"""What every trainer accepts, as data: the allowed range or form of each of its config keys, and the
protocols it supports. Checked at start (trainers/config.py from train.py right after the config merge,
and Dassl's `check_cfg` hook, which TrainerX.__init__ calls first), before any data is read or backbone
built, so a mistyped value ends in one message naming the key, the value and what is allowed.

Each registered trainer of the project has an entry in TRAINERS (tests/run/test_config_checks.py fails when
one has none); a new trainer declares its keys' rules there, beside its config keys.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from medprompt.run.choices import (AGGREGATIONS, CLASS_TOKEN_POSITIONS, OPTIMIZERS, PRECISIONS, SCHEDULES, TEXT_LOSSES,
                                   WARMUP_TYPES)
from medprompt.utils.errors import ConfigError

# -- rules -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One key: `problem(value)` says what is wrong with a value ('' when it is allowed); `allowed`
    says in words what is; `bad` holds values it refuses (the tests try each)."""

    key: str
    allowed: str
    problem: Callable[[Any], str]
    bad: tuple = ()

    def check(self, value: Any) -> None:
        why = self.problem(value)
        if why:
            detail = "" if why == self.allowed else f" ({why})"
            raise ConfigError(f"{self.key} = {value!r} is not allowed{detail}; allowed: {self.allowed}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _range_text(low, high, low_open: bool, high_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high}")
    return " and ".join(parts)


def _in_range(value, low, high, low_open: bool, high_open: bool) -> bool:
    if low is not None and (value <= low if low_open else value < low):
        return False
    return not (high is not None and (value >= high if high_open else value > high))


def number(key: str, low=None, high=None, low_open: bool = False, high_open: bool = False, integer: bool = False,
           also: tuple = (), note: str = "") -> Rule:
    """A number (an integer with `integer`) in a range; `also`: single values allowed besides (e.g. -1)."""
    kind = "an integer" if integer else "a number"
    allowed = f"{kind} {_range_text(low, high, low_open, high_open)}".strip()
    if also:
        allowed += f", or {' or '.join(map(str, also))}"
    if note:
        allowed += f" ({note})"

    def problem(value):
        if not _is_number(value) or (integer and not isinstance(value, int)):
            return allowed
        return "" if value in also or _in_range(value, low, high, low_open, high_open) else allowed

    bad = [v for v in ((low - 1) if low is not None else None, (high + 1) if high is not None else None,
                       low if low_open else None, high if high_open else None) if v is not None and v not in also]
    if integer:
        bad.append(1.5)
    return Rule(key, allowed, problem, tuple(dict.fromkeys(bad)) + ("x",))


def numbers(key: str, low=None, low_open: bool = False, length: int | None = None, integer: bool = False) -> Rule:
    """A non-empty list of numbers in a range (of `length` numbers when given)."""
    item = number(key, low=low, low_open=low_open, integer=integer)
    size = f"{length} " if length else "a non-empty list of "
    allowed = f"{size}{'integers' if integer else 'numbers'} {_range_text(low, None, low_open, False)}".strip()

    def problem(value):
        if not isinstance(value, (list, tuple)) or not value or (length and len(value) != length):
            return allowed
        return allowed if any(item.problem(v) for v in value) else ""

    wrong = [low - 1 if low is not None else "x"] * (length or 1)
    return Rule(key, allowed, problem, ([], tuple(wrong)))


def choice(key: str, values: Iterable[str]) -> Rule:
    values = tuple(values)
    allowed = "one of " + ", ".join(values)
    return Rule(key, allowed, lambda value: "" if value in values else allowed, ("not-a-choice",))


def boolean(key: str) -> Rule:
    return Rule(key, "True or False", lambda value: "" if isinstance(value, bool) else "True or False", ("yes",))


def text(key: str, empty: bool = True) -> Rule:
    """Any text (a path, an initialisation string); only its type is checked, and with `empty` False that
    it says something."""
    allowed = "a text" if empty else "a non-empty text"
    return Rule(key, allowed, lambda value: "" if isinstance(value, str) and (empty or value.strip()) else allowed,
                (3,) if empty else (3, ""))


def template_problem(value: Any, named: tuple[str, ...] = ("modality",), slot: bool = True) -> str:
    """What is wrong with a prompt template ('' when nothing): it must be a text that Python's str.format
    reads, with the class name's slot {} exactly once (when `slot`) and no other field than `named`."""
    if not isinstance(value, str):
        return "not a text"
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(value) if f is not None]
    except ValueError as err:
        return f"malformed: {err}"
    if slot and fields.count("") != 1:
        return (f"holds the class name's slot {{}} {fields.count('')} times, not once "
                "(without it every class gets the same prompt)")
    unknown = [f for f in fields if f and f not in named]
    if unknown:
        return f"unknown field {{{unknown[0]}}}"
    return ""


def template(key: str, named: tuple[str, ...] = ("modality",)) -> Rule:
    fields = "".join(f", {{{n}}}" for n in named)
    allowed = f"a text with the class name's slot {{}} exactly once (other fields allowed: none{fields})"
    return Rule(key, allowed, lambda value: template_problem(value, named), ("no slot", "{}: {", "{} {}", "{x} {}"))


def templates(key: str, named: tuple[str, ...] = ("modality",), empty: bool = False) -> Rule:
    """A list of templates (each as `template`); `empty`: the empty list is allowed (a default applies)."""
    one = template(key, named)
    allowed = f"a {'' if empty else 'non-empty '}list of templates, each {one.allowed[2:]}"

    def problem(value):
        if not isinstance(value, (list, tuple)) or (not value and not empty):
            return allowed
        for entry in value:
            why = template_problem(entry, named)
            if why:
                return f"entry {entry!r}: {why}"
        return ""

    bad = (["no slot"], ["{}", "unclosed {"]) + (() if empty else ([],))
    return Rule(key, allowed, problem, bad)


def attribute_templates(key: str) -> Rule:
    from medprompt.data.attribute_prompts import FIELDS, check_templates
    from medprompt.data.descriptions import DescriptionError

    allowed = (f"a non-empty list of templates with fields {' '.join('{' + f + '}' for f in FIELDS)} only, "
               "at least one naming {class}")

    def problem(value):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            return allowed
        try:
            check_templates(list(value))
        except DescriptionError as err:
            return str(err)
        return ""

    return Rule(key, allowed, problem, ([], ["{color} only"], ["{class} {size}"], ["{class"]))


def folder(key: str, special: tuple[str, ...] = ()) -> Rule:
    """A folder path: empty, missing (made later) or a folder, never an existing file."""
    allowed = "a folder path (it may not exist yet), not a file" + "".join(f", or {s!r}" for s in special)

    def problem(value):
        if not isinstance(value, str):
            return allowed
        if value and value not in special and Path(value).expanduser().is_file():
            return f"{value} is a file"
        return ""

    return Rule(key, allowed, problem, (3,))


# -- the trainers' keys ------------------------------------------------------------------------------


COMMON = (
    text("MODEL.BACKBONE.NAME", empty=False),
    text("MODEL.BACKBONE.WEIGHTS"),
    boolean("MODEL.FULL_TEXT_CONTEXT"),
    choice("MODEL.PRECISION", PRECISIONS),
    folder("MODEL.CACHE_DIR", special=("none",)),
    folder("OUTPUT_DIR"),
    folder("RESUME"),
    folder("DATASET.ROOT"),
    choice("DATASET.SUBSAMPLE_CLASSES", ("all", "base", "new")),
    number("DATASET.NUM_SHOTS", low=1, integer=True, also=(-1,), note="-1: every training image"),
    choice("OPTIM.NAME", OPTIMIZERS),
    number("OPTIM.LR", low=0, low_open=True),
    number("OPTIM.MAX_EPOCH", low=1, integer=True),
    number("OPTIM.WEIGHT_DECAY", low=0),
    choice("OPTIM.LR_SCHEDULER", SCHEDULES),
    choice("OPTIM.WARMUP_TYPE", WARMUP_TYPES),
    number("OPTIM.WARMUP_EPOCH", low=-1, integer=True, note="0 or -1: no warm-up"),
    number("OPTIM.WARMUP_CONS_LR", low=0, low_open=True),
    number("OPTIM.MOMENTUM", low=0, high=1),
    number("DATALOADER.TRAIN_X.BATCH_SIZE", low=1, integer=True),
    number("DATALOADER.TEST.BATCH_SIZE", low=1, integer=True),
    number("DATALOADER.NUM_WORKERS", low=0, integer=True),
    number("TRAIN.CHECKPOINT_FREQ", low=0, integer=True),
    choice("TEST.FINAL_MODEL", ("last_step", "best_val")),
    choice("TEST.SPLIT", ("val", "test")),
    boolean("PUBLISHED_SETTINGS"),
    number("MODEL.AUGMENTED_VIEWS", low=0, integer=True, note="0: the un-augmented test-time view"),
    number("MODEL.AUGMENT_SEED", low=0, integer=True),
)


def prompt_keys(node: str, template_fields: tuple[str, ...] = (), low: int = 1, note: str = "") -> tuple[Rule, ...]:
    """The CoOp-family prompt keys (trainers/coop.py add_prompt_keys) under TRAINER.<node>; `low` 0 where
    0 means "as the checkpoint it starts from" (`note`)."""
    k = f"TRAINER.{node}"
    return (number(f"{k}.N_CTX", low=low, integer=True, note=note), number(f"{k}.DEPTH", low=low, integer=True, note=note),
            text(f"{k}.CTX_INIT"), template(f"{k}.TEMPLATE", template_fields), boolean(f"{k}.CSC"),
            choice(f"{k}.CLASS_TOKEN_POSITION", CLASS_TOKEN_POSITIONS))


STACKING = (
    text("TRAINER.STACKING.INIT_FROM"),
    number("TRAINER.STACKING.TEXT_LOSS_WEIGHT", low=0, note="0: off"),
    choice("TRAINER.STACKING.TEXT_LOSS", TEXT_LOSSES),
    number("TRAINER.STACKING.TEXT_LOSS_SCALE", low=0, low_open=True),
    text("TRAINER.STACKING.DESCRIPTIONS"),
)

MEDPROMPTCLIP = (
    number("TRAINER.MEDPROMPTCLIP.N_CTX", low=1, integer=True),
    number("TRAINER.MEDPROMPTCLIP.DEPTH", low=1, integer=True),
    text("TRAINER.MEDPROMPTCLIP.CTX_INIT"),
    text("TRAINER.MEDPROMPTCLIP.DESCRIPTIONS"),
    boolean("TRAINER.MEDPROMPTCLIP.TRAIN_EXTRA_CLASSES"),
    choice("TRAINER.MEDPROMPTCLIP.LOSS", TEXT_LOSSES),
    # the loss is minimised: a negative weight would train by gradient ascent, 0 would train nothing
    number("TRAINER.MEDPROMPTCLIP.LOSS_SCALE", low=0, low_open=True),
    number("TRAINER.MEDPROMPTCLIP.VAL_HELDOUT_CLASSES", low=0, high=1, high_open=True, note="0: off"),
    templates("TRAINER.MEDPROMPTCLIP.TEST_TEMPLATES", empty=True),
)

ZEROSHOT = (
    templates("TRAINER.ZEROSHOT.TEMPLATES"),
    text("TRAINER.ZEROSHOT.DESCRIPTIONS"),
    choice("TRAINER.ZEROSHOT.AGGREGATION", AGGREGATIONS),
    attribute_templates("TRAINER.ZEROSHOT.ATTRIBUTE_TEMPLATES"),
)

TIP_ADAPTER = (
    template("TRAINER.TIP_ADAPTER.ZS_TEMPLATE"),
    number("TRAINER.TIP_ADAPTER.INIT_ALPHA", low=0),
    number("TRAINER.TIP_ADAPTER.INIT_BETA", low=0),
    numbers("TRAINER.TIP_ADAPTER.SEARCH_SCALE", low=0, low_open=True, length=2),
    numbers("TRAINER.TIP_ADAPTER.SEARCH_STEP", low=1, length=2, integer=True),
)

FEWSHOT, BASE2NEW, CROSSMODAL, ZEROSHOT_PROTOCOL = "fewshot", "base2new", "crossmodal", "zeroshot"
#: Heads fitted to the training classes' images score only those classes: no new classes, no other dataset
CLASS_BOUND = frozenset({FEWSHOT})
#: Prompt methods transfer to any class name; text-only ones need no training images at all
TRANSFER = frozenset({FEWSHOT, BASE2NEW, CROSSMODAL})
TEXT_ONLY = TRANSFER | {ZEROSHOT_PROTOCOL}


@dataclass(frozen=True)
class TrainerChecks:
    """What one trainer declares: its keys' rules and the protocols (medprompt/sweep/grid.py) it supports."""

    rules: tuple[Rule, ...]
    protocols: frozenset[str]
    why_not: str = ""  # why the other protocols are not supported, for the message

    @property
    def transfers(self) -> bool:
        """Whether its trained model may score classes it was not trained on (new classes, other datasets)."""
        return BASE2NEW in self.protocols


_BOUND_WHY = ("its classifier is fitted to the training classes' images (a weight or cache entry per training "
              "class), so it cannot score classes it was not trained on")

TRAINERS: dict[str, TrainerChecks] = {
    "MedPromptCLIP": TrainerChecks(COMMON + MEDPROMPTCLIP, TEXT_ONLY),
    "ZeroshotCLIP": TrainerChecks(COMMON + ZEROSHOT, TEXT_ONLY),
    "ZeroshotDescriptions": TrainerChecks(COMMON + ZEROSHOT, TEXT_ONLY),
    "ViP": TrainerChecks(COMMON + (number("TRAINER.VIP.N_CTX", low=1, integer=True), text("TRAINER.VIP.CTX_INIT"),
                                   text("TRAINER.VIP.SYMPTOMS")),
                         # its merge prompt g_c is one learned vector per training class
                         CLASS_BOUND, "its merge prompt is one learned vector per training class"),
    "CoOp": TrainerChecks(COMMON + prompt_keys("COOP") + STACKING, TRANSFER),
    "MedPromptCLIP_CoOp": TrainerChecks(COMMON + prompt_keys("COOP") + STACKING, TRANSFER),
    "CoCoOp": TrainerChecks(COMMON + prompt_keys("COCOOP") + STACKING, TRANSFER),
    "MaPLe": TrainerChecks(COMMON + prompt_keys("MAPLE") + STACKING, TRANSFER),
    "MedPromptCLIP_MaPLe": TrainerChecks(COMMON + prompt_keys("MAPLE") + STACKING, TRANSFER),
    "MedPromptCLIP_FewShot": TrainerChecks(COMMON + prompt_keys("MEDPROMPTCLIP_FEWSHOT", low=0, note="0: the text-only run's")
                                           + STACKING, TRANSFER),
    "KgCoOp": TrainerChecks(COMMON + prompt_keys("KGCOOP") + STACKING + (
        number("TRAINER.KGCOOP.LAMBDA", low=0), template("TRAINER.KGCOOP.ZS_TEMPLATE")), TRANSFER),
    "ProGrad": TrainerChecks(COMMON + prompt_keys("PROGRAD") + STACKING + (
        number("TRAINER.PROGRAD.LAMBDA", low=0, high=1, note="the share of the conflicting gradient removed"),
        number("TRAINER.PROGRAD.T", low=0, low_open=True), template("TRAINER.PROGRAD.ZS_TEMPLATE")), TRANSFER),
    "BiomedCoOp": TrainerChecks(COMMON + prompt_keys("BIOMEDCOOP") + STACKING + (
        number("TRAINER.BIOMEDCOOP.N_PROMPTS", low=1, integer=True, also=(-1,), note="-1: every description"),
        text("TRAINER.BIOMEDCOOP.DESCRIPTIONS"), text("TRAINER.BIOMEDCOOP.PUBLISHED_PROMPTS"),
        number("TRAINER.BIOMEDCOOP.SCCM_LAMBDA", low=0),
        number("TRAINER.BIOMEDCOOP.KDSP_LAMBDA", low=0), number("TRAINER.BIOMEDCOOP.TAU", low=0, low_open=True)),
        TRANSFER),
    "CLIPAdapter": TrainerChecks(COMMON + (
        number("TRAINER.CLIP_ADAPTER.REDUCTION", low=1, integer=True),
        number("TRAINER.CLIP_ADAPTER.RATIO", low=0, high=1), template("TRAINER.CLIP_ADAPTER.ZS_TEMPLATE")),
        TRANSFER),  # the adapter acts on image features; the classifier is the classes' text vectors
    "LinearProbe": TrainerChecks(COMMON + (
        numbers("TRAINER.LINEAR_PROBE.C_GRID", low=0, low_open=True),
        number("TRAINER.LINEAR_PROBE.MAX_ITER", low=1, integer=True)), CLASS_BOUND, _BOUND_WHY),
    "TextLinearProbe": TrainerChecks(COMMON + (template("TRAINER.TEXT_PROBE.ZS_TEMPLATE"),), CLASS_BOUND, _BOUND_WHY),
    "TipAdapter": TrainerChecks(COMMON + TIP_ADAPTER, CLASS_BOUND, _BOUND_WHY),
    "TipAdapterF": TrainerChecks(COMMON + TIP_ADAPTER, CLASS_BOUND, _BOUND_WHY),
}


def value_at(cfg, key: str) -> tuple[bool, Any]:
    """(whether the config holds the dotted key, its value)."""
    node = cfg
    for part in key.split("."):
        if part not in node:
            return False, None
        node = node[part]
    return True, node


def checks_of(trainer: str) -> TrainerChecks | None:
    return TRAINERS.get(trainer)


def check_trainer_config(cfg, trainer: str | None = None) -> None:
    """ConfigError naming the first key of the trainer's rules whose value is not allowed. Trainers
    that are not the project's (Dassl's own) have no rules here."""
    checks = checks_of(trainer or cfg.TRAINER.NAME)
    if checks is None:
        return
    for rule in checks.rules:
        present, value = value_at(cfg, rule.key)
        if present:
            rule.check(value)


def check_protocol(trainer: str, protocol: str) -> None:
    """ConfigError when `trainer` does not support `protocol` (medprompt/sweep/grid.py's names)."""
    checks = checks_of(trainer)
    if checks is not None and protocol not in checks.protocols:
        why = f": {checks.why_not}" if checks.why_not else ""
        raise ConfigError(f"{trainer} does not support the {protocol} protocol{why}. Its protocols: "
                          f"{', '.join(sorted(checks.protocols))}")


def check_transfer(trainer: str, trained_on: str, evaluated_on: str) -> None:
    """ConfigError when a trainer that cannot score untrained classes is asked to: its model was trained
    on `trained_on` classes (dataset and class subset) and is evaluated on other ones, whatever the counts."""
    checks = checks_of(trainer)
    if checks is None or checks.transfers or trained_on == evaluated_on:
        return
    raise ConfigError(f"{trainer} cannot evaluate a model trained on {trained_on} on {evaluated_on}: "
                      f"{checks.why_not}. It supports: {', '.join(sorted(checks.protocols))}")
