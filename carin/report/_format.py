"""Shared helpers of the reports: units, metric labels and numbers as text."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import numpy as np

from carin.errors import CarinError

#: Unit of a metric, by the suffix of its profile column (see the profile-table contract).
_SUFFIX_UNITS = {
    "_ms": "ms",
    "_mj": "mJ",
    "_mb": "MB",
    "_kb": "KiB",
    "_mw": "mW",
    "_fps": "fps",
    "_db": "dB",
    "_m": "M",
}
#: Percent metrics of the intermittent profiles (``success_rate_<task>`` too).
_NAMED_UNITS = {
    "accuracy": "%",
    "success_rate": "%",
    "weighted_success": "%",
    "resampled_success_rate": "%",
    "resampled_weighted_success": "%",
}
_LABEL_RE = re.compile(r"^\s*(sum|max|min|mean)\s*\(\s*([A-Za-z_]\w*)\s*\)\s*$")
#: A per-task objective of a multi-DNN spec: ``detect.accuracy`` (task, then metric).
_TASK_RE = re.compile(r"^\s*([A-Za-z_][\w-]*)\.([A-Za-z_]\w*)\s*$")


def base_metric(label: str) -> str:
    """The profile column of a metric label: ``max(latency_ms)`` -> ``latency_ms``."""
    m = _LABEL_RE.match(label)
    return m.group(2) if m else label.strip()


def unit_of(label: str) -> str:
    """The unit of a metric label (``ms`` for ``latency_ms``), or ``""`` when unknown.

    Example:
        >>> unit_of("max(latency_ms)"), unit_of("accuracy"), unit_of("ssim")
        ('ms', '%', '')
        >>> unit_of("detect.accuracy")  # one task's own metric
        '%'
        >>> unit_of("resampled_weighted_success"), unit_of("success_rate_kws")
        ('%', '%')
        >>> unit_of("fram_kb"), unit_of("nvm_kb")  # bytes / 1024
        ('KiB', 'KiB')
    """
    task = _TASK_RE.match(label)
    if task:
        return unit_of(task.group(2))
    metric = base_metric(label)
    if metric in _NAMED_UNITS:
        return _NAMED_UNITS[metric]
    if metric.startswith(("accuracy", "success_rate_")):
        return "%"
    for suffix, unit in _SUFFIX_UNITS.items():
        if metric.endswith(suffix):
            return unit
    return ""


def with_unit(label: str) -> str:
    """Header text of a metric label with its unit, the unit said once.

    A unit the column's name already ends with is moved into the brackets.

    Example:
        >>> with_unit("latency_ms"), with_unit("max(memory_mb)"), with_unit("accuracy")
        ('latency (ms)', 'max memory (MB)', 'accuracy (%)')
        >>> with_unit("ssim"), with_unit("detect.latency_ms")
        ('ssim', 'detect.latency (ms)')
    """
    name, unit = name_and_unit(label)
    if not unit:
        return label
    return f"{name} ({unit})"


def name_and_unit(label: str) -> tuple[str, str]:
    """A metric label as a name people read and its unit (``""`` when unknown).

    The unit a column's name ends with is cut from the name; other labels keep
    their text.

    Example:
        >>> name_and_unit("max(latency_ms)"), name_and_unit("success_rate")
        (('max latency', 'ms'), ('success_rate', '%'))
        >>> name_and_unit("params_m"), name_and_unit("ssim")
        (('params', 'M'), ('ssim', ''))
    """
    task = _TASK_RE.match(label)
    if task:
        name, unit = name_and_unit(task.group(2))
        return f"{task.group(1)}.{name}", unit
    unit = unit_of(label)
    if not unit:
        return label, ""
    metric = base_metric(label)
    name = metric
    for suffix, suffix_unit in _SUFFIX_UNITS.items():
        if metric.endswith(suffix) and suffix_unit == unit and len(metric) > len(suffix):
            name = metric[: -len(suffix)]
            break
    m = _LABEL_RE.match(label)
    if m:
        name = f"{m.group(1)} {name}"
    return name, unit


def with_value(label: str, value: Any) -> str:
    """``name: value unit`` of one metric value (``-`` when missing).

    Example:
        >>> with_value("latency_ms", 7.715), with_value("accuracy", 83.2)
        ('latency: 7.715 ms', 'accuracy: 83.2 %')
    """
    name, unit = name_and_unit(label)
    text = fmt(value)
    return f"{name}: {text} {unit}" if unit and text != "-" else f"{name}: {text}"


_CONDITION_ORDER = ("unavailable", "slowdown", "memory_budget_mb", "latency_budget_ms", "power_mw")


def condition_text(when: dict[str, Any]) -> str:
    """The one wording of an anticipated condition set, used by every report.

    Example:
        >>> condition_text({"memory_budget_mb": 50.0, "unavailable": ["npu"]})
        'no npu, mem<=50MB'
        >>> condition_text({"slowdown": {"cpu": 2.0}, "power_mw": 0.5})
        'cpu x2 slower, power 0.5mW'
    """
    bits = []
    keys = [k for k in _CONDITION_ORDER if k in when] + sorted(set(when) - set(_CONDITION_ORDER))
    for key in keys:
        value = when[key]
        if key == "unavailable":
            bits.append("no " + "+".join(value))
        elif key == "memory_budget_mb":
            bits.append(f"mem<={value:g}MB")
        elif key == "latency_budget_ms":
            bits.append(f"lat<={value:g}ms")
        elif key == "power_mw":
            bits.append(f"power {value:g}mW")
        elif key == "slowdown":
            bits.append(", ".join(f"{p} x{f:g} slower" for p, f in sorted(value.items())))
        else:
            bits.append(f"{key}={value}")
    return ", ".join(bits)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 design``, ``2 designs``.

    Example:
        >>> plural(1, "Pareto design"), plural(3, "Pareto design")
        ('1 Pareto design', '3 Pareto designs')
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def fmt(value: Any, digits: int = 4) -> str:
    """A number as short text (``-`` for missing values)."""
    if value is None:
        return "-"
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return "-"
        return f"{float(value):.{digits}g}"
    return str(value)


def resolve_metric(label: str, choices: list[str], what: str) -> str:
    """Match a metric the user typed to one of ``choices`` (exact label or bare column).

    Raises:
        CarinError: Nothing matches; the message lists the choices.
    """
    if label in choices:
        return label
    hits = [c for c in choices if base_metric(c) == base_metric(label)]
    if len(hits) >= 1:
        return hits[0]
    raise CarinError(f"{what}: unknown metric {label!r}; choose one of: {', '.join(choices)}")


def design_text(space: Any, index: np.ndarray) -> list[str]:
    """Short readable designs: model, precision, processor and the key columns that vary.

    Key columns with one value in the whole task (the device, say) are left out; the
    parts of a multi-DNN design are joined by `` | `` and prefixed by the task name.
    """
    index = np.asarray(index, dtype=np.int64).reshape(len(index), len(space.tasks))
    texts: list[list[str]] = []
    for t, task in enumerate(space.tasks):
        prefix = "" if space.single else f"{task.name}: "
        texts.append([prefix + p for p in part_text(task, index[:, t])[0]])
    return [" | ".join(p) for p in zip(*texts, strict=True)]


def part_text(task: Any, rows: np.ndarray) -> tuple[list[str], dict[str, str]]:
    """One task's rows as :func:`design_text` names them, and the key columns left out.

    Returns:
        The text of each row, and column -> value of the key columns that have one
        value in the whole task (the device, say).
    """
    from carin.profiles import KEY_COLUMNS

    frame = task.frame
    present = [c for c in KEY_COLUMNS if c in frame.columns]
    cols = [
        c for c in present if c in ("model", "precision", "processor") or frame[c].nunique() > 1
    ]
    constant = {
        c: str(frame[c].iloc[0])
        for c in present
        if c not in cols and len(frame) and str(frame[c].iloc[0]) not in ("", "nan")
    }
    sub = frame.iloc[np.asarray(rows, dtype=np.int64)]
    parts = []
    for values in zip(*(sub[c].astype(str).tolist() for c in cols), strict=True):
        bits = [
            f"{v} threads" if c == "threads" else v for c, v in zip(cols, values, strict=True) if v
        ]
        parts.append(" ".join(bits))
    return parts, constant


#: A word of a design label longer than this (an architecture string) is cut with "...".
_LONG_WORD = 48
#: Spaces a line never breaks at: between a number and its unit, before a factor (``x2``).
_UNIT_SPACE = re.compile(r"(?<=\d) (?=(?:ms|MB|mJ|mW|fps|dB)\b|%)|(?<=\w) (?=x\d)")


def short_words(text: str) -> str:
    """``text`` with each word longer than :data:`_LONG_WORD` cut, as table cells are.

    Punctuation that ends a word (``:``, ``)``) is kept after the cut.
    """
    words = []
    for word in text.split(" "):
        core = word.rstrip(":;,)")
        if len(core) > _LONG_WORD:
            word = core[: _LONG_WORD - 3] + "..." + word[len(core) :]
        words.append(word)
    return " ".join(words)


def wrap_text(text: str, indent: int, hang: int, width: int = 100) -> list[str]:
    """``text`` in lines of at most ``width``: ``indent`` spaces first, ``hang`` after.

    Over-long words are cut (:func:`short_words`); a value stays on the line of its unit.
    """
    lines = textwrap.wrap(
        _UNIT_SPACE.sub("\xa0", short_words(text)),
        width=width,
        initial_indent=" " * indent,
        subsequent_indent=" " * hang,
        break_on_hyphens=False,
    )
    return [line.replace("\xa0", " ") for line in lines] or [" " * indent]
