"""``carin explain DIR``: why the primary design won, or what to relax when nothing is feasible."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "why the primary design won, or which limits to relax when nothing is feasible"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin explain out/phone-classifier
  carin explain out/phone-classifier --json"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``explain`` sub-command."""
    p = subparsers.add_parser(
        "explain",
        help=HELP,
        description="For a feasible solve: the primary design's rank under the spec's "
        "preference, what decided it, what the next two designs trade and which objective "
        "ranked each after it (ties within an objective's tolerance said as ties), and which "
        "constraints are active. For an infeasible one (exit 3 of 'carin solve'): how many designs meet "
        "each constraint, the nearest misses, and the smallest relaxation of each constraint "
        "alone that makes a design feasible. Re-opens the spec recorded in summary.json.",
    )
    p.add_argument("result_dir", type=Path, help="the --out folder of 'carin solve'")
    p.add_argument("--json", action="store_true", help="print the explanation as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the explanation."""
    from carin.report.explain import explain_result_dir, format_explanation

    info = explain_result_dir(args.result_dir)
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        print(format_explanation(info))
    return 0
