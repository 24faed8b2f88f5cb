"""Standard JSON from engine values: the trace ``meta`` and model configs use it."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

#: JSON has no NaN or infinity; these strings stand in for them (as in protobuf's JSON).
NONFINITE_TEXT = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def to_jsonable(value: Any) -> Any:
    """Plain, standard JSON: NumPy values to Python, tuples to lists, NaN/inf to the
    strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``, anything else to its text."""
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return NONFINITE_TEXT[str(value)]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
