"""A result folder is replaced as a whole; readers refuse files of different solves."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from carin.cli import main
from carin.errors import CarinError
from carin.result import check_result_file, load_result_dir, solve, write_result_dir

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples/linux_app/app.yaml"


def _spec(tmp_path: Path, name: str, limit: str) -> Path:
    text = APP.read_text(encoding="utf-8").replace("linux-app-digits", name)
    text = text.replace("max: 0.012", f"max: {limit}").replace(
        "profiles.csv", str(APP.parent / "profiles.csv")
    )
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_results(tmp_path_factory):
    """Two solved folders of different specs (different names and designs)."""
    tmp = tmp_path_factory.mktemp("two")
    out = {}
    for name, limit in (("wide", "0.012"), ("tight", "0.0016")):
        result = solve(_spec(tmp, name, limit))
        result.save(tmp / name)
        out[name] = tmp / name
    return out


READERS = [
    ["show"],
    ["explain"],
    ["plot", "-o", "PLOT"],
]


def _run(argv, capsys):
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r[0])
@pytest.mark.parametrize("foreign", ["plan.json", "pareto.csv", "summary.json"])
def test_readers_refuse_a_file_from_another_solve(tmp_path, capsys, two_results, reader, foreign):
    folder = tmp_path / "mixed"
    shutil.copytree(two_results["wide"], folder)
    shutil.copyfile(two_results["tight"] / foreign, folder / foreign)
    argv = [a.replace("PLOT", str(tmp_path / "f.png")) for a in reader]
    code, err = _run([argv[0], str(folder), *argv[1:]], capsys)
    assert code == 2, err
    assert f"{folder}: the files do not belong to one solve ({foreign} is not the one" in err
    assert "Traceback" not in err and not (tmp_path / "f.png").exists()


def test_switch_refuses_a_plan_that_does_not_belong_with_its_folder(tmp_path, capsys, two_results):
    folder = tmp_path / "mixed"
    shutil.copytree(two_results["wide"], folder)
    events = tmp_path / "e.jsonl"
    events.write_text('{"t": 0, "conditions": {}}\n', encoding="utf-8")
    assert main(["switch", str(folder / "plan.json"), "--events", str(events)]) == 0
    shutil.copyfile(two_results["tight"] / "plan.json", folder / "plan.json")
    code, err = _run(["switch", str(folder / "plan.json"), "--events", str(events)], capsys)
    assert code == 2 and "plan.json is not the one manifest.json records" in err
    # a plan copied out of the folder (into an app) is not tied to it
    shutil.copyfile(folder / "plan.json", tmp_path / "plan.json")
    assert main(["switch", str(tmp_path / "plan.json"), "--events", str(events)]) == 0


def test_folder_without_manifest_is_refused(tmp_path, capsys, two_results):
    folder = tmp_path / "old"
    shutil.copytree(two_results["wide"], folder)
    (folder / "manifest.json").unlink()
    code, err = _run(["show", str(folder)], capsys)
    assert code == 2 and "no manifest.json" in err
    code, err = _run(["show", str(tmp_path)], capsys)
    assert code == 2 and "no summary.json; is this the --out folder" in err


def test_infeasible_solve_replaces_the_whole_set(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["solve", str(_spec(tmp_path, "wide", "0.012")), "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {
        ".carin-lock",
        "manifest.json",
        "plan.json",
        "pareto.csv",
        "summary.json",
    }
    capsys.readouterr()
    assert main(["solve", str(_spec(tmp_path, "never", "0.0000001")), "--out", str(out)]) == 3
    # no stale plan.json or pareto.csv beside the new summary, no temp files
    assert {p.name for p in out.iterdir()} == {".carin-lock", "manifest.json", "summary.json"}
    saved = load_result_dir(out)
    assert saved["summary.json"]["feasible"] is False and saved["summary.json"]["name"] == "never"
    assert saved["plan.json"] is None and saved["pareto.csv"] is None
    capsys.readouterr()
    assert main(["show", str(out)]) == 0
    assert "never: no design meets the constraints" in capsys.readouterr().out


def test_output_path_problems_name_the_path(tmp_path, capsys):
    spec = _spec(tmp_path, "wide", "0.012")
    link = tmp_path / "dangling"
    link.symlink_to(tmp_path / "nowhere" / "x")
    code, err = _run(["solve", str(spec), "--out", str(link)], capsys)
    assert code == 2 and f"{link}: is a symbolic link to {tmp_path / 'nowhere' / 'x'}" in err
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, err = _run(["solve", str(spec), "--out", str(afile)], capsys)
    assert code == 2 and f"{afile}: exists and is not a folder" in err
    code, err = _run(["solve", str(spec), "--top", "-3"], capsys)
    assert code == 2 and "--top: got -3; expected a positive number" in err


def test_write_error_names_the_target_not_the_temp_file(tmp_path, capsys, two_results):
    folder = tmp_path / "ro"
    shutil.copytree(two_results["wide"], folder)
    (folder / "front.png").mkdir()  # a folder where the picture should go
    code, err = _run(["plot", str(folder)], capsys)
    assert code == 2 and ".tmp" not in err and str(folder / "front.png") in err


# -- kills and failures at every step of a write ----------------------------------------

# the file-system calls a write or a read makes; a child process is killed (or fails)
# just before the n-th of them, whichever module makes it (carin, shutil, pathlib)
_CALLS = ("mkdir", "open", "write", "fsync", "rename", "replace", "unlink", "rmdir")


def _stopped_at(action, stop_at: int | None, *, how: str = "kill") -> tuple[str, int]:
    """Run ``action()`` in a forked child stopped just before file-system call ``stop_at``.

    ``how="kill"``: the child sends itself SIGKILL there; ``"fail"``: that call raises
    OSError (EIO) and the child goes on. Returns ``(outcome, calls)``: ``killed``,
    ``done`` or ``raised``, and the number of calls the child made (when not killed).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            os.close(read_end)
            real = {name: getattr(os, name) for name in _CALLS}
            count = 0

            def wrap(name):
                def call(*args, **kwargs):
                    nonlocal count
                    count += 1
                    if count == stop_at:
                        if how == "kill":
                            os.kill(os.getpid(), signal.SIGKILL)
                        raise OSError(errno.EIO, "injected failure")
                    return real[name](*args, **kwargs)

                return call

            for name in _CALLS:
                setattr(os, name, wrap(name))
            try:
                action()
            except OSError:
                code = 3
            finally:
                for name in _CALLS:
                    setattr(os, name, real[name])
            os.write(write_end, str(count).encode())
        except BaseException:  # anything else: a failure of the test itself
            code = 4
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        reported = fh.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return "killed", -1
    code = os.WEXITSTATUS(status)
    assert code in (0, 3), f"the child failed ({code})"
    return ("done" if code == 0 else "raised"), int(reported)


