"""``carin profile``: measure .tflite models with LiteRT on this machine into a profile table."""

from __future__ import annotations

import argparse
import sys

from carin.errors import CarinError

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "measure .tflite models with LiteRT on this machine"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin profile model.tflite -o profiles.csv
  carin profile zoo/*.tflite --dataset zoo/data.npz --threads 1,2 --delegate xnnpack,none \\
      --device my-laptop --task digits_classification -o zoo/profiles.csv"""


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 1,2,4; got {text!r}"
        ) from exc
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be >= 1; got {text!r}")
    return values


def _delegate_list(text: str) -> list[str]:
    from carin.profiler import DELEGATES

    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    bad = [v for v in values if v not in DELEGATES]
    if bad or not values:
        raise argparse.ArgumentTypeError(
            f"unknown delegate {bad[0] if bad else text!r}; allowed: {', '.join(DELEGATES)}"
        )
    return values


def register(subparsers) -> None:
    """Register ``carin profile``."""
    parser = subparsers.add_parser(
        "profile",
        help=HELP,
        description="Measure each model x threads x delegate with the LiteRT interpreter: "
        "latency (mean, std, p50, p95), first-inference and init time, peak memory growth, "
        "size, precision from tensor types, and top-1 accuracy with --dataset. "
        "Models that cannot be profiled are reported and skipped; the rows of the others "
        "are still written, and the exit code is then 2.",
    )
    parser.add_argument("models", nargs="+", metavar="MODEL", help=".tflite files")
    parser.add_argument(
        "--threads", type=_int_list, default=[1], help="thread counts, e.g. 1,2 (default 1)"
    )
    parser.add_argument(
        "--delegate",
        type=_delegate_list,
        default=["xnnpack"],
        help="xnnpack (runtime litert-xnnpack) and/or none (runtime litert); default xnnpack",
    )
    parser.add_argument("--runs", type=int, default=50, help="timed inferences (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up inferences (default 5)")
    parser.add_argument("--dataset", default=None, help=".npz with arrays x, y for accuracy")
    parser.add_argument("--device", default=None, help="device key (default: host name)")
    parser.add_argument("--task", default=None, help="task key, e.g. image_classification")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="measure in this process (faster start; memory_mb is then not measured)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("-o", "--out", required=True, help="output profile table (.csv)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Profile the models and write the table; returns the exit code."""
    from carin.profiler import profile_models
    from carin.profiler._progress import Progress
    from carin.profiles import check_table_path, validate_profiles, write_profiles
    from carin.report._format import plural

    if args.runs < 1 or args.warmup < 0:
        raise CarinError(f"--runs must be >= 1 and --warmup >= 0; got {args.runs}, {args.warmup}")
    check_table_path(args.out)  # before minutes of measuring, not after them
    bar = None if args.quiet else Progress(total=1)
    result = profile_models(
        args.models,
        threads=args.threads,
        delegates=args.delegate,
        runs=args.runs,
        warmup=args.warmup,
        dataset=args.dataset,
        device=args.device,
        task=args.task,
        isolate=not args.in_process,
        progress=bar.update if bar else None,
    )
    for message in result.errors:
        print(f"error: {message}", file=sys.stderr)
    if result.frame.empty:
        print("error: no configuration could be measured; nothing written", file=sys.stderr)
        return 2
    table = validate_profiles(result.frame, source=args.out)
    write_profiles(table, args.out)
    print(f"wrote {plural(len(result.frame), 'row')} to {args.out}")
    devices = sorted(set(result.frame["device"].astype(str))) if "device" in result.frame else []
    if devices:
        # a spec selects these rows by their device label (the host name unless --device)
        print(
            f"device: {', '.join(devices)} (select it in a spec: where: {{device: {devices[0]}}})"
        )
    return 2 if result.errors else 0
