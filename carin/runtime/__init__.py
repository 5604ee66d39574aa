"""Runtime switcher for carin plans; imports only the Python standard library.

Copy this folder into an app (any package name works: imports inside it are
relative) to pick designs of a ``carin-plan/1`` plan as conditions change::

    from carin.runtime import Switcher

    switcher = Switcher.from_file("plan.json")
    decision = switcher.select({"unavailable": ["npu"], "slowdown": {"cpu": 1.5}})
    run(decision.design)
    switcher.observe(decision.design_id, measured_latency_ms)

``Switcher.from_file`` and ``read_events`` read only regular UTF-8 files of at most
``MAX_FILE_BYTES`` (16 MiB). See ``docs/plan-format.md`` (plan, conditions, drift
monitor, events, conformance vectors).
"""

from __future__ import annotations

from ._errors import CarinError, EventsError, PlanError
from ._model import DesignModel
from ._monitor import MonitorConfig, SlowdownFilter
from ._read import MAX_FILE_BYTES
from ._replay import parse_events, read_events, replay
from ._switcher import Decision, Switcher, validate_plan
from ._validate import CONDITION_KEYS, PLAN_FORMAT, check_conditions

__all__ = [
    "CONDITION_KEYS",
    "MAX_FILE_BYTES",
    "PLAN_FORMAT",
    "CarinError",
    "Decision",
    "DesignModel",
    "EventsError",
    "MonitorConfig",
    "PlanError",
    "SlowdownFilter",
    "Switcher",
    "check_conditions",
    "parse_events",
    "read_events",
    "replay",
    "validate_plan",
]
