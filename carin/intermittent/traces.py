"""Energy-harvesting traces: one :class:`Trace` type and importers for the real trace sets.

A trace holds harvested power in **watts** at uniformly spaced sample times in **seconds**
(``times[i] = t0 + i * dt``); power is taken as constant over each sample interval
``[times[i], times[i] + dt)``. Importers convert each source's units:

* REACT ``rf-*.trace``: header ``sec RSSI,mW`` then ``time_s<TAB>power_mW`` at 50 Hz.
* Mementos ``rf-mementos/<n>.txt``: ``<time> <volts>`` at 1 kHz across a 30 kOhm load,
  so ``P = V**2 / R``. The time field is a wall-clock reading ``HHMMSSmmm`` (hours,
  minutes, seconds, milliseconds written as decimal digits), so a raw difference across a
  minute boundary looks like a 40 s gap; the importer decodes the clock, repairs isolated
  samples whose time is off by a second (a non-monotonic glitch), fills real gaps with
  zero power and lists everything it did in :attr:`Trace.report`.
* NREL solar ``DATE,MST,Global [W/m^2]`` at 1 minute: negative night readings are clipped
  to zero and ``P = irradiance * area * efficiency``.
* carin's own power CSV (``.csv`` or ``.csv.gz``): ``#`` comment lines (name, source,
  licence), a header ``time_s,power_mw``, then one uniformly spaced sample per line.
  :func:`write_power_csv` writes it from any :class:`Trace` (this is how the traces in
  ``spaces/traces/`` were derived), and it is the simplest format for a user's own trace.
"""

from __future__ import annotations

import csv
import datetime as _dt
import gzip
import io
import math
import os
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from carin.errors import CarinError

__all__ = [
    "TraceError",
    "TraceReport",
    "Trace",
    "load_react",
    "load_mementos",
    "load_solar",
    "load_power_csv",
    "load_trace",
    "write_power_csv",
]


#: Most samples a (repeated) trace may hold: 80 MB of float64, hours of a 1 ms trace.
MAX_SAMPLES = 10_000_000


class TraceError(CarinError):
    """An energy trace file is malformed; the message names the file and line."""


