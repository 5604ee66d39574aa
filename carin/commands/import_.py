"""``carin import <source> INPUT -o TABLE``: build a canonical profile table from published data."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "convert published measurements into a profile table"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin import litert-benchmark logs/*.txt --device "Google Pixel 7" -o pixel7.csv
  carin import aihub ai-hub-models/ -o aihub.csv
  carin import nb201 nb201_latency_accuracy.csv -o nb201.csv.gz"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``import`` with one sub-command per discovered importer."""
    from carin.profiles.importers import discover_importers

    parser = subparsers.add_parser(
        "import",
        help=HELP,
        description="Convert published measurements into a canonical profile table "
        "(.csv, .csv.gz or .parquet).",
    )
    sources = parser.add_subparsers(dest="source", metavar="SOURCE")
    sources.required = True
    for name, module in discover_importers().items():
        sub = sources.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.add_argument(
            "-o",
            "--out",
            "--output",
            dest="output",
            required=True,
            metavar="PATH",
            help="profile table to write (.csv, .csv.gz or .parquet)",
        )
        sub.set_defaults(func=run, importer=module)


def _count(frame: pd.DataFrame, column: str) -> int:
    return int(frame[column].nunique()) if column in frame.columns else 0


def run(args: argparse.Namespace) -> int:
    """Import, validate and write the table; print a one-line summary."""
    from carin.profiles import check_table_path, validate_profiles, write_profiles

    check_table_path(args.output)  # before reading the sources, not after
    frame = args.importer.import_table(args)
    skipped = dict(frame.attrs.get("skipped", {}))
    table = validate_profiles(frame, source=f"{args.importer.NAME} import")
    path = write_profiles(table, args.output)
    print(
        f"wrote {path}: {len(table.frame)} rows, {_count(table.frame, 'model')} models, "
        f"{_count(table.frame, 'device')} devices"
    )
    for reason, count in sorted(skipped.items()):
        print(f"skipped {count}: {reason}", file=sys.stderr)
    return 0
