"""SLO YAML -> validated :class:`Spec`; every error names the file, line and field."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from carin.errors import SpecError
from carin.spec._model import (
    AGGREGATES,
    DEFAULT_AGGREGATE,
    Anticipate,
    Constraint,
    Metric,
    Objective,
    Spec,
    Task,
)
from carin.spec._yaml import LineDict, LineList, load_yaml

_TOP_KEYS = {
    "name": "the app's name",
    "profiles": "path of the profile table, relative to the spec",
    "where": "equality filters on key columns",
    "objectives": "list of objectives in priority order",
    "constraints": "list of hard limits",
    "tasks": "list of DNN tasks (multi-DNN)",
    "contention": "time-share or none",
    "preference": "lexicographic or weighted",
    "anticipate": "run-time conditions to precompute designs for",
}
_TASK_KEYS = ("name", "where", "constraints")
_ANTICIPATE_KEYS = (
    "processor_unavailable",
    "memory_budget_mb",
    "slowdown",
    "latency_budget_ms",
    "power_mw",
    "combinations",
)
_METRIC_RE = re.compile(
    r"^\s*(?:(sum|max|min|mean)\s*\(\s*([A-Za-z_][\w]*)\s*\)|([A-Za-z_][\w]*)"
    r"|([A-Za-z_][\w-]*)\.([A-Za-z_][\w]*))\s*$"
)
_CONSTRAINT_RE = re.compile(r"^\s*(.+?)\s*(<=|>=|<|>|==|=)\s*(-?[\d.eE+-]+)\s*$")
_GOAL_WORDS = {
    "min": "min",
    "minimize": "min",
    "minimise": "min",
    "max": "max",
    "maximize": "max",
    "maximise": "max",
}


class _Ctx:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[str, int] = {}

    def fail(self, line: int | None, field: str, message: str) -> SpecError:
        where = f"{self.path}:{line}" if line else str(self.path)
        return SpecError(f"{where}: {field}: {message}")


def _line_of(container: Any, key: Any, default: int = 0) -> int:
    if isinstance(container, LineDict):
        return container.key_lines.get(key, container.line)
    if isinstance(container, LineList) and isinstance(key, int) and key < len(container.item_lines):
        return container.item_lines[key]
    return default


def load_spec(path: str | Path) -> Spec:
    """Read and validate an SLO spec from a YAML file.

    Args:
        path: The YAML file.

    Returns:
        The validated spec. Metric and column names are checked against the
        profile table later, when the design space is compiled.

    Raises:
        SpecError: The file is missing or malformed; the message names the file,
            line and field and what is allowed.

    Example:
        >>> from carin import load_spec
        >>> spec = load_spec("spaces/phone-classifier.yaml")  # doctest: +SKIP
        >>> [o.goal for o in spec.objectives]  # doctest: +SKIP
        ['max', 'min']
    """
    path = Path(path)
    data = load_yaml(path)
    return parse_spec(data, path=path)


def parse_spec(data: Any, *, path: Path | None = None) -> Spec:
    """Validate a spec already loaded from YAML (or built as a dict in code)."""
    spec_path = path or Path("<spec>")
    ctx = _Ctx(spec_path)
    if not isinstance(data, dict):
        raise ctx.fail(
            getattr(data, "line", 1),
            "spec",
            "expected a mapping of keys such as 'profiles', 'objectives', 'constraints'",
        )
    for key in data:
        if key not in _TOP_KEYS:
            allowed = ", ".join(_TOP_KEYS)
            raise ctx.fail(_line_of(data, key), key, f"unknown key; allowed keys: {allowed}")
        ctx.lines[key] = _line_of(data, key)

    if "profiles" not in data:
        raise ctx.fail(
            getattr(data, "line", 1),
            "profiles",
            "missing; give the path of a "
            "profile table (CSV) relative to this file, e.g. 'profiles: aihub.csv'",
        )
    profiles = data["profiles"]
    if not isinstance(profiles, str) or not profiles.strip():
        raise ctx.fail(_line_of(data, "profiles"), "profiles", "expected a file path (text)")
    base = spec_path.parent if path is not None else Path.cwd()
    profiles_path = (
        (base / profiles).resolve() if not Path(profiles).is_absolute() else Path(profiles)
    )

    name = data.get("name", spec_path.stem if path is not None else "spec")
    if not isinstance(name, str) or not name.strip():
        raise ctx.fail(_line_of(data, "name"), "name", "expected text")
    _check_name(ctx, name.strip(), _line_of(data, "name"))

    where = _parse_where(ctx, data.get("where"), "where", _line_of(data, "where"))

    tasks_raw = data.get("tasks")
    multi = tasks_raw is not None
    if multi:
        tasks = _parse_tasks(ctx, tasks_raw, _line_of(data, "tasks"))
    else:
        tasks = (Task("main"),)

    if "objectives" not in data:
        raise ctx.fail(
            getattr(data, "line", 1),
            "objectives",
            "missing; list at least one, "
            "e.g. '- {metric: latency_ms, goal: min}' or '- min latency_ms'",
        )
    objectives = _parse_objectives(
        ctx, data["objectives"], multi, _line_of(data, "objectives"), tasks if multi else ()
    )
    constraints = _parse_constraints(
        ctx, data.get("constraints"), "constraints", multi, _line_of(data, "constraints")
    )

    contention = data.get("contention", "time-share")
    if contention not in ("time-share", "none"):
        raise ctx.fail(
            _line_of(data, "contention"),
            "contention",
            f"got {contention!r}; allowed: time-share, none",
        )
    preference = data.get("preference", "lexicographic")
    if preference not in ("lexicographic", "weighted"):
        raise ctx.fail(
            _line_of(data, "preference"),
            "preference",
            f"got {preference!r}; allowed: lexicographic, weighted",
        )
    if preference == "lexicographic":
        for i in range(len(objectives)):
            if f"objectives[{i}].weight" in ctx.lines:
                raise ctx.fail(
                    ctx.lines[f"objectives[{i}].weight"],
                    f"objectives[{i}].weight",
                    "a weight counts only under 'preference: weighted'; the preference is "
                    f"{preference!r}{'' if 'preference' in data else ' (the default)'}, which "
                    "ranks by the first objective, then the next (add 'preference: "
                    "weighted' or remove the weight)",
                )
    if preference != "lexicographic":
        for i, o in enumerate(objectives):
            if o.tolerance is not None:
                raise ctx.fail(
                    ctx.lines.get(f"objectives[{i}].tolerance"),
                    f"objectives[{i}].tolerance",
                    "a tolerance ranks near values as ties in the lexicographic order; "
                    f"preference is {preference!r} (remove the tolerance or use lexicographic)",
                )
    anticipate = _parse_anticipate(ctx, data.get("anticipate"), _line_of(data, "anticipate"))

    return Spec(
        name=name.strip(),
        profiles=profiles_path,
        objectives=objectives,
        constraints=constraints,
        where=where,
        tasks=tasks,
        contention=contention,
        preference=preference,
        anticipate=anticipate,
        path=path,
        lines=ctx.lines,
    )


#: Longest app name: it becomes a folder name (out/<name>) and an Optuna study name.
MAX_NAME = 200


def _check_name(ctx: _Ctx, name: str, line: int) -> None:
    """The name becomes the default output folder ``out/<name>``: one plain path part."""
    bad = next((ch for ch in name if ch in "/\\" or ord(ch) < 32 or ord(ch) == 127), None)
    if bad is not None or ".." in name or name == "." or len(name) > MAX_NAME:
        why = (
            f"contains {bad!r}"
            if bad is not None
            else f"longer than {MAX_NAME} characters"
            if len(name) > MAX_NAME
            else "contains '..'"
            if ".." in name
            else "is '.'"
        )
        raise ctx.fail(
            line,
            "name",
            f"{name[:60]!r} {why}; the name becomes the output folder out/<name>, so write "
            "it without path separators, control characters or '..' (e.g. phone-classifier)",
        )


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None if value is None else str(value).lower()
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _parse_where(ctx: _Ctx, raw: Any, field: str, line: int) -> tuple:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ctx.fail(
            line,
            field,
            "expected a mapping of key column -> value or list of values, "
            "e.g. {device: Samsung Galaxy S24, precision: [float, w8a8]}",
        )
    out = []
    for column, value in raw.items():
        vline = _line_of(raw, column, line)
        values = value if isinstance(value, list) else [value]
        if not values:
            raise ctx.fail(vline, f"{field}.{column}", "empty list; give at least one value")
        texts = []
        for v in values:
            t = _scalar_text(v)
            if t is None:
                raise ctx.fail(vline, f"{field}.{column}", f"expected text or a number, got {v!r}")
            texts.append(t)
        out.append((str(column), tuple(texts)))
        ctx.lines[f"{field}.{column}"] = vline
    return tuple(out)


def _parse_metric(
    ctx: _Ctx, text: Any, field: str, line: int, multi: bool, tasks: tuple[Task, ...] = ()
) -> Metric:
    if not isinstance(text, str):
        raise ctx.fail(
            line,
            field,
            f"expected a metric name such as latency_ms or max(latency_ms), got {text!r}",
        )
    m = _METRIC_RE.match(text)
    if not m:
        raise ctx.fail(
            line,
            field,
            f"cannot read metric {text!r}; write a column name such as "
            f"latency_ms, or an aggregate {'|'.join(AGGREGATES)}(column)",
        )
    if m.group(4):
        names = [t.name for t in tasks]
        if not multi or not names:
            where = "a multi-DNN spec's objectives" if multi else "multi-DNN specs (with 'tasks')"
            also = "; a limit on one task's part goes under tasks[].constraints" if multi else ""
            raise ctx.fail(
                line, field, f"{text!r}: a task's own metric (task.metric) is for {where}{also}"
            )
        if m.group(4) not in names:
            raise ctx.fail(
                line, field, f"{text!r}: no task named {m.group(4)!r}; tasks: {', '.join(names)}"
            )
        return Metric(metric=m.group(5), aggregate="max", task=m.group(4))
    if m.group(3):
        metric = m.group(3)
        aggregate = DEFAULT_AGGREGATE.get(metric.split("_")[0], "sum") if multi else "max"
    else:
        if not multi:
            raise ctx.fail(
                line,
                field,
                f"{text!r}: aggregates such as {m.group(1)}(...) are for "
                "multi-DNN specs (with 'tasks'); write the bare column name",
            )
        aggregate, metric = m.group(1), m.group(2)
    return Metric(metric=metric, aggregate=aggregate)


def _parse_objectives(
    ctx: _Ctx, raw: Any, multi: bool, line: int, tasks: tuple[Task, ...] = ()
) -> tuple[Objective, ...]:
    if not isinstance(raw, list) or not raw:
        raise ctx.fail(
            line, "objectives", "expected a non-empty list, e.g. ['max accuracy', 'min latency_ms']"
        )
    out: list[Objective] = []
    for i, item in enumerate(raw):
        field = f"objectives[{i}]"
        iline = _line_of(raw, i, line)
        ctx.lines[field] = iline
        weight: Any = 1.0
        tolerance: float | None = None
        if isinstance(item, str):
            parts = item.split(None, 1)
            goal = _GOAL_WORDS.get(parts[0].lower()) if parts else None
            if goal is None or len(parts) != 2:
                raise ctx.fail(
                    iline,
                    field,
                    f"cannot read {item!r}; write 'min <metric>' or "
                    "'max <metric>', or {metric: ..., goal: min|max}",
                )
            metric = _parse_metric(ctx, parts[1], field, iline, multi, tasks)
        elif isinstance(item, dict):
            for key in item:
                if key not in ("metric", "goal", "weight", "tolerance"):
                    raise ctx.fail(
                        _line_of(item, key, iline),
                        f"{field}.{key}",
                        "unknown key; allowed: metric, goal, weight, tolerance",
                    )
            if "metric" not in item:
                raise ctx.fail(iline, field, "missing 'metric'")
            goal = _GOAL_WORDS.get(str(item.get("goal", "")).lower())
            if goal is None:
                raise ctx.fail(
                    _line_of(item, "goal", iline),
                    f"{field}.goal",
                    f"got {item.get('goal')!r}; allowed: min, max",
                )
            metric = _parse_metric(
                ctx,
                item["metric"],
                f"{field}.metric",
                _line_of(item, "metric", iline),
                multi,
                tasks,
            )
            weight = item.get("weight", 1.0)
            wline = _line_of(item, "weight", iline)
            if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
                raise ctx.fail(
                    wline, f"{field}.weight", f"got {_short(weight)}; expected a positive number"
                )
            weight = _finite(ctx, weight, wline, f"{field}.weight")
            if "weight" in item:
                ctx.lines[f"{field}.weight"] = wline
            if "tolerance" in item:
                tol = item["tolerance"]
                tline = _line_of(item, "tolerance", iline)
                ctx.lines[f"{field}.tolerance"] = tline
                if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol >= 0:
                    raise ctx.fail(
                        tline,
                        f"{field}.tolerance",
                        f"got {_short(tol)}; expected a number >= 0 in the metric's units "
                        "(values within it of each other rank as ties)",
                    )
                tolerance = _finite(ctx, tol, tline, f"{field}.tolerance")
        else:
            raise ctx.fail(
                iline, field, f"expected text such as 'min latency_ms' or a mapping, got {item!r}"
            )
        if any(o.target == metric for o in out):
            raise ctx.fail(iline, field, f"{metric.label(not multi)} is already an objective")
        out.append(
            Objective(target=metric, goal=goal, weight=float(weight), tolerance=tolerance or None)
        )
    return tuple(out)


def _finite(ctx: _Ctx, value: Any, line: int, field: str) -> float:
    """``value`` as a finite float; huge integers, inf and NaN are refused."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        shown = _short(value)
        raise ctx.fail(
            line, field, f"expected a finite number (at most about 1.8e308), got {shown}"
        )
    return number


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, int) else str(value)
    if isinstance(value, int) and len(text) > 20:
        return f"an integer with {len(text.lstrip('-'))} digits"
    return text if len(text) <= 60 else text[:57] + "..."


