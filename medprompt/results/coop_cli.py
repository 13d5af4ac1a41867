"""CoOp-compatible result parser for one experiment folder (``python parse_test_res.py FOLDER``).

Same command line (``--keyword``, ``--test-log``, ``--ci95``, ``--multi-exp``) and the same printed lines
as the CoOp family's ``parse_test_res.py``: ``file: ... <keyword>: X.XX%.`` per seed folder, then
``* <keyword>: mean% +- std%`` (population std, or the 95% interval with ``--ci95``). Without
``--test-log`` only results after ``Finish training`` count; with it, eval-only results count too.
Unlike the original it also reads ``log.txt-<timestamp>`` files (the last finished evaluation wins) and
says on stderr which folders it skipped and why.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from medprompt.utils.errors import InputFileError, UserError
from medprompt.results.runs import SeedLogs, read_run
from medprompt.results.stats import ci95, mean_std


def _value(seed_logs: SeedLogs, keyword: str, test_log: bool) -> tuple[Path, float] | str:
    """(log path, value) of the counted evaluation, or why there is none."""
    for log in reversed(seed_logs.logs):
        final = log.final
        if final is None or (not test_log and not final.after_training):
            continue
        if keyword not in final.metrics:
            return f"no {keyword!r} in {log.path.name}"
        return log.path, final.metrics[keyword]
    if not test_log and any(log.final is not None for log in seed_logs.logs):
        return "only eval-only results (use --test-log)"
    return seed_logs.reason or "no finished evaluation"


def parse_folder(directory: str | Path, keyword: str = "accuracy", test_log: bool = False,
                 use_ci95: bool = False) -> float:
    """Print the per-seed values and the summary of one experiment folder; return the mean."""
    directory = Path(directory)
    print(f"Parsing files in {directory}")
    if not directory.is_dir():
        raise InputFileError(f"{directory}: not a folder")
    values = []
    for sub in sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found = _value(read_run(sub), keyword, test_log)
        if isinstance(found, str):
            print(f"skipped {sub}: {found}", file=sys.stderr)
            continue
        path, value = found
        values.append(value)
        print(f"file: {path}. {keyword}: {value:.2f}%. ")
    if not values:
        raise InputFileError(f"Nothing found in {directory}")
    mean, std = mean_std(values)
    spread = ci95(values) if use_ci95 else std
    print("===")
    print(f"Summary of directory: {directory}")
    print(f"* {keyword}: {mean:.2f}% +- {spread:.2f}%")
    print("===")
    return mean


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parse_test_res.py",
        description="Mean and spread of one metric over the seed folders of an experiment.",
    )
    parser.add_argument("directory", type=str, help="path to directory")
    parser.add_argument("--ci95", action="store_true", help="compute 95%% confidence interval")
    parser.add_argument("--test-log", action="store_true", help="parse test-only logs")
    parser.add_argument("--multi-exp", action="store_true", help="parse multiple experiments")
    parser.add_argument("--keyword", default="accuracy", type=str, help="which keyword to extract")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if not args.multi_exp:
            parse_folder(args.directory, args.keyword, args.test_log, args.ci95)
            return 0
        root = Path(args.directory)
        if not root.is_dir():
            raise InputFileError(f"{root}: not a folder")
        means = [parse_folder(exp, args.keyword, args.test_log, args.ci95)
                 for exp in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))]
        if not means:
            raise InputFileError(f"Nothing found in {root}")
        print("Average performance")
        print(f"* {args.keyword}: {sum(means) / len(means):.2f}%")
    except (OSError, UserError) as error:
        print(f"parse_test_res.py: error: {error}", file=sys.stderr)
        return 2
    return 0