def _sets(two_results) -> dict[str, dict]:
    """The keyword arguments of write_result_dir for each solve, and an infeasible one."""
    out = {}
    for name, folder in two_results.items():
        saved = load_result_dir(folder)
        out[name] = dict(summary=saved["summary.json"], plan=saved["plan.json"])
        out[name]["pareto"] = saved["pareto.csv"]
    out["never"] = dict(summary={"name": "never", "feasible": False, "nearest_misses": []})
    return out


def _bytes(folder: Path) -> dict[str, bytes]:
    return {
        n: (folder / n).read_bytes()
        for n in ("summary.json", "plan.json", "pareto.csv", "manifest.json")
        if (folder / n).exists()
    }


def _state(folder: Path, files: dict[str, dict[str, bytes]], refused=None) -> str:
    """Which complete set a reader gets from ``folder``: a solve's name (a key of
    ``files``), or a key of ``refused`` whose message the reader gave.

    For a solve, also checks the folder itself once the reader has looked: its files
    are exactly that set's and nothing is pending.
    """
    try:
        saved = load_result_dir(folder)
    except CarinError as exc:
        for state, texts in (refused or {}).items():
            if any(t in str(exc) for t in texts):
                return state
        raise
    name = saved["summary.json"]["name"]
    assert _bytes(folder) == files[name], f"{folder}: not the complete set of {name}"
    assert not (folder / ".carin-commit").exists()
    return name


@pytest.fixture(scope="module")
def sets(two_results, tmp_path_factory):
    """Each set's keyword arguments and the exact files a write of it leaves."""
    tmp = tmp_path_factory.mktemp("sets")
    kwargs = _sets(two_results)
    files = {}
    for name, kw in kwargs.items():
        write_result_dir(tmp / name, **kw)
        files[kw["summary"]["name"]] = _bytes(tmp / name)
    return kwargs, files


def _old_carin(folder: Path, source: Path) -> None:
    """A folder as a carin without manifests wrote it."""
    folder.mkdir(parents=True)
    for name in ("summary.json", "plan.json", "pareto.csv"):
        shutil.copyfile(source / name, folder / name)


