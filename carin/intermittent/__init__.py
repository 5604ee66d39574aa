"""Intermittent (batteryless) devices: traces, device model, layer costs, CMs, simulation.

See docs/intermittent.md for the models and equations.
"""

from __future__ import annotations

from carin.intermittent.cm import CM_NAMES, CODES, Atoms, CMError, compile_plan, validate_plan
from carin.intermittent.device import Device, DeviceError
from carin.intermittent.layers import Layer, LayerCosts, LayerError, LayerTable, load_layers
from carin.intermittent.traces import (
    Trace,
    TraceError,
    TraceReport,
    load_mementos,
    load_react,
    load_solar,
    load_trace,
)

__all__ = [
    "Atoms",
    "CMError",
    "CM_NAMES",
    "CODES",
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
    "load_trace",
    "validate_plan",
]
