"""A solve's output folder, replaced as one set: a kill at any instant loses nothing.

The folder ``out/NAME`` stays an ordinary folder holding ``summary.json``,
``plan.json``, ``pareto.csv`` and ``manifest.json`` (the SHA-256 of each of the
others). A write goes through three states, and a process killed at any instant
leaves the folder in one of them:

1. **Staging.** The new files are written and flushed into a private folder
   ``out/NAME/.carin-staging-PID-XXXX``. The old set is untouched; readers never look
   at staging folders, and the next writer removes those of dead writers.
2. **Committed.** The complete staging folder is renamed to ``out/NAME/.carin-commit``:
   one atomic rename, the instant the new set replaces the old one. From here on
   every reader and writer takes the new set: a reader that finds a commit folder
   first finishes installing it (or, without the right to write, reads the new set
   where it lies).
3. **Installing** (finishing). The old ``manifest.json`` is removed, each new file is
   renamed into place, files of the old set the new one lacks are removed (an
   infeasible solve has no plan.json or pareto.csv), the new manifest is renamed in
   last and the commit folder is removed. Every step can be redone after a kill, so
   whoever comes next (writer or reader) just runs the rest.

Writers and readers that finish an install hold an exclusive ``flock`` on
``out/NAME/.carin-lock``; readers hold a shared one while reading, so they never see
a live install half-done. Files of the folder that are not result files (a user's
notes, ``front.png`` from ``carin plot``) are never touched, the folder itself is
never moved (a shell inside it, a mount point or a watcher keeps working), and a
folder an older carin wrote (no manifest) keeps its files until a new set is
committed. Readers still check every file against the manifest, so files that do
not belong to one solve (one copied in by hand, say) are refused, never mixed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from carin._files import (
    MAX_TEXT_BYTES,
    _umask,
    check_output_path,
    decode_text,
    loads_json,
)
from carin.errors import CarinError

try:  # POSIX; elsewhere writers and readers go without locks
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["check_result_file", "load_result_dir", "write_result_dir"]

#: The files of a result folder, and the manifest that ties them to one solve.
RESULT_FILES = ("summary.json", "plan.json", "pareto.csv")
MANIFEST = "manifest.json"
RESULT_FORMAT = "carin-result/1"
_STAGING = ".carin-staging-"
_COMMIT = ".carin-commit"
_LOCK = ".carin-lock"


def json_bytes(obj: Any) -> bytes:
    """``obj`` as carin writes JSON: indented, sorted keys, UTF-8, no NaN."""
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as carin writes CSV, floats in full (the shortest text that reads back)."""
    # values are the floats nearest the exact decimals, so they print as written
    # (13.9, not 13.900000000000002)
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


# -- locks -------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(folder: Path, *, exclusive: bool, create: bool) -> Iterator[int | None]:
    """Hold ``folder/.carin-lock`` (exclusive for installs, shared for reads).

    Yields the lock's file descriptor, or None when there is no lock to take (no
    ``fcntl``, a folder no new carin has written into, a file system without locks):
    the protocol is then still safe against kills, only not against a write and a
    read at the same instant.
    """
    fd = None
    if fcntl is not None:
        path = folder / _LOCK
        try:
            if create:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
            else:
                fd = os.open(path, os.O_RDONLY)
        except OSError:
            if create:
                raise
            fd = None
        if fd is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            except OSError:  # e.g. a file system without flock
                os.close(fd)
                fd = None
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock


def _fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable (where the platform allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


# -- writing -----------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _remove_staging(out: Path, *, locked: bool) -> None:
    """Remove staging folders of writers that died before committing.

    Under the lock every staging folder is a dead writer's (writers stage only while
    holding it); without a lock, only those whose process is gone.
    """
    for entry in out.glob(f"{_STAGING}*"):
        pid_text = entry.name[len(_STAGING) :].split("-", 1)[0]
        dead = locked or (pid_text.isdigit() and not _alive(int(pid_text)))
        if dead and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)


def _write_file(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~_umask())
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _pending_manifest(folder: Path) -> dict[str, str] | None:
    """The file hashes of a committed set not yet installed (None: nothing pending)."""
    path = folder / _COMMIT / MANIFEST
    if not path.is_file():
        return None
    return _parse_manifest(path, path.read_bytes())


def _finish(folder: Path) -> None:
    """Install a committed set left by a writer (this one, or one that was killed).

    Every step can be redone, so a kill at any point only leaves steps for the next
    call. Caller holds the exclusive lock (or there is none to take).
    """
    commit = folder / _COMMIT
    if not commit.is_dir() or commit.is_symlink():
        return
    manifest = _pending_manifest(folder)
    if manifest is not None:
        # readers unaware of the commit folder (an older carin) refuse the folder
        # until the new manifest is in
        (folder / MANIFEST).unlink(missing_ok=True)
        for name in RESULT_FILES:
            if name not in manifest:
                (folder / name).unlink(missing_ok=True)
            elif (commit / name).exists():
                os.replace(commit / name, folder / name)
        os.replace(commit / MANIFEST, folder / MANIFEST)
        _fsync_dir(folder)
    # what is left is empty or holds no manifest: the next call removes it if this fails
    shutil.rmtree(commit, ignore_errors=True)


