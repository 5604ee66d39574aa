"""``carin plot DIR``: draw the Pareto front of a solve as PNG or interactive HTML."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plot`` sub-command."""
    p = subparsers.add_parser(
        "plot",
        help="draw the Pareto front of a 'carin solve' result (PNG or HTML)",
        description="Draw every configuration of the solved spec: the Pareto front highlighted "
        "and connected, dominated and infeasible designs greyed, constraint bounds as lines, "
        "the primary design and each anticipated condition's design labelled. Specs with 3 or "
        "more objectives get a grid of objective pairs; multi-DNN specs a panel per task. The "
        "spec recorded in summary.json is re-opened to draw the whole space.",
    )
    p.add_argument("result_dir", type=Path, help="the --out folder of 'carin solve'")
    p.add_argument(
        "-x",
        dest="x",
        default=None,
        help="metric on the x axis (default: the objective to minimise)",
    )
    p.add_argument(
        "-y", dest="y", default=None, help="metric on the y axis (default: the other objective)"
    )
    p.add_argument(
        "-o",
        "--out",
        type=Path,
        default=None,
        help="output file, .png (matplotlib) or .html (plotly, works offline); "
        "default RESULT_DIR/front.png",
    )
    p.add_argument(
        "--max-points",
        type=int,
        default=None,
        help="draw at most this many designs besides the front (default 20000)",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="show every point (by default an axis is narrowed to the feasible designs and "
        "limits when far outliers would squeeze them into a corner)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Load the result folder, draw, write."""
    from carin.errors import CarinError
    from carin.report.plots import MAX_POINTS, load_front_data, plot_front

    if args.max_points is not None and args.max_points < 1:
        raise CarinError(f"--max-points: got {args.max_points}; expected a positive number")
    out = args.out or args.result_dir / "front.png"
    data = load_front_data(args.result_dir)
    plot_front(
        data,
        out,
        x=args.x,
        y=args.y,
        max_points=args.max_points or MAX_POINTS,
        zoom=not args.full,
    )
    print(f"wrote {out}")
    return 0
