"""Optuna baselines: NSGA-II, TPE and (with PyTorch) GP samplers on a carin design space.

Each task of the space is one categorical parameter (the task's name) whose
choices are the task's row positions; a trial scores its design with
:meth:`DesignSpace.evaluate` and reports the spec's objectives in their own
directions. Constraints reach the sampler as graded violations (<= 0 feasible)
through ``trial.set_constraint`` when the installed Optuna has it, otherwise
through the sampler's ``constraints_func``. The budget is the number of trials;
the result is the feasible, mutually non-dominated designs among all trials.

Large studies can run on Optuna's own storage: ``storage`` takes an RDB URL
(``sqlite:///study.db``, ``postgresql://...``) or a journal file
(``journal:study.log``, or a path ending in ``.log``/``.journal``), and
``workers`` starts that many worker processes on the one study. The budget then
counts every trial in the study, so re-running with the same storage and study
name resumes it. With one worker and a fresh study the run is reproducible from
the seed; several workers interleave their trials and are not.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import multiprocessing
import os
import re
import shutil
import socket
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from carin.errors import CarinError
from carin.solvers._baseline import BaselineSolver, History, Scorer

if TYPE_CHECKING:
    from carin.space import DesignSpace

__all__ = ["OptunaNSGA2", "OptunaTPE", "OptunaGP", "open_storage", "redact", "SOLVERS"]

_JOURNAL_SUFFIXES = (".log", ".journal", ".jsonl")

#: Tasks with more candidate rows than this are one integer parameter (the row
#: position) instead of a categorical one: Optuna compares every choice of a
#: categorical distribution on every trial, which costs ~0.1 s a trial at 15,625 choices.
CATEGORICAL_LIMIT = 1000


def _optuna() -> Any:
    """Import Optuna lazily (it is slow to import) and keep it quiet."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # carin reports failures itself
    return optuna


def _with_driver(url: str) -> str:
    """``postgresql://`` with the driver carin[postgres] installs (psycopg 3), when it is.

    SQLAlchemy's default PostgreSQL driver differs between its versions (psycopg2 or
    psycopg); naming the one that is installed makes the documented URL work with either.
    """
    scheme, sep, rest = url.partition("://")
    if scheme in ("postgresql", "postgres") and importlib.util.find_spec("psycopg") is not None:
        return f"postgresql+psycopg{sep}{rest}"
    return url


def _rdb_storage(optuna: Any, url: str, kwargs: dict[str, Any]) -> Any:
    """Optuna's RDBStorage; retried when another process creates the same fresh schema.

    Two processes opening a new database at once race to create Optuna's tables, and
    the loser fails on a unique or duplicate key; its second attempt finds the tables.
    """
    for attempt in range(4):
        try:
            return optuna.storages.RDBStorage(url, **kwargs)
        except ModuleNotFoundError:
            raise
        except Exception as exc:
            text = str(exc).lower()
            racing = any(k in text for k in ("unique constraint", "duplicate", "already exists"))
            if not racing or attempt == 3:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def open_storage(storage: str) -> Any:
    """Open an Optuna storage from carin's ``--storage`` text.

    Args:
        storage: An RDB URL (``sqlite:///x.db``, ``postgresql://user@host/db``,
            ``mysql://...``), or a journal file as ``journal:PATH`` or a path ending
            in ``.log``, ``.journal`` or ``.jsonl`` (Optuna's JournalStorage, which
            suits several workers sharing a file system).

    Returns:
        An Optuna storage object.

    Raises:
        CarinError: The text is neither a URL nor a journal file path.
    """
    optuna = _optuna()
    text = str(storage).strip()
    if text.startswith("journal:") or text.endswith(_JOURNAL_SUFFIXES) and "://" not in text:
        path = Path(text.removeprefix("journal:"))
        if not path.parent.is_dir():
            raise CarinError(f"--storage {text}: folder {path.parent} does not exist")
        journal = optuna.storages.journal
        backend_cls = getattr(journal, "JournalFileBackend", None)
        if backend_cls is None:  # Optuna < 4.0 names
            backend_cls = optuna.storages.JournalFileStorage
        return optuna.storages.JournalStorage(backend_cls(str(path)))
    if "://" in text:
        kwargs: dict[str, Any] = {}
        if text.startswith("sqlite"):
            # several worker processes write one file: wait for the lock instead of failing
            kwargs["engine_kwargs"] = {"connect_args": {"timeout": 120}}
        try:
            return _rdb_storage(optuna, _with_driver(text), kwargs)
        except ModuleNotFoundError as exc:
            extra = " (pip install 'carin[postgres]')" if text.startswith("postgres") else ""
            raise CarinError(
                f"--storage {redact(text)}: the database driver {exc.name!r} is not "
                f"installed{extra}"
            ) from None
        except Exception as exc:  # SQLAlchemy's errors vary by driver
            detail = redact(" ".join(str(exc).split()))[:300]
            raise CarinError(f"--storage {redact(text)}: cannot open ({detail})") from None
    raise CarinError(
        f"--storage {redact(text)}: expected an RDB URL such as sqlite:///study.db or "
        "postgresql://user@host/db, or a journal file as journal:PATH or PATH.log"
    )


