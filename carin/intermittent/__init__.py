"""Intermittent (batteryless) devices: traces, device model, layer costs, CMs, simulation.

See docs/intermittent.md for the models and equations.
"""

from __future__ import annotations

from carin.intermittent.analytical import (
    CycleStats,
    Replay,
    cycle_stats,
    expected_energy,
    expected_latency,
    predict,
    replay,
)
from carin.intermittent.cm import CM_NAMES, CODES, Atoms, CMError, compile_plan, validate_plan
from carin.intermittent.device import Device, DeviceError
from carin.intermittent.joint import Config, joint_search
from carin.intermittent.layers import Layer, LayerCosts, LayerError, LayerTable, load_layers
from carin.intermittent.multitask import MultiSimulator, TaskSetResults
from carin.intermittent.policies import EDF, FixedPriority, IntermittenceAware, Policy
from carin.intermittent.search import best_plan, brute_force_plan
from carin.intermittent.simulator import JobResults, SimError, Simulator, simulate
from carin.intermittent.tasks import Task, TaskSet, TaskSetError, load_taskset
from carin.intermittent.traces import (
    Trace,
    TraceError,
    TraceReport,
    load_mementos,
    load_power_csv,
    load_react,
    load_solar,
    load_trace,
    write_power_csv,
)

__all__ = [
    "Atoms",
    "Config",
    "EDF",
    "FixedPriority",
    "IntermittenceAware",
    "MultiSimulator",
    "Policy",
    "Task",
    "TaskSet",
    "TaskSetError",
    "TaskSetResults",
    "joint_search",
    "load_taskset",
    "CMError",
    "CM_NAMES",
    "CODES",
    "CycleStats",
    "Replay",
    "predict",
    "replay",
    "JobResults",
    "SimError",
    "Simulator",
    "best_plan",
    "brute_force_plan",
    "cycle_stats",
    "expected_energy",
    "expected_latency",
    "simulate",
    "Device",
    "DeviceError",
    "Layer",
    "LayerCosts",
    "LayerError",
    "LayerTable",
    "Trace",
    "TraceError",
    "TraceReport",
    "compile_plan",
    "load_layers",
    "load_mementos",
    "load_react",
    "load_solar",
    "load_power_csv",
    "load_trace",
    "write_power_csv",
    "validate_plan",
]
