"""``carin plot DIR``: draw the Pareto front of a solve as PNG, SVG, PDF or interactive HTML."""

from __future__ import annotations

import argparse
from pathlib import Path

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "draw the Pareto front of a 'carin solve' result (PNG, SVG, PDF or HTML)"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin plot out/phone-classifier -o front.png
  carin plot out/phone-classifier -o front.html           # interactive, works offline
  carin plot out/phone-classifier -x memory_mb -o memory.svg"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plot`` sub-command."""
    p = subparsers.add_parser(
        "plot",
        help=HELP,
        description="Draw every configuration of the solved spec: the Pareto front highlighted "
        "(a staircase when the two objectives are the axes), dominated designs faded, "
        "infeasible ones grey, colour and shape for the decisions that vary (processor, "
        "precision, runtime, threads, CM plan), constraint bounds as lines with the excluded "
        "side shaded, the primary design and each anticipated condition's design labelled. "
        "Specs with 3 or more objectives get a grid of objective pairs; multi-DNN specs a "
        "panel per task. A solve with no feasible design is drawn too, with the limits that "
        "exclude every design and its nearest misses labelled. The spec recorded in "
        "summary.json is re-opened to draw the whole space.",
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
        help="output file: .png, .svg, .pdf (matplotlib) or .html (plotly, interactive, "
        "works offline); default RESULT_DIR/front.FORMAT",
    )
    p.add_argument(
        "--html-form",
        choices=["packed", "plain", "beside"],  # carin.report.plots.HTML_FORMS
        default="packed",
        help="HTML only: 'packed' (default) one file with plotly.js and the data "
        "compressed in it, unpacked by the browser when the page opens (browsers from 2023 "
        "on); 'plain' one file, nothing compressed (any browser, 3-4 MB more); 'beside' "
        "plotly.js written once as plotly-VERSION.min.js next to the page, which loads it "
        "from there (keep the files together)",
    )
    p.add_argument(
        "--format",
        choices=["png", "svg", "pdf", "html"],
        default=None,
        help="output format (default: from the -o suffix, else png)",
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
    from carin.report.plots import MAX_POINTS, format_of, load_front_data, plot_front

    if args.max_points is not None and args.max_points < 1:
        raise CarinError(f"--max-points: got {args.max_points}; expected a positive number")
    if args.x is not None and args.x == args.y:
        raise CarinError(f"-x and -y are both {args.x!r}; choose two different metrics")
    which = format_of(args.out, args.format)
    out = args.out or args.result_dir / f"front.{which}"
    data = load_front_data(args.result_dir)
    plot_front(
        data,
        out,
        x=args.x,
        y=args.y,
        kind=which,
        max_points=args.max_points or MAX_POINTS,
        zoom=not args.full,
        html_form=args.html_form,
    )
    print(f"wrote {out}")
    return 0
