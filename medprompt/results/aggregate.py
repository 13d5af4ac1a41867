"""Summarise the seeds of one table cell, flagging what would make its mean misleading.

Flags (shown in the table, explained in its notes, never averaged silently):
  m  expected seeds with no folder;          u  seed folders with no finished evaluation;
  x  finished runs that lack the metric;     c  finished runs whose configs differ;
  p  (averages) datasets missing from the average;  i  results that cannot be right (below chance beyond
     the binomial spread, or a trained run predicting as its initialisation: medprompt/results/plausibility.py).
Config keys that legitimately change per seed or per run (seed, output folder, resume folder, the
data root, the eval-only model folder and the run a stacked method starts from) are left out of the
comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from medprompt.results.plausibility import flags_of
from medprompt.results.runs import Run
from medprompt.results.stats import mean_std

FLAG_NAMES = {
    "m": "missing seeds",
    "u": "unfinished runs",
    "x": "metric absent",
    "c": "configs differ",
    "p": "partial average",
    "i": "implausible result",
}
IGNORED_KEYS = frozenset({"SEED", "OUTPUT_DIR", "RESUME", "DATASET.ROOT"})
IGNORED_LEAVES = frozenset({"MODEL_DIR", "EVAL_ONLY", "LOAD_EPOCH", "INIT_FROM"})
_SHOWN_KEYS = 3


@dataclass(frozen=True)
class Summary:
    """Mean and spread of one metric over the seeds of a cell."""

    mean: float | None
    std: float | None
    n: int
    seeds: tuple[int, ...] = ()
    flags: frozenset[str] = frozenset()
    notes: tuple[tuple[str, str], ...] = ()  # (flag, detail)


def _seeds(seeds: Iterable[int]) -> str:
    seeds = sorted(seeds)
    word = "seed" if len(seeds) == 1 else "seeds"
    return f"{word} {', '.join(map(str, seeds))}"


def is_ignored(key: str, extra: Iterable[str] = ()) -> bool:
    """Whether a flattened config key may differ between the seeds of one cell."""
    extra = set(extra)
    return key in IGNORED_KEYS or key in extra or key.rsplit(".", 1)[-1] in IGNORED_LEAVES


def config_differences(runs: Sequence[Run], ignore: Iterable[str] = ()) -> list[str]:
    """One line per config key whose value differs among the winning logs of `runs`."""
    configs = {r.seed: r.seed_logs.winner.config for r in runs if r.seed_logs.winner}
    configs = {seed: cfg for seed, cfg in configs.items() if cfg}  # hand-made logs may have none
    if len(configs) < 2:
        return []
    ignore = set(ignore)
    keys = sorted({k for cfg in configs.values() for k in cfg if not is_ignored(k, ignore)})
    lines = []
    for key in keys:
        values = {seed: cfg.get(key, "<absent>") for seed, cfg in sorted(configs.items())}
        if len(set(values.values())) > 1:
            lines.append(f"{key} (" + "; ".join(f"seed{s}: {v}" for s, v in values.items()) + ")")
    return lines


def summarise(
    runs: Sequence[Run],
    metric: str,
    expected_seeds: Iterable[int] = (),
    ignore: Iterable[str] = (),
) -> Summary:
    """Summarise `metric` over the runs of one cell; `expected_seeds` names the seeds that should be there."""
    notes: list[tuple[str, str]] = []
    present = {r.seed for r in runs}
    missing = sorted(set(expected_seeds) - present)
    if missing:
        notes.append(("m", f"missing {_seeds(missing)}"))
    unfinished = [r for r in runs if not r.seed_logs.finished]
    for run in unfinished:
        notes.append(("u", f"seed {run.seed} unfinished: {run.seed_logs.reason}"))
    finished = [r for r in runs if r.seed_logs.finished]
    absent = [r for r in finished if metric not in r.seed_logs.metrics]
    if absent:
        have = sorted(absent[0].seed_logs.metrics)
        notes.append(("x", f"no {metric!r} in {_seeds(r.seed for r in absent)} (has: {', '.join(have)})"))
    for run in finished:
        notes.extend(("i", f"seed {run.seed}: {flag}") for flag in flags_of(run.seed_logs.winner))
    diffs = config_differences(finished, ignore)
    if diffs:
        more = f" and {len(diffs) - _SHOWN_KEYS} more keys" if len(diffs) > _SHOWN_KEYS else ""
        notes.append(("c", "configs differ in " + ", ".join(diffs[:_SHOWN_KEYS]) + more))
    used = [r for r in finished if metric in r.seed_logs.metrics]
    flags = frozenset(flag for flag, _ in notes)
    if not used:
        return Summary(mean=None, std=None, n=0, flags=flags, notes=tuple(notes))
    mean, std = mean_std([r.seed_logs.metrics[metric] for r in used])
    return Summary(
        mean=mean,
        std=std,
        n=len(used),
        seeds=tuple(r.seed for r in used),
        flags=flags,
        notes=tuple(notes),
    )
