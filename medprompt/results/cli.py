"""The one command that compares methods across an output tree (``python parse_results.py OUTPUT_DIR``).

It reads every seed folder under OUTPUT_DIR, prints one table per protocol and metric (datasets × methods,
mean ± std over seeds with n, flags for anything incomplete; one method per row when a column per method
would not fit --width), and can write the full tables to a file and the plots.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from medprompt.utils.atomic import write_text
from medprompt.utils.errors import UserError
from medprompt.results.render import FORMATS, render
from medprompt.results.runs import read_tree
from medprompt.results.tables import build_tables
from medprompt.utils.path_checks import check_folder

_SHOWN_STRAYS = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parse_results.py",
        description="Tables (and plots) of every finished run under an output tree "
                    "<protocol>/<dataset>/shots_<K>/<Trainer>/<config>/seed<S>/.",
    )
    parser.add_argument("output_dir", help="root of the output tree")
    parser.add_argument("--protocol", nargs="+", help="protocols to show, e.g. fewshot base2new (default: all)")
    parser.add_argument("--metric", nargs="+", default=["accuracy"],
                        help="metrics to tabulate, e.g. accuracy macro_f1 (default: accuracy)")
    parser.add_argument("--format", choices=FORMATS, default="terminal", help="table format")
    parser.add_argument("--plot", metavar="PATH_WITHOUT_EXT", help="also write PNG and PDF figures here")
    parser.add_argument("--methods", nargs="+", help="trainers (or trainer/config) to show, in this order")
    parser.add_argument("--seeds", nargs="+", type=int,
                        help="seeds every cell should have (default: all seeds seen in the protocol)")
    parser.add_argument("--ignore-key", nargs="+", default=[], metavar="KEY",
                        help="more config keys that may differ between seeds (e.g. DATALOADER.NUM_WORKERS)")
    parser.add_argument("--decimals", type=int, default=2, help="digits after the point")
    parser.add_argument("--output", metavar="FILE",
                        help="write the full tables (any width) to FILE instead of printing them")
    parser.add_argument("--width", type=int, default=120, metavar="COLS",
                        help="print terminal tables wider than COLS with one method per row (default 120; 0 = never)")
    parser.add_argument("--full", metavar="FILE",
                        help="also write the full tables (a column per method and part, any width) to FILE")
    parser.add_argument("--published", nargs="?", const="", metavar="FILE",
                        help="also show each measured cell's published value and the difference, with its source "
                             "(default file: medprompt/results/published_numbers.yaml)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        check_folder(args.output_dir, "OUTPUT_DIR")
        scan = read_tree(args.output_dir)
        tables = build_tables(scan, args.metric, args.protocol, args.methods, args.seeds, args.ignore_key)
    except (OSError, UserError) as error:
        print(f"parse_results.py: error: {error}", file=sys.stderr)
        return 2
    if scan.stray_logs:
        shown = ", ".join(str(p) for p in scan.stray_logs[:_SHOWN_STRAYS])
        print(f"note: {len(scan.stray_logs)} log file(s) outside the layout were skipped: {shown}"
              + (" ..." if len(scan.stray_logs) > _SHOWN_STRAYS else ""), file=sys.stderr)
    full = render(tables, args.format, args.decimals)
    for path in filter(None, (args.output, args.full)):
        print(f"wrote {write_text(path, full)}", file=sys.stderr)
    if not args.output:
        sys.stdout.write(render(tables, args.format, args.decimals, args.width or None))
    if args.published is not None:
        from medprompt.results.published import PUBLISHED_NUMBERS, load_published, render_published

        try:
            numbers = load_published(args.published or PUBLISHED_NUMBERS)
        except UserError as error:
            print(f"parse_results.py: error: {error}", file=sys.stderr)
            return 2
        sys.stdout.write("\n" + render_published(tables, numbers, args.decimals))
    if args.plot:
        from medprompt.results.plots import plot_tables  # matplotlib: seconds of imports, only for --plot

        for path in plot_tables(tables, args.plot):
            print(f"wrote {path}", file=sys.stderr)
    return 0
