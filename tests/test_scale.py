"""Behaviour kept by the scale work: fast paths give what the plain per-row code gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carin.errors import ProfileError
from carin.profiles import validate_profiles

CELLS = st.sampled_from(["a", " a", "a ", "b", "  ", "", None, "NA", "x y", "2", " 3"])


@settings(max_examples=80, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(CELLS, CELLS, st.sampled_from(["4", "2", " 8", None])), min_size=1, max_size=30
    )
)
def test_key_columns_are_stripped_per_value_as_per_row(rows):
    frame = pd.DataFrame(
        {
            "model": ["m"] * len(rows),
            "precision": ["fp32"] * len(rows),
            "processor": ["cpu"] * len(rows),
            "device": [r[0] for r in rows],
            "variant": [r[1] for r in rows],
            "threads": [r[2] for r in rows],
            "latency_ms": [1.0] * len(rows),
        }
    )
    got = validate_profiles(frame, source="k.csv").frame

    def plain(cell):  # the per-row rule: missing or blank -> "", else the stripped text
        return "" if cell is None or str(cell).strip() == "" else str(cell).strip()

    assert got["device"].tolist() == [plain(r[0]) for r in rows]
    assert got["variant"].tolist() == [plain(r[1]) for r in rows]
    threads = [plain(r[2]) for r in rows]
    if all(threads):
        assert got["threads"].dtype == np.int64
        assert got["threads"].tolist() == [int(t) for t in threads]
    else:
        assert got["threads"].tolist() == threads


def test_blank_required_key_names_its_row():
    frame = pd.DataFrame(
        {
            "model": ["a", "b", "  "],
            "precision": ["x"] * 3,
            "processor": ["cpu"] * 3,
            "latency_ms": [1.0] * 3,
        }
    )
    with pytest.raises(ProfileError, match=r"k.csv: row 4, column 'model': empty value"):
        validate_profiles(frame, source="k.csv")