def _plain_files(folder: Path) -> dict[str, bytes]:
    """The folder's files other than carin's own lock, staging and commit entries."""
    if not folder.exists():
        return {}
    return {
        p.name: p.read_bytes()
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".carin-")
    }


def _every_kill_point(tmp_path, sets, prepare, new: str, refused=None) -> list[str]:
    """Kill a write of set ``new`` at each of its file-system calls, in a folder that
    ``prepare(folder)`` sets up; return the sequence of states a reader then finds.

    A state the reader refuses (the folder held no usable set before the write) must
    leave the folder's files as they were.
    """
    kwargs, files = sets
    base = tmp_path / "base"
    prepare(base)
    before = _plain_files(base)
    outcome, calls = _stopped_at(lambda: write_result_dir(base, **kwargs[new]), None)
    assert outcome == "done" and calls > 10
    seen = []
    for n in range(1, calls + 1):
        folder = tmp_path / f"k{n}"
        prepare(folder)
        outcome, _ = _stopped_at(lambda f=folder: write_result_dir(f, **kwargs[new]), n)
        assert outcome == "killed"
        state = _state(folder, files, refused)
        seen.append(state)
        if state not in files:  # the old contents, untouched
            after = _plain_files(folder)
            assert after == before, (n, state)
        if "notes.txt" in before:  # a file that is not a result file is left alone
            assert (folder / "notes.txt").read_bytes() == before["notes.txt"]
        # the next write finishes or discards what the killed one left
        write_result_dir(folder, **kwargs["tight"])
        assert _state(folder, files) == "tight"
        assert not list(folder.glob(".carin-staging-*"))
        shutil.rmtree(folder)
    return seen


def _one_switch(seen: list[str], old: str, new: str) -> None:
    """The old set up to one instant (the commit), the new one from there on."""
    assert seen[0] == old and seen[-1] == new, seen
    switch = seen.index(new)
    assert set(seen[:switch]) == {old} and set(seen[switch:]) == {new}, seen


@pytest.mark.parametrize("new", ["tight", "never"], ids=["feasible", "infeasible"])
def test_kill_at_every_step_leaves_the_old_set_or_the_new_one(tmp_path, sets, new):
    """Over a feasible set: another feasible one, or an infeasible one (summary only)."""
    kwargs, _ = sets

    def prepare(folder):
        write_result_dir(folder, **kwargs["wide"])

    seen = _every_kill_point(tmp_path, sets, prepare, new)
    _one_switch(seen, "wide", new)


def test_kill_during_the_first_write_into_a_plain_folder(tmp_path, sets):
    def prepare(folder):
        folder.mkdir()
        (folder / "notes.txt").write_text("mine\n")

    seen = _every_kill_point(tmp_path, sets, prepare, "wide", {"nothing": ["no summary.json"]})
    _one_switch(seen, "nothing", "wide")


def test_kill_during_the_first_write_into_a_new_folder(tmp_path, sets):
    # killed before the folder exists, or after it was made but before the commit
    nothing = {"nothing": ["no such folder", "no summary.json"]}
    seen = _every_kill_point(tmp_path, sets, lambda f: None, "wide", nothing)
    _one_switch(seen, "nothing", "wide")


def test_kill_while_replacing_a_folder_an_older_carin_wrote(tmp_path, sets, two_results):
    def prepare(folder):
        _old_carin(folder, two_results["wide"])

    seen = _every_kill_point(tmp_path, sets, prepare, "tight", {"older": ["no manifest.json"]})
    _one_switch(seen, "older", "tight")


def _pending(folder: Path, sets, stop: str) -> None:
    """A folder whose writer of 'tight' over 'wide' was killed just after the commit
    (``stop="commit"``) or halfway through installing it (``"half"``)."""
    kwargs, files = sets
    probe = folder.parent / f"{folder.name}-probe"
    seen = []
    write_result_dir(probe, **kwargs["wide"])
    _, calls = _stopped_at(lambda: write_result_dir(probe, **kwargs["tight"]), None)
    shutil.rmtree(probe)
    for n in range(1, calls + 1):
        write_result_dir(folder, **kwargs["wide"])
        _stopped_at(lambda f=folder: write_result_dir(f, **kwargs["tight"]), n)
        pending = (folder / ".carin-commit" / "manifest.json").exists()
        moved = pending and not (folder / ".carin-commit" / "summary.json").exists()
        seen.append((n, pending, moved))
        if (stop == "commit" and pending) or (stop == "half" and moved):
            return
        shutil.rmtree(folder)
    raise AssertionError(f"no kill point left a {stop} state: {seen}")


