"""Regenerate results/local_litert.md and its Pareto plot from a LiteRT profile table.

Usage (from the repository root)::

    python benchmarks/local_litert.py                      # from spaces/local-litert.csv
    python benchmarks/local_litert.py --measure zoo/       # re-measure zoo/*.tflite first

``--measure`` runs ``carin profile zoo/*.tflite --dataset zoo/data.npz --threads 1,2
--delegate xnnpack,none --runs 200 --warmup 20`` and overwrites spaces/local-litert.csv;
build the zoo with ``carin zoo build -o zoo/ --seed 0`` (needs ``carin[zoo]``).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import moocore  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from carin.profiles import load_profiles  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "spaces" / "local-litert.csv"
OUT_MD = ROOT / "results" / "local_litert.md"
OUT_PNG = ROOT / "results" / "local_litert_pareto.png"
DEVICE = "2-core AMD EPYC VM"
PRECISION_ORDER = ["fp32", "fp16", "int8-dynamic", "int8"]
MODEL_ORDER = ["mlp_s", "mlp_m", "mlp_l", "cnn_s", "cnn_m", "cnn_l"]


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def measure(zoo: Path, table: Path) -> None:
    """Profile every .tflite model of the zoo folder into ``table``."""
    from carin.cli import main

    models = sorted(str(p) for p in zoo.glob("*.tflite"))
    if not models:
        sys.exit(f"{zoo}: no .tflite files; run 'carin zoo build -o {zoo}' first")
    code = main(
        [
            "profile",
            *models,
            "--dataset",
            str(zoo / "data.npz"),
            "--threads",
            "1,2",
            "--delegate",
            "xnnpack,none",
            "--runs",
            "200",
            "--warmup",
            "20",
            "--device",
            DEVICE,
            "--task",
            "digits_classification",
            "-o",
            str(table),
        ]
    )
    if code != 0:
        sys.exit(code)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.copy()
    f["_m"] = f["model"].map({m: i for i, m in enumerate(MODEL_ORDER)}).fillna(99)
    f["_p"] = f["precision"].map({p: i for i, p in enumerate(PRECISION_ORDER)}).fillna(99)
    f = f.sort_values(["_m", "model", "_p", "runtime", "threads"], kind="mergesort")
    return f.drop(columns=["_m", "_p"]).reset_index(drop=True)


def pareto_mask(frame: pd.DataFrame) -> np.ndarray:
    """Non-dominated rows for (max accuracy, min latency_ms)."""
    points = frame[["accuracy", "latency_ms"]].to_numpy(dtype=float)
    return moocore.is_nondominated(points, maximise=[True, False], keep_weakly=True)


def _us(ms: float) -> str:
    return f"{ms * 1000:.1f}"


def markdown(frame: pd.DataFrame, front: np.ndarray, png_name: str) -> str:
    """The results page as markdown."""
    f = _sorted(frame)
    mask = pareto_mask(f)
    lines: list[str] = []
    add = lines.append
    n_models = f["model"].nunique()
    add("# Local LiteRT profiles: the digits zoo on this machine")
    add("")
    add(
        f"Measured with `carin profile` on a {DEVICE} (shared with other work, so expect "
        "noise), LiteRT from the `ai-edge-litert` package. "
        f"{n_models} architectures from `carin zoo build --seed 0` (Keras, trained on "
        "scikit-learn's bundled 8x8 digits) x 4 precisions x 1-2 threads x XNNPACK on/off = "
        f"{len(f)} configurations; 200 timed runs after 20 warm-up runs each, every "
        "configuration in a fresh process. Accuracy: top-1 on the 360 held-out digits "
        "(`data.npz`), evaluated through the same interpreter."
    )
    add("")
    add(
        "Regenerate: `python benchmarks/local_litert.py` (table from `spaces/local-litert.csv`), "
        "or `python benchmarks/local_litert.py --measure zoo/` to measure again."
    )
    add("")
    add("## Pareto front (max accuracy, min mean latency)")
    add("")
    add(f"![Pareto front]({png_name})")
    add("")
    add(
        "| model | precision | runtime | threads | latency (us) | p95 (us) | memory (MB) | "
        "size (KB) | accuracy (%) |"
    )
    add("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    pf = f[mask].sort_values(["accuracy", "latency_ms"], ascending=[False, True])
    for _, r in pf.iterrows():
        add(
            f"| {r.model} | {r.precision} | {r.runtime} | {r.threads} | {_us(r.latency_ms)} | "
            f"{_us(r.latency_p95_ms)} | {r.memory_mb:.2f} | {r.size_mb * 1000:.1f} | "
            f"{r.accuracy:.2f} |"
        )
    add("")
    add("## What the measurements say")
    add("")
    # XNNPACK effect: ratio of mean latencies, same model/precision/threads.
    key = ["model", "precision", "threads"]
    piv = f.pivot_table(index=key, columns="runtime", values="latency_ms")
    ratio = (piv["litert"] / piv["litert-xnnpack"]).dropna()
    big = f[f["model"].isin(["cnn_m", "cnn_l"])]
    piv_big = big.pivot_table(index=key, columns="runtime", values="latency_ms")
    ratio_big = (piv_big["litert"] / piv_big["litert-xnnpack"]).dropna()
    add(
        f"- **XNNPACK** is faster than the built-in kernels in {int((ratio > 1).sum())} of "
        f"{len(ratio)} pairs (median speed-up {np.median(ratio):.2f}x; "
        f"{np.median(ratio_big):.2f}x on the two larger CNNs). It costs init time (median "
        f"{f[f.runtime == 'litert-xnnpack'].init_ms.median():.2f} ms vs "
        f"{f[f.runtime == 'litert'].init_ms.median():.2f} ms) and about "
        f"{(f[f.runtime == 'litert-xnnpack'].memory_mb.median() - f[f.runtime == 'litert'].memory_mb.median()):.1f} MB "
        "more peak memory."
    )
    piv_t = f.pivot_table(
        index=["model", "precision", "runtime"], columns="threads", values="latency_ms"
    )
    if 1 in piv_t.columns and 2 in piv_t.columns:
        tr = (piv_t[1] / piv_t[2]).dropna()
        worst = tr.idxmin()
        helped = tr[tr > 1.3]
        add(
            f"- **Two threads** help (>5% faster) in {int((tr > 1.05).sum())} of {len(tr)} "
            f"configurations and hurt (>5% slower) in {int((tr < 0.95).sum())}; a clear gain "
            f"(>1.3x) only for {', '.join(f'{m} {p} {r}' for m, p, r in helped.index)}. On this "
            "shared 2-core VM the second worker thread often waits for a busy core; the worst "
            f"case is {worst[0]} {worst[1]} {worst[2]} ({_us(piv_t.loc[worst, 1])} us -> "
            f"{_us(piv_t.loc[worst, 2])} us)."
        )
    acc = f.groupby(["model", "precision"])["accuracy"].mean().unstack("precision")
    acc = acc.reindex(
        index=[m for m in MODEL_ORDER if m in acc.index],
        columns=[p for p in PRECISION_ORDER if p in acc.columns],
    )
    size = f.groupby(["model", "precision"])["size_mb"].mean().unstack("precision")
    shrink = size["fp32"] / size["int8"]
    spread = (acc.max(axis=1) - acc.min(axis=1)).max()
    add(
        f"- **Quantisation** moves held-out accuracy by at most {spread:.2f} points on this easy "
        f"task (1 sample = {100 / 360:.2f} points; per precision below), while full-int8 files "
        f"are {shrink.min():.1f}x to {shrink.max():.1f}x smaller than fp32 (the larger the "
        "model, the more of the file is weights)."
    )
    add("")
    add(
        "| model | "
        + " | ".join(f"{p} acc (%)" for p in acc.columns)
        + " | "
        + " | ".join(f"{p} size (KB)" for p in acc.columns)
        + " |"
    )
    add("| --- | " + " | ".join("---:" for _ in range(2 * len(acc.columns))) + " |")
    for m in acc.index:
        add(
            f"| {m} | "
            + " | ".join(f"{acc.loc[m, p]:.2f}" for p in acc.columns)
            + " | "
            + " | ".join(f"{size.loc[m, p] * 1000:.1f}" for p in acc.columns)
            + " |"
        )
    add("")
    add(
        "- Latencies of the MLPs (1-10 us) are close to the cost of one `invoke()` call from "
        "Python; they rank the runtimes' call overhead more than the arithmetic."
    )
    add(
        "- `memory_mb` is the peak resident-set growth of a fresh process while it creates "
        "the interpreter, allocates tensors and runs (see docs/profiling.md); even the "
        f"smallest model grows it by {f.memory_mb.min():.2f} MB, the runtime's own cost, and "
        f"the largest by {f.memory_mb.max():.2f} MB."
    )
    add("")
    add("## All configurations")
    add("")
    add(
        "| model | precision | runtime | threads | latency (us) | std (us) | p50 (us) | p95 (us) "
        "| first (us) | init (ms) | memory (MB) | size (KB) | accuracy (%) | Pareto |"
    )
    add(
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| :---: |"
    )
    for i, r in f.iterrows():
        add(
            f"| {r.model} | {r.precision} | {r.runtime} | {r.threads} | {_us(r.latency_ms)} | "
            f"{_us(r.latency_std_ms)} | {_us(r.latency_p50_ms)} | {_us(r.latency_p95_ms)} | "
            f"{_us(r.first_inference_ms)} | {r.init_ms:.2f} | {r.memory_mb:.2f} | "
            f"{r.size_mb * 1000:.1f} | {r.accuracy:.2f} | {'*' if mask[i] else ''} |"
        )
    add("")
    return "\n".join(lines)


def plot(frame: pd.DataFrame) -> bytes:
    """Accuracy vs latency, coloured by precision, front highlighted; PNG bytes."""
    f = _sorted(frame)
    mask = pareto_mask(f)
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    colors = dict(zip(PRECISION_ORDER, ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"], strict=True))
    markers = {"litert": "o", "litert-xnnpack": "^"}
    for (prec, rt), g in f.groupby(["precision", "runtime"], sort=True):
        ax.scatter(
            g["latency_ms"] * 1000,
            g["accuracy"],
            s=28,
            alpha=0.65,
            color=colors.get(prec, "grey"),
            marker=markers.get(rt, "s"),
            label=f"{prec}, {rt}",
        )
    front = f[mask].sort_values("latency_ms")
    ax.step(
        front["latency_ms"] * 1000,
        front["accuracy"],
        where="post",
        color="black",
        lw=1.2,
        label="Pareto front",
    )
    ax.scatter(
        front["latency_ms"] * 1000,
        front["accuracy"],
        s=70,
        facecolors="none",
        edgecolors="black",
        linewidths=1.2,
    )
    for _, r in front.iterrows():
        # up and to the left of a front point nothing is drawn: a design there would
        # dominate it, and the staircase leaves it to the right and arrives from below
        ax.annotate(
            f"{r.model} {r.precision}\n{r.runtime} t{r.threads}",
            (r.latency_ms * 1000, r.accuracy),
            textcoords="offset points",
            xytext=(-5, 4),
            ha="right",
            va="bottom",
            fontsize=7,
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="#999999", lw=0.5, alpha=0.9),
        )
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    ax.set_xlim(lo / 4, hi)  # room for the fastest design's label
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.08 * (hi - lo))  # and for the most accurate one's
    ax.set_xlabel("mean latency per inference (us, log scale)")
    ax.set_ylabel("held-out top-1 accuracy (%)")
    ax.set_title(f"Digits zoo on {DEVICE}: {len(f)} LiteRT configurations")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=TABLE)
    parser.add_argument("--measure", type=Path, default=None, metavar="ZOO_DIR")
    args = parser.parse_args(argv)
    if args.measure is not None:
        measure(args.measure, args.table)
    frame = load_profiles(args.table).frame
    png = plot(frame)
    _atomic_write(OUT_PNG, png)
    _atomic_write(OUT_MD, markdown(frame, pareto_mask(frame), OUT_PNG.name).encode())
    print(f"wrote {OUT_MD.relative_to(ROOT)} and {OUT_PNG.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
