"""Arrange run summaries into comparison tables: rows are datasets (per shot count) plus their average,
columns are methods.

One table per protocol and metric. Base-to-new protocols come in pairs of sibling folders,
``<p>/train_base`` and ``<p>/test_new``; they make one table with base, new and HM columns per method,
where HM is taken of the mean base and mean new results (per dataset and for the average row), as in
CoOp-family papers. A protocol run at several shot counts gets a row per dataset and K and an average row
per K. A method is its trainer name, or ``trainer/config`` when one trainer appears with several configs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import product

from medprompt.utils.errors import ConfigError
from medprompt.results.aggregate import Summary, summarise
from medprompt.results.runs import Run, TreeScan
from medprompt.results.stats import harmonic_mean
from medprompt.utils.suggest import did_you_mean

AVERAGE = "Average"
BASE2NEW_LEAVES = {"train_base": "base", "test_new": "new"}
BASE2NEW_PARTS = ("base", "new", "HM")


@dataclass(frozen=True)
class Table:
    """Summaries of one metric for one protocol, keyed for rendering and plotting."""

    protocol: str
    metric: str
    datasets: tuple[str, ...]
    shots: tuple[int, ...]
    methods: tuple[str, ...]
    parts: tuple[str, ...]  # ("",) or ("base", "new", "HM")
    cells: dict[tuple[str, int, str, str], Summary]  # (dataset, K, method, part)
    averages: dict[tuple[int, str, str], Summary]  # (K, method, part)
    notes: tuple[tuple[str, str], ...] = field(default=())  # (flag, text)
    # (dataset or AVERAGE, K, part) -> accuracy of guessing, %: 100 / the classes the runs were tested on
    chance: dict[tuple[str, int, str], float] = field(default_factory=dict)

    @property
    def base2new(self) -> bool:
        return self.parts == BASE2NEW_PARTS

    def get(self, dataset: str, shots: int, method: str, part: str = "") -> Summary:
        """The summary of one cell; `dataset` may be AVERAGE."""
        if dataset == AVERAGE:
            return self.averages[(shots, method, part)]
        return self.cells[(dataset, shots, method, part)]


def _protocol_group(run: Run, root_name: str) -> tuple[str, str]:
    head, _, leaf = run.protocol.rpartition("/")
    if leaf in BASE2NEW_LEAVES:
        return head or root_name, BASE2NEW_LEAVES[leaf]
    return run.protocol, ""


def _method_labels(runs: Sequence[Run]) -> dict[tuple[str, str], str]:
    configs: dict[str, set[str]] = {}
    for run in runs:
        configs.setdefault(run.trainer, set()).add(run.config_name)
    return {
        (trainer, cfg): trainer if len(names) == 1 else f"{trainer}/{cfg}"
        for trainer, names in configs.items()
        for cfg in names
    }


def _pick_methods(labels: dict[tuple[str, str], str], wanted: Sequence[str] | None) -> list[str]:
    """Labels in the order asked for (`wanted` names labels or trainers); all labels, sorted, by default."""
    if not wanted:
        return sorted(set(labels.values()))
    chosen: list[str] = []
    for name in wanted:
        hits = [lab for (trainer, cfg), lab in sorted(labels.items())
                if name in (lab, trainer, f"{trainer}/{cfg}")]
        chosen.extend(h for h in hits if h not in chosen)
    return chosen


def _check_methods(runs: Sequence[Run], wanted: Sequence[str] | None) -> None:
    if not wanted:
        return
    names = {r.trainer for r in runs} | {f"{r.trainer}/{r.config_name}" for r in runs}
    unknown = [w for w in wanted if w not in names]
    if unknown:
        raise ConfigError(f"unknown method(s) {', '.join(unknown)}{did_you_mean(unknown[0], names)}; trainers "
                         f"found: {', '.join(sorted({r.trainer for r in runs}))}")


def _average(parts: list[Summary], datasets: Sequence[str], where: str) -> Summary:
    present = [(d, s) for d, s in zip(datasets, parts) if s.mean is not None]
    flags = frozenset().union(*(s.flags for s in parts))
    if not present:
        return Summary(mean=None, std=None, n=0, flags=flags)
    notes = ()
    if len(present) < len(datasets):
        missing = [d for d, s in zip(datasets, parts) if s.mean is None]
        flags |= {"p"}
        notes = (("p", f"{where}: average over {len(present)} of {len(datasets)} datasets "
                       f"(missing: {', '.join(missing)})"),)
    mean = sum(s.mean for _, s in present) / len(present)
    return Summary(mean=mean, std=None, n=len(present), flags=flags, notes=notes)


def _hm(base: Summary, new: Summary) -> Summary:
    flags = base.flags | new.flags
    if base.mean is None or new.mean is None:
        return Summary(mean=None, std=None, n=0, flags=flags)
    return Summary(mean=harmonic_mean(base.mean, new.mean), std=None, n=min(base.n, new.n), flags=flags)


def _chance_levels(grouped: dict[tuple, list[Run]], datasets, shots, parts) -> dict[tuple[str, int, str], float]:
    """Chance accuracy per (dataset, K, part) from the class count in the runs' logs, when they agree;
    HM of the base and new levels; the average row's level is the mean over datasets (when all known)."""
    counts: dict[tuple[str, int, str], set[int]] = {}
    for (dataset, k, _method, part), runs in grouped.items():
        for run in runs:
            log = run.seed_logs.winner
            if log is not None and log.num_classes:
                counts.setdefault((dataset, k, part), set()).add(log.num_classes)
    chance = {key: 100.0 / n.pop() for key, n in counts.items() if len(n) == 1}
    for dataset, k in product(datasets, shots):
        if "HM" in parts and (dataset, k, "base") in chance and (dataset, k, "new") in chance:
            chance[(dataset, k, "HM")] = harmonic_mean(chance[(dataset, k, "base")], chance[(dataset, k, "new")])
    for k, part in product(shots, parts):
        levels = [chance.get((d, k, part)) for d in datasets]
        if levels and None not in levels:
            chance[(AVERAGE, k, part)] = sum(levels) / len(levels)
    return chance


