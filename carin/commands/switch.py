"""``carin switch``: replay a timeline of conditions and latencies through a plan's switcher."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from carin.errors import CarinError
from carin.runtime import (
    MAX_FILE_BYTES,
    EventsError,
    MonitorConfig,
    PlanError,
    Switcher,
    parse_events,
    replay,
)

#: One line for ``carin --help`` (listed without registering the command's options).
HELP = "replay conditions/observations through the runtime switcher"

#: Example command lines shown under the command's --help (``carin.cli`` adds them).
EXAMPLES = """\
examples:
  carin switch out/phone-classifier/plan.json --events examples/events/phone-classifier.jsonl
  carin switch plan.json --events events.jsonl --quiet -o decisions.jsonl"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``switch`` sub-command."""
    parser = subparsers.add_parser(
        "switch",
        help=HELP,
        description=(
            "Load PLAN.json, replay EVENTS.jsonl (lines like "
            '{"t": 0.0, "conditions": {...}} or {"t": 1.0, "observe": {"latency_ms": 12.3}}) '
            "and print each decision with its reason."
        ),
    )
    parser.add_argument(
        "plan", metavar="PLAN.json", help="a plan written by 'carin solve' (OUT/plan.json)"
    )
    parser.add_argument(
        "--events",
        required=True,
        metavar="EVENTS.jsonl",
        help="the timeline to replay, one JSON object a line (examples/events/ has one per "
        "example spec)",
    )
    parser.add_argument(
        "-o",
        "--out",
        "--output",
        dest="output",
        metavar="DECISIONS.jsonl",
        help="write decisions as JSONL",
    )
    parser.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="drift monitor: the miss probability above which it switches design "
        "(default 0.1; the same as --monitor threshold=)",
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


def _monitor_config(args: argparse.Namespace) -> MonitorConfig | None:
    """MonitorConfig from ``--threshold`` and ``--monitor KEY=VALUE`` (None: defaults)."""
    settings: dict[str, float] = {}
    if args.threshold is not None:
        settings["threshold"] = args.threshold
    for item in args.monitor:
        key, sep, value = item.partition("=")
        key = key.strip()
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or number is None:
            raise CarinError(f"--monitor {item!r}: expected KEY=NUMBER, e.g. r=0.01")
        if key == "threshold" and "threshold" in settings and settings["threshold"] != number:
            raise CarinError(
                f"--threshold {settings['threshold']:g} and --monitor threshold={number:g} "
                "contradict each other; give one of them"
            )
        settings[key] = int(number) if key == "revert_after" and number.is_integer() else number
    if "threshold" in settings and "release" not in settings:
        # hysteresis below the threshold, however the threshold was given
        settings["release"] = min(MonitorConfig().release, settings["threshold"])
    if not settings:
        return None
    try:
        return MonitorConfig.from_dict(settings)
    except (TypeError, ValueError) as exc:
        raise CarinError(f"--monitor: {exc}") from None


def _load_plan(path: str, monitor: MonitorConfig | None) -> Switcher:
    """Read, decode and load the plan; errors name the file (exit 2, never a traceback)."""
    from carin._files import huge_number, loads_json, read_text
    from carin.result import check_result_file

    if Path(path).is_dir():
        raise PlanError(
            f"{path}: is a folder; give the plan file in it, e.g. {Path(path) / 'plan.json'}"
        )
    check_result_file(path)  # a plan in a result folder must belong with its files
    text = read_text(path, what="plan", error=PlanError, limit=MAX_FILE_BYTES)  # as an app
    obj = loads_json(text, path, what="plan", error=PlanError)
    field = huge_number(obj)
    if field:
        raise PlanError(f"{path}: {field}: a number too large for a float")
    try:
        return Switcher.from_dict(obj, monitor=monitor)
    except PlanError as exc:
        raise PlanError(f"{path}: {exc}") from None


def _read_events(path: str) -> list[dict]:
    """Read, decode and validate the events file, naming its line when a line is wrong."""
    from carin._files import huge_number, loads_json, read_text

    text = read_text(path, what="events file", error=EventsError, limit=MAX_FILE_BYTES)
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if line.strip():
            obj = loads_json(
                line, f"{path}:{number}", what="JSON line", error=EventsError, one_line=True
            )
            field = huge_number(obj)
            if field:
                raise EventsError(f"{path}:{number}: {field}: a number too large for a float")
    return parse_events(lines, source=path)


def run(args: argparse.Namespace) -> int:
    """Replay the events; 0 on success (PlanError/EventsError become exit 2 in the CLI)."""
    from carin._files import atomic_write, check_output_path

    if args.output:
        check_output_path(Path(args.output), folder=False)
    monitor = _monitor_config(args)
    switcher = _load_plan(args.plan, monitor)
    events = _read_events(args.events)
    records = replay(switcher, events, source=args.events)
    for line in _decision_lines(records, quiet=args.quiet):
        print(line)
    if args.output:
        text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
        atomic_write(args.output, text)
    changes = sum(r["changed"] for r in records)
    print(f"{len(records)} events, {changes} design changes")
    for line in _design_lines(switcher.plan, [r["design"] for r in records]):
        print(line)
    return 0


#: Where a decision's continuation lines start (under the event).
_HANG = 12


def _event_text(record: dict) -> str:
    """The event in the words of the reports: conditions as ``no npu, mem<=50MB``."""
    from carin.report._format import condition_text

    if record["event"] == "conditions":
        return f"conditions: {condition_text(record['conditions']) or 'nominal'}"
    obs = record["observe"]
    of = f" of {obs['design']}" if obs.get("design") else ""
    return f"observed latency {obs['latency_ms']:g} ms{of}"


def _decision_lines(records: list[dict], *, quiet: bool) -> list[str]:
    """One decision per event, wrapped to 100 columns; a reason said once while it holds."""
    from carin.report._format import wrap_text

    lines: list[str] = []
    said = None
    for rec in records:
        reason = rec["reason"]
        design = rec["design"] or "no design"
        if reason.startswith(f"{design}: "):  # the reason names the design again
            reason = reason[len(design) + 2 :]
        flag = "" if rec["meets_slo"] else " [NO DESIGN MEETS SLOs]"
        if quiet and not rec["changed"]:
            continue
        if rec["changed"] or (design, reason) != said:
            decision = f"-> {design}{flag}: {reason}"
        else:
            decision = f"-> {design}{flag} (as before)"
        said = (design, reason)
        mark = "*" if rec["changed"] else " "
        lines += wrap_text(f"t={rec['t']:<8g}{mark} {_event_text(rec)} {decision}", 0, _HANG)
    return lines


def _design_lines(plan: dict, ran: list[str | None]) -> list[str]:
    """The designs the replay ran, named as 'carin show' and 'carin explain' name them."""
    from carin.report._designs import plan_labels
    from carin.report._format import wrap_text

    ids = [d for d in dict.fromkeys(ran) if d]
    if not ids:
        return []
    labels = plan_labels(plan)
    pad = max(len(d) for d in ids)
    lines = ["Designs it ran:"]
    for d in sorted(ids, key=lambda d: int(d[1:]) if d[1:].isdigit() else 0):
        lines += wrap_text(f"{d:<{pad}}  {labels.get(d, '')}".rstrip(), 2, pad + 4)
    return lines
