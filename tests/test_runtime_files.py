"""The runtime reads plans and events files bounded: regular UTF-8 files of at most 16 MiB.

``Switcher.from_file`` and ``read_events`` may be handed any path by an app; a FIFO
must be refused without waiting for a writer, a huge file without reading it whole,
and bytes that are not UTF-8 text with a message that names the file.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pytest

from carin.cli import main
from carin.runtime import MAX_FILE_BYTES, EventsError, PlanError, Switcher, read_events
from carin.runtime._read import read_text

ROOT = Path(__file__).resolve().parents[1]
PLAN = (ROOT / "tests/conformance/single_unavailable.json").read_text()
PLAN_TEXT = json.dumps(json.loads(PLAN)["plan"], indent=1)
EVENTS = (
    '{"t": 0, "conditions": {"unavailable": ["npu"]}}\n{"t": 1, "observe": {"latency_ms": 9}}\n'
)

#: (loader, error class, what the file is called in messages)
LOADERS = [
    pytest.param(Switcher.from_file, PlanError, "plan", id="plan"),
    pytest.param(read_events, EventsError, "events file", id="events"),
]

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")


@pytest.fixture
def deadline():
    """Fail, rather than hang, when a read blocks: SIGALRM interrupts it after 10 s."""
    if sys.platform == "win32":  # pragma: no cover - no SIGALRM
        yield
        return

    def _expired(signum, frame):
        raise TimeoutError("the read blocked")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, 10.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_good_files_load(tmp_path):
    (tmp_path / "plan.json").write_text(PLAN_TEXT)
    (tmp_path / "events.jsonl").write_bytes(b"\xef\xbb\xbf" + EVENTS.encode())  # a UTF-8 BOM
    switcher = Switcher.from_file(tmp_path / "plan.json")  # a Path works as well as a str
    assert switcher.select({"unavailable": ["npu"]}).design_id == "d1"
    events = read_events(tmp_path / "events.jsonl")
    assert [e["line"] for e in events] == [1, 2]


@needs_fifo
@pytest.mark.parametrize(("load", "error", "what"), LOADERS)
def test_fifo_is_refused_without_blocking(load, error, what, tmp_path, deadline):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # no writer: opening it for reading in blocking mode would wait forever
    with pytest.raises(error) as info:
        load(str(fifo))
    assert str(info.value) == (
        f"{fifo}: is a FIFO (named pipe), not a regular file; give a {what} saved to disk"
    )


@needs_fifo
def test_fifo_put_in_place_after_the_check_is_refused(tmp_path, deadline, monkeypatch):
    """Between the check and the open a file may be replaced: the open does not block."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    regular = os.stat(ROOT / "README.md")
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: regular if p == str(fifo) else real_stat(p))
    with pytest.raises(PlanError, match=r"is a FIFO \(named pipe\), not a regular file"):
        read_text(str(fifo), what="plan", error=PlanError)


@pytest.mark.parametrize(("load", "error", "what"), LOADERS)
def test_oversize_file_is_refused_unread(load, error, what, tmp_path):
    path = tmp_path / "big"
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written, and nothing must be read
    with pytest.raises(error) as info:
        load(str(path))
    assert str(info.value) == (
        f"{path}: {MAX_FILE_BYTES + 1:,} bytes; a {what} may have at most {MAX_FILE_BYTES:,}"
    )
    assert MAX_FILE_BYTES == 16 * 1024 * 1024  # the documented cap


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_read_stops_at_the_cap_when_the_size_lies():
    """A /proc file says 0 bytes but holds more: the read stops after limit + 1 bytes."""
    with pytest.raises(PlanError, match=r"^/proc/self/status: more than 16 bytes; a plan may"):
        read_text("/proc/self/status", what="plan", error=PlanError, limit=16)
    assert read_text("/proc/self/status", what="plan", error=PlanError).startswith("Name:")


@pytest.mark.parametrize(("load", "error", "what"), LOADERS)
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b'{"name": "caf\xe9"}\n',
            ":1: not UTF-8 text (byte 0xe9 at offset 13; Latin-1 or another encoding?); "
            "save the {what} as UTF-8",
        ),
        (
            b"\n\n" + "{}".encode("utf-16-le"),
            ":3: binary data (a NUL byte at offset 3); the {what} must be UTF-8 text",
        ),
        ("{}".encode("utf-16"), ": the {what} is UTF-16-encoded; save it as UTF-8"),
    ],
    ids=["latin-1", "nul", "utf-16"],
)
def test_text_that_is_not_utf8_is_refused(load, error, what, data, message, tmp_path):
    path = tmp_path / "file"
    path.write_bytes(data)
    with pytest.raises(error) as info:
        load(str(path))
    assert str(info.value) == f"{path}" + message.format(what=what)


@pytest.mark.parametrize(("load", "error", "what"), LOADERS)
def test_missing_file_and_folder_are_named(load, error, what, tmp_path):
    with pytest.raises(error, match=r"^.*/nothing: no such file$"):
        load(str(tmp_path / "nothing"))
    with pytest.raises(error) as info:
        load(str(tmp_path))
    assert str(info.value) == f"{tmp_path}: is a folder, expected a {what}"


def test_json_the_parser_cannot_take_is_refused_with_the_file(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(PlanError, match=r"plan\.json: JSON nested too deeply; not a plan$"):
        Switcher.from_file(str(path))
    path = tmp_path / "events.jsonl"
    path.write_text('{"t": ' + "9" * 5000 + "}\n")
    with pytest.raises(EventsError, match=r"events\.jsonl:1: not a JSON line \(Exceeds the limit"):
        read_events(str(path))
    path.write_text('{"t": 0, "conditions": {}}\n{"t": }\n')
    with pytest.raises(EventsError, match=r"events\.jsonl:2: not valid JSON \(.* at column 7\)$"):
        read_events(str(path))


@needs_fifo
def test_carin_switch_refuses_a_fifo_plan_with_exit_2(tmp_path, deadline, capsys):
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    events = tmp_path / "events.jsonl"
    events.write_text(EVENTS)
    assert main(["switch", str(fifo), "--events", str(events)]) == 2
    assert "is a FIFO (named pipe), not a regular file" in capsys.readouterr().err
