"""Importers: turn published measurements into canonical profile tables.

Each importer is one module in this package (modules whose name starts with
``_`` are private helpers). The ``carin import`` command discovers them, so a
new source is a new file and nothing else changes. A module defines:

``NAME: str``
    The sub-command name, e.g. ``"aihub"`` (``carin import aihub ...``).
``HELP: str``
    One line shown by ``carin import --help``.
``add_arguments(parser: argparse.ArgumentParser) -> None``
    Adds the importer's own arguments (usually a positional input path).
    ``-o/--output`` is added by the command and must not be added here.
``import_table(args: argparse.Namespace) -> pandas.DataFrame``
    Reads the input and returns one row per measured configuration in the
    canonical columns of :mod:`carin.profiles` (``model``, ``precision``,
    ``processor`` and optional keys; metrics in base units such as
    ``latency_ms``, ``memory_mb``, ``accuracy`` in percent). Unmeasured values
    are NaN, never zero. Bad input (missing path, unparseable file) raises
    :class:`carin.errors.ProfileError` (or another ``CarinError``) whose
    message names the file and what is wrong.

Optionally the returned frame may carry ``frame.attrs["skipped"]``, a dict of
``reason -> count`` that the command prints so a user sees what was left out.

The command validates the frame with :func:`carin.profiles.validate_profiles`
and writes it with :func:`carin.profiles.write_profiles`, so importers need not
sort, round or write anything themselves.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__all__ = ["discover_importers"]

_REQUIRED = ("NAME", "HELP", "add_arguments", "import_table")


def discover_importers() -> dict[str, ModuleType]:
    """Import every importer module of this package.

    Returns:
        Importer modules by their ``NAME``, sorted by name.

    Raises:
        TypeError: A module lacks part of the interface (a programming error).
    """
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        missing = [attr for attr in _REQUIRED if not hasattr(module, attr)]
        if missing:
            raise TypeError(f"importer module {module.__name__} lacks {', '.join(missing)}")
        found[module.NAME] = module
    return dict(sorted(found.items()))
