"""The ``$ `` commands of a markdown text's console blocks and the lines shown under them."""

from __future__ import annotations

import re


def console_runs(text: str) -> list[tuple[str, list[str]]]:
    """``(command, shown lines)`` for each ``$ `` line of the text's ```` ```console ```` blocks.

    A command ending in ``\\`` continues on the next line (joined with one space), and a
    heredoc (``<<'END'`` ... ``END``) belongs to its command, newlines kept; the other
    lines up to the next ``$ `` or the end of the block, less trailing empty ones, are
    what the text shows it print.
    """
    runs: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        command: str | None = None
        shown: list[str] = []
        heredoc: str | None = None
        for line in block.split("\n"):
            if command is not None and heredoc is not None:
                command += "\n" + line
                heredoc = None if line.strip() == heredoc else heredoc
            elif command is not None and not shown and command.endswith("\\"):
                command = command[:-1] + " " + line.strip()
            elif line.startswith("$ "):
                if command is not None:
                    runs.append((command, shown))
                command, shown = line[2:], []
                m = re.search(r"<<'?(\w+)'?", line)
                heredoc = m.group(1) if m else None
            elif command is not None:
                shown.append(line)
        if command is not None:
            runs.append((command, shown))
    return [(command, _trimmed(shown)) for command, shown in runs]


def _trimmed(lines: list[str]) -> list[str]:
    while lines and lines[-1] == "":
        lines = lines[:-1]
    return lines


def console_commands(text: str) -> list[str]:
    """The commands of :func:`console_runs`."""
    return [command for command, _ in console_runs(text)]