def write_result_dir(
    out_dir: str | Path,
    *,
    summary: dict[str, Any],
    plan: dict[str, Any] | None = None,
    pareto: pd.DataFrame | None = None,
) -> Path:
    """Replace a result folder's files as one set, tied together by ``manifest.json``.

    The new set is written completely beside the old one, then committed with one
    atomic rename and installed (see the module docstring): a process killed at any
    instant leaves the complete old set or the complete new one, as every reader
    sees it, and files of the old set that the new one lacks are removed. Other
    files in the folder are left alone.

    Returns:
        The folder.

    Raises:
        OSError: The folder cannot be written; it then holds the old set (or the new
            one, when the failure came after the commit).
    """
    out = Path(out_dir)
    check_output_path(out, folder=True)
    files: dict[str, bytes] = {"summary.json": json_bytes(summary)}
    if plan is not None:
        files["plan.json"] = json_bytes(plan)
    if pareto is not None:
        files["pareto.csv"] = csv_bytes(pareto)
    manifest = {
        "format": RESULT_FORMAT,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    files[MANIFEST] = json_bytes(manifest)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with _locked(out, exclusive=True, create=True) as fd:
            _finish(out)  # an earlier writer's commit first: it is the current set
            _remove_staging(out, locked=fd is not None)
            staging = out / f"{_STAGING}{os.getpid()}-{os.urandom(4).hex()}"
            os.mkdir(staging, 0o777 & ~_umask())
            try:
                for name, data in files.items():
                    _write_file(staging / name, data)
                _fsync_dir(staging)
                os.rename(staging, out / _COMMIT)  # the new set replaces the old here
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            _fsync_dir(out)
            _finish(out)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror or str(exc), str(out)) from None
    return out


# -- reading -----------------------------------------------------------------------------


def _mixed(folder: Path, detail: str) -> CarinError:
    return CarinError(
        f"{folder}: the files do not belong to one solve ({detail}); a write was interrupted, "
        "or a file was changed or copied in since. Re-run 'carin solve' for this folder."
    )


def _parse_manifest(path: Path, data: bytes) -> dict[str, str]:
    text = decode_text(data, path, what="result manifest")
    manifest = loads_json(text, path, what="result manifest")
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if (
        not isinstance(manifest, dict)
        or manifest.get("format") != RESULT_FORMAT
        or not isinstance(files, dict)
        or "summary.json" not in files
        or any(n not in RESULT_FILES or not isinstance(h, str) for n, h in files.items())
    ):
        raise CarinError(
            f"{path}: not a {RESULT_FORMAT} manifest (expected format and files with the "
            "SHA-256 of summary.json and optionally plan.json, pareto.csv)"
        )
    return files


def _read_bytes(path: Path) -> bytes:
    size = path.stat().st_size  # FileNotFoundError for the caller
    if not path.is_file():
        raise CarinError(f"{path}: not a regular file")
    if size > MAX_TEXT_BYTES:
        raise CarinError(f"{path}: larger than {MAX_TEXT_BYTES:,} bytes")
    return path.read_bytes()


def _current_set(folder: Path) -> dict[str, bytes]:
    """The bytes of each file of the folder's current set, checked against its manifest.

    A committed set not yet installed (the writer was killed, and this reader may not
    finish the install) is read where it lies: each file from the commit folder, or
    from the folder once it was moved there.
    """
    commit = folder / _COMMIT
    pending = commit.is_dir() and (commit / MANIFEST).is_file()

    def where(name: str) -> Path:
        return commit / name if pending and (commit / name).exists() else folder / name

    mpath = where(MANIFEST)
    try:
        mdata = _read_bytes(mpath)
    except FileNotFoundError:
        if any((folder / n).exists() for n in RESULT_FILES):
            raise _mixed(
                folder,
                f"no {MANIFEST}: a folder from a carin older than the manifest, or files "
                "copied in by hand",
            ) from None
        raise CarinError(
            f"{folder}: no summary.json; is this the --out folder of 'carin solve'?"
        ) from None
    manifest = _parse_manifest(mpath, mdata)
    out: dict[str, bytes] = {}
    for name in RESULT_FILES:
        path = where(name)
        if name not in manifest:
            # a pending install removes such files; otherwise they do not belong
            if not pending and (path.exists() or path.is_symlink()):
                raise _mixed(folder, f"{name} is not part of the solve {MANIFEST} records")
            continue
        try:
            data = _read_bytes(path)
        except FileNotFoundError:
            raise _mixed(folder, f"{name} is missing") from None
        if hashlib.sha256(data).hexdigest() != manifest[name]:
            raise _mixed(folder, f"{name} is not the one {MANIFEST} records")
        out[name] = data
    return out


def _read_set(folder: Path) -> dict[str, bytes]:
    """Finish an interrupted install if there is one and this process may, then read."""
    with _locked(folder, exclusive=False, create=False) as fd:
        if (folder / _COMMIT).is_dir():
            if fd is not None and fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # the install writes: exclusive
            with contextlib.suppress(OSError):  # no right to write: read it where it lies
                _finish(folder)
        return _current_set(folder)


