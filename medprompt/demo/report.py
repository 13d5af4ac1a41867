"""The demo's tables: the results tables of its own runs (medprompt.results), and how much of the gap
between class-name and description zero-shot each trained method closes."""

from __future__ import annotations

import dataclasses

from tabulate import tabulate

from medprompt.demo.plan import HELDOUT_PROTOCOL, REFERENCE, DemoPlan, Method, with_sources
from medprompt.results import Table, build_tables, read_tree

BASE2NEW = "base2new"


def demo_tables(plan: DemoPlan) -> list[Table]:
    """Accuracy tables (base2new, heldout_modality) of the plan's runs only: its methods, seeds, shots and
    datasets, whatever else the output folder holds; mean ± std over the plan's seeds."""
    scan = read_tree(plan.output)
    methods = with_sources(list(plan.methods))
    wanted = {(m.trainer, m.config) for m in methods}
    datasets = {BASE2NEW: {plan.train_on}, HELDOUT_PROTOCOL: set(plan.heldout)}
    runs = tuple(r for r in scan.runs
                 if (r.trainer, r.config_name) in wanted and r.seed in plan.seeds and r.shots == plan.shots
                 and r.dataset in datasets.get(r.protocol.split("/")[0], ()))
    scan = dataclasses.replace(scan, runs=runs)
    return build_tables(scan, "accuracy", [BASE2NEW, HELDOUT_PROTOCOL], [m.label for m in methods], plan.seeds)


def _label(table: Table, method: Method) -> str | None:
    """The method's column label in `table` (its trainer name when the trainer has one config there)."""
    return next((label for label in table.methods if label in (method.label, method.trainer)), None)


def _mean(table: Table, dataset: str, method: Method, part: str) -> float | None:
    label = _label(table, method)
    return None if label is None else table.get(dataset, table.shots[0], label, part).mean


def gap_table(tables: list[Table], plan: DemoPlan) -> str:
    """(method - names) / (descriptions - names) per trained method and part, from the mean accuracies over
    seeds; '' when the zero-shot references are not both in the tables."""
    by_protocol = {t.protocol: t for t in tables}
    parts = []  # (column header, table, dataset, part)
    if BASE2NEW in by_protocol:
        parts += [(f"{plan.train_on} {p}", by_protocol[BASE2NEW], plan.train_on, p) for p in ("base", "new")]
    if HELDOUT_PROTOCOL in by_protocol:
        parts += [(d, by_protocol[HELDOUT_PROTOCOL], d, "") for d in by_protocol[HELDOUT_PROTOCOL].datasets]
    trained = [m for m in with_sources(list(plan.methods)) if m not in REFERENCE]
    if not parts or not trained:
        return ""
    rows = []
    for header, table, dataset, part in parts:
        names, descriptions = (_mean(table, dataset, m, part) for m in REFERENCE)
        if names is None or descriptions is None:
            return ""
        row = [header, f"{names:.1f}", f"{descriptions:.1f}"]
        for method in trained:
            value = _mean(table, dataset, method, part)
            gap = descriptions - names
            row.append("—" if value is None else f"{(value - names) / gap:+.2f}" if abs(gap) > 1e-9 else "n/a")
        rows.append(row)
    headers = ["Part", "names %", "descr. %"] + [m.name for m in trained]
    text = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    return (f"Gap closed = (method - names) / (descriptions - names), of the mean accuracy over {len(plan.seeds)} "
            f"seed(s):\n{text}\nnames = ZeroshotCLIP, descr. = ZeroshotDescriptions (accuracy %); +1 = the whole "
            "gap closed, 0 = as class names.")