@dataclass(frozen=True, kw_only=True)
class TraceReport:
    """What an importer found and repaired in a trace file.

    Attributes:
        source: The file the trace came from.
        samples: Number of data lines read.
        glitches: Lines (1-based) whose timestamp broke monotonicity and was repaired.
        gaps: ``(line, seconds)`` for each real gap in the time axis, filled with zero power.
        clipped: Number of negative samples clipped to zero.
        warnings: Human-readable notes, one per repair kind.
    """

    source: str = ""
    samples: int = 0
    glitches: tuple[int, ...] = ()
    gaps: tuple[tuple[int, float], ...] = ()
    clipped: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Trace:
    """Harvested power over uniformly spaced time.

    Attributes:
        name: Short name (file stem by default, e.g. ``rf-cart``).
        power_w: Harvested power in watts per sample (constant over the sample interval).
        dt: Sample interval in seconds.
        t0: Time of the first sample in seconds.
        report: What the importer repaired.
    """

    name: str
    power_w: np.ndarray
    dt: float
    t0: float = 0.0
    report: TraceReport = field(default_factory=TraceReport)

    def __post_init__(self) -> None:
        p = np.ascontiguousarray(np.asarray(self.power_w, dtype=float))
        if p.ndim != 1 or p.size == 0:
            raise TraceError(f"trace {self.name!r}: power must be a non-empty 1-D array")
        if not np.all(np.isfinite(p)) or np.any(p < 0):
            raise TraceError(f"trace {self.name!r}: power must be finite and >= 0")
        if not self.dt > 0:
            raise TraceError(f"trace {self.name!r}: dt must be > 0, got {self.dt}")
        object.__setattr__(self, "power_w", p)

    @property
    def times(self) -> np.ndarray:
        """Sample start times in seconds."""
        return self.t0 + self.dt * np.arange(self.power_w.size)

    @property
    def duration(self) -> float:
        """Length of the trace in seconds."""
        return self.dt * self.power_w.size

    @property
    def mean_power_w(self) -> float:
        """Time-averaged harvested power in watts."""
        return float(self.power_w.mean())

    def resample(self, dt: float) -> Trace:
        """Return the trace on a new uniform grid, averaging energy per new interval.

        Args:
            dt: The new sample interval in seconds.
        """
        if not dt > 0:
            raise TraceError(f"resample: dt must be > 0, got {dt}")
        energy = np.concatenate([[0.0], np.cumsum(self.power_w * self.dt)])
        old_t = np.arange(energy.size) * self.dt
        n = max(1, int(np.floor(self.duration / dt + 1e-9)))
        new_t = np.arange(n + 1) * dt
        e = np.interp(new_t, old_t, energy)
        return Trace(name=self.name, power_w=np.diff(e) / dt, dt=dt, t0=self.t0, report=self.report)

    def repeat(self, duration: float) -> Trace:
        """Return the trace repeated end to end until it lasts at least ``duration`` seconds.

        Raises:
            TraceError: ``duration`` is not a finite number, or the repeated trace would
                hold more than :data:`MAX_SAMPLES` samples.
        """
        if not math.isfinite(duration) or duration < 0:
            raise TraceError(f"repeat: duration must be a finite number >= 0 s, got {duration}")
        k = max(1, math.ceil(duration / self.duration - 1e-9))
        if k * self.power_w.size > MAX_SAMPLES:
            raise TraceError(
                f"trace {self.name!r}: {duration:g} s would take {k * self.power_w.size:.3g} "
                f"samples at {self.dt:g} s each; at most {MAX_SAMPLES:,} "
                f"({MAX_SAMPLES * self.dt:g} s of this trace)"
            )
        return Trace(
            name=self.name,
            power_w=np.tile(self.power_w, k),
            dt=self.dt,
            t0=self.t0,
            report=self.report,
        )

    def window(self, start: float, duration: float) -> Trace:
        """Return the part of the trace from ``start`` seconds (relative) lasting ``duration``."""
        i0 = int(round(start / self.dt))
        i1 = i0 + max(1, int(round(duration / self.dt)))
        if i0 < 0 or i0 >= self.power_w.size:
            raise TraceError(f"window: start {start} s is outside the trace ({self.duration} s)")
        return Trace(
            name=self.name,
            power_w=self.power_w[i0:i1],
            dt=self.dt,
            t0=self.t0 + i0 * self.dt,
            report=self.report,
        )

    def block_resample(self, block_s: float, rng: np.random.Generator) -> Trace:
        """A circular block-bootstrap resample: contiguous blocks at random starts, end to end.

        The trace is read as a circle (its end joins its start); blocks of ``block_s``
        seconds (rounded to whole samples, at most the whole trace) start at samples
        drawn uniformly by ``rng`` and are laid end to end, the last one cut, so the
        resample has exactly this trace's length, grid and start time. Every sample is
        equally likely at every position, so the resample's expected energy is this
        trace's energy; within a block the power keeps its order (its short-term
        correlation). A pure function of the trace, ``block_s`` and ``rng``'s state.

        Raises:
            TraceError: ``block_s`` is not > 0.
        """
        if not block_s > 0:
            raise TraceError(f"block_resample: block_s must be > 0, got {block_s}")
        n = self.power_w.size
        b = min(n, max(1, int(round(block_s / self.dt))))
        starts = rng.integers(0, n, size=-(-n // b))
        idx = ((starts[:, None] + np.arange(b)[None, :]) % n).ravel()[:n]
        return Trace(
            name=self.name, power_w=self.power_w[idx], dt=self.dt, t0=self.t0, report=self.report
        )

    def scaled(self, factor: float) -> Trace:
        """Return the trace with power multiplied by ``factor`` (e.g. a harvester efficiency)."""
        return Trace(
            name=self.name,
            power_w=self.power_w * float(factor),
            dt=self.dt,
            t0=self.t0,
            report=self.report,
        )


def _read_lines(path: Path) -> list[str]:
    from carin._files import read_text

    # a regular UTF-8 text file of bounded size (a FIFO or /dev/zero is refused, not read)
    return read_text(path, what="trace file", error=TraceError).splitlines()


def _parse_two_columns(
    path: Path, lines: list[str], first: int, sep: str | None
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    t: list[float] = []
    v: list[float] = []
    lineno: list[int] = []
    for i, line in enumerate(lines[first:], start=first + 1):
        if not line.strip():
            continue
        parts = line.split(sep)
        if len(parts) != 2:
            raise TraceError(f"{path}:{i}: expected 2 columns (time, value), got {len(parts)}")
        try:
            a, b = float(parts[0]), float(parts[1])
        except ValueError as exc:
            raise TraceError(f"{path}:{i}: expected two numbers, got {line.strip()!r}") from exc
        if not (np.isfinite(a) and np.isfinite(b)):
            raise TraceError(f"{path}:{i}: values must be finite")
        t.append(a)
        v.append(b)
        lineno.append(i)
    if len(t) < 2:
        raise TraceError(f"{path}: needs at least 2 samples, found {len(t)}")
    return np.array(t), np.array(v), lineno


def load_react(path: str | Path, *, name: str | None = None) -> Trace:
    """Load a REACT ``rf-*.trace`` file (header, then ``time_s<TAB>power_mW`` at 50 Hz).

    Args:
        path: The trace file.
        name: Trace name; defaults to the file stem.

    Raises:
        TraceError: Malformed line, non-uniform sampling or negative power (names the line).
    """
    path = Path(path)
    lines = _read_lines(path)
    first = 1 if lines and not lines[0].strip()[:1].isdigit() else 0
    t, p_mw, lineno = _parse_two_columns(path, lines, first, None)
    d = np.diff(t)
    dt = float(np.round(np.median(d), 9))
    bad = np.nonzero(np.abs(d - dt) > 0.25 * dt)[0]
    if bad.size:
        raise TraceError(
            f"{path}:{lineno[bad[0] + 1]}: time step {d[bad[0]]:g} s, expected uniform {dt:g} s"
        )
    neg = np.nonzero(p_mw < 0)[0]
    if neg.size:
        raise TraceError(f"{path}:{lineno[neg[0]]}: power must be >= 0 mW, got {p_mw[neg[0]]}")
    report = TraceReport(source=str(path), samples=len(t))
    return Trace(name=name or path.stem, power_w=p_mw * 1e-3, dt=dt, t0=float(t[0]), report=report)


def _decode_clock_ms(raw: np.ndarray) -> np.ndarray | None:
    """Decode ``HHMMSSmmm`` readings to milliseconds, or None when they are not a clock."""
    r = raw.astype(np.int64)
    ms = r % 1000
    sec = (r // 1000) % 100
    minute = (r // 100000) % 100
    if np.any(sec >= 60) or np.any(minute >= 60) or np.any(r != raw):
        return None
    hour = r // 10000000
    return ((hour * 60 + minute) * 60 + sec) * 1000 + ms


def load_mementos(
    path: str | Path, *, name: str | None = None, load_ohm: float = 30e3, max_fill_s: float = 1.0
) -> Trace:
    """Load a Mementos RF voltage trace (``<time_ms> <volts>`` at 1 kHz over a resistor).

    Timestamps are decoded as a ``HHMMSSmmm`` clock when every reading is a valid clock
    value (otherwise read as plain milliseconds). A sample whose time jumps away and back
    (a non-monotonic glitch) gets the time its neighbours imply. A real gap in time is
    filled with zero power (no harvest is assumed where nothing was measured); a gap
    longer than ``max_fill_s`` is also reported as a warning.

    Args:
        path: The trace file.
        name: Trace name; defaults to ``mementos-<stem>``.
        load_ohm: The load resistance the voltage was measured across.
        max_fill_s: Gaps longer than this get an extra warning.

    Raises:
        TraceError: Malformed line, time running backwards beyond repair, negative volts.
    """
    path = Path(path)
    lines = _read_lines(path)
    t_raw, volts, lineno = _parse_two_columns(path, lines, 0, None)
    warnings: list[str] = []
    decoded = _decode_clock_ms(t_raw)
    if decoded is not None:
        t_ms = decoded.astype(float)
        rollovers = int(np.count_nonzero(np.diff(t_raw) == 40001))
        if rollovers:
            warnings.append(
                f"timestamps are HHMMSSmmm clock readings; {rollovers} minute "
                "rollover(s) decoded (raw difference 40001 ms, not a gap)"
            )
    else:
        t_ms = t_raw.astype(float)
    step = float(np.median(np.diff(t_ms)))
    if step <= 0:
        raise TraceError(f"{path}: timestamps do not increase")
    glitches: list[int] = []
    # A lone sample off by a constant while both neighbours agree with each other is a
    # glitch in the clock reading, not in the measurement: give it the implied time.
    t_fixed = t_ms.copy()
    n = t_fixed.size
    for i in range(n):
        prev_ok = i == 0 or t_fixed[i] - t_fixed[i - 1] == step
        if prev_ok:
            continue
        nxt = i + 1
        if nxt < n and t_ms[nxt] - t_fixed[i - 1] == 2 * step:
            t_fixed[i] = t_fixed[i - 1] + step
            glitches.append(lineno[i])
    d = np.diff(t_fixed)
    back = np.nonzero(d <= 0)[0]
    if back.size:
        j = back[0] + 1
        raise TraceError(
            f"{path}:{lineno[j]}: time goes back from {t_raw[j - 1]:.0f} to "
            f"{t_raw[j]:.0f} and is not a single-sample glitch"
        )
    if glitches:
        warnings.append(
            f"{len(glitches)} timestamp glitch(es) repaired at line(s) "
            + ", ".join(map(str, glitches[:10]))
        )
    if np.any(volts < 0):
        j = int(np.argmax(volts < 0))
        raise TraceError(f"{path}:{lineno[j]}: voltage must be >= 0, got {volts[j]}")
    idx = np.rint((t_fixed - t_fixed[0]) / step).astype(np.int64)
    gaps = [(lineno[k + 1], float((d[k] - step) / 1000.0)) for k in np.nonzero(d > 1.5 * step)[0]]
    for line, secs in gaps:
        warnings.append(
            f"gap of {secs:g} s before line {line} filled with zero power"
            + (" (longer than max_fill_s)" if secs > max_fill_s else "")
        )
    power = np.zeros(int(idx[-1]) + 1)
    power[idx] = volts**2 / load_ohm
    report = TraceReport(
        source=str(path),
        samples=len(t_raw),
        glitches=tuple(glitches),
        gaps=tuple(gaps),
        warnings=tuple(warnings),
    )
    return Trace(
        name=name or f"mementos-{path.stem}",
        power_w=power,
        dt=step / 1000.0,
        t0=float(t_fixed[0]) / 1000.0,
        report=report,
    )


def load_solar(
    path: str | Path,
    *,
    area_m2: float = 1e-4,
    efficiency: float = 0.15,
    name: str | None = None,
    days: float | None = None,
) -> Trace:
    """Load an NREL irradiance file (``DATE,MST,Global [W/m^2]``, 1-minute samples).

    Args:
        path: The CSV file.
        area_m2: Panel area in square metres (default 1 cm^2).
        efficiency: Panel plus harvester efficiency (0-1].
        name: Trace name; defaults to ``solar-<stem>``.
        days: Keep only the first ``days`` days (None keeps everything).

    Raises:
        TraceError: Malformed line or date, or a missing minute (names the line).
    """
    path = Path(path)
    if not area_m2 > 0 or not 0 < efficiency <= 1:
        raise TraceError(f"{path}: area_m2 must be > 0 and efficiency in (0, 1]")
    lines = _read_lines(path)
    stamps: list[float] = []
    values: list[float] = []
    for i, row in enumerate(csv.reader(lines), start=1):
        if i == 1 and row and not row[0][:1].isdigit():
            continue
        if not row:
            continue
        if len(row) != 3:
            raise TraceError(f"{path}:{i}: expected 3 columns (date, time, irradiance)")
        try:
            day = _dt.datetime.strptime(row[0] + " " + row[1], "%m/%d/%Y %H:%M")
            val = float(row[2])
        except ValueError as exc:
            raise TraceError(
                f"{path}:{i}: expected MM/DD/YYYY,HH:MM,number, got {','.join(row)!r}"
            ) from exc
        stamps.append(day.replace(tzinfo=_dt.UTC).timestamp())
        values.append(val)
    if len(values) < 2:
        raise TraceError(f"{path}: needs at least 2 samples")
    t = np.array(stamps)
    d = np.diff(t)
    bad = np.nonzero(d != 60.0)[0]
    if bad.size:
        raise TraceError(
            f"{path}:{bad[0] + 3}: expected one sample per minute, time step is {d[bad[0]]:g} s"
        )
    irr = np.array(values)
    neg = int(np.count_nonzero(irr < 0))
    irr = np.clip(irr, 0.0, None)
    if days is not None:
        irr = irr[: max(1, int(days * 1440))]
    report = TraceReport(
        source=str(path),
        samples=len(values),
        clipped=neg,
        warnings=(f"{neg} negative irradiance sample(s) clipped to 0",) if neg else (),
    )
    return Trace(
        name=name or f"solar-{path.stem}",
        power_w=irr * area_m2 * efficiency,
        dt=60.0,
        t0=0.0,
        report=report,
    )


#: Header of carin's power CSV.
POWER_CSV_HEADER = "time_s,power_mw"


def _is_power_csv(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".csv") or name.endswith(".csv.gz")


def load_power_csv(path: str | Path, *, name: str | None = None) -> Trace:
    """Load carin's power CSV (``time_s,power_mw``; ``#`` comments; gzip if ``.gz``).

    Args:
        path: The ``.csv`` or ``.csv.gz`` file.
        name: Trace name; defaults to the ``# name:`` comment, else the file stem.

    Raises:
        TraceError: Missing header, malformed line, non-uniform time steps or negative
            power (names the line).
    """
    from carin._files import MAX_TEXT_BYTES, decode_text, read_text

    path = Path(path)
    gz = False
    if path.is_file():
        with open(path, "rb") as fh:
            gz = fh.read(2) == b"\x1f\x8b"
    if gz:
        try:
            with gzip.open(path, "rb") as fh:
                raw = fh.read(MAX_TEXT_BYTES + 1)  # bounded: a small .gz can unpack to GBs
        except (OSError, EOFError, zlib.error) as exc:
            raise TraceError(f"{path}: cannot read trace file ({exc})") from exc
        if len(raw) > MAX_TEXT_BYTES:
            raise TraceError(f"{path}: unpacks to more than {MAX_TEXT_BYTES:,} bytes")
        text = decode_text(raw, path, what="trace file", error=TraceError)
    else:
        text = read_text(path, what="trace file", error=TraceError)
    lines = text.splitlines()
    notes: dict[str, str] = {}
    first = 0
    while first < len(lines) and (lines[first].startswith("#") or not lines[first].strip()):
        key, _, value = lines[first].lstrip("# ").partition(":")
        if value:
            notes[key.strip().lower()] = value.strip()
        first += 1
    header = lines[first].replace(" ", "").lower() if first < len(lines) else ""
    if header != POWER_CSV_HEADER:
        raise TraceError(
            f"{path}:{first + 1}: expected the header {POWER_CSV_HEADER!r}, got {header!r} "
            "(carin power CSV: '#' comment lines, the header, then time in s and harvested "
            "power in mW per line)"
        )
    t, p_mw, lineno = _parse_two_columns(path, lines, first + 1, ",")
    d = np.diff(t)
    dt = float(np.median(d))
    bad = np.nonzero(np.abs(d - dt) > 1e-6 * max(dt, 1e-12) + 1e-9)[0]
    if not dt > 0 or bad.size:
        at = lineno[bad[0] + 1] if bad.size else lineno[1]
        raise TraceError(
            f"{path}:{at}: time steps must be uniform and positive ({dt:g} s expected)"
        )
    neg = np.nonzero(p_mw < 0)[0]
    if neg.size:
        raise TraceError(f"{path}:{lineno[neg[0]]}: power must be >= 0 mW, got {p_mw[neg[0]]}")
    stem = path.name[: -len(".csv.gz")] if path.name.endswith(".csv.gz") else path.stem
    report = TraceReport(source=str(path), samples=len(t))
    return Trace(
        name=name or notes.get("name", stem),
        power_w=p_mw * 1e-3,
        dt=dt,
        t0=float(t[0]),
        report=report,
    )


def write_power_csv(trace: Trace, path: str | Path, *, notes: dict[str, str] | None = None) -> Path:
    """Write a trace as carin's power CSV (gzip-compressed when ``path`` ends in ``.gz``).

    Times are written relative to the trace's start with microsecond resolution and power
    in mW with 6 significant digits; the output is byte-identical for the same trace.

    Args:
        trace: The trace.
        path: The file to write (a temp file is renamed into place).
        notes: ``# key: value`` comment lines written first (e.g. source and licence);
            ``name`` defaults to the trace's name.
    """
    path = Path(path)
    lines = [f"# name: {trace.name}"]
    lines += [f"# {k}: {v}" for k, v in (notes or {}).items() if k != "name"]
    lines.append(POWER_CSV_HEADER)
    times = np.arange(trace.power_w.size) * trace.dt
    lines += [
        f"{t:.6f},{p:.6g}"
        for t, p in zip(times.tolist(), (trace.power_w * 1e3).tolist(), strict=True)
    ]
    data = ("\n".join(lines) + "\n").encode()
    if path.name.endswith(".gz"):
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
            gz.write(data)
        data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_trace(path: str | Path, **kwargs: float) -> Trace:
    """Load any supported trace file, choosing the importer by name and folder.

    ``*.trace`` is REACT, ``*.csv``/``*.csv.gz`` carin's power CSV, a ``.txt`` under a
    folder named ``*mementos*`` is Mementos, a ``.txt`` whose first line starts with
    ``DATE`` is NREL solar.
    """
    path = Path(path)
    if path.suffix == ".trace":
        return load_react(path)
    if _is_power_csv(path):
        return load_power_csv(path)
    if "mementos" in str(path.parent).lower():
        return load_mementos(path, **kwargs)
    head = _read_lines(path)[:1]
    if head and head[0].upper().startswith("DATE"):
        return load_solar(path, **kwargs)
    raise TraceError(
        f"{path}: unknown trace format (expected REACT .trace, carin power CSV "
        ".csv/.csv.gz with header time_s,power_mw, Mementos rf-mementos/*.txt or NREL "
        "solar CSV)"
    )
