"""docs/plan-format.md: the load errors it shows are the ones the switcher gives."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import carin
from carin.errors import PlanError
from carin.runtime import Switcher

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "plan-format.md"


def _shown_errors() -> list[str]:
    """The lines of the code block after 'an error names the first offending field'."""
    text = DOC.read_text(encoding="utf-8").split("an error names the first offending field", 1)[1]
    return re.search(r"```\n(.*?)```", text, flags=re.S).group(1).strip().splitlines()


def _break(plan: dict, field: str) -> str | None:
    """Damage ``plan`` in the way the doc's message for ``field`` describes (text: the file's)."""
    if field == "designs[3].parts[0].processor":
        plan["designs"][3]["parts"][0]["processor"] = 5
    elif field == "constraints[0].value":
        plan["constraints"][0]["value"] = float("nan")
    elif field == "fallback":
        plan["fallback"] = "d1"
        plan["designs"][1]["parts"][0]["processor"] = "gpu"
    elif field == "conditions[1].when.memory":
        plan["conditions"][1]["when"]["memory"] = 50
    elif field == "1:2":
        return "{bad}"
    else:
        raise AssertionError(f"no damage for {field!r}: extend this test with the doc")
    return None


@pytest.fixture(scope="module")
def plan() -> dict:
    """The plan of the README's first solve (8 designs, 11 conditions)."""
    return carin.solve(ROOT / "spaces" / "phone-classifier.yaml").plan


@pytest.mark.parametrize("shown", _shown_errors())
def test_load_errors_are_what_the_doc_shows(
    shown: str, plan: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    field = shown.removeprefix("plan.json:").split(": ")[0].strip()
    plan = json.loads(json.dumps(plan))
    assert len(plan["designs"]) > 3 and len(plan["conditions"]) > 1
    text = _break(plan, field)
    monkeypatch.chdir(tmp_path)
    Path("plan.json").write_text(json.dumps(plan) if text is None else text)
    with pytest.raises(PlanError) as info:
        Switcher.from_file("plan.json")
    assert str(info.value) == shown
