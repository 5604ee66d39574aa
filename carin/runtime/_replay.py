"""Replay a timeline of conditions and latency observations through a switcher.

An events file is JSON Lines; blank lines are skipped. Each line is one of::

    {"t": 0.0, "conditions": {"unavailable": ["npu"]}}
    {"t": 1.0, "observe": {"latency_ms": 12.3}}
    {"t": 1.5, "observe": {"latency_ms": 12.3, "design": "d2"}}

``t`` is a time in seconds and must not decrease. A ``conditions`` event
replaces the app's condition set (``{}`` = nominal); an ``observe`` event feeds
one measured latency of ``design`` (default: the current design) to the drift
monitor.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Any

from ._errors import EventsError
from ._read import parse_json, read_text
from ._switcher import Switcher
from ._validate import check_conditions

__all__ = ["parse_events", "read_events", "replay"]


def parse_events(lines: Iterable[str], *, source: str = "events") -> list[dict[str, Any]]:
    """Parse and validate timeline lines.

    Args:
        lines: The lines of an events file.
        source: The file name used in error messages.

    Returns:
        One dict per event with ``line``, ``t`` and either ``conditions`` or ``observe``.

    Raises:
        EventsError: naming ``source:line`` and the field that is wrong.
    """
    events: list[dict[str, Any]] = []
    last = -math.inf
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{source}:{number}"
        obj = parse_json(text, where, what="JSON line", error=EventsError, one_line=True)
        if not isinstance(obj, dict):
            raise EventsError(f"{where}: expected a JSON object")
        t = obj.get("t")
        if not isinstance(t, int | float) or isinstance(t, bool) or not math.isfinite(t):
            raise EventsError(f"{where}: t: expected a finite number of seconds")
        if t < last:
            raise EventsError(f"{where}: t: {t} is before the previous event ({last})")
        last = t
        kinds = [k for k in ("conditions", "observe") if k in obj]
        extra = sorted(set(obj) - {"t", "conditions", "observe", "note"})
        if extra:
            raise EventsError(
                f"{where}: unknown field {extra[0]!r}; allowed: t, conditions, observe, note"
            )
        if len(kinds) != 1:
            raise EventsError(f"{where}: expected exactly one of 'conditions' or 'observe'")
        event: dict[str, Any] = {"line": number, "t": float(t)}
        if kinds[0] == "conditions":
            event["conditions"] = check_conditions(
                obj["conditions"], f"{where}: conditions", error=EventsError
            )
        else:
            obs = obj["observe"]
            if not isinstance(obs, dict):
                raise EventsError(f"{where}: observe: expected an object")
            unknown = sorted(set(obs) - {"latency_ms", "design"})
            if unknown:
                raise EventsError(
                    f"{where}: observe.{unknown[0]}: unknown field; allowed: latency_ms, design"
                )
            lat = obs.get("latency_ms")
            if not isinstance(lat, int | float) or isinstance(lat, bool) or not lat > 0:
                raise EventsError(f"{where}: observe.latency_ms: expected a positive number")
            design = obs.get("design")
            if design is not None and not isinstance(design, str):
                raise EventsError(f"{where}: observe.design: expected a design id string")
            event["observe"] = {"latency_ms": float(lat), "design": design}
        events.append(event)
    return events


def read_events(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read and validate an events file (see :func:`parse_events`).

    Only a regular UTF-8 file of at most :data:`MAX_FILE_BYTES` (16 MiB) is read: a FIFO,
    a device or a larger file is refused without blocking or reading it whole.

    Raises:
        EventsError: naming the file (and line) and what is wrong.
    """
    name = os.fspath(path)
    text = read_text(name, what="events file", error=EventsError)
    return parse_events(text.splitlines(), source=name)


def replay(
    switcher: Switcher, events: list[dict[str, Any]], *, source: str = "events"
) -> list[dict]:
    """Run ``events`` through ``switcher`` and return one record per event.

    Each record holds ``t``, ``line``, ``event`` (``conditions`` or ``observe``),
    the event's payload, ``design``, ``meets_slo``, ``changed``, ``reason`` and the
    monitor's ``monitor_slowdown``.

    Raises:
        EventsError: When an observation names a design the plan does not hold.
    """
    records = []
    previous = switcher.current.design_id if switcher.current else None
    for event in events:
        if "conditions" in event:
            decision = switcher.select(event["conditions"])
            kind, payload = "conditions", event["conditions"]
        else:
            obs = event["observe"]
            if obs["design"] is not None:
                try:
                    switcher.design(obs["design"])
                except KeyError:
                    raise EventsError(
                        f"{source}:{event['line']}: observe.design: unknown design id {obs['design']!r}"
                    ) from None
            decision = switcher.observe(obs["design"], obs["latency_ms"])
            kind, payload = "observe", {k: v for k, v in obs.items() if v is not None}
        records.append(
            {
                "t": event["t"],
                "line": event["line"],
                "event": kind,
                kind: payload,
                "design": decision.design_id,
                "meets_slo": decision.meets_slo,
                "changed": decision.design_id != previous,
                "reason": decision.reason,
                "monitor_slowdown": {p: round(f, 6) for p, f in switcher.monitor_slowdown.items()},
            }
        )
        previous = decision.design_id
    return records
