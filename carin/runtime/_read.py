"""Bounded reading of the files the runtime loads (plans, events); standard library only.

An app hands :meth:`Switcher.from_file` or :func:`read_events` a path it may not
control. Only a regular file is read: a FIFO would block the reading thread until
some other process writes to it, and ``/dev/zero`` or ``/dev/urandom`` never end.
The file may hold at most :data:`MAX_FILE_BYTES` (16 MiB; a plan of the example
specs is a few KB, and one of thousands of designs a few MB), and must be UTF-8
text without NUL bytes. Every refusal raises the caller's error class with a
message that starts with the file name. ``carin``'s own command-line readers use
the same functions with their own limits.
"""

from __future__ import annotations

import codecs
import json
import os
import stat
from typing import Any

__all__ = ["MAX_FILE_BYTES", "decode_text", "parse_json", "read_text"]

#: Largest plan or events file the runtime reads, in bytes (16 MiB).
MAX_FILE_BYTES = 16 * 1024 * 1024

_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device or socket"


def read_text(
    path: str | os.PathLike[str],
    *,
    what: str,
    error: type[Exception],
    limit: int = MAX_FILE_BYTES,
) -> str:
    """Read a UTF-8 text file of at most ``limit`` bytes, refusing anything else.

    The file is checked before it is opened and again, on the open descriptor, after
    it is opened without blocking, so a FIFO put in its place in between is refused
    too rather than waited on.

    Args:
        path: The file.
        what: What the file is, for messages (``plan``, ``events file``).
        error: The exception class to raise.
        limit: Largest size in bytes.

    Returns:
        The decoded text (a UTF-8 byte-order mark is dropped).

    Raises:
        error: naming the file and what is wrong: missing, not a regular file (a folder,
            a FIFO, a device or a socket), larger than ``limit``, binary, or not UTF-8.
    """
    name = os.fspath(path)
    try:
        st = os.stat(name)
    except FileNotFoundError:
        raise error(f"{name}: no such file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL character in the path
        raise error(
            f"{name}: cannot read {what} ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{name}: is a folder, expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise error(
            f"{name}: is {_kind(st.st_mode)}, not a regular file; give a {what} saved to disk"
        )
    if st.st_size > limit:
        raise error(f"{name}: {st.st_size:,} bytes; a {what} may have at most {limit:,}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise error(f"{name}: cannot read {what} ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):  # replaced since the check above
            raise error(
                f"{name}: is {_kind(mode)}, not a regular file; give a {what} saved to disk"
            )
        chunks = []
        size = 0
        while size <= limit:  # the file may grow after stat: read at most limit + 1 bytes
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise error(f"{name}: cannot read {what} ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if size > limit:
        raise error(f"{name}: more than {limit:,} bytes; a {what} may have at most {limit:,}")
    return decode_text(b"".join(chunks), name, what=what, error=error)


def decode_text(data: bytes, source: Any, *, what: str, error: type[Exception]) -> str:
    """Decode UTF-8 bytes read from ``source``; refuse binary data and other encodings.

    Raises:
        error: ``source:line: ...`` naming the encoding (a UTF-16/32 byte-order mark),
            the offset of a NUL byte, or the first byte that is not UTF-8.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            raise error(f"{source}: the {what} is {encoding}-encoded; save it as UTF-8")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise error(
            f"{source}:{line}: binary data (a NUL byte at offset {nul}); the {what} must be "
            "UTF-8 text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{source}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}; Latin-1 or another encoding?); save the {what} as UTF-8"
        ) from None


def parse_json(
    text: str, source: str, *, what: str, error: type[Exception], one_line: bool = False
) -> Any:
    """Parse JSON text read from ``source``.

    Args:
        text: The JSON text.
        source: The file, or with ``one_line`` the ``file:line`` of a JSON Lines line.
        what: What the text is, for messages.
        error: The exception class to raise.
        one_line: ``text`` is one line of a file: a syntax error gives its column.

    Raises:
        error: ``source:line:column: not valid JSON (...)`` for a syntax error
            (``source: not valid JSON (... at column N)`` with ``one_line``), and
            ``source: ...`` when the JSON nests too deeply for the parser or holds an
            integer of thousands of digits.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if one_line:
            raise error(f"{source}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        raise error(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise error(f"{source}: JSON nested too deeply; not a {what}") from None
    except ValueError as exc:  # int() refuses integers of more than 4,300 digits
        raise error(f"{source}: not a {what} ({exc})") from None
