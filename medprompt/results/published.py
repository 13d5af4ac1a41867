"""Published results beside measured ones: `parse_results.py --published [FILE]`.

The published numbers (medprompt/results/published_numbers.yaml, each with its source) are matched to the
cells of the comparison tables by protocol, dataset, shots, method, part and metric; the average row of a
table matches a published average only when the table's datasets are exactly the publisher's and the method
has a result on each. For every
measured cell with a published value, one row: measured, published, measured - published, source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product
from pathlib import Path

import yaml

from medprompt.utils.errors import FileFormatError, InputFileError
from medprompt.results.tables import AVERAGE, Table

PUBLISHED_NUMBERS = Path(__file__).with_name("published_numbers.yaml")
FIELDS = ("method", "protocol", "dataset", "shots", "metric", "value", "source")


@dataclass(frozen=True)
class Published:
    method: str
    protocol: str
    dataset: str  # a dataset, or AVERAGE over `datasets`
    shots: int
    metric: str
    value: float
    source: str
    part: str = ""
    config: str = ""
    datasets: tuple[str, ...] = ()


def load_published(path: str | Path = PUBLISHED_NUMBERS) -> list[Published]:
    """The published numbers of a file; errors name the file and the entry."""
    path = Path(path)
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except FileNotFoundError:
        raise InputFileError(f"--published: no file {path}") from None
    except yaml.YAMLError as err:
        raise FileFormatError(f"--published: {path} is not valid YAML: {err}") from None
    out = []
    for i, row in enumerate(rows if isinstance(rows, list) else [None]):
        missing = [f for f in FIELDS if not isinstance(row, dict) or f not in row]
        if missing:
            raise FileFormatError(f"{path}: entry {i + 1} lacks {', '.join(missing)} (each entry needs {', '.join(FIELDS)})")
        out.append(Published(method=str(row["method"]), protocol=str(row["protocol"]), dataset=str(row["dataset"]),
                             shots=int(row["shots"]), metric=str(row["metric"]), value=float(row["value"]),
                             source=str(row["source"]), part=str(row.get("part") or ""),
                             config=str(row.get("config") or ""), datasets=tuple(row.get("datasets") or ())))
    return out


def _matches(entry: Published, table: Table, dataset: str, k: int, label: str, part: str) -> bool:
    trainer, _, config = label.partition("/")
    if (entry.protocol, entry.metric, entry.dataset, entry.shots, entry.method, entry.part) != (
            table.protocol, table.metric, dataset, k, trainer, part):
        return False
    if config and entry.config and config != entry.config:
        return False
    return dataset != AVERAGE or set(entry.datasets) == set(table.datasets)


def beside(table: Table, numbers: Sequence[Published]) -> list[tuple[str, int, str, str, float, Published]]:
    """(dataset, K, method, part, measured mean, published) for every measured cell with a published value."""
    rows = []
    for dataset, k, method, part in product([*table.datasets, AVERAGE], table.shots, table.methods, table.parts):
        summary = table.get(dataset, k, method, part)
        if summary.mean is None or (dataset == AVERAGE and summary.n != len(table.datasets)):
            continue  # an average over some of the datasets is not the publisher's average
        for entry in numbers:
            if _matches(entry, table, dataset, k, method, part):
                rows.append((dataset, k, method, part, summary.mean, entry))
    return rows


def render_published(tables: Sequence[Table], numbers: Sequence[Published], decimals: int = 2) -> str:
    """One block per table that has published values: measured, published, difference and source."""
    blocks = []
    for table in tables:
        rows = beside(table, numbers)
        if not rows:
            continue
        lines = [f"Published beside measured, {table.protocol}: {table.metric}",
                 "| Dataset | K | Method | measured | published | measured - published | source |",
                 "|---|---|---|---|---|---|---|"]
        for dataset, k, method, part, mean, entry in rows:
            name = f"{method} {part}" if part else method
            lines.append(f"| {dataset} | {k} | {name} | {mean:.{decimals}f} | {entry.value:.{decimals}f} | "
                         f"{mean - entry.value:+.{decimals}f} | {entry.source} |")
        blocks.append("\n".join(lines))
    if not blocks:
        return "Published beside measured: no measured cell has a published value\n"
    return "\n\n".join(blocks) + "\n"
