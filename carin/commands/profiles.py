"""``carin profiles TABLE``: browse a profile table to write a spec's ``where``."""

from __future__ import annotations

import argparse
from pathlib import Path

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "browse a profile table: devices, tasks, processors and rows per group"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin profiles spaces/aihub.csv
  carin profiles spaces/aihub.csv --where task=image_classification --by device,processor"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``profiles`` sub-command."""
    p = subparsers.add_parser(
        "profiles",
        help=HELP,
        description="Show what a profile table holds, to write a spec's 'where' without "
        "opening it in pandas: each key column's values with their row counts and each "
        "metric's coverage and range, or with --by the rows of each group. --where "
        "filters as a spec's where: does (a value matches exactly, or else ignoring case).",
    )
    p.add_argument("table", type=Path, help="profile table (.csv, .csv.gz or .parquet)")
    p.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COLUMN=VALUE[,VALUE]",
        help="keep rows whose key column has one of the values; repeatable",
    )
    p.add_argument(
        "--by",
        default=None,
        metavar="COLUMN[,COLUMN]",
        help="count rows per group of these key columns (e.g. device,processor)",
    )
    p.add_argument(
        "--format",
        dest="fmt",
        choices=("table", "csv"),
        default="table",
        help="csv prints the --by counts as CSV",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the overview or the group counts."""
    from carin.errors import CarinError
    from carin.profiles import load_profiles
    from carin.report.browse import (
        filter_rows,
        format_groups,
        format_overview,
        group_counts,
        parse_where,
    )

    where = parse_where(args.where)
    table = load_profiles(args.table)
    frame = filter_rows(table, where)
    by = [c.strip() for c in args.by.split(",") if c.strip()] if args.by else []
    if args.fmt == "csv":
        if not by:
            raise CarinError("--format csv: give --by COLUMN[,COLUMN] to count rows per group")
        text = format_groups(table, frame, where, by)  # checks the columns
        text = group_counts(frame, by).to_csv(index=False, float_format="%.6g", lineterminator="\n")
        print(text.rstrip("\n"))
        return 0
    print(format_groups(table, frame, where, by) if by else format_overview(table, frame, where))
    return 0
