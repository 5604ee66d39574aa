"""``carin intermittent``: CM plans of models on energy traces, as profile rows."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "simulate checkpointing plans on energy traces; write profile rows"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin intermittent -m spaces/intermittent/kws-tinyconv.yaml \\
      -t spaces/traces/rf-mementos-2.csv.gz --period 40 -o out/kws-rf.csv
  carin intermittent --taskset spaces/intermittent-multitask/kws-lenet-dscnn.yaml \\
      -t spaces/traces/rf-mementos-2.csv.gz -o out/tasks.csv"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``intermittent`` sub-command."""
    p = subparsers.add_parser(
        "intermittent",
        help=HELP,
        description="For each model (.tflite or YAML layer list) and energy trace (REACT "
        ".trace, Mementos rf-mementos/*.txt, NREL solar CSV), find the per-layer "
        "checkpointing plan of least expected energy (exact DP, overall and per harvested-"
        "power band), simulate periodic jobs of it and of every applicable uniform plan, and "
        "write per (model, plan) one row over all jobs and one per power band with "
        "success_rate, latency_ms, energy_mj, nvm_kb and jobs. With --taskset (several "
        "periodic tasks on one device), choose per-task plans and the scheduling policy "
        "together on each trace or --source and write rows of the finalists (model = the "
        "set's name, cm = task:plan words, variant = the policy), each also with "
        "resampled_weighted_success, resampled_success_rate, resampled_latency_ms and "
        "resampled_jobs over the trace and its resamples, the order the choice is made "
        "in. Every row has fram_kb, the FRAM the configuration needs (KiB); a warning says "
        "when it exceeds the device's fram_bytes, and a task set whose weights alone "
        "exceed it is refused.",
    )
    p.add_argument(
        "--model",
        "-m",
        nargs="+",
        type=Path,
        default=None,
        help="model files (.tflite or .yaml layer lists)",
    )
    p.add_argument(
        "--taskset",
        type=Path,
        default=None,
        help="a task-set YAML (several periodic tasks sharing the device; see docs)",
    )
    p.add_argument("--trace", "-t", nargs="+", type=Path, default=[], help="energy trace files")
    p.add_argument(
        "--source",
        nargs="+",
        default=[],
        metavar="KIND:KEY=VALUE,...",
        help="synthetic sources, e.g. constant:power_mw=1, square:high_mw=4,period_s=20, "
        "markov:on_mw=5,mean_on_s=5,mean_off_s=10,seed=1 (add duration_s=, dt_s=)",
    )
    p.add_argument(
        "--keep",
        type=int,
        default=None,
        help="task sets: finalists per trace, the configurations re-scored on resamples "
        "of it and written: this many best on the trace (default 6), besides the "
        "baselines and each policy's best",
    )
    p.add_argument("--out", "-o", type=Path, required=True, help="profile table to write")
    p.add_argument(
        "--period",
        type=float,
        nargs="+",
        default=[2.0],
        help="job release period in s: one value, or one per model (default 2)",
    )
    p.add_argument(
        "--deadline",
        type=float,
        nargs="+",
        default=None,
        help="relative deadline in s (default: the period)",
    )
    p.add_argument(
        "--device",
        type=Path,
        default=None,
        help="YAML device overrides (default: MSP430FR5994 profile)",
    )
    p.add_argument(
        "--min-duration",
        type=float,
        default=300.0,
        help="repeat shorter traces end to end up to this many seconds (default 300)",
    )
    p.add_argument(
        "--solar-days", type=float, default=1.0, help="days of a solar trace to use (default 1)"
    )
    p.set_defaults(func=run)


#: Most periodic jobs simulated per (model, trace): the default runs 150.
MAX_JOBS = 1_000_000


def _per_model(values: list[float], n: int, flag: str) -> list[float]:
    from carin.errors import CarinError

    if len(values) == 1:
        return values * n
    if len(values) != n:
        raise CarinError(f"{flag}: give one value or one per model ({n}), got {len(values)}")
    return values


def _head(path: Path) -> str:
    """The first bytes of a regular file as text ("" for anything else)."""
    if not path.is_file():
        return ""
    with open(path, "rb") as fh:
        return fh.read(4).decode("utf-8", errors="replace")


def _traces(args: argparse.Namespace) -> list:
    from carin.errors import CarinError
    from carin.intermittent import load_solar, load_trace
    from carin.intermittent.sources import parse_source

    if not (args.min_duration >= 0 and math.isfinite(args.min_duration)):
        raise CarinError(f"--min-duration: must be a finite number >= 0 s, got {args.min_duration}")
    if not (args.solar_days > 0 and math.isfinite(args.solar_days)):
        raise CarinError(f"--solar-days: must be a finite number > 0, got {args.solar_days}")
    traces = []
    for path in args.trace:
        head = _head(path).upper()
        tr = load_solar(path, days=args.solar_days) if head.startswith("DATE") else load_trace(path)
        if tr.duration < args.min_duration:
            tr = tr.repeat(args.min_duration)
        traces.append(tr)
    traces += [parse_source(text) for text in args.source]
    return traces


def _warn(text: str) -> None:
    import sys

    print(f"warning: {text}", file=sys.stderr)


