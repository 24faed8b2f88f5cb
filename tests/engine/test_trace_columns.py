"""``Trace.to_dataframe``: the CSV export's rows as a DataFrame (pandas optional)."""

from __future__ import annotations

import csv
import sys

import numpy as np
import pytest

import rnnstudio as rs


@pytest.fixture
def trace():
    model = rs.random_model("lstm", 3, input_size=2, bidirectional=True, seed=9)
    return model.trace(["a", "b,c", "<d>"])


def test_the_dataframe_holds_the_csv_rows(trace, tmp_path):
    pd = pytest.importorskip("pandas")
    frame = trace.to_dataframe()
    path = rs.save_trace(trace, tmp_path / "trace.csv")
    with path.open(encoding="utf-8", newline="") as stream:
        header, *rows = list(csv.reader(stream))
    assert tuple(frame.columns) == tuple(header) and len(frame) == len(rows)
    as_text = frame.astype(object).where(frame.notna(), "")
    for row, (_, record) in zip(rows, as_text.iterrows(), strict=True):
        assert [str(record[name]) for name in header[:-1]] == row[:-1]
        # the CSV holds a float32's shortest text, the frame its exact float64 value
        assert record["value"] in (float(row[-1]), float(np.float32(row[-1])))
    assert str(frame["layer"].dtype) == "Int64" and pd.isna(frame["unit"]).sum() == 2 * 3


def test_without_pandas_the_error_says_how_to_get_it(trace, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas raises ImportError
    with pytest.raises(ImportError, match="^Trace.to_dataframe needs pandas: pip install "
                                          "pandas$"):
        trace.to_dataframe()
    assert np.isfinite(trace.layer(0, "bwd").h).all()