def _kill_each_call_after(tmp_path, sets, stop: str, action) -> list[str]:
    """Kill ``action(folder)`` at each of its file-system calls, in a copy of a folder
    whose writer was killed at ``stop`` (see :func:`_pending`); return what a reader
    then finds each time."""
    base = tmp_path / "base"
    _pending(base, sets, stop)
    probe = tmp_path / "probe"
    shutil.copytree(base, probe)
    outcome, calls = _stopped_at(lambda: action(probe), None)
    assert outcome == "done" and calls >= 4
    seen = []
    for n in range(1, calls + 1):
        folder = tmp_path / f"k{n}"
        shutil.copytree(base, folder)
        assert _stopped_at(lambda f=folder: action(f), n)[0] == "killed"
        seen.append(_state(folder, sets[1]))
    return seen


@pytest.mark.parametrize("stop", ["commit", "half"])
def test_a_reader_killed_while_finishing_a_write(tmp_path, sets, stop):
    """A reader finishes the install a killed writer left; kill it too, at every step."""
    seen = _kill_each_call_after(tmp_path, sets, stop, load_result_dir)
    assert set(seen) == {"tight"}


@pytest.mark.parametrize("stop", ["commit", "half"])
def test_a_writer_killed_while_finishing_an_earlier_write(tmp_path, sets, stop):
    kwargs, _ = sets
    seen = _kill_each_call_after(
        tmp_path, sets, stop, lambda f: write_result_dir(f, **kwargs["wide"])
    )
    # the killed writer's set is the current one until this writer commits its own
    _one_switch(seen, "tight", "wide")


def test_a_reader_that_may_not_write_reads_a_pending_set_where_it_lies(tmp_path, sets, monkeypatch):
    import carin._result_dir as rd

    for stop in ("commit", "half"):
        folder = tmp_path / stop
        _pending(folder, sets, stop)
        before = sorted(p.name for p in folder.rglob("*"))

        def refuse(_folder):
            raise PermissionError(errno.EACCES, "read-only", str(_folder))

        monkeypatch.setattr(rd, "_finish", refuse)
        assert load_result_dir(folder)["summary.json"]["name"] == "tight"
        check_result_file(folder / "plan.json")
        assert sorted(p.name for p in folder.rglob("*")) == before  # nothing was changed
        monkeypatch.undo()
        assert _state(folder, sets[1]) == "tight"


def test_a_failing_call_at_every_step_leaves_the_old_set_or_the_new_one(tmp_path, sets):
    """A write that fails (disk full, I/O error) at any step raises, naming the folder,
    and leaves one complete set; the next write cleans up after it."""
    kwargs, files = sets
    probe = tmp_path / "probe"
    write_result_dir(probe, **kwargs["wide"])
    _, calls = _stopped_at(lambda: write_result_dir(probe, **kwargs["tight"]), None)
    seen = []
    for n in range(1, calls + 1):
        folder = tmp_path / f"f{n}"
        write_result_dir(folder, **kwargs["wide"])
        outcome, _ = _stopped_at(
            lambda f=folder: write_result_dir(f, **kwargs["tight"]), n, how="fail"
        )
        state = _state(folder, files)
        if state == "wide":  # failed before the commit: its staging folder is gone
            assert not list(folder.glob(".carin-staging-*"))
        if outcome == "raised":
            seen.append(state)
        else:  # a failure the writer can do without (mkdir of a folder that exists,
            # removing a folder it no longer needs) does not fail the write
            assert state == "tight", n
    _one_switch(seen, "wide", "tight")


def test_write_errors_name_the_folder(tmp_path, sets, monkeypatch):
    import carin._result_dir as rd

    kwargs, _ = sets
    folder = tmp_path / "out"
    write_result_dir(folder, **kwargs["wide"])

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rd, "_write_file", full)
    with pytest.raises(OSError) as info:
        write_result_dir(folder, **kwargs["tight"])
    assert info.value.filename == str(folder) and "staging" not in str(info.value)
    monkeypatch.undo()
    assert load_result_dir(folder)["summary.json"]["name"] == "wide"
    assert not list(folder.glob(".carin-staging-*"))


def test_a_copied_in_file_is_still_refused_after_a_pending_write(tmp_path, sets, two_results):
    """Finishing an interrupted write does not bless files that were changed by hand."""
    folder = tmp_path / "out"
    _pending(folder, sets, "half")
    # the install moved summary.json already; a hand-copied pareto.csv replaces it
    shutil.copyfile(two_results["wide"] / "summary.json", folder / "summary.json")
    with pytest.raises(CarinError, match="summary.json is not the one manifest.json records"):
        load_result_dir(folder)


