"""Read one log written by the project's train.py through Dassl's logger.

A log holds an ``** Arguments **`` block (argparse values), a ``** Config **`` block (the yacs config as
printed by yacs: two-space indentation, one ``KEY: value`` per line), training progress, and result blocks:
``=> result`` followed by ``* key: value`` lines. Metric lines match ``\\* (\\w+): ([\\.\\deE+-]+)%``, the
pattern CoOp's result parser uses.

Which result block counts as the finished evaluation:
- a training run: the last result block after ``Finish training`` (blocks before it are validation);
- an eval-only run (``eval_only: True``, or a log with no training at all): its last result block.
A training run without a result block after ``Finish training`` is unfinished.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from medprompt.utils.errors import FileFormatError

METRIC_LINE = re.compile(r"\* (\w+): ([\.\deE+-]+)%")
_COUNT_LINE = re.compile(r"\* total: ([\d,]+)\s*$")  # Dassl prints counts with thousands separators
_CORRECT_LINE = re.compile(r"\* correct: ([\d,]+)\s*$")
_CONFIG_LINE = re.compile(r"^( *)([A-Za-z0-9_]+):(?: (.*))?$")
_ARG_LINE = re.compile(r"^(\w+): ?(.*)$")
_SPLIT_LINE = re.compile(r"Evaluate on the \*(\w+)\* set")
_EPOCH_LINE = re.compile(r"^epoch \[\d+/\d+\]")
_STARS = re.compile(r"^\*+$")
_CLASSES_LINE = re.compile(r"^# classes\s+([\d,]+)\s*$")  # Dassl's dataset summary (after subsampling)

FINISH_TRAINING = "Finish training"
RESULT_START = "=> result"
FLAG_PREFIX = "Implausible result: "  # medprompt/results/plausibility.py: a flag on the result block before it


@dataclass(frozen=True)
class Evaluation:
    """One ``=> result`` block."""

    line: int  # 1-based line of "=> result"
    metrics: dict[str, float]
    split: str | None = None  # from "Evaluate on the *test* set", when printed
    total: int | None = None  # "* total: N", the number of evaluated images
    after_training: bool = False  # printed after "Finish training"
    correct: int | None = None  # "* correct: N"
    flags: tuple[str, ...] = ()  # "Implausible result: ..." lines printed after the block


@dataclass(frozen=True)
class LogRecord:
    """Everything read from one log file."""

    path: Path
    args: dict[str, str] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)  # flattened: "OPTIM.LR" -> "0.002"
    trained: bool = False  # printed training epochs
    finished_training: bool = False
    eval_only: bool = False
    evaluations: tuple[Evaluation, ...] = ()
    num_classes: int | None = None  # "# classes  N" of Dassl's dataset summary

    @property
    def final(self) -> Evaluation | None:
        """The finished evaluation of this run, or None when the run did not finish."""
        if self.eval_only:
            return self.evaluations[-1] if self.evaluations else None
        after = [e for e in self.evaluations if e.after_training]
        return after[-1] if after else None

    @property
    def reason(self) -> str:
        """Why the run counts as unfinished ('' when it finished)."""
        if self.final is not None:
            return ""
        if self.finished_training:
            return "'Finish training' but no result block after it"
        if self.eval_only:
            return "eval-only run without a result block"
        return "training did not finish"


def _is_true(value: str) -> bool:
    return value.strip().lower() in {"true", "1", "yes"}


def read_log(path: str | Path) -> LogRecord:
    """Parse one log file (``log.txt`` or ``log.txt-<timestamp>``)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    args: dict[str, str] = {}
    config: dict[str, str] = {}
    evaluations: list[Evaluation] = []
    num_classes: int | None = None
    section = "body"
    stack: list[tuple[int, str]] = []  # (indent, key) of the open config sections
    trained = finished = False
    split: str | None = None
    block: dict | None = None  # the result block being read

    def close_block() -> None:
        nonlocal block, split
        if block is not None:
            evaluations.append(Evaluation(split=split, **block))
            block, split = None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line == "** Arguments **":
            close_block()
            section = "args"
            continue
        if line == "** Config **":
            section, stack = "config", []
            continue
        if _STARS.match(line) and section in ("args", "config"):
            continue
        if section == "args":
            match = _ARG_LINE.match(line)
            if match:
                args[match.group(1)] = match.group(2)
                continue
            section = "body"
        elif section == "config":
            match = _CONFIG_LINE.match(raw.rstrip("\r\n"))
            if match:
                indent, key, value = len(match.group(1)), match.group(2), match.group(3)
                while stack and stack[-1][0] >= indent:
                    stack.pop()
                if value is None:
                    stack.append((indent, key))
                else:
                    config[".".join([k for _, k in stack] + [key])] = value.strip()
                continue
            section = "body"

        if block is not None:
            metric = METRIC_LINE.match(line)
            if metric:
                try:
                    block["metrics"][metric.group(1)] = float(metric.group(2))
                except ValueError:
                    raise FileFormatError(
                        f"{path}:{number}: metric {metric.group(1)!r} has no number: {line!r}"
                    ) from None
                continue
            count = _COUNT_LINE.match(line)
            if count:
                block["total"] = int(count.group(1).replace(",", ""))
                continue
            hits = _CORRECT_LINE.match(line)
            if hits:
                block["correct"] = int(hits.group(1).replace(",", ""))
                continue
            if line.startswith("* "):
                continue
            close_block()

        if line.startswith(FLAG_PREFIX) and evaluations:
            last = evaluations[-1]
            evaluations[-1] = dataclasses.replace(last, flags=(*last.flags, line[len(FLAG_PREFIX):]))
        elif line == RESULT_START:
            block = {"line": number, "metrics": {}, "after_training": finished}
        elif line == FINISH_TRAINING:
            finished = True
        elif _EPOCH_LINE.match(line):
            trained = True
        elif _CLASSES_LINE.match(line):
            num_classes = int(_CLASSES_LINE.match(line).group(1).replace(",", ""))
        else:
            evaluate = _SPLIT_LINE.search(line)
            if evaluate:
                split = evaluate.group(1)
    close_block()

    if "eval_only" in args:
        eval_only = _is_true(args["eval_only"])
    else:  # no argument block: a log without training is an evaluation
        eval_only = not trained and not finished
    return LogRecord(
        path=path,
        args=args,
        config=config,
        trained=trained,
        finished_training=finished,
        eval_only=eval_only,
        evaluations=tuple(evaluations),
        num_classes=num_classes,
    )
