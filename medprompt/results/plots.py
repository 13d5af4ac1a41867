"""Figures of comparison tables with matplotlib: grouped bars (datasets × methods) and few-shot curves
(metric against K, one line per method, one panel per dataset plus the average).

Figures are built on matplotlib's object API (no pyplot state, no display needed) and saved as PNG and
PDF. Bars and points whose cell carries a flag are marked with it, so plots stay as honest as tables.
Base-to-new tables plot HM.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from medprompt.atomic import write_with
from medprompt.results.render import title
from medprompt.results.tables import AVERAGE, Table

EXTENSIONS = ("png", "pdf")


def _part(table: Table) -> str:
    return "HM" if table.base2new else ""


def bars_figure(table: Table, shots: int | None = None) -> Figure:
    """Grouped bars at one shot count (default: the largest): a group per dataset, a bar per method."""
    k = max(table.shots) if shots is None else shots
    groups = [*table.datasets, AVERAGE]
    width = 0.8 / max(len(table.methods), 1)
    fig = Figure(figsize=(max(6.0, 0.9 * len(groups) * max(len(table.methods), 2) / 2 + 2), 4.0))
    ax = fig.add_subplot()
    for i, method in enumerate(table.methods):
        cells = [table.get(g, k, method, _part(table)) for g in groups]
        xs = [j + (i - (len(table.methods) - 1) / 2) * width for j in range(len(groups))]
        heights = [math.nan if c.mean is None else c.mean for c in cells]
        errors = [math.nan if c.std is None else c.std for c in cells]  # no whisker without a spread
        bars = ax.bar(xs, heights, width, yerr=errors, capsize=2, label=method)
        for bar, cell in zip(bars, cells):
            if cell.flags and cell.mean is not None:
                ax.annotate(",".join(sorted(cell.flags)), (bar.get_x() + bar.get_width() / 2, cell.mean),
                            xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7)
    ax.set_xticks(range(len(groups)), groups, rotation=30 if len(groups) > 4 else 0, ha="right"
                  if len(groups) > 4 else "center")
    metric = f"{table.metric} (HM)" if table.base2new else table.metric
    ax.set_ylabel(metric)
    ax.set_title(f"{table.protocol}: {metric}, K={k}")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never hides a bar
    fig.tight_layout()
    return fig


def curve_figure(table: Table) -> Figure:
    """Metric against K per method: one panel per dataset and one for the average."""
    panels = [*table.datasets, AVERAGE]
    cols = min(4, len(panels))
    rows = math.ceil(len(panels) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.8 * rows))
    for index, dataset in enumerate(panels, start=1):
        ax = fig.add_subplot(rows, cols, index)
        for method in table.methods:
            cells = [(k, table.get(dataset, k, method, _part(table))) for k in table.shots]
            cells = [(k, c) for k, c in cells if c.mean is not None]
            if not cells:
                continue
            ax.errorbar([k for k, _ in cells], [c.mean for _, c in cells],
                        yerr=[math.nan if c.std is None else c.std for _, c in cells],
                        marker="o", capsize=2, label=method)
            for k, c in cells:
                if c.flags:
                    ax.annotate(",".join(sorted(c.flags)), (k, c.mean), xytext=(0, 4),
                                textcoords="offset points", ha="center", fontsize=6)
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(table.shots), [str(k) for k in table.shots])
        ax.set_title(dataset, fontsize=9)
        ax.set_xlabel("shots per class (K)", fontsize=8)
    fig.axes[0].set_ylabel(f"{table.metric} (HM)" if table.base2new else table.metric)
    fig.axes[0].legend(fontsize=7)
    fig.suptitle(title(table))
    fig.tight_layout()
    return fig


def save_figure(fig: Figure, stem: str | Path) -> list[Path]:
    """Write `stem`.png and `stem`.pdf atomically; return their paths."""
    written = []
    for ext in EXTENSIONS:
        target = Path(f"{stem}.{ext}")
        written.append(write_with(target, lambda tmp, ext=ext: fig.savefig(tmp, format=ext, dpi=150)))
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def plot_tables(tables: Sequence[Table], stem: str | Path) -> list[Path]:
    """Bars for every table and a K curve for every table with several shot counts.

    One figure is written as `stem`.png/.pdf; several as `stem`-<protocol>-<metric>-<kind>.png/.pdf.
    """
    figures = []
    for table in tables:
        name = f"{_slug(table.protocol)}-{table.metric}"
        figures.append((f"{name}-bars", bars_figure(table)))
        if len(table.shots) > 1:
            figures.append((f"{name}-curve", curve_figure(table)))
    if len(figures) == 1:
        return save_figure(figures[0][1], stem)
    return [path for name, fig in figures for path in save_figure(fig, f"{stem}-{name}")]