# -- random kills (SIGKILL at any moment) --------------------------------------------------

_WRITER = r"""
import sys
from pathlib import Path
from carin.result import load_result_dir, write_result_dir
a, b, out = (Path(p) for p in sys.argv[1:4])
sets = []
for src in (a, b):
    saved = load_result_dir(src)
    sets.append(dict(summary=saved["summary.json"], plan=saved["plan.json"], pareto=saved["pareto.csv"]))
print("ready", flush=True)
i = 0
while True:
    write_result_dir(out, **sets[i % 2])
    i += 1
"""


def kill_trials(two_results: dict, folder: Path, trials: int, seed: int = 0) -> dict:
    """Kill a writer that alternates two results into ``folder``; classify what is left.

    The folder holds one of the results before the first kill. Returns counts:
    ``old_or_new`` (a reader gets one solve's complete set, and the folder's files are
    that set once it has looked), ``lost`` (a reader refuses the folder), ``mixed`` (a
    reader accepted files of two solves), and the staging folders left after one more
    write.
    """
    rng = random.Random(seed)
    counts = {"old_or_new": 0, "lost": 0, "mixed": 0, "staging_left_after_next_write": 0}
    sources = [load_result_dir(p) for p in two_results.values()]
    write_result_dir(
        folder,
        summary=sources[0]["summary.json"],
        plan=sources[0]["plan.json"],
        pareto=sources[0]["pareto.csv"],
    )
    names = {json.loads((p / "summary.json").read_text())["name"]: p for p in two_results.values()}
    for _ in range(trials):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, *map(str, two_results.values()), str(folder)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        try:
            saved = load_result_dir(folder)
        except CarinError:
            counts["lost"] += 1
            continue
        name = saved["summary.json"]["name"]
        src = names[name]
        same = (
            saved["plan.json"] == json.loads((src / "plan.json").read_text())
            and saved["plan.json"]["name"] == name
            and len(saved["pareto.csv"]) == saved["summary.json"]["pareto_designs"]
            and (folder / "pareto.csv").read_bytes() == (src / "pareto.csv").read_bytes()
            and (folder / "plan.json").read_bytes() == (src / "plan.json").read_bytes()
            and not (folder / ".carin-commit").exists()
        )
        counts["old_or_new" if same else "mixed"] += 1
    # the next write removes the staging folders the killed writers left
    write_result_dir(
        folder,
        summary=sources[0]["summary.json"],
        plan=sources[0]["plan.json"],
        pareto=sources[0]["pareto.csv"],
    )
    counts["staging_left_after_next_write"] = len(list(folder.glob(".carin-staging-*")))
    return counts


def test_kill_during_write_keeps_a_complete_set(tmp_path, two_results):
    counts = kill_trials(two_results, tmp_path / "out", trials=4)
    assert counts == {
        "old_or_new": 4,
        "lost": 0,
        "mixed": 0,
        "staging_left_after_next_write": 0,
    }


@pytest.mark.slow
def test_kill_during_write_many(tmp_path, two_results):
    counts = kill_trials(two_results, tmp_path / "out", trials=40, seed=1)
    assert counts["old_or_new"] == 40, counts


def test_a_read_waits_for_a_live_write_to_finish(tmp_path, sets):
    """A writer paused halfway through installing its set holds the folder's lock: a
    reader waits for it, then reads the new set, and the writer finishes unhindered."""
    import threading

    kwargs, files = sets
    folder = tmp_path / "out"
    write_result_dir(folder, **kwargs["wide"])
    paused_r, paused_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            real = os.replace
            calls = 0

            def replace(*args, **kw):
                nonlocal calls
                calls += 1
                if calls == 2:  # one file of the new set is in place, the rest is not
                    os.write(paused_w, b"p")
                    os.read(go_r, 1)
                return real(*args, **kw)

            os.replace = replace
            write_result_dir(folder, **kwargs["tight"])
            code = 0
        finally:
            os._exit(code)
    try:
        assert os.read(paused_r, 1) == b"p"
        assert (folder / ".carin-commit").is_dir()
        got = []
        reader = threading.Thread(target=lambda: got.append(load_result_dir(folder)))
        reader.start()
        reader.join(0.3)
        assert reader.is_alive(), "the reader did not wait for the write"
    finally:
        os.write(go_w, b"g")
        _, status = os.waitpid(pid, 0)
    reader.join(30)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the write failed"
    assert got and got[0]["summary.json"]["name"] == "tight"
    assert _state(folder, files) == "tight"