def _warn_too_big(what: str, fp, device) -> None:
    """Warn that ``what`` needs more FRAM (footprint ``fp``, every term) than ``device``."""
    cap = device.fram_bytes
    _warn(
        f"{what} needs {fp.total / 1024:,.1f} KiB of FRAM ({fp.total:,.0f} B: {fp.terms()}), "
        f"more than the device has (fram_bytes = {cap:,} B, {cap / 1024:g} KiB); its rows' "
        f"fram_kb say so (a spec can require fram_kb <= {cap / 1024:g})"
    )


def _warn_fram(model, device, plans, pending: int = 1) -> None:
    """Warn about each plan of ``model`` whose FRAM footprint exceeds the device's."""
    from carin.intermittent.cm import compile_plan, fram_footprint

    costs = model.costs(device)
    for plan in plans:
        fp = fram_footprint(compile_plan(plan, costs, device), costs, device, pending=pending)
        if fp.total > device.fram_bytes:
            _warn_too_big(f"{model.name}: plan {plan}", fp, device)


def _run_taskset(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from carin.errors import CarinError
    from carin.intermittent import Device
    from carin.intermittent.bounds import success_bound
    from carin.intermittent.joint import joint_search, taskset_rows
    from carin.intermittent.tasks import check_weights_fit, load_taskset, taskset_footprint
    from carin.profiles import write_profiles

    keep = 6 if args.keep is None else args.keep
    if keep < 1:
        raise CarinError(f"--keep: must be >= 1, got {keep}")
    ts = load_taskset(args.taskset)
    if args.device:
        from dataclasses import replace

        ts = replace(ts, device=Device.from_yaml(args.device))
    check_weights_fit(ts, device_from=str(args.device) if args.device else "")
    frames = []
    for tr in _traces(args):
        jr = joint_search(ts, tr, finalists_k=keep)
        # the finalists, each with its runs on the trace and its resamples: the rows'
        # resampled_* columns rank the choice first (robust_choice's order)
        runs = jr.resampled_runs
        frames.append(taskset_rows(ts, tr, {c: r[0] for c, r in runs.items()}, resampled=runs))
        best = runs[jr.best][0].summary()
        mean = np.mean([r.succeeded for r in runs[jr.best]])
        bound = success_bound(ts, tr).bound
        # the same bound for the chosen plans: what is left between it and the count is
        # the schedule's, what lies between the two bounds the plans' checkpoints
        mine = success_bound(ts, tr, plans=jr.best.plans).bound if bound else 0
        print(
            f"{tr.name}: {jr.best.policy} {jr.best.label(ts.names)}: "
            f"{best['succeeded']}/{best['jobs']} jobs done by their deadline "
            f"(no choice can do more than {bound}, no policy with these plans more than "
            f"{mine}); {mean:.1f} on average over it and {len(runs[jr.best]) - 1} resamples"
        )
        fp = taskset_footprint(ts, jr.best.plans, jr.best.policy)
        if fp.total > ts.device.fram_bytes:
            what = f"{tr.name}: the chosen configuration {jr.best.policy} {jr.best.label(ts.names)}"
            _warn_too_big(what, fp, ts.device)
    frame = pd.concat(frames, ignore_index=True)
    out = write_profiles(frame, args.out)
    print(f"wrote {len(frame)} rows (task set {ts.name!r} x {len(frames)} trace(s)) to {out}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Build and write the profile table."""
    import pandas as pd

    from carin.errors import CarinError
    from carin.intermittent import Device, load_layers
    from carin.intermittent.profile import candidate_plans, profile_rows, simulate_plans
    from carin.intermittent.tasks import pending_jobs
    from carin.profiles import write_profiles

    if (args.model is None) == (args.taskset is None):
        raise CarinError("give either --model (one model per row) or --taskset (a task set)")
    if not args.trace and not args.source:
        raise CarinError("give at least one --trace file or --source")
    if args.taskset is not None:
        return _run_taskset(args)
    if args.keep is not None:
        raise CarinError(
            "--keep: only with --taskset (it sets how many task-set configurations are "
            "kept); with --model every candidate plan is written"
        )
    device = Device.from_yaml(args.device) if args.device else Device.msp430fr5994()
    periods = _per_model(args.period, len(args.model), "--period")
    deadlines = _per_model(args.deadline or args.period, len(args.model), "--deadline")
    for v in periods + deadlines:
        if not (v > 0 and math.isfinite(v)):
            raise CarinError(f"--period/--deadline: must be a finite number > 0, got {v}")
    traces = _traces(args)
    for tr in traces:
        for period in set(periods):
            if tr.duration / period > MAX_JOBS:
                raise CarinError(
                    f"--period {period:g}: {tr.duration / period:.3g} jobs on trace {tr.name!r} "
                    f"({tr.duration:g} s); at most {MAX_JOBS:,} (raise --period or lower "
                    "--min-duration)"
                )
    frames = []
    for mpath, period, deadline in zip(args.model, periods, deadlines, strict=True):
        model = load_layers(mpath)
        pending = pending_jobs(period, deadline)  # input samples waiting when d > p
        written: dict[str, None] = {}
        for tr in traces:
            plans = candidate_plans(model, tr, device, period=period)
            written.update(dict.fromkeys(plans))
            runs = simulate_plans(model, tr, device, plans, period=period, deadline=deadline)
            frames.append(profile_rows(model, tr, device, runs, pending=pending))
        _warn_fram(model, device, written, pending)
    frame = pd.concat(frames, ignore_index=True)
    out = write_profiles(frame, args.out)
    print(f"wrote {len(frame)} rows ({len(args.model)} model(s) x {len(traces)} trace(s)) to {out}")
    return 0
