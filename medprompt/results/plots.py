"""Figures of comparison tables with matplotlib: grouped bars (datasets × methods) and few-shot curves
(metric against K, one line per method, one panel per dataset plus the average).

Figures are built on matplotlib's object API (no pyplot state, no display needed) and saved as PNG and
PDF. Bars and points whose cell carries a flag are marked with it, so plots stay as honest as tables.
Base-to-new bars show base, new and HM side by side; accuracy panels mark each group's chance level
(100 / the number of classes the runs were tested on, read from their logs); K curves of base-to-new
tables plot HM.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from medprompt.utils.atomic import write_with
from medprompt.results.render import title
from medprompt.results.tables import AVERAGE, Table

EXTENSIONS = ("png", "pdf")
CHANCE_METRICS = ("accuracy", "balanced_accuracy")  # metrics whose chance level is 100 / classes
PART_TITLES = {"base": "base classes", "new": "new classes", "HM": "HM = 2·base·new / (base + new)"}


def _part(table: Table) -> str:
    return "HM" if table.base2new else ""


def _percent_axis(ax) -> None:
    """Every metric the evaluator prints is a percentage: 0-100 with a % on each tick."""
    ax.set_ylim(0, 105)  # head room for the flag labels above full bars
    ax.set_yticks(range(0, 101, 20))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))


def _bar_panel(ax, table: Table, k: int, part: str, groups: list[str]) -> None:
    """Grouped bars of one part (a group per dataset, a bar per method) with each group's chance level."""
    width = 0.8 / max(len(table.methods), 1)
    for i, method in enumerate(table.methods):
        cells = [table.get(g, k, method, part) for g in groups]
        xs = [j + (i - (len(table.methods) - 1) / 2) * width for j in range(len(groups))]
        heights = [math.nan if c.mean is None else c.mean for c in cells]
        errors = [math.nan if c.std is None else c.std for c in cells]  # no whisker without a spread
        bars = ax.bar(xs, heights, width, yerr=errors, capsize=2, label=method)
        for bar, cell in zip(bars, cells):
            if cell.flags and cell.mean is not None:
                ax.annotate(",".join(sorted(cell.flags)), (bar.get_x() + bar.get_width() / 2, cell.mean),
                            xytext=(0, 3), textcoords="offset points", ha="center", fontsize=7)
    if table.metric in CHANCE_METRICS:
        label = "chance"
        for j, group in enumerate(groups):
            level = table.chance.get((group, k, part))
            if level is not None:
                ax.hlines(level, j - 0.45, j + 0.45, colors="black", linestyles="dashed", linewidth=1, label=label)
                label = None  # one legend entry
    rotate = len(groups) > 4
    ax.set_xticks(range(len(groups)), groups, rotation=30 if rotate else 0, ha="right" if rotate else "center")
    _percent_axis(ax)


def bars_figure(table: Table, shots: int | None = None) -> Figure:
    """Grouped bars at one shot count (default: the largest): a group per dataset, a bar per method;
    base-to-new tables get one panel each for base, new and HM."""
    k = max(table.shots) if shots is None else shots
    groups = [*table.datasets, AVERAGE]
    panel = max(4.0, 0.9 * len(groups) * max(len(table.methods), 2) / 2)
    fig = Figure(figsize=(panel * len(table.parts) + 2, 4.0))
    axes = [fig.add_subplot(1, len(table.parts), i + 1) for i in range(len(table.parts))]
    for ax, part in zip(axes, table.parts):
        _bar_panel(ax, table, k, part, groups)
        if part:
            ax.set_title(PART_TITLES[part], fontsize=10)
    axes[0].set_ylabel(table.metric)
    axes[-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never hides a bar
    fig.suptitle(f"{table.protocol}: {table.metric}, K={k}")
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
    for ax in fig.axes:
        _percent_axis(ax)
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
