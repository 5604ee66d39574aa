"""``carin show DIR``: reprint a solve's results as a table, CSV, JSON or markdown."""

from __future__ import annotations

import argparse
from pathlib import Path

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "reprint the results of 'carin solve'"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin show out/phone-classifier
  carin show out/phone-classifier --sort latency_ms --top 5
  carin show out/phone-classifier --format csv > designs.csv"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``show`` sub-command."""
    p = subparsers.add_parser(
        "show",
        help=HELP,
        description="Reprint the plan's designs (ranked, with units, the primary design marked) "
        "and the design chosen for each anticipated condition from a 'carin solve' output "
        "folder; or the nearest misses of an infeasible solve.",
    )
    p.add_argument("result_dir", type=Path, help="the --out folder of 'carin solve'")
    p.add_argument(
        "--top", type=int, default=15, help="rows of the table (table, markdown; default 15)"
    )
    p.add_argument(
        "--sort",
        metavar="METRIC",
        default=None,
        help="sort by a metric (best first for objectives, ascending otherwise; "
        "write --sort=-METRIC to reverse)",
    )
    p.add_argument(
        "--format",
        dest="fmt",
        choices=("table", "csv", "json", "markdown"),
        default="table",
        help="output format (csv and json list every design)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the saved results."""
    import sys

    from carin.errors import CarinError
    from carin.report.text import format_show
    from carin.result import load_result_dir

    if args.top < 1:
        raise CarinError(f"--top: got {args.top}; expected a positive number")
    text = format_show(
        load_result_dir(args.result_dir),
        fmt=args.fmt,
        sort=args.sort,
        top=args.top,
        tty=sys.stdout.isatty(),
    )
    print(text)
    return 0
