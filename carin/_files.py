"""Reading and writing user files safely: decoded and bounded reads, atomic writes.

Every reader of a user-facing file goes through :func:`read_text`, which refuses
what is not a regular file (a FIFO would block, ``/dev/zero`` never ends), files
larger than a limit, binary data and text that is not UTF-8 (naming the encoding
when it can tell), so a caller only ever sees a decoded string. Every writer goes
through :func:`atomic_write`: a temporary file beside the target, flushed, then
renamed over it; errors name the target, never the temporary file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from carin.errors import CarinError
from carin.runtime._read import decode_text as _decode_text
from carin.runtime._read import read_text as _read_text

__all__ = [
    "MAX_TEXT_BYTES",
    "MAX_JSON_DEPTH",
    "atomic_write",
    "check_output_path",
    "decode_text",
    "huge_number",
    "loads_json",
    "read_text",
]

#: Largest text file a reader accepts (specs, plans, events, result files).
MAX_TEXT_BYTES = 64 * 1024 * 1024
#: Deepest nesting of JSON a reader accepts (carin's own files nest 6 levels).
MAX_JSON_DEPTH = 64


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def read_text(
    path: str | Path,
    *,
    what: str = "file",
    error: type[Exception] = CarinError,
    limit: int = MAX_TEXT_BYTES,
) -> str:
    """Read a UTF-8 text file, refusing anything a person would not call one.

    The runtime's bounded reader (:func:`carin.runtime._read.read_text`) with the
    command line's defaults: :class:`CarinError` and at most :data:`MAX_TEXT_BYTES`.

    Raises:
        error: naming the file and what is wrong: missing, a folder, not a regular
            file, too large, binary, or not UTF-8 (with the byte offset).
    """
    return _read_text(path, what=what, error=error, limit=limit)


def decode_text(
    data: bytes, source: Any, *, what: str = "file", error: type[Exception] = CarinError
) -> str:
    """Decode UTF-8 bytes read from ``source``; refuse binary data and other encodings."""
    return _decode_text(data, source, what=what, error=error)


def _deepest(text: str, limit: int) -> int:
    """Deepest bracket nesting outside strings (a scan, so it never recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_json(
    text: str,
    source: Any,
    *,
    what: str = "file",
    error: type[Exception] = CarinError,
    max_depth: int = MAX_JSON_DEPTH,
    one_line: bool = False,
) -> Any:
    """Parse JSON text, naming ``source`` and the line of a syntax error.

    Nesting deeper than ``max_depth`` is refused before parsing (Python's parser
    recurses), and so are NaN/Infinity literals, which are not JSON. With
    ``one_line`` (a JSON Lines line, ``source`` naming it) errors give the column.
    """
    if text.count("[") + text.count("{") > max_depth:  # only then can it nest too deep
        if _deepest(text, max_depth) > max_depth:
            raise error(f"{source}: JSON nested deeper than {max_depth} levels; not a {what}")

    def _constant(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    try:
        obj = json.loads(text, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        if one_line:  # ``source`` names the line already
            raise error(f"{source}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        raise error(
            f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg}); a {what} is JSON"
        ) from None
    except ValueError as exc:  # NaN/Infinity, or an integer too long to convert
        raise error(f"{source}: {exc}") from None
    except RecursionError:
        raise error(f"{source}: JSON nested too deeply; not a {what}") from None
    if "\\u" in text:  # "\ud800" escapes decode to lone surrogates, which cannot be printed
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise error(
                f"{source}: text holds an escaped lone surrogate (\\ud800-\\udfff), which is "
                "not a Unicode character"
            ) from None
    return obj


def huge_number(obj: Any, where: str = "") -> str | None:
    """The path of the first integer in decoded JSON too large for a float (None: none).

    Python reads ``1`` followed by 400 zeros as an exact integer, which then overflows
    wherever it meets a float; readers refuse it up front, naming the field.
    """
    stack = [(obj, where)]
    while stack:
        value, here = stack.pop()
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > 1.7976931348623157e308:
                return here or "value"
        elif isinstance(value, dict):
            stack.extend((v, f"{here}.{k}" if here else str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{here}[{i}]") for i, v in enumerate(value))
    return None


def check_output_path(path: Path, *, folder: bool) -> None:
    """Refuse an output path that cannot be written as asked, with a clear message.

    A dangling symbolic link (mkdir would say "File exists"), a file where a folder is
    expected (the path itself or a folder above it), or a folder where a file is expected.
    """
    if path.is_symlink() and not path.exists():
        target = os.readlink(path)
        raise CarinError(
            f"{path}: is a symbolic link to {target}, which does not exist; create "
            f"{'the folder' if folder else 'its folder'} or give another path"
        )
    for parent in path.absolute().parents:  # mkdir would say "File exists", "Not a directory"
        if parent.exists() or parent.is_symlink():
            shown = next((p for p in path.parents if p.absolute() == parent), parent)
            if not parent.exists():
                raise CarinError(
                    f"{path}: {shown} is a symbolic link to {os.readlink(parent)}, which does "
                    "not exist; create that folder or give another path"
                )
            if not parent.is_dir():
                raise CarinError(
                    f"{path}: {shown} is a file, not a folder, so nothing can be written "
                    "under it; give another path"
                )
            break
    if folder and path.exists() and not path.is_dir():
        raise CarinError(f"{path}: exists and is not a folder; give a folder path")
    if not folder and path.is_dir():
        raise CarinError(f"{path}: is a folder; give a file path")


def atomic_write(path: str | Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename.

    Raises:
        OSError: with ``filename`` set to ``path`` (never the temporary file).
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
