"""Regenerate the pictures in docs/img/ from the current code.

Run from anywhere (``python docs/make_figures.py``); it solves the example specs
with ``carin solve`` into a temporary folder and draws them with ``carin plot``,
exactly as the tutorial does. The output is deterministic: running it twice
gives byte-identical PNGs.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from carin.cli import main as carin

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"

# (picture, spec, extra 'carin plot' arguments)
FIGURES: list[tuple[str, str, list[str]]] = [
    ("phone-classifier.png", "spaces/phone-classifier.yaml", []),
    ("phone-classifier-memory.png", "spaces/phone-classifier.yaml", ["-x", "memory_mb"]),
    ("phone-multi.png", "spaces/phone-multi.yaml", []),
    ("nb201-pixel3.png", "spaces/nb201-pixel3.yaml", []),
    ("local-litert.png", "spaces/local-litert.yaml", []),
    ("three-objectives.png", "three-objectives", []),
]

THREE_OBJECTIVES = """\
# phone-classifier with a third objective: the smallest peak memory
name: three-objectives
profiles: {profiles}
where: {{device: Snapdragon 7 Gen 4 QRD, task: image_classification}}
objectives: ["max accuracy", "min latency_ms", "min memory_mb"]
constraints: ["latency_ms <= 16", "accuracy >= 75"]
"""


def build(out_dir: Path, only: set[str] | None = None) -> list[Path]:
    """Solve and draw every figure (or those named in ``only``); returns the PNGs written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        solved: dict[str, Path] = {}
        for picture, spec, extra in FIGURES:
            if only and picture not in only:
                continue
            if spec == "three-objectives":
                path = work / "three-objectives.yaml"
                path.write_text(THREE_OBJECTIVES.format(profiles=ROOT / "spaces" / "aihub.csv"))
            else:
                path = ROOT / spec
            if spec not in solved:
                folder = work / path.stem
                if carin(["solve", str(path), "--out", str(folder), "--top", "1"]) != 0:
                    raise SystemExit(f"carin solve {path} failed")
                solved[spec] = folder
            target = out_dir / picture
            if carin(["plot", str(solved[spec]), "-o", str(target), *extra]) != 0:
                raise SystemExit(f"carin plot for {picture} failed")
            written.append(target)
    return written


def cli() -> None:
    """Parse arguments and build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMG, help="folder (default docs/img)")
    parser.add_argument("only", nargs="*", help="picture names to rebuild (default: all)")
    args = parser.parse_args()
    build(args.out, set(args.only) or None)


if __name__ == "__main__":
    cli()
