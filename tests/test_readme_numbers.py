"""README and docs/android.md quote the select timings of results/switcher.md.

benchmarks/switcher.py rewrites results/switcher.md; the README quotes ranges from
its 1,000-design rows (median over 1, 3 and 6 conditions). Rerunning the benchmark
without updating them fails here, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _medians(text: str, heading: str, columns: list[int]) -> list[float]:
    """Medians of the 1,000-design row of the table after ``heading``."""
    section = text.split(heading, 1)[1]
    row = next(line for line in section.splitlines() if line.startswith("| 1,000 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    return [float(cells[i].split("/")[0]) for i in columns]


def _range(values: list[float], digits: int) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f} us"


def test_readme_quotes_the_switcher_benchmark() -> None:
    results = (ROOT / "results" / "switcher.md").read_text(encoding="utf-8")
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    # Python tables: designs | load ms | nominal | 1 cond | 3 conds | 6 conds | ...
    single = _medians(results, "## single-DNN designs (one part)", [3, 4, 5])
    double = _medians(results, "## two-DNN designs (two parts)", [3, 4, 5])
    # JVM tables: designs | 1 cond | 3 conds | 6 conds | ...
    jvm = _medians(results, "### single-DNN designs, JVM", [1, 2, 3]) + _medians(
        results, "### two-DNN designs, JVM", [1, 2, 3]
    )
    assert f"It takes {_range(single, 1)} for a 1,000-design plan" in readme
    assert (
        f"`select` takes {_range(jvm, 2)} on the JVM for a 1,000-design plan "
        f"(Python: {_range(single + double, 1)})" in readme
    )
    android = " ".join((ROOT / "docs" / "android.md").read_text(encoding="utf-8").split())
    assert (
        f"{_range(jvm, 2)} median for a 1,000-design plan with 1, 3 or 6 conditions, "
        f"single- or two-DNN, against {_range(single + double, 1)} for the Python switcher"
    ) in android


def test_ranges_are_read_from_the_tables() -> None:
    # the parser must see the numbers, not fall back to something constant
    text = (
        "## single-DNN designs (one part)\n| designs | a |\n"
        "| 1,000 | 9.9 | 0.5 / 0.6 | 1.25 / 2 | 3.0 / 4 | 4.44 / 5 | x |\n"
    )
    values = _medians(text, "## single-DNN designs (one part)", [3, 4, 5])
    assert values == [1.25, 3.0, 4.44]
    assert _range(values, 1) == "1.2-4.4 us"
    assert re.fullmatch(r"\d+\.\d-\d+\.\d us", _range(values, 1))
