"""``carin zoo build``: train and convert the small real model zoo (needs the ``zoo`` extra)."""

from __future__ import annotations

import argparse
import sys

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "build a small real model zoo (.tflite, 4 precisions) on bundled digits data"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin zoo build -o zoo/ --seed 0
  carin zoo build -o zoo/ --arch mlp_s,cnn_s --epochs 10"""


def register(subparsers) -> None:
    """Register ``carin zoo``."""
    parser = subparsers.add_parser(
        "zoo",
        help=HELP,
        description="Train small Keras models on scikit-learn's bundled digits data and "
        "convert each to fp32, fp16, int8 dynamic-range and full-int8 .tflite "
        "(needs the optional extra zoo, pip install -e '.[zoo]' from a clone, and scikit-learn; "
        "nothing is downloaded).",
    )
    zsub = parser.add_subparsers(dest="zoo_command", metavar="ACTION")
    zsub.required = True
    build = zsub.add_parser("build", help="train and convert the zoo models")
    build.add_argument("-o", "--out", required=True, help="output folder")
    build.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    build.add_argument("--epochs", type=int, default=40, help="training epochs (default 40)")
    build.add_argument(
        "--arch",
        default=None,
        help="comma-separated subset of architectures (default: all)",
    )
    build.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the zoo; returns the exit code."""
    from carin.profiler.zoo import build_zoo

    arch = [a.strip() for a in args.arch.split(",") if a.strip()] if args.arch else None
    result = build_zoo(
        args.out,
        seed=args.seed,
        architectures=arch,
        epochs=args.epochs,
        progress=lambda msg: print(msg, file=sys.stderr),
    )
    print(f"wrote {len(result.models)} models and {result.dataset}")
    return 0
