"""Property tests: any tokens and any float values survive every trace format exactly."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rnnstudio.io.trace_export import write_trace_arrays
from rnnstudio.io.trace_read import read_trace_arrays

# NumPy unicode arrays drop trailing NUL characters (documented in docs/formats.md), so
# tokens here hold none; lone surrogates are not UTF-8 and the CLI refuses them.
tokens_strategy = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1, max_size=6),
    min_size=1, max_size=5,
)


@st.composite
def trace_arrays(draw: st.DrawFn) -> dict[str, np.ndarray]:
    tokens = draw(tokens_strategy)
    steps = len(tokens)
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    units = draw(st.integers(1, 4))
    values = arrays(dtype, (steps, units), elements={"allow_nan": True, "allow_infinity": True,
                                                     "allow_subnormal": True})
    return {
        "tokens": np.array(tokens, dtype=str),
        "token_ids": np.arange(steps, dtype=np.int64),
        "x": draw(values),
        "l0.fwd.h": draw(values),
        "grad.l0.fwd.h": draw(arrays(np.float64, (steps, units))),
        "jacobian.l0.fwd": draw(arrays(np.float64, (steps,))),
        "meta": np.array(json.dumps({"tokens": tokens})),
    }


@settings(max_examples=60, deadline=None)
@given(trace_arrays(), st.sampled_from([".npz", ".json", ".csv"]))
def test_any_values_and_tokens_round_trip(arrays_: dict[str, np.ndarray], extension: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        loaded = read_trace_arrays(write_trace_arrays(arrays_, Path(folder) / f"t{extension}"))
    assert loaded["tokens"].tolist() == arrays_["tokens"].tolist()
    for key, value in arrays_.items():
        if key in ("tokens", "meta") or (extension == ".csv" and key == "token_ids"):
            continue
        restored = np.asarray(loaded[key]).astype(value.dtype)
        np.testing.assert_array_equal(restored, value, err_msg=key)  # NaN where NaN
        if value.dtype.kind == "f":  # and -0.0 stays -0.0 (NaN payloads are not kept)
            numbers = ~np.isnan(value)
            assert np.array_equal(np.signbit(restored[numbers]), np.signbit(value[numbers]))
    if extension != ".csv":
        assert loaded["meta"] == {"tokens": arrays_["tokens"].tolist()}
