"""Profile tables: measured configurations in canonical columns, loaded and validated.

A profile table has one row per measured configuration. Key columns
(:data:`KEY_COLUMNS`) name the configuration; ``model``, ``precision`` and
``processor`` are required. Every other column is a numeric metric in base
units named by its suffix (:data:`KNOWN_METRICS`); an empty cell means "not
measured" and later makes a configuration infeasible, never zero.

Importers that turn published measurements into this shape live in
:mod:`carin.profiles.importers`.
"""

from __future__ import annotations

from carin.profiles._columns import KEY_COLUMNS, KNOWN_METRICS, REQUIRED_KEYS
from carin.profiles._io import check_table_path, load_profiles, write_profiles
from carin.profiles._table import ProfileTable
from carin.profiles._validate import validate_profiles

__all__ = [
    "KEY_COLUMNS",
    "KNOWN_METRICS",
    "REQUIRED_KEYS",
    "ProfileTable",
    "check_table_path",
    "load_profiles",
    "validate_profiles",
    "write_profiles",
]
