"""SLO specs: YAML -> validated :class:`Spec`."""

from carin.spec._model import (
    AGGREGATES,
    Anticipate,
    Constraint,
    Metric,
    Objective,
    Spec,
    Task,
)
from carin.spec._parse import load_spec, parse_spec

__all__ = [
    "AGGREGATES",
    "Anticipate",
    "Constraint",
    "Metric",
    "Objective",
    "Spec",
    "Task",
    "load_spec",
    "parse_spec",
]
