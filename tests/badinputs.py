"""Hand-made bad inputs for every ``carin`` command, and a runner that catches tracebacks.

Used by tests/test_cli_robustness.py and benchmarks/robustness.py. Each case is a
command line (``argv`` for :func:`carin.cli.main`) over files written into a
temporary folder. :func:`run_case` runs one in a forked child with a time limit and
reports its exit code, whether a traceback escaped, and its stderr.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "examples" / "linux_app"
LAYERS = ROOT / "spaces" / "intermittent" / "lenet5.yaml"
LOG = ROOT / "tests" / "fixtures" / "litert_logs" / "rpi4_mlp_s_threads_1_2.log"
ALLOWED = {0, 2, 3, 4}


@dataclass
class Outcome:
    """What one command line did."""

    argv: list[str]
    code: int | None
    traceback: str | None
    stderr: str
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """Exit code allowed, no traceback, no hang."""
        return not self.timed_out and self.traceback is None and self.code in ALLOWED


def _call(argv: list[str], catch: type[BaseException]) -> tuple[int | None, str | None, str]:
    """Run ``carin argv`` here: its exit code, the traceback of a ``catch`` it raised, and
    the tail of its standard error."""
    from carin.cli import main

    err, out = io.StringIO(), io.StringIO()
    tb = None
    code: int | None = None
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors exit 2
            code = exc.code if isinstance(exc.code, int) else 2
        except catch:  # noqa: BLE001 - this is what the runner looks for
            tb = traceback.format_exc()
    return code, tb, err.getvalue()[-4000:]


def _child(argv: list[str], conn) -> None:
    conn.send(_call(argv, BaseException))
    conn.close()


def run_case(argv: list[str], timeout: float = 60.0, cwd: Path | None = None) -> Outcome:
    """Run ``carin argv`` in a forked child (so a hang or a crash cannot stop the caller)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        proc = ctx.Process(target=_child, args=(argv, child))
        proc.start()
        child.close()
        if parent.poll(timeout):
            code, tb, err = parent.recv()
            proc.join(timeout)
            return Outcome(argv, code, tb, err)
        proc.kill()
        proc.join()
        return Outcome(argv, None, None, "", timed_out=True)
    finally:
        os.chdir(old)


def run_inline(argv: list[str]) -> Outcome:
    """Run ``carin argv`` in this process (fast; for fuzzing)."""
    return Outcome(argv, *_call(argv, Exception))


# -- file contents ------------------------------------------------------------------------

TEXT_ENCODINGS = {
    "latin1": lambda t: t.replace("#", "# caf\u00e9").encode("latin-1"),
    "utf16": lambda t: t.encode("utf-16"),
    "utf32": lambda t: t.encode("utf-32"),
    "binary": lambda t: b"\x00\x01\x02\xff\xfe" * 50,
    "nul_inside": lambda t: t.encode("utf-8")[:20] + b"\x00" + t.encode("utf-8")[20:],
    "empty": lambda t: b"",
}


def _spec_text(**extra: str) -> str:
    base = {
        "name": "bad",
        "profiles": str(APP / "profiles.csv"),
        "objectives": "[max accuracy, min latency_ms]",
        "constraints": '["latency_ms <= 0.012"]',
    }
    base.update(extra)
    return "# a spec\n" + "".join(f"{k}: {v}\n" for k, v in base.items() if v is not None)


def _good_result(tmp: Path) -> Path:
    from carin.result import solve

    folder = tmp / "good-result"
    if not folder.exists():
        solve(APP / "app.yaml").save(folder)
    return folder


