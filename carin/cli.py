"""The ``carin`` command: a thin layer that parses arguments, calls the API and prints.

Each sub-command lives in its own module in :mod:`carin.commands` and exposes
``HELP`` (one line) and ``register(subparsers)``; modules are discovered, so adding
a command never edits this file. Only the command being run is registered (the
others are listed by their ``HELP``), and command modules import numpy, pandas and
the rest of carin inside their functions, so ``carin --help`` and ``carin
--version`` start in a fraction of a second.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import re
import sys

from carin.errors import CarinError


def _commands() -> dict[str, str]:
    """Command name -> module name (``import`` is module ``import_``)."""
    import carin.commands as commands

    names = [i.name for i in pkgutil.iter_modules(commands.__path__) if not i.name.startswith("_")]
    return {name.rstrip("_"): name for name in sorted(names)}


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, except that the examples under a command keep their lines."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """Build the argument parser.

    Args:
        argv: The arguments about to be parsed. The command they name is registered
            with all its options; the other commands are listed by name and help line.
            ``None`` registers every command fully.
    """
    from carin import __version__

    parser = argparse.ArgumentParser(
        prog="carin",
        description="Decide how to deploy DNNs on a device from measured profiles and SLOs.",
        epilog=_EPILOG,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="version", version=f"carin {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    commands = _commands()
    wanted = None
    if argv is not None:
        wanted = next((a for a in argv if not a.startswith("-")), "")
    for name, module_name in commands.items():
        module = importlib.import_module(f"carin.commands.{module_name}")
        if wanted is None or wanted == name:
            module.register(sub)
            command = sub.choices[name]
            command.epilog = getattr(module, "EXAMPLES", None)
            command.formatter_class = _Formatter
        else:
            sub.add_parser(name, help=module.HELP)
    return parser


_EPILOG = """\
examples:
  carin solve spaces/phone-classifier.yaml        # writes out/phone-classifier/
  carin show out/phone-classifier --sort latency_ms
  carin explain out/phone-classifier
  carin plot out/phone-classifier -o front.png
  carin switch out/phone-classifier/plan.json --events examples/events/phone-classifier.jsonl

'carin COMMAND --help' describes a command's options, with examples."""


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``; an unknown option is reported with the usage of the command given.

    Plain ``parse_args`` reports it with the top-level usage (``carin [-h] COMMAND``),
    which does not show the options the command does take.
    """
    args, extra = parser.parse_known_args(argv)
    if extra:
        owner = parser
        while True:  # the innermost (sub-)command that was named: carin import aihub ...
            action = next(
                (a for a in owner._actions if isinstance(a, argparse._SubParsersAction)), None
            )
            name = getattr(args, action.dest, None) if action is not None else None
            if name not in (action.choices if action is not None else {}):
                break
            owner = action.choices[name]
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


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
    found nothing although feasible designs exist; 130 interrupted; 141 the reader of
    the output went away (``carin show DIR | head``), quietly, as a process that
    SIGPIPE ends.
    """
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = _parse(parser, argv)
    try:
        code = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        return 141
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


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
