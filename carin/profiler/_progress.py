"""A plain-text progress bar on stderr (no dependency)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Draw ``[#####.....] 5/10 label`` on one line of a terminal stream.

    On a stream that is not a terminal, one line is printed per step instead, so
    logs stay readable.
    """

    def __init__(self, *, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(int(total), 1)
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.done = 0
        self._start = time.monotonic()
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, done: int, total: int, label: str) -> None:
        """Set the step count (``done`` of ``total``) and redraw."""
        self.total = max(int(total), 1)
        self.done = int(done) - 1
        self.step(label)

    def step(self, label: str) -> None:
        """Count one finished step and redraw."""
        self.done += 1
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self._start
        line = f"[{bar}] {self.done}/{self.total} {elapsed:5.1f}s {label}"
        if self._tty:
            self.stream.write("\r\x1b[K" + line)
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
