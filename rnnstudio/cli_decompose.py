"""``rnnstudio trace ... --decompose``: the gradient decomposed through the gates, written
into the trace file beside the states (keys ``decomposition.l{k}.{dir}.{name}``,
docs/formats.md).

Kept beside ``cli.py`` (which registers the flag) so that module stays about tracing.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

DECOMPOSE_HELP = ("also write the gradient decomposed through the gates: LSTM prod f and "
                  "dc_T/dc_t, GRU prod z and dh_T/dh_t, RNN step-Jacobian singular values "
                  "(log10; full Jacobians up to 256 units)")


def add_decompose_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--decompose", action="store_true", help=DECOMPOSE_HELP)


def decomposed_file_arrays(model: Any, trace: Any, decompose: bool) -> dict[str, np.ndarray]:
    """The trace file's arrays, with every layer's and direction's decomposition when
    ``decompose`` is set."""
    from .engine.decomposition import decompose_all, decomposition_arrays
    from .io.trace_export import trace_file_arrays

    arrays = trace_file_arrays(trace)
    if decompose:
        arrays.update(decomposition_arrays(decompose_all(model, trace)))
    return arrays


def decomposition_line(arrays: dict[str, np.ndarray]) -> str:
    """What the summary says about the decomposition in ``arrays``."""
    from .engine.trace_keys import DECOMPOSITION, parse_layer_key

    parsed = [parse_layer_key(key) for key in arrays]
    found = [parts for parts in parsed if parts is not None and parts.kind == DECOMPOSITION]
    recurrences = len({(parts.layer, parts.direction) for parts in found})
    full = any(parts.name == "log10_full_norm" for parts in found)
    what = "retention and full Jacobians" if full else "retention only (over 256 units)"
    if any(parts.name == "log10_step_sv_max" for parts in found):
        what = "step-Jacobian singular values, bounds and ||dh_T/dh_t||"
    return f"decomposition: {recurrences} layer/direction(s), {what} (log10)"