class _OptunaSolver(BaselineSolver):
    """Shared Optuna adapter; subclasses pick the sampler.

    Args:
        seed: Random seed (default 0). Worker ``i`` of a distributed run uses ``seed + i``.
        budget: Number of trials (default 1000); with a storage, trials in the study.
        storage: Optuna storage (see :func:`open_storage`); None keeps the study in memory.
        workers: Worker processes on the one study (needs ``storage``; without one, a
            temporary journal file is used and removed afterwards).
        study_name: Study name in the storage (default derived from the spec, solver
            and seed).
    """

    sampler_label: ClassVar[str] = ""

    def __init__(
        self,
        *,
        seed: int | None = None,
        budget: int | None = None,
        storage: str | None = None,
        workers: int = 1,
        study_name: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        super().__init__(seed=seed, budget=budget, progress=progress)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise CarinError(
                f"solver {self.name}: --workers must be a whole number >= 1 (got {workers!r})"
            )
        self.storage = storage
        self.workers = workers
        self.study_name = study_name

    # -- what subclasses choose -------------------------------------------------------

    def make_sampler(self, seed: int, use_constraints_func: bool) -> Any:
        """The Optuna sampler of this solver (``use_constraints_func`` for Optuna < 5)."""
        raise NotImplementedError

    def check_available(self) -> None:
        """Raise :class:`CarinError` when the sampler cannot run here."""

    # -- the solve ----------------------------------------------------------------------

    def _solve(self, space: DesignSpace, condition: dict) -> tuple[np.ndarray, int, dict]:
        self.check_available()
        optuna = _optuna()
        scorer = Scorer(space, condition)
        started = datetime.now()
        tmpdir = None
        storage_text = self.storage
        if storage_text is None and self.workers > 1:
            tmpdir = tempfile.mkdtemp(prefix="carin-optuna-")
            storage_text = f"journal:{Path(tmpdir) / 'study.log'}"
        try:
            if storage_text is None:
                study = _create_study(optuna, self, space, None, "carin")
                _run_budgeted(study, scorer, self.budget, _worker_id(0), self.progress)
            else:
                shown = redact(storage_text)
                name = self.study_name or self.default_study_name(space, condition)
                try:
                    study = _create_study(optuna, self, space, open_storage(storage_text), name)
                    if self.workers == 1:
                        _run_budgeted(study, scorer, self.budget, _worker_id(0), self.progress)
                    else:
                        _run_workers(self, space, condition, storage_text, name, study)
                    trials = _finished_trials(optuna, study)
                except CarinError:
                    raise
                except Exception as exc:  # the storage's own errors vary by backend and driver
                    raise CarinError(f"--storage {shown}: {_storage_failure(exc)}") from None
            if storage_text is None:
                trials = _finished_trials(optuna, study)
        finally:
            if tmpdir is not None:
                shutil.rmtree(tmpdir, ignore_errors=True)
        k = len(space.tasks)
        names = [t.name for t in space.tasks]
        index = np.array([[tr.params[n] for n in names] for tr in trials], dtype=np.int64)
        index = index.reshape(-1, k)
        seconds = np.array(
            [max(0.0, (tr.datetime_complete - started).total_seconds()) for tr in trials]
        )
        feasible = scorer(index)[2] if len(index) else np.zeros(0, dtype=bool)
        index_out, evaluations, stats = self._finish(space, History(index, seconds, feasible))
        stats["sampler"] = self.sampler_label
        if storage_text is not None:
            stats["study"] = study.study_name
            stats["workers"] = self.workers
        return index_out, evaluations, stats

    def default_study_name(self, space: DesignSpace, condition: dict) -> str:
        """``carin-<spec>-<solver>-seed<seed>`` (plus a digest of a non-nominal condition)."""
        name = f"carin-{space.spec.name}-{self.name}-seed{self.seed}"
        if condition:
            digest = hashlib.sha256(json.dumps(condition, sort_keys=True).encode()).hexdigest()
            name += f"-{digest[:8]}"
        return name


def _fingerprint(solver: _OptunaSolver, space: DesignSpace) -> dict:
    return {
        "spec": space.spec.name,
        "solver": solver.name,
        "tasks": {t.name: len(t) for t in space.tasks},
        "objectives": space.objective_labels(),
        "constraints": [c.describe(space.single) for c in space.constraints],
    }


def _create_study(
    optuna: Any,
    solver: _OptunaSolver,
    space: DesignSpace,
    storage: Any,
    name: str,
    seed: int | None = None,
) -> Any:
    use_cf = not hasattr(optuna.trial.Trial, "set_constraint")
    sampler = solver.make_sampler(solver.seed if seed is None else seed, use_cf)
    directions = ["maximize" if m else "minimize" for m in space.maximise]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(
            storage=storage,
            sampler=sampler,
            study_name=name,
            directions=directions,
            load_if_exists=storage is not None,
        )
    if storage is None:
        return study
    mine = _fingerprint(solver, space)
    theirs = study.user_attrs.get("carin")
    if theirs is None:
        if study.get_trials(deepcopy=False):
            raise CarinError(
                f"study '{name}' in the storage was not made by carin; pick another --study-name"
            )
        study.set_user_attr("carin", mine)
    elif theirs != mine:
        raise CarinError(
            f"study '{name}' in the storage belongs to another problem ({theirs['spec']}, "
            f"{theirs['solver']}, tasks {theirs['tasks']}); pick another --study-name or storage"
        )
    return study


def _worker_id(index: int) -> str:
    """Tells apart workers on one machine and across machines: ``host:pid:index``."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


_LIVE = ("COMPLETE", "RUNNING", "WAITING")


def _counted(study: Any) -> int:
    """Trials in the study that count toward the budget (complete, or being evaluated)."""
    states = tuple(getattr(_optuna().trial.TrialState, s) for s in _LIVE)
    return len(study.get_trials(deepcopy=False, states=states))


def _within_budget(study: Any, number: int, budget: int) -> bool:
    """Whether the trial numbered ``number`` is among the first ``budget`` live trials.

    Trial numbers are handed out in order by the storage (under its lock), so every
    process agrees on the order. A trial counts when fewer than ``budget`` live trials
    come before it; failed and over-budget trials do not count. Below ``budget`` that
    holds without looking (the common case costs no query).
    """
    if number < budget:
        return True
    ts = _optuna().trial.TrialState
    done = study.get_trials(deepcopy=False, states=(ts.FAIL, ts.PRUNED))
    return number - sum(1 for t in done if t.number < number) < budget


def _objective(scorer: Scorer, worker: str) -> Callable[[Any], Any]:
    space = scorer.space
    names = [t.name for t in space.tasks]
    sizes = [len(t) for t in space.tasks]
    choices = [list(range(n)) if n <= CATEGORICAL_LIMIT else None for n in sizes]
    maximise = space.maximise
    use_cf = not hasattr(_optuna().trial.Trial, "set_constraint")
    labels = [c.describe(space.single) for c in space.constraints] + ["task limits", "other"]
    single = len(maximise) == 1

    def objective(trial: Any) -> Any:
        row = [
            trial.suggest_categorical(n, c) if c is not None else trial.suggest_int(n, 0, m - 1)
            for n, c, m in zip(names, choices, sizes, strict=True)
        ]
        idx = np.array([row], dtype=np.int64)
        trial.set_user_attr("carin_worker", worker)
        costs, viol, _ = scorer(idx)
        values = np.where(maximise, -costs[0], costs[0])
        if use_cf:
            trial.set_user_attr("constraints", [float(v) for v in viol[0]])
        else:
            for label, v in zip(labels, viol[0], strict=True):
                trial.set_constraint(label, float(v))
        return float(values[0]) if single else [float(v) for v in values]

    return objective


def _run_budgeted(
    study: Any,
    scorer: Scorer,
    budget: int,
    worker: str,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Evaluate trials until the study holds ``budget`` counted trials; returns how many ran.

    Any number of processes (on any number of machines) may run this on one stored
    study: each asks the storage for a trial and runs it only while it is within the
    budget (:func:`_within_budget`), so together they end with exactly ``budget``
    complete trials, and a resumed study that has them does no work at all.
    """
    optuna = _optuna()
    ts = optuna.trial.TrialState
    start = _counted(study)
    if start >= budget:
        return 0
    objective = _objective(scorer, worker)
    ran = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the study held `start` counted trials and this process added `ran`: once they
        # reach the budget no trial can count any more (other processes only add trials)
        while start + ran < budget:
            trial = study.ask()
            if not _within_budget(study, trial.number, budget):
                trial.set_user_attr("carin_over_budget", True)
                study.tell(trial, state=ts.FAIL)
                break
            try:
                values = objective(trial)
            except BaseException:
                study.tell(trial, state=ts.FAIL)
                raise
            study.tell(trial, values)
            ran += 1
            if progress is not None:
                progress(min(start + ran, budget), budget)
    return ran


def _finished_trials(optuna: Any, study: Any) -> list:
    trials = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    return sorted(trials, key=lambda t: t.number)


def _constraints_func(trial: Any) -> list[float]:
    return trial.user_attrs["constraints"]


def _run_workers(
    solver: _OptunaSolver,
    space: DesignSpace,
    condition: dict,
    storage: str,
    name: str,
    study: Any,
) -> None:
    """Run ``solver.workers`` processes on the stored study until it holds the budget."""
    if _counted(study) >= solver.budget:
        return
    slim = replace(space, table=None)  # evaluate() needs only the tasks and the spec
    # fork where the platform has it: a spawned child would re-import the caller's
    # main module, which fails for interactive and piped sessions
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    errors = ctx.Queue()
    procs = []
    for i in range(solver.workers):
        p = ctx.Process(
            target=_worker,
            args=(solver.name, i, solver.seed + i, solver.budget, slim, condition, storage, name),
            kwargs={"errors": errors},
            name=f"carin-optuna-worker-{i}",
        )
        p.start()
        procs.append(p)
    try:
        while any(p.is_alive() for p in procs):
            for p in procs:
                p.join(0.5)
            if solver.progress is not None:
                solver.progress(min(_counted(study), solver.budget), solver.budget)
    except BaseException:
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()
        raise
    messages = []
    while not errors.empty():
        messages.append(errors.get())
    failed = [f"{p.name} (exit code {p.exitcode})" for p in procs if p.exitcode != 0]
    if messages:
        raise CarinError(f"--storage {redact(storage)}: {messages[0]}")
    if failed:
        raise CarinError(f"optuna workers failed: {', '.join(failed)}; storage {redact(storage)}")


def _worker(
    solver_name: str,
    worker: int,
    seed: int,
    budget: int,
    space: DesignSpace,
    condition: dict,
    storage: str,
    name: str,
    *,
    errors: Any = None,
) -> None:
    """One worker process: one message (never a traceback) when the storage fails."""
    from carin.solvers import get_solver

    try:
        solver = get_solver(solver_name, seed=seed, budget=budget)
        optuna = _optuna()
        study = _create_study(optuna, solver, space, open_storage(storage), name, seed=seed)
        _run_budgeted(study, Scorer(space, condition), budget, _worker_id(worker))
    except KeyboardInterrupt:
        os._exit(130)
    except Exception as exc:  # noqa: BLE001 - reported once by the parent
        if errors is not None:
            errors.put(str(exc) if isinstance(exc, CarinError) else _storage_failure(exc))
            errors.close()
            errors.join_thread()
        os._exit(2)


def redact(url: str) -> str:
    """A storage URL with its password replaced by ``***`` (safe to print)."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", str(url))


def _storage_failure(exc: BaseException) -> str:
    """One line saying what the storage error was, without passwords or tracebacks."""
    text = " ".join(str(exc).split())
    text = redact(text)
    text = re.sub(r"\(Background on this error at: [^)]*\)", "", text).strip()
    kind = type(exc).__name__
    if len(text) > 300:
        text = text[:297] + "..."
    return (
        f"the study's database failed during the run ({kind}: {text}); the trials completed "
        "so far are kept in it: run the same command again to resume"
    )


class OptunaNSGA2(_OptunaSolver):
    """Optuna's NSGAIISampler (population 50, or budget/10 when smaller; at least 4)."""

    name = "optuna-nsga2"
    sampler_label = "NSGAIISampler"

    def make_sampler(self, seed: int, use_constraints_func: bool) -> Any:  # noqa: D102
        optuna = _optuna()
        pop = max(4, min(50, self.budget // 10))
        kw = {"constraints_func": _constraints_func} if use_constraints_func else {}
        return optuna.samplers.NSGAIISampler(population_size=pop, seed=seed, **kw)


class OptunaTPE(_OptunaSolver):
    """Optuna's TPESampler (multivariate, so the tasks' choices are modelled jointly)."""

    name = "optuna-tpe"
    sampler_label = "TPESampler"

    def make_sampler(self, seed: int, use_constraints_func: bool) -> Any:  # noqa: D102
        optuna = _optuna()
        kw = {"constraints_func": _constraints_func} if use_constraints_func else {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # multivariate is marked experimental
            return optuna.samplers.TPESampler(seed=seed, multivariate=True, **kw)


class OptunaGP(_OptunaSolver):
    """Optuna's GPSampler (needs PyTorch; cost grows with the cube of the trials)."""

    name = "optuna-gp"
    sampler_label = "GPSampler"
    default_budget = 200

    def check_available(self) -> None:  # noqa: D102
        optuna = _optuna()
        if not hasattr(optuna.samplers, "GPSampler"):
            raise CarinError(
                f"solver optuna-gp needs Optuna >= 3.6 (installed {optuna.__version__})"
            )
        if importlib.util.find_spec("torch") is None:
            raise CarinError(
                "solver optuna-gp needs PyTorch, which Optuna's GPSampler uses and carin does "
                "not install; install it (pip install torch, the CPU build is enough) or use "
                "optuna-nsga2 / optuna-tpe"
            )

    def make_sampler(self, seed: int, use_constraints_func: bool) -> Any:  # noqa: D102
        optuna = _optuna()
        kw = {"constraints_func": _constraints_func} if use_constraints_func else {}
        return optuna.samplers.GPSampler(seed=seed, deterministic_objective=True, **kw)


SOLVERS = (OptunaNSGA2, OptunaTPE, OptunaGP)