def _damaged(tmp: Path, name: str, file: str, data: bytes, remanifest: bool) -> Path:
    """A copy of a good result folder with one file replaced (and the manifest made to fit)."""
    import hashlib

    folder = tmp / name
    shutil.copytree(_good_result(tmp), folder)
    (folder / file).write_bytes(data)
    if remanifest and file != "manifest.json":
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["files"][file] = hashlib.sha256(data).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def cases(tmp: Path) -> dict[str, list[list[str]]]:
    """Bad command lines per command, over files written into ``tmp``."""
    tmp.mkdir(parents=True, exist_ok=True)
    out: dict[str, list[list[str]]] = {}
    o = str(tmp / "out")

    def spec_file(name: str, data: bytes | str) -> str:
        path = tmp / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return str(path)

    # ---- solve
    solve = []
    good = _spec_text()
    for enc, make in TEXT_ENCODINGS.items():
        solve.append(["solve", spec_file(f"spec-{enc}.yaml", make(good)), "--out", o])
    solve.append(
        ["solve", spec_file("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n"), "--out", o]
    )
    solve.append(
        [
            "solve",
            spec_file("deep2.yaml", "".join("  " * i + "a:\n" for i in range(3000))),
            "--out",
            o,
        ]
    )
    solve.append(
        ["solve", spec_file("deepflow.yaml", "a: " + "{b: " * 3000 + "1" + "}" * 3000), "--out", o]
    )
    solve.append(["solve", "/dev/zero", "--out", o])
    solve.append(["solve", "/dev/null", "--out", o])
    solve.append(["solve", str(tmp), "--out", o])
    solve.append(["solve", str(tmp / "missing.yaml"), "--out", o])
    fifo = tmp / "fifo.yaml"
    if not fifo.exists():
        os.mkfifo(fifo)
    solve.append(["solve", str(fifo), "--out", o])
    digits = "9" * 400
    for field, value in [
        ("constraints", f'["latency_ms <= {digits}"]'),
        ("constraints", f"[{{metric: accuracy, min: {digits}}}]"),
        ("constraints", '["accuracy >= -1e999"]'),
        ("constraints", "[{metric: accuracy, min: .nan}]"),
        ("constraints", "[{metric: latency_ms, max: .inf}]"),
        ("constraints", '["latency_ms <= 1e308"]'),
        ("constraints", '["latency_ms <= nan"]'),
        ("constraints", "[{metric: accuracy, min: true}]"),
        ("constraints", "5"),
        ("constraints", '[["latency_ms", "<=", 3]]'),
        ("objectives", f"[{{metric: accuracy, goal: max, weight: {digits}}}]"),
        ("objectives", "[{metric: accuracy, goal: max, weight: -1}]"),
        ("objectives", "[]"),
        ("objectives", "max accuracy"),
        ("objectives", "[max nothing]"),
        ("objectives", "[max sum(accuracy)]"),
        ("objectives", "[{metric: [a], goal: max}]"),
        ("name", '"../../escape"'),
        ("name", "/abs/path"),
        ("name", '"x\\ty"'),
        ("name", "[1, 2]"),
        ("profiles", str(tmp / "missing.csv")),
        ("profiles", "[a]"),
        ("where", "{device: [[1]]}"),
        ("where", "{nothing: 1}"),
        ("where", "{model: nothing-matches}"),
        ("tasks", "[{name: a}, {name: a}]"),
        ("tasks", '[{name: "../x"}]'),
        ("contention", "maybe"),
        ("preference", "random"),
        ("anticipate", "{slowdown: {cpu: 0.5}}"),
        ("anticipate", "{slowdown: {cpu: -1}}"),
        ("anticipate", f"{{slowdown: {{cpu: {digits}}}}}"),
        ("anticipate", "{slowdown: {cpu: .inf}}"),
        ("anticipate", "{processor_unavailable: [" + ", ".join(f"p{i}" for i in range(22)) + "]}"),
        (
            "anticipate",
            "{memory_budget_mb: ["
            + ", ".join(str(i + 1) for i in range(600))
            + "], combinations: false}",
        ),
        ("anticipate", f"{{memory_budget_mb: [{digits}]}}"),
        ("anticipate", "{memory_budget_mb: [-3]}"),
        ("anticipate", "{power_mw: [5]}"),
        ("anticipate", "{combinations: maybe}"),
        ("anticipate", "{unknown: 1}"),
    ]:
        solve.append(
            [
                "solve",
                spec_file(f"spec-{len(solve)}.yaml", _spec_text(**{field: value})),
                "--out",
                o,
            ]
        )
    # profile tables
    header = (APP / "profiles.csv").read_text(encoding="utf-8").splitlines()
    tables = {
        "ragged-long.csv": "\n".join([header[0], header[1] + ",extra", *header[2:]]) + "\n",
        "ragged-short.csv": "\n".join([header[0], header[1].rsplit(",", 1)[0], *header[2:]]) + "\n",
        "ragged-mid.csv": "\n".join([header[0], *header[1:5], header[5] + ",x,y", *header[6:]])
        + "\n",
        "huge-cell.csv": header[0]
        + "\n"
        + "cnn_s"
        + "x" * (20 * 1024 * 1024)
        + header[1][5:]
        + "\n",
        "latin1.csv": None,
        "binary.csv": None,
        "empty.csv": "",
        "header-only.csv": header[0] + "\n",
        "dup-columns.csv": header[0] + ",model\n",
        "big-number.csv": "\n".join(
            [header[0], header[1].replace("94.7075", "9" * 400), *header[2:]]
        )
        + "\n",
    }
    for name, text in tables.items():
        path = tmp / name
        if name == "latin1.csv":
            path.write_bytes(
                ("\n".join(header) + "\n").replace("cnn_s", "cnn_\u00e9").encode("latin-1")
            )
        elif name == "binary.csv":
            path.write_bytes(b"\x00\xff" * 100)
        else:
            path.write_text(text, encoding="utf-8")
        solve.append(
            ["solve", spec_file(f"spec-{name}.yaml", _spec_text(profiles=str(path))), "--out", o]
        )
    solve.append(
        [
            "solve",
            spec_file("spec-fifo-csv.yaml", _spec_text(profiles=str(fifo.with_suffix(".csv")))),
            "--out",
            o,
        ]
    )
    fifo_csv = fifo.with_suffix(".csv")
    if not fifo_csv.exists():
        os.mkfifo(fifo_csv)
    good_spec = str(APP / "app.yaml")
    for flags in (
        ["--top", "-3"],
        ["--top", "0"],
        ["--budget", "0"],
        ["--budget", digits, "--solver", "optuna-tpe"],
        ["--seed", "-1", "--solver", "pymoo-nsga2"],
        ["--seed", digits, "--solver", "pymoo-nsga2", "--budget", "10"],
        ["--solver", "nothing"],
        ["--workers", "0", "--solver", "optuna-tpe"],
        ["--storage", "bogus://x", "--solver", "optuna-tpe"],
        [
            "--storage",
            "postgresql://u:secret@127.0.0.1:1/db",
            "--solver",
            "optuna-tpe",
            "--budget",
            "5",
        ],
        ["--storage", "sqlite:///" + str(tmp / "no" / "such" / "x.db"), "--solver", "optuna-tpe"],
        ["--storage", str(tmp / "nofolder" / "j.log"), "--solver", "optuna-tpe"],
        ["--workers", "2"],
    ):
        solve.append(["solve", good_spec, "--out", o, *flags])
    dangling = tmp / "dangling-out"
    if not dangling.is_symlink():
        dangling.symlink_to(tmp / "nowhere" / "deeper")
    solve.append(["solve", good_spec, "--out", str(dangling)])
    solve.append(["solve", good_spec, "--out", spec_file("a-file", "x")])
    out["solve"] = solve

    # ---- show / plot / explain over damaged folders
    readers = []
    folders = [tmp, tmp / "missing-folder", Path(spec_file("not-a-folder", "x"))]
    for file in ("summary.json", "plan.json", "pareto.csv", "manifest.json"):
        for label, data in (
            ("latin1", "caf\u00e9".encode("latin-1")),
            ("binary", b"\x00\xff" * 30),
            ("utf16", '{"a": 1}'.encode("utf-16")),
            ("truncated", b'{"name": "x", '),
            ("wrongshape", b"[1, 2, 3]"),
            ("deep", b"[" * 100000 + b"]" * 100000),
            ("bigint", b'{"name": "x", "pareto_designs": ' + b"9" * 5000 + b"}"),
            ("nan", b'{"name": NaN}'),
        ):
            folders.append(_damaged(tmp, f"dmg-{file}-{label}", file, data, remanifest=True))
            folders.append(
                _damaged(tmp, f"dmg-{file}-{label}-nomanifest", file, data, remanifest=False)
            )
    wrong = _damaged(
        tmp,
        "dmg-summary-types",
        "summary.json",
        json.dumps({"name": 3, "feasible": "yes"}).encode(),
        True,
    )
    folders.append(wrong)
    ragged = _damaged(tmp, "dmg-pareto-ragged", "pareto.csv", b"rank,model\n0,a,b,c\n1\n", True)
    folders.append(ragged)
    spec_gone = _damaged(
        tmp,
        "dmg-spec-gone",
        "summary.json",
        (_good_result(tmp) / "summary.json")
        .read_text()
        .replace(str(APP / "app.yaml"), str(tmp / "gone.yaml"))
        .encode(),
        True,
    )
    folders.append(spec_gone)
    for folder in folders:
        readers.append(["show", str(folder)])
        readers.append(["explain", str(folder)])
        readers.append(["plot", str(folder), "-o", str(tmp / "plot.png")])
    good_result = str(_good_result(tmp))
    for flags in (
        ["--top", "-3"],
        ["--sort", "nothing"],
        ["--format", "csv", "--sort", "-accuracy"],
    ):
        readers.append(["show", good_result, *flags])
    for flags in (
        ["-x", "nothing"],
        ["--max-points", "-1"],
        ["-o", str(tmp / "front.gif")],
        ["-o", str(tmp / "no" / "folder" / "f.png")],
        ["-o", str(tmp)],
        ["-o", str(dangling)],
    ):
        readers.append(["plot", good_result, *flags])
    out["show/plot/explain"] = readers

    # ---- switch
    switch = []
    plan = (APP / "plan.json").read_text(encoding="utf-8")
    events = '{"t": 0, "conditions": {}}\n{"t": 1, "observe": {"latency_ms": 0.003}}\n'
    ev = spec_file("good.jsonl", events)
    pl = spec_file("good-plan.json", plan)
    for enc, make in TEXT_ENCODINGS.items():
        switch.append(["switch", spec_file(f"plan-{enc}.json", make(plan)), "--events", ev])
        switch.append(["switch", pl, "--events", spec_file(f"ev-{enc}.jsonl", make(events))])
    for label, text in (
        ("deep", "[" * 100000 + "]" * 100000),
        ("bigint", plan.replace('"rank": 1', '"rank": 1' + "0" * 5000)),
        ("huge", plan.replace("0.012", "1" + "0" * 400)),
        ("nan", plan.replace("0.012", "NaN")),
        ("neglat", plan.replace('"latency_ms": 0.0', '"latency_ms": -0.0')),
        ("array", "[]"),
    ):
        switch.append(["switch", spec_file(f"plan-{label}.json", text), "--events", ev])
    for label, text in (
        ("deep", '{"t": 0, "conditions": ' + "[" * 50000 + "]" * 50000 + "}\n"),
        ("bigt", '{"t": 1' + "0" * 400 + ', "conditions": {}}\n'),
        ("biglat", '{"t": 0, "observe": {"latency_ms": 1' + "0" * 400 + "}}\n"),
        ("bigslow", '{"t": 0, "conditions": {"slowdown": {"cpu": 1' + "0" * 400 + "}}}\n"),
        ("hugeint", '{"t": 0, "conditions": {"memory_budget_mb": ' + "9" * 5000 + "}}\n"),
        ("nulldesign", '{"t": 0, "observe": {"latency_ms": 1, "design": null}}\n'),
        ("notobject", "[1]\n"),
    ):
        switch.append(["switch", pl, "--events", spec_file(f"ev-{label}.jsonl", text)])
    switch.append(["switch", "/dev/zero", "--events", ev])
    switch.append(["switch", pl, "--events", "/dev/zero"])
    switch.append(["switch", str(fifo), "--events", ev])
    switch.append(["switch", pl, "--events", ev, "--monitor", "q=nan"])
    switch.append(["switch", pl, "--events", ev, "--monitor", "revert_after=" + digits])
    switch.append(["switch", pl, "--events", ev, "--threshold", "2"])
    switch.append(["switch", pl, "--events", ev, "-o", str(tmp)])
    switch.append(["switch", pl, "--events", ev, "-o", str(dangling)])
    out["switch"] = switch

    # ---- intermittent
    inter = []
    trace = str(ROOT.parent / "shared" / "datasets" / "energy" / "rf-mementos" / "1.txt")
    if not Path(trace).exists():
        trace = spec_file("trace.txt", "".join(f"{i}\t0.07\n" for i in range(2000)))
    lay = str(LAYERS)
    common = ["--out", str(tmp / "inter.csv")]
    layer_text = LAYERS.read_text(encoding="utf-8")
    for label, text in (
        ("bigfilters", layer_text.replace("filters: 6", "filters: " + "9" * 30)),
        ("hugeinput", layer_text.replace("[32, 32, 1]", "[100000, 100000, 1000]")),
        ("bigint-input", layer_text.replace("[32, 32, 1]", "[" + "9" * 400 + ", 32, 1]")),
        ("units", layer_text.replace("units: 120", "units: " + "7" * 20)),
        ("negative", layer_text.replace("kernel: 5", "kernel: -5")),
        ("deep", "layers: " + "[" * 5000 + "]" * 5000),
        ("latin1", None),
    ):
        if text is None:
            path = spec_file(
                f"layers-{label}.yaml", layer_text.replace("#", "# caf\u00e9").encode("latin-1")
            )
        else:
            path = spec_file(f"layers-{label}.yaml", text)
        inter.append(["intermittent", "-m", path, "-t", trace, *common])
    for label, data in (
        ("binary", b"\x00\xff" * 100),
        ("latin1", "1\t0.5\n2\t0.\u00e9\n".encode("latin-1")),
        ("empty", b""),
        ("text", b"hello world\n"),
        ("nan", b"1\tnan\n2\tnan\n"),
        ("inf", b"1\tinf\n2\t1e400\n"),
        ("negative", b"1\t-5\n2\t-3\n"),
        ("bigtime", b"1\t0.5\n" + b"9" * 400 + b"\t0.5\n"),
        ("ragged", b"1\t0.5\n2\n3\t0.1\t7\n"),
    ):
        inter.append(
            ["intermittent", "-m", lay, "-t", spec_file(f"trace-{label}.txt", data), *common]
        )
    inter.append(["intermittent", "-m", lay, "-t", "/dev/zero", *common])
    inter.append(["intermittent", "-m", lay, "-t", str(fifo), *common])
    for flags in (
        ["--min-duration", "1e12"],
        ["--min-duration", "nan"],
        ["--min-duration", "inf"],
        ["--min-duration", "-5"],
        ["--period", "nan"],
        ["--period", "inf"],
        ["--period", "1e-300"],
        ["--period", "1e300"],
        ["--deadline", "-1"],
        ["--solar-days", "nan"],
        ["--device", spec_file("device.yaml", "capacitance_f: -1\n")],
        ["--device", spec_file("device2.yaml", "nothing: 1\n")],
        ["--device", spec_file("device3.yaml", "capacitance_f: " + "9" * 400 + "\n")],
        ["--device", spec_file("device4.yaml", b"\xff\xfe\x00")],
    ):
        inter.append(["intermittent", "-m", lay, "-t", trace, *common, *flags])
    out["intermittent"] = inter

    # ---- import
    imp = []
    for label, data in (
        ("binary", b"\x00\xff" * 100),
        ("latin1", "INFO: Graph: [caf\u00e9]\n".encode("latin-1")),
        ("empty", b""),
    ):
        path = spec_file(f"import-{label}.log", data)
        imp.append(["import", "litert-benchmark", path, "-o", str(tmp / "imp.csv")])
        imp.append(["import", "nb201", path, "-o", str(tmp / "imp.csv")])
        imp.append(["import", "aihub", path, "-o", str(tmp / "imp.csv")])
    imp.append(["import", "litert-benchmark", str(LOG), "-o", str(tmp / "imp.txt")])
    imp.append(["import", "litert-benchmark", str(LOG), "-o", str(dangling)])
    imp.append(["import", "litert-benchmark", str(fifo), "-o", str(tmp / "imp.csv")])
    imp.append(["import", "nb201", "/dev/zero", "-o", str(tmp / "imp.csv")])
    out["import"] = imp
    return out
