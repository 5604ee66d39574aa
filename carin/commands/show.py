"""``carin show DIR``: reprint a solve's results."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``show`` sub-command."""
    p = subparsers.add_parser(
        "show",
        help="reprint the results of 'carin solve'",
        description="Reprint the ranked Pareto set, the primary design and the designs per "
        "anticipated condition from a 'carin solve' output folder.",
    )
    p.add_argument("result_dir", type=Path, help="the --out folder of 'carin solve'")
    p.add_argument("--top", type=int, default=15, help="rows to print")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the saved results."""
    from carin.report.text import format_saved
    from carin.result import load_result_dir

    print(format_saved(load_result_dir(args.result_dir), top=args.top))
    return 0