def _number(ctx: _Ctx, value: Any, line: int, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ctx.fail(line, field, f"expected a number, got {_short(value)}")
    return _finite(ctx, value, line, field)


def _parse_constraints(
    ctx: _Ctx, raw: Any, field: str, multi: bool, line: int
) -> tuple[Constraint, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ctx.fail(
            line, field, "expected a list, e.g. ['latency_ms <= 20', {metric: accuracy, min: 65}]"
        )
    out: list[Constraint] = []
    origin: list[tuple[str, int]] = []  # the field and line of each limit in out
    for i, item in enumerate(raw):
        ifield = f"{field}[{i}]"
        iline = _line_of(raw, i, line)
        ctx.lines[ifield] = iline
        if isinstance(item, str):
            m = _CONSTRAINT_RE.match(item)
            if not m:
                raise ctx.fail(
                    iline,
                    ifield,
                    f"cannot read {item!r}; write e.g. 'latency_ms <= 20' or 'accuracy >= 65'",
                )
            op = m.group(2)
            if op not in ("<=", ">="):
                raise ctx.fail(iline, ifield, f"operator {op!r} is not supported; use <= or >=")
            try:
                value = float(m.group(3))
            except ValueError:
                raise ctx.fail(iline, ifield, f"{m.group(3)!r} is not a number") from None
            value = _finite(ctx, value, iline, ifield)
            metric = _parse_metric(ctx, m.group(1), ifield, iline, multi)
            out.append(Constraint(metric, op, value))
        elif isinstance(item, dict):
            for key in item:
                if key not in ("metric", "max", "min"):
                    raise ctx.fail(
                        _line_of(item, key, iline),
                        f"{ifield}.{key}",
                        "unknown key; allowed: metric, max, min",
                    )
            if "metric" not in item:
                raise ctx.fail(iline, ifield, "missing 'metric'")
            if "max" not in item and "min" not in item:
                raise ctx.fail(iline, ifield, "give 'max' and/or 'min'")
            metric = _parse_metric(
                ctx, item["metric"], f"{ifield}.metric", _line_of(item, "metric", iline), multi
            )
            if "min" in item:
                v = _number(ctx, item["min"], _line_of(item, "min", iline), f"{ifield}.min")
                out.append(Constraint(metric, ">=", v))
            if "max" in item:
                v = _number(ctx, item["max"], _line_of(item, "max", iline), f"{ifield}.max")
                out.append(Constraint(metric, "<=", v))
        else:
            raise ctx.fail(
                iline,
                ifield,
                f"expected text such as 'latency_ms <= 20' or a mapping, got {item!r}",
            )
        origin += [(ifield, iline)] * (len(out) - len(origin))
    _check_limits_meet(ctx, out, origin, multi)
    return tuple(out)


def _check_limits_meet(
    ctx: _Ctx, out: list[Constraint], origin: list[tuple[str, int]], multi: bool
) -> None:
    """Refuse a lower limit above an upper limit on one metric: no design could meet both."""
    low: dict[Any, tuple[Constraint, str, int]] = {}
    high: dict[Any, tuple[Constraint, str, int]] = {}
    for c, (field, line) in zip(out, origin, strict=True):
        side, sign = (low, 1) if c.op == ">=" else (high, -1)
        if c.target not in side or sign * (c.value - side[c.target][0].value) > 0:
            side[c.target] = (c, field, line)
    for target, (lo, lo_field, lo_line) in low.items():
        if target in high and lo.value > high[target][0].value:
            hi, hi_field, hi_line = high[target]
            field, line = max((lo_field, lo_line), (hi_field, hi_line), key=lambda f: f[1])
            raise ctx.fail(
                line,
                field,
                f"'{lo.describe(not multi)}' ({lo_field}) and '{hi.describe(not multi)}' "
                f"({hi_field}) cannot both hold, so no design can meet the constraints; "
                "correct one of the limits",
            )


def _parse_tasks(ctx: _Ctx, raw: Any, line: int) -> tuple[Task, ...]:
    if not isinstance(raw, list) or not raw:
        raise ctx.fail(line, "tasks", "expected a non-empty list of tasks, each with a 'name'")
    out: list[Task] = []
    for i, item in enumerate(raw):
        field = f"tasks[{i}]"
        iline = _line_of(raw, i, line)
        ctx.lines[field] = iline
        if not isinstance(item, dict):
            raise ctx.fail(iline, field, "expected a mapping with 'name', 'where', 'constraints'")
        for key in item:
            if key not in _TASK_KEYS:
                raise ctx.fail(
                    _line_of(item, key, iline),
                    f"{field}.{key}",
                    f"unknown key; allowed: {', '.join(_TASK_KEYS)}",
                )
        name = item.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][\w-]*", name):
            raise ctx.fail(
                _line_of(item, "name", iline),
                f"{field}.name",
                f"got {name!r}; expected a short identifier such as 'detect'",
            )
        if any(t.name == name for t in out):
            raise ctx.fail(
                _line_of(item, "name", iline), f"{field}.name", f"task name {name!r} is used twice"
            )
        where = _parse_where(
            ctx, item.get("where"), f"{field}.where", _line_of(item, "where", iline)
        )
        constraints = _parse_constraints(
            ctx,
            item.get("constraints"),
            f"{field}.constraints",
            False,
            _line_of(item, "constraints", iline),
        )
        out.append(Task(name=name, where=where, constraints=constraints))
    return tuple(out)


def _number_list(ctx: _Ctx, raw: Any, line: int, field: str, positive: bool = True) -> tuple:
    values = raw if isinstance(raw, list) else [raw]
    out = []
    for j, v in enumerate(values):
        x = _number(ctx, v, _line_of(raw, j, line), f"{field}[{j}]")
        if positive and x <= 0:
            raise ctx.fail(
                _line_of(raw, j, line), f"{field}[{j}]", f"got {v!r}; expected a positive number"
            )
        out.append(x)
    return tuple(sorted(set(out), reverse=True))


#: Most condition sets a spec may ask for (each is one more exact solve).
MAX_CONDITION_SETS = 512


def _count_condition_sets(a: Anticipate) -> int:
    """How many sets :meth:`Anticipate.condition_sets` returns, without building them."""
    p, s = len(a.processor_unavailable), len(a.slowdown)
    m, lat, w = len(a.memory_budget_mb), len(a.latency_budget_ms), len(a.power_mw)
    if not a.combinations:
        return p + s + m + lat + w
    return 2**p * 2**s * (1 + m) * (1 + lat) * (1 + w) - 1


def _parse_anticipate(ctx: _Ctx, raw: Any, line: int) -> Anticipate:
    if raw is None:
        return Anticipate()
    if not isinstance(raw, dict):
        raise ctx.fail(
            line, "anticipate", "expected a mapping with keys " + ", ".join(_ANTICIPATE_KEYS)
        )
    for key in raw:
        if key not in _ANTICIPATE_KEYS:
            raise ctx.fail(
                _line_of(raw, key, line),
                f"anticipate.{key}",
                "unknown condition; allowed: " + ", ".join(_ANTICIPATE_KEYS),
            )
    kw: dict[str, Any] = {}
    if "processor_unavailable" in raw:
        procs = raw["processor_unavailable"]
        procs = procs if isinstance(procs, list) else [procs]
        pline = _line_of(raw, "processor_unavailable", line)
        if not all(isinstance(p, str) and p.strip() for p in procs):
            raise ctx.fail(
                pline,
                "anticipate.processor_unavailable",
                "expected a list of processor names such as [npu, gpu]",
            )
        kw["processor_unavailable"] = tuple(dict.fromkeys(p.strip().lower() for p in procs))
        ctx.lines["anticipate.processor_unavailable"] = pline
    for key in ("memory_budget_mb", "latency_budget_ms", "power_mw"):
        if key in raw:
            kline = _line_of(raw, key, line)
            kw[key] = _number_list(ctx, raw[key], kline, f"anticipate.{key}")
            ctx.lines[f"anticipate.{key}"] = kline
    if "slowdown" in raw:
        sraw = raw["slowdown"]
        sline = _line_of(raw, "slowdown", line)
        if not isinstance(sraw, dict) or not sraw:
            raise ctx.fail(
                sline,
                "anticipate.slowdown",
                "expected a mapping processor -> factor, e.g. {cpu: 2.0}",
            )
        pairs = []
        for proc, factor in sraw.items():
            f = _number(ctx, factor, _line_of(sraw, proc, sline), f"anticipate.slowdown.{proc}")
            if f < 1:
                # the runtime refuses a factor below 1 too: a slowdown never speeds a part up
                raise ctx.fail(
                    _line_of(sraw, proc, sline),
                    f"anticipate.slowdown.{proc}",
                    f"got {factor!r}; expected a factor >= 1 (2.0 = twice as slow, "
                    "1 = as profiled)",
                )
            pairs.append((str(proc).lower(), f))
        kw["slowdown"] = tuple(sorted(pairs))
        ctx.lines["anticipate.slowdown"] = sline
    if "combinations" in raw:
        c = raw["combinations"]
        if not isinstance(c, bool):
            raise ctx.fail(
                _line_of(raw, "combinations", line),
                "anticipate.combinations",
                f"got {c!r}; expected true or false",
            )
        kw["combinations"] = c
    anticipate = Anticipate(**kw)
    n = _count_condition_sets(anticipate)  # counted, never built, before the limit is known
    if n > MAX_CONDITION_SETS:
        raise ctx.fail(
            line,
            "anticipate",
            f"{f'{n:,}' if n < 10**15 else 'more than 10^15'} condition combinations; "
            f"at most {MAX_CONDITION_SETS} are "
            "supported (set 'combinations: false' or list fewer values)",
        )
    return anticipate
