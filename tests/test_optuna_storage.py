"""Distributed Optuna studies keep their budget on SQLite, journal files and PostgreSQL.

PostgreSQL tests run against the server that ``.ci/postgres.sh`` starts for CI (the
URL comes from ``CARIN_TEST_POSTGRES_URL``) and are skipped when none is configured.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from carin.solvers.optuna_ import open_storage, redact

optuna = pytest.importorskip("optuna")

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spaces" / "phone-classifier.yaml"
PG_URL = os.environ.get("CARIN_TEST_POSTGRES_URL")
needs_pg = pytest.mark.skipif(not PG_URL, reason="no PostgreSQL server (CARIN_TEST_POSTGRES_URL)")


def _storage(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    if kind == "journal":
        return f"journal:{tmp_path / 'study.log'}"
    return PG_URL


KINDS = ["sqlite", "journal", pytest.param("postgres", marks=needs_pg)]


def _carin(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "carin.cli", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _trials(storage: str, name: str) -> list:
    study = optuna.load_study(study_name=name, storage=open_storage(storage))
    return study.get_trials(deepcopy=False)


def _complete(trials: list) -> list:
    return [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]


@pytest.mark.parametrize("kind", KINDS)
def test_two_processes_share_one_study_and_end_with_exactly_the_budget(kind, tmp_path):
    storage = _storage(kind, tmp_path)
    name = f"share-{uuid.uuid4().hex[:8]}"
    budget = 120
    common = ["--solver", "optuna-tpe", "--budget", str(budget), "--storage", storage]
    procs = [
        _carin(
            "solve",
            str(SPEC),
            *common,
            "--study-name",
            name,
            "--out",
            str(tmp_path / f"o{i}"),
            "--workers",
            str(w),
            cwd=tmp_path,
        )
        for i, w in enumerate((1, 2))
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    trials = _trials(storage, name)
    assert len(_complete(trials)) == budget
    # every other trial is one a worker found over the budget and gave back
    assert all(t.user_attrs.get("carin_over_budget") for t in trials if t not in _complete(trials))
    workers = {t.user_attrs["carin_worker"] for t in _complete(trials)}
    assert all(re.fullmatch(r".+:\d+:\d+", w) for w in workers)
    assert len(workers) >= 2  # the --workers 2 process alone has two
    # a resumed study does no extra work
    before = len(trials)
    again = _carin(
        "solve",
        str(SPEC),
        *common,
        "--study-name",
        name,
        "--out",
        str(tmp_path / "o3"),
        cwd=tmp_path,
    )
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert len(_trials(storage, name)) == before


@pytest.mark.parametrize("kind", KINDS)
def test_workers_in_one_process_end_with_exactly_the_budget(kind, tmp_path):
    from carin.solvers import get_solver
    from carin.space import compile_space
    from carin.spec import load_spec

    storage = _storage(kind, tmp_path)
    name = f"w-{uuid.uuid4().hex[:8]}"
    space = compile_space(load_spec(SPEC))
    seen = []
    solver = get_solver(
        "optuna-nsga2",
        budget=90,
        seed=3,
        storage=storage,
        workers=3,
        study_name=name,
        progress=lambda d, t: seen.append((d, t)),
    )
    front = solver.solve(space)
    assert front.evaluations == 90
    assert len(_complete(_trials(storage, name))) == 90
    assert seen and seen[-1] == (90, 90) and all(t == 90 for _, t in seen)


def test_password_is_never_printed():
    assert (
        redact("postgresql://carin:s3cr3t@127.0.0.1:5/db")
        == "postgresql://carin:***@127.0.0.1:5/db"
    )
    assert redact("sqlite:///x.db") == "sqlite:///x.db"


def test_unreachable_database_is_one_clear_error(tmp_path):
    url = "postgresql://carin:s3cr3t-pw@127.0.0.1:9/nothing"
    proc = _carin(
        "solve",
        str(SPEC),
        "--solver",
        "optuna-tpe",
        "--budget",
        "5",
        "--storage",
        url,
        "--out",
        str(tmp_path / "o"),
        cwd=tmp_path,
    )
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2
    assert "s3cr3t-pw" not in out + err and "Traceback" not in err
    assert "postgresql://carin:***@127.0.0.1:9/nothing" in err
    assert len(err.strip().splitlines()) == 1


@needs_pg
def test_database_gone_mid_run_is_one_clear_error(tmp_path):
    """The study's database is dropped while two workers run: one message, no tracebacks."""
    psycopg = pytest.importorskip("psycopg")

    base, _, _ = PG_URL.rpartition("/")
    db = f"carin_gone_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(PG_URL, autocommit=True)
    admin.cursor().execute(f"CREATE DATABASE {db}")
    url = f"{base}/{db}"
    password = re.match(r".*://[^:]*:([^@]*)@", url).group(1)
    proc = _carin(
        "solve",
        str(SPEC),
        "--solver",
        "optuna-tpe",
        "--budget",
        "100000",
        "--workers",
        "2",
        "--storage",
        url,
        "--study-name",
        "gone",
        "--out",
        str(tmp_path / "o"),
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            if len(_trials(url, "gone")) >= 20:
                break
        except Exception:  # noqa: BLE001 - the study may not exist yet
            pass
        time.sleep(0.5)
    admin.cursor().execute(f"DROP DATABASE {db} WITH (FORCE)")
    admin.close()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 2, (out, err)
    assert "Traceback" not in err and password not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --storage postgresql://carin:***@"), err
    assert "database failed during the run" in lines[0]
