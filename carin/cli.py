"""The ``carin`` command: a thin layer that parses arguments, calls the API and prints.

Each sub-command lives in its own module in :mod:`carin.commands` and exposes
``register(subparsers)``; modules are discovered, so adding a command never
edits this file.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys

from carin.errors import CarinError


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every discovered sub-command."""
    import carin.commands as commands

    parser = argparse.ArgumentParser(
        prog="carin",
        description="Decide how to deploy DNNs on a device from measured profiles and SLOs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"carin.commands.{info.name}")
        module.register(sub)
    return parser


_TEMP_NAME = re.compile(r"^\.(?P<target>.+)\.[A-Za-z0-9_]{6,}\.tmp$")


def _target_of(filename: object) -> str:
    """The file a writer meant: ``DIR/.front.png.k2j3h4.tmp`` -> ``DIR/front.png``."""
    path = os.fsdecode(filename) if isinstance(filename, str | bytes) else str(filename)
    head, name = os.path.split(path)
    m = _TEMP_NAME.match(name)
    return os.path.join(head, m["target"]) if m else path


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code.

    0 ok; 2 bad input or an unusable file/folder; 3 nothing feasible; 4 a baseline
    found nothing although feasible designs exist; 130 interrupted.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = args.func(args)
    except CarinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        # a file or folder the command must read or write is not usable
        where = _target_of(exc.filename) if exc.filename is not None else ""
        what = exc.strerror or str(exc)
        print(f"error: {where}: {what}" if where else f"error: {what}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
