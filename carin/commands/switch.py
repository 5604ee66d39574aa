"""``carin switch``: replay a timeline of conditions and latencies through a plan's switcher."""

from __future__ import annotations

import argparse
import json
import os
import tempfile

from carin.errors import CarinError
from carin.runtime import MonitorConfig, Switcher, read_events, replay


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``switch`` sub-command."""
    parser = subparsers.add_parser(
        "switch",
        help="replay conditions/observations through the runtime switcher",
        description=(
            "Load PLAN.json, replay EVENTS.jsonl (lines like "
            '{"t": 0.0, "conditions": {...}} or {"t": 1.0, "observe": {"latency_ms": 12.3}}) '
            "and print each decision with its reason."
        ),
    )
    parser.add_argument("plan", metavar="PLAN.json")
    parser.add_argument("--events", required=True, metavar="EVENTS.jsonl")
    parser.add_argument(
        "-o", "--output", metavar="DECISIONS.jsonl", help="write decisions as JSONL"
    )
    parser.add_argument(
        "--threshold", type=float, default=None, help="monitor miss probability (default 0.1)"
    )
    parser.add_argument(
        "--monitor",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="drift monitor setting (MonitorConfig field: q, r, p0, threshold, release, "
        "revert_after, relax); repeatable",
    )
    parser.add_argument("--quiet", action="store_true", help="print only design changes")
    parser.set_defaults(func=run)


def _write_atomic(path: str, text: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _monitor_config(args: argparse.Namespace) -> MonitorConfig | None:
    """MonitorConfig from ``--threshold`` and ``--monitor KEY=VALUE`` (None: defaults)."""
    settings: dict[str, float] = {}
    if args.threshold is not None:
        settings["threshold"] = args.threshold
        settings["release"] = min(MonitorConfig().release, args.threshold)
    for item in args.monitor:
        key, sep, value = item.partition("=")
        key = key.strip()
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or number is None:
            raise CarinError(f"--monitor {item!r}: expected KEY=NUMBER, e.g. r=0.01")
        settings[key] = int(number) if key == "revert_after" and number.is_integer() else number
    if not settings:
        return None
    try:
        return MonitorConfig.from_dict(settings)
    except (TypeError, ValueError) as exc:
        raise CarinError(f"--monitor: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Replay the events; 0 on success (PlanError/EventsError become exit 2 in the CLI)."""
    monitor = _monitor_config(args)
    switcher = Switcher.from_file(args.plan, monitor=monitor)
    events = read_events(args.events)
    records = replay(switcher, events, source=args.events)
    for rec in records:
        if args.quiet and not rec["changed"]:
            continue
        what = json.dumps(rec[rec["event"]], sort_keys=True)
        flag = "" if rec["meets_slo"] else " [NO DESIGN MEETS SLOs]"
        mark = "*" if rec["changed"] else " "
        print(
            f"t={rec['t']:<8g}{mark} {rec['event']} {what} -> {rec['design']}{flag}: {rec['reason']}"
        )
    if args.output:
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
        _write_atomic(args.output, text)
    changes = sum(r["changed"] for r in records)
    print(f"{len(records)} events, {changes} design changes")
    return 0
