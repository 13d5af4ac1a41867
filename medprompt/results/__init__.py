"""Results of finished runs: read Dassl logs, walk an output tree, aggregate over seeds, print and plot.

The layout follows the CoOp family's convention
``<root>/<protocol>/<dataset>/shots_<K>/<Trainer>/<config>/seed<S>/log.txt``. Nothing here imports Dassl.

Entry points for callers: :func:`read_log` (one file), :func:`read_run` (one seed folder),
:func:`read_tree` (a whole output folder), :func:`build_tables` and :func:`render`.
"""

from medprompt.results.logs import Evaluation, LogRecord, read_log
from medprompt.results.runs import Run, TreeScan, read_run, read_tree
from medprompt.results.tables import Table, build_tables
from medprompt.results.render import render

__all__ = [
    "Evaluation",
    "LogRecord",
    "Run",
    "Table",
    "TreeScan",
    "build_tables",
    "read_log",
    "read_run",
    "read_tree",
    "render",
]