def _build_one(
    protocol: str,
    runs: list[tuple[Run, str]],
    metric: str,
    methods: Sequence[str] | None,
    seeds: Iterable[int] | None,
    ignore: Iterable[str],
) -> Table:
    labels = _method_labels([r for r, _ in runs])
    chosen = _pick_methods(labels, methods)
    base2new = any(part for _, part in runs)
    parts = BASE2NEW_PARTS if base2new else ("",)
    datasets = sorted({r.dataset for r, _ in runs})
    shots = sorted({r.shots for r, _ in runs})
    expected = set(seeds) if seeds else {r.seed for r, _ in runs}
    grouped: dict[tuple, list[Run]] = {}
    for run, part in runs:
        key = (run.dataset, run.shots, labels[(run.trainer, run.config_name)], part)
        grouped.setdefault(key, []).append(run)

    def where(dataset: str, k: int, method: str, part: str) -> str:
        text = f"{method} on {dataset}"
        if len(shots) > 1:
            text += f", K={k}"
        return text + (f", {part}" if part else "")

    cells: dict[tuple[str, int, str, str], Summary] = {}
    notes: list[tuple[str, str]] = []
    measured = [p for p in parts if p != "HM"]
    for dataset, k, method, part in product(datasets, shots, chosen, measured):
        cell_runs = grouped.get((dataset, k, method, part), [])
        if not cell_runs:  # never run: shown as a dash, not as missing seeds
            cells[(dataset, k, method, part)] = Summary(mean=None, std=None, n=0)
            continue
        summary = summarise(cell_runs, metric, expected, ignore)
        cells[(dataset, k, method, part)] = summary
        notes.extend((flag, f"{where(dataset, k, method, part)}: {text}") for flag, text in summary.notes)
    if base2new:
        for dataset, k, method in product(datasets, shots, chosen):
            cells[(dataset, k, method, "HM")] = _hm(
                cells[(dataset, k, method, "base")], cells[(dataset, k, method, "new")]
            )

    averages: dict[tuple[int, str, str], Summary] = {}
    for k, method, part in product(shots, chosen, measured):
        summary = _average([cells[(d, k, method, part)] for d in datasets], datasets,
                           where(AVERAGE, k, method, part))
        averages[(k, method, part)] = summary
        notes.extend(summary.notes)
    if base2new:
        for k, method in product(shots, chosen):
            averages[(k, method, "HM")] = _hm(averages[(k, method, "base")], averages[(k, method, "new")])

    return Table(
        protocol=protocol,
        metric=metric,
        datasets=tuple(datasets),
        shots=tuple(shots),
        methods=tuple(chosen),
        parts=parts,
        cells=cells,
        averages=averages,
        notes=tuple(notes),
        chance=_chance_levels(grouped, datasets, shots, parts),
    )


def available_metrics(runs: Iterable[Run]) -> set[str]:
    """Every metric printed by a finished evaluation among `runs`."""
    return {m for r in runs for m in r.seed_logs.metrics}


def build_tables(
    scan: TreeScan,
    metrics: str | Sequence[str] = "accuracy",
    protocols: Sequence[str] | None = None,
    methods: Sequence[str] | None = None,
    seeds: Iterable[int] | None = None,
    ignore: Iterable[str] = (),
) -> list[Table]:
    """One table per protocol (base-to-new pairs merged) and metric.

    `protocols` keeps runs whose protocol equals or lies below one of them (``base2new`` keeps both
    halves); `methods` selects and orders columns by label or trainer name; `seeds` are the seeds every
    cell should have (default: every seed seen in the protocol); `ignore` adds config keys that may
    differ between seeds.
    """
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    runs = list(scan.runs)
    if protocols:
        runs = [r for r in runs if any(r.protocol == p or r.protocol.startswith(p.rstrip("/") + "/")
                                       for p in protocols)]
        if not runs:
            found = sorted({r.protocol for r in scan.runs})
            raise ConfigError(f"{scan.root}: no run under protocol(s) {', '.join(protocols)}"
                             f"{did_you_mean(protocols[0], found)}; protocols found: {', '.join(found)}")
    _check_methods(runs, methods)
    have = available_metrics(runs)
    missing = [m for m in metrics if m not in have]
    if missing:
        listed = ", ".join(sorted(have)) or "none (no finished run)"
        raise ConfigError(f"{scan.root}: metric(s) {', '.join(missing)} in no finished run"
                         f"{did_you_mean(missing[0], have)}; metrics found: {listed}")
    # keyed by base-to-new too, so plain runs in a folder named like a base-to-new pair stay separate
    groups: dict[tuple[str, bool], list[tuple[Run, str]]] = {}
    root_name = scan.root.resolve().name
    for run in runs:
        protocol, part = _protocol_group(run, root_name)
        groups.setdefault((protocol, bool(part)), []).append((run, part))
    tables = [
        _build_one(protocol, group, metric, methods, seeds, ignore)
        for (protocol, _), group in sorted(groups.items())
        for metric in metrics
    ]
    return [t for t in tables if t.methods]