def check_result_file(path: str | Path) -> None:
    """Refuse a file of a result folder that does not belong with the folder's other files.

    For ``carin switch PLAN.json``: a plan that lies in a ``carin solve`` output folder
    must be the one its ``manifest.json`` records (an interrupted write is finished
    first). A plan anywhere else (copied into an app, say) is not checked.

    Raises:
        CarinError: naming the folder and what does not match.
    """
    p = Path(path)
    folder = p.parent
    if p.name not in RESULT_FILES:
        return
    markers = (MANIFEST, "summary.json", _COMMIT)
    if not any((folder / m).exists() for m in markers):
        return  # not in a result folder
    data = _read_set(folder)
    if p.name not in data:
        try:
            summary = json.loads(data.get("summary.json", b"null"))
        except ValueError:
            summary = None
        if not p.exists() and isinstance(summary, dict) and summary.get("feasible") is False:
            raise CarinError(
                f"{p}: no such file: the solve that wrote {folder} found no feasible design, "
                f"so it has no {p.name}; 'carin show {folder}' lists the nearest misses"
            )
        raise _mixed(folder, f"{p.name} is not part of the solve {MANIFEST} records")


def _summary_problem(summary: Any) -> str | None:
    """What is wrong with the shape of a decoded summary.json (None when nothing is)."""
    if not isinstance(summary, dict):
        return "expected a JSON object"
    if not isinstance(summary.get("name"), str):
        return "name: expected text"
    if not isinstance(summary.get("feasible", True), bool):
        return "feasible: expected true or false"
    if summary.get("spec") is not None and not isinstance(summary["spec"], str):
        return "spec: expected a path or null"
    if not summary.get("feasible", True):
        misses = summary.get("nearest_misses", [])
        if not isinstance(misses, list):
            return "nearest_misses: expected a list"
        for i, m in enumerate(misses):
            if not isinstance(m, dict) or not isinstance(m.get("design"), str):
                return f"nearest_misses[{i}]: expected an object with a design"
            broken = m.get("broken")
            if not isinstance(broken, list) or not all(
                isinstance(b, dict)
                and isinstance(b.get("constraint"), str)
                and all(isinstance(b.get(k), int | float) for k in ("value", "by"))
                for b in broken
            ):
                return f"nearest_misses[{i}].broken: expected constraints with value and by"
        return None
    for key in ("pareto_designs", "raw_designs"):
        if not isinstance(summary.get(key), int) or isinstance(summary.get(key), bool):
            return f"{key}: expected a whole number"
    for key in ("objectives", "constraints"):
        value = summary.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{key}: expected a list of text"
    if not isinstance(summary.get("solver"), str):
        return "solver: expected text"
    return None


def load_result_dir(path: str | Path) -> dict[str, Any]:
    """Read a solve's output folder (``summary.json``, ``plan.json``, ``pareto.csv``).

    Only a folder whose files are the set one solve wrote is read: each file must
    match the SHA-256 that ``manifest.json`` records (see :func:`write_result_dir`);
    a write that was interrupted after its commit is finished first. Each file is
    then decoded and checked for the shape the reports rely on.

    Raises:
        CarinError: naming the folder or file and what is wrong; never a traceback for
            a damaged, mixed or foreign folder.
    """
    from carin.errors import PlanError
    from carin.runtime import validate_plan

    p = Path(path)
    if not p.is_dir():
        if p.exists():  # a spec or a plan given where its result folder belongs
            hint = (
                f"; solve it first ('carin solve {p}') and give its --out folder"
                if p.suffix.lower() in (".yaml", ".yml")
                else f"; give the folder that holds it ({p.parent})"
                if p.name in RESULT_FILES
                else ""
            )
            raise CarinError(f"{p}: is a file, not the --out folder of a 'carin solve' run{hint}")
        raise CarinError(f"{p}: no such folder; give the --out folder of a 'carin solve' run")
    data = _read_set(p)
    out: dict[str, Any] = {"plan.json": None}
    for name in ("summary.json", "plan.json"):
        if name in data:
            text = decode_text(data[name], p / name, what="result file")
            out[name] = loads_json(text, p / name, what="result file")
    problem = _summary_problem(out["summary.json"])
    if problem:
        raise CarinError(f"{p / 'summary.json'}: {problem}")
    if out["plan.json"] is not None:
        try:
            validate_plan(out["plan.json"])
        except PlanError as exc:
            raise CarinError(f"{p / 'plan.json'}: {exc}") from None
    out["pareto.csv"] = None
    if "pareto.csv" in data:
        out["pareto.csv"] = _read_pareto(data["pareto.csv"], p / "pareto.csv")
    return out


def _read_pareto(data: bytes, path: Path) -> pd.DataFrame:
    import io

    text = decode_text(data, path, what="result file")
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (ValueError, pd.errors.ParserError) as exc:
        raise CarinError(f"{path}: not a readable CSV table ({exc})") from None
    if "rank" not in frame.columns:
        raise CarinError(f"{path}: no 'rank' column; not a pareto.csv of 'carin solve'")
    return frame
