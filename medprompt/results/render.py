"""Print comparison tables as terminal text, GitHub markdown or LaTeX (through tabulate), or as CSV.

A seed cell reads ``mean ± std (n=N)``; average and HM cells hold the mean only. Flags follow in
brackets (``[m,u]``) and every flag is explained in the notes under the table, so nothing incomplete is
averaged silently. CSV is the long form (one line per cell with mean, std, n, seeds and flags), which is
what spreadsheets and plotting scripts read.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Sequence

from tabulate import tabulate

from medprompt.utils.errors import ConfigError
from medprompt.results.aggregate import FLAG_NAMES, Summary
from medprompt.results.tables import AVERAGE, Table

FORMATS = ("terminal", "markdown", "latex", "csv")
_TABLEFMT = {"terminal": "simple", "markdown": "github", "latex": "latex_booktabs"}
DASH = "—"


def cell_text(summary: Summary, spread: bool, decimals: int = 2) -> str:
    """Text of one cell; `spread` adds ± std and n (seed cells)."""
    if summary.mean is None:
        text = DASH
    elif spread and summary.n > 1:
        text = f"{summary.mean:.{decimals}f} ± {summary.std:.{decimals}f} (n={summary.n})"
    elif spread:
        text = f"{summary.mean:.{decimals}f} (n={summary.n})"
    else:
        text = f"{summary.mean:.{decimals}f}"
    if summary.flags:
        text += " [" + ",".join(sorted(summary.flags)) + "]"
    return text


def title(table: Table) -> str:
    """'<protocol>: <metric>' plus the shot count when the table has one."""
    shots = f" (K={table.shots[0]})" if len(table.shots) == 1 else ""
    return f"{table.protocol}: {table.metric}{shots}"


def grid(table: Table, decimals: int = 2) -> tuple[list[str], list[list[str]]]:
    """Headers and rows: datasets (per K) then the average row(s)."""
    per_k = len(table.shots) > 1
    columns = [(m, p) for m in table.methods for p in table.parts]
    headers = ["Dataset"] + (["K"] if per_k else [])
    headers += [f"{m} {p}" if p else m for m, p in columns]
    rows = []
    for dataset in [*table.datasets, AVERAGE]:
        for k in table.shots:
            row = [dataset] + ([str(k)] if per_k else [])
            for method, part in columns:
                spread = dataset != AVERAGE and part != "HM"
                row.append(cell_text(table.get(dataset, k, method, part), spread, decimals))
            rows.append(row)
    return headers, rows


def long_grid(table: Table, decimals: int = 2) -> tuple[list[str], list[list[str]]]:
    """Headers and rows with one method per row (its parts as columns): as narrow as the cells allow,
    for screens the one-column-per-method grid does not fit."""
    per_k = len(table.shots) > 1
    headers = ["Dataset"] + (["K"] if per_k else []) + ["Method"]
    headers += [p if p else table.metric for p in table.parts]
    rows = []
    for dataset in [*table.datasets, AVERAGE]:
        for k in table.shots:
            for i, method in enumerate(table.methods):
                row = [dataset if i == 0 else ""] + ([str(k)] if per_k else []) + [method]
                row += [cell_text(table.get(dataset, k, method, part), dataset != AVERAGE and part != "HM", decimals)
                        for part in table.parts]
                rows.append(row)
    return headers, rows


def legend(table: Table) -> str:
    """One line that says what the cells, HM and the flags mean."""
    text = "Cells: mean ± std over seeds (n=seeds); Average rows: mean over datasets"
    if table.base2new:
        text += "; HM = 2·base·new/(base+new) of the means"
    if table.notes:
        text += "; [flags]: see Notes"
    return text + "."


def _notes(table: Table) -> list[str]:
    used = sorted({flag for flag, _ in table.notes})
    if not used:
        return []
    legend = "; ".join(f"[{f}] {FLAG_NAMES[f]}" for f in used)
    return [f"Flags: {legend}"] + [f"[{flag}] {text}" for flag, text in table.notes]


def _table_body(table: Table, fmt: str, decimals: int, width: int | None) -> str:
    body = tabulate(*grid(table, decimals)[::-1], tablefmt=_TABLEFMT[fmt], disable_numparse=True)
    if width and max(map(len, body.splitlines())) > width:
        headers, rows = long_grid(table, decimals)
        body = tabulate(rows, headers=headers, tablefmt=_TABLEFMT[fmt], disable_numparse=True)
    return body


def _render_text(table: Table, fmt: str, decimals: int, width: int | None = None) -> str:
    body = _table_body(table, fmt, decimals, width if fmt == "terminal" else None)
    notes = _notes(table)
    if fmt == "markdown":
        return "\n".join([f"### {title(table)}", "", body, "", legend(table)]
                          + ([""] + [f"- {n}" for n in notes] if notes else []))
    if fmt == "latex":
        body = body.replace("±", r"$\pm$")
        return "\n".join([f"% {title(table)}", body] + [f"% {n}" for n in notes])
    under = [legend(table)]
    if width:  # the legend and notes wrap to the width the table was fitted to
        under = textwrap.wrap(under[0], width)
        notes = [line for n in notes for line in textwrap.wrap(n, width - 2, subsequent_indent="    ")]
    return "\n".join([title(table), body, *under] + (["Notes:"] + [f"  {n}" for n in notes] if notes else []))


CSV_COLUMNS = ("protocol", "dataset", "shots", "method", "part", "metric",
               "mean", "std", "n", "seeds", "flags")


def _render_csv(tables: Sequence[Table]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for table in tables:
        for dataset in [*table.datasets, AVERAGE]:
            for k in table.shots:
                for method in table.methods:
                    for part in table.parts:
                        s = table.get(dataset, k, method, part)
                        writer.writerow([
                            table.protocol, dataset, k, method, part, table.metric,
                            "" if s.mean is None else repr(round(s.mean, 6)),
                            "" if s.std is None else repr(round(s.std, 6)),
                            s.n, " ".join(map(str, s.seeds)), "".join(sorted(s.flags)),
                        ])
    return out.getvalue()


def render(tables: Sequence[Table], fmt: str = "terminal", decimals: int = 2, width: int | None = None) -> str:
    """All tables in one format (one of FORMATS). With `width`, a terminal table wider than that many
    columns is printed with one method per row (long_grid) instead of one column per method and part."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return _render_csv(tables)
    return "\n\n".join(_render_text(t, fmt, decimals, width) for t in tables) + "\n"
