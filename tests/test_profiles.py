"""Profile tables: loading, validation errors, deterministic writing."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carin.errors import CarinError, ProfileError
from carin.profiles import (
    KEY_COLUMNS,
    REQUIRED_KEYS,
    ProfileTable,
    load_profiles,
    validate_profiles,
    write_profiles,
)

SPACES = Path(__file__).resolve().parents[1] / "spaces"

GOOD = """\
model,precision,processor,device,threads,latency_ms,accuracy,memory_mb,my_score
mobilenet_v2,w8a8,npu,phone,4,0.29,70.6,41,1.5
NA,float,cpu,phone,2,12.5,,33,-3
resnet18,float,gpu,phone,1,0.93,69.3,63,
"""


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_good_table(tmp_path):
    table = load_profiles(write_text(tmp_path / "good.csv", GOOD))
    assert isinstance(table, ProfileTable)
    assert table.source == str(tmp_path / "good.csv")
    assert len(table) == 3
    assert table.key_columns == ["model", "precision", "processor", "device", "threads"]
    assert table.metric_columns == ["latency_ms", "accuracy", "memory_mb", "my_score"]
    frame = table.frame
    # "NA" is a model name, not a missing value; an empty metric cell is NaN, not zero.
    assert frame["model"].tolist() == ["mobilenet_v2", "NA", "resnet18"]
    assert np.isnan(frame.loc[1, "accuracy"])
    assert np.isnan(frame.loc[2, "my_score"])
    assert frame["threads"].dtype == np.int64
    for column in table.metric_columns:
        assert frame[column].dtype == np.float64
    assert frame.loc[1, "my_score"] == -3.0  # unknown metrics may be negative


def test_byte_order_mark_and_crlf_read_as_plain_utf8(tmp_path):
    """Tables are parsed from their bytes: a UTF-8 byte-order mark (as spreadsheets
    save it) and CRLF line ends give the same frame as the plain file."""
    plain = load_profiles(write_text(tmp_path / "plain.csv", GOOD)).frame
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode("utf-8"))
    frame = load_profiles(path).frame
    assert list(frame.columns) == list(plain.columns)  # no "\ufeffmodel"
    pd.testing.assert_frame_equal(frame, plain)


def test_threads_with_gaps_stays_text(tmp_path):
    text = "model,precision,processor,threads,latency_ms\na,f,cpu,4,1\na,f,npu,,2\n"
    frame = load_profiles(write_text(tmp_path / "t.csv", text)).frame
    assert frame["threads"].tolist() == ["4", ""]


def test_committed_spaces_load():
    for name in ("aihub.csv", "nb201.csv.gz"):
        table = load_profiles(SPACES / name)
        assert set(REQUIRED_KEYS) <= set(table.key_columns)
        assert "latency_ms" in table.metric_columns
        assert "accuracy" in table.metric_columns
        assert table.frame["latency_ms"].notna().all()


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(ProfileError, match="nowhere.csv"):
        load_profiles(path)


def test_empty_table(tmp_path):
    path = write_text(tmp_path / "empty.csv", "model,precision,processor,latency_ms\n")
    with pytest.raises(ProfileError, match="no rows"):
        load_profiles(path)


def test_empty_file(tmp_path):
    with pytest.raises(ProfileError, match="empty"):
        load_profiles(write_text(tmp_path / "blank.csv", ""))


def test_missing_required_column(tmp_path):
    path = write_text(tmp_path / "nokey.csv", "model,precision,latency_ms\na,f,1\n")
    with pytest.raises(ProfileError, match="processor") as info:
        load_profiles(path)
    assert "nokey.csv" in str(info.value)


def test_empty_required_key(tmp_path):
    text = "model,precision,processor,latency_ms\na,f,cpu,1\n,f,cpu,2\n"
    with pytest.raises(ProfileError, match=r"row 3, column 'model'"):
        load_profiles(write_text(tmp_path / "k.csv", text))


def test_unknown_text_column(tmp_path):
    text = "model,precision,processor,devce,latency_ms\na,f,cpu,phone,1\n"
    with pytest.raises(ProfileError) as info:
        load_profiles(write_text(tmp_path / "u.csv", text))
    message = str(info.value)
    assert "'devce'" in message
    for key in KEY_COLUMNS:
        assert key in message


def test_non_numeric_metric_cell(tmp_path):
    text = "model,precision,processor,latency_ms\na,f,cpu,1.5\nb,f,cpu,fast\nc,f,cpu,2\n"
    path = write_text(tmp_path / "bad.csv", text)
    with pytest.raises(ProfileError) as info:
        load_profiles(path)
    message = str(info.value)
    # 'fast' is on line 3 of the file (header = line 1).
    assert "bad.csv" in message and "row 3" in message
    assert "'latency_ms'" in message and "'fast'" in message


def test_negative_latency(tmp_path):
    text = "model,precision,processor,latency_p95_ms\na,f,cpu,1\nb,f,cpu,-0.5\n"
    with pytest.raises(ProfileError, match=r"row 3, column 'latency_p95_ms'.*negative"):
        load_profiles(write_text(tmp_path / "neg.csv", text))


def test_accuracy_above_100(tmp_path):
    text = "model,precision,processor,accuracy\na,f,cpu,100\nb,f,cpu,100.5\n"
    with pytest.raises(ProfileError, match=r"row 3, column 'accuracy'.*\[0, 100\]"):
        load_profiles(write_text(tmp_path / "acc.csv", text))


def test_unknown_format(tmp_path):
    with pytest.raises(ProfileError, match=r"\.csv\.gz"):
        load_profiles(write_text(tmp_path / "table.xlsx", GOOD))


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path):
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        table = load_profiles(write_text(tmp_path / "good.csv", GOOD))
        with pytest.raises(ProfileError, match="pyarrow"):
            write_profiles(table, tmp_path / "good.parquet")
    else:
        table = load_profiles(write_text(tmp_path / "good.csv", GOOD))
        back = load_profiles(write_profiles(table, tmp_path / "good.parquet"))
        assert back.frame["model"].tolist() == sorted(table.frame["model"].tolist())


def test_profile_error_is_a_carin_error():
    with pytest.raises(CarinError):
        validate_profiles(pd.DataFrame({"model": ["a"], "precision": ["f"]}), source="mine")


def test_validate_frame_names_source():
    frame = pd.DataFrame(
        {
            "model": ["a", "b"],
            "precision": ["f", "f"],
            "processor": ["cpu", "npu"],
            "energy_mj": [1.0, -2.0],
        }
    )
    with pytest.raises(ProfileError, match=r"^my-import: row 3, column 'energy_mj'"):
        validate_profiles(frame, source="my-import")


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_round_trip_and_byte_identical_rewrite(tmp_path, suffix):
    table = load_profiles(write_text(tmp_path / "good.csv", GOOD))
    first = write_profiles(table, tmp_path / f"a{suffix}")
    back = load_profiles(first)
    # Rows come back sorted by key columns, values unchanged.
    expected = table.frame.sort_values(table.key_columns, ignore_index=True)
    pd.testing.assert_frame_equal(back.frame, expected)
    # Rewriting the loaded table, or the original rows in another order, gives the same bytes.
    second = write_profiles(back, tmp_path / f"b{suffix}")
    shuffled = table.frame.iloc[[2, 0, 1]].reset_index(drop=True)
    third = write_profiles(shuffled, tmp_path / f"c{suffix}")
    assert first.read_bytes() == second.read_bytes() == third.read_bytes()
    if suffix == ".csv.gz":
        text = gzip.decompress(first.read_bytes()).decode()
        assert text.splitlines()[0].startswith("model,precision,processor,device,threads")


def test_write_rounds_to_six_significant_digits(tmp_path):
    frame = pd.DataFrame(
        {
            "model": ["a"],
            "precision": ["f"],
            "processor": ["cpu"],
            "latency_ms": [3.645620000000001],
        }
    )
    path = write_profiles(frame, tmp_path / "r.csv")
    assert path.read_text().splitlines()[1] == "a,f,cpu,3.64562"


def test_rejected_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    path = write_profiles(load_profiles(write_text(tmp_path / "g.csv", GOOD)), tmp_path / "out.csv")
    before = path.read_bytes()
    bad = pd.DataFrame(
        {"model": ["a"], "precision": ["f"], "processor": ["cpu"], "accuracy": [140]}
    )
    with pytest.raises(ProfileError):
        write_profiles(bad, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["g.csv", "out.csv"]


def test_duplicated_column(tmp_path):
    text = "model,precision,processor,latency_ms,latency_ms\na,f,cpu,1,2\n"
    with pytest.raises(ProfileError, match="duplicated column.*latency_ms"):
        load_profiles(write_text(tmp_path / "dup.csv", text))
