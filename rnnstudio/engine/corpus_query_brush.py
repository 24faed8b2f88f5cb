"""The units a brushed span selects: LSTMVis's "select cells" rule.

LSTMVis (Strobelt, Gehrmann, Pfister & Rush, "LSTMVis: A tool for visual analysis of
hidden state dynamics in recurrent neural networks", IEEE TVCG 24(1), 2018) lets a user
brush a range of tokens ``[start, stop)`` as a hypothesis and selects the units that are
*on* (``>= threshold``) at every token of the range and *off* (``< threshold``) just
before it, then finds every other place where the same units are on together. Its client
(``LSTMController.cellSelection``, LSTMVis v2, github.com/HendrikStrobelt/LSTMVis) tests
each unit's on/off pattern over ``[start - before, stop + after)`` against the brushed
signature, with these defaults: threshold 0.3 (``activation``), 1 token before and 0 after
(``wordBrushZero = [1, 0]``). Here, as there::

    selected(u) = all(value[t, u] >= threshold for start <= t < stop)
              and all(value[t, u] <  threshold for start - before <= t < start, t >= 0)
              and all(value[t, u] <  threshold for stop <= t < stop + after, t < T)

Positions before the text's first token or after its last do not exist and are not
tested (LSTMVis's JavaScript ``slice`` wraps a negative start around instead).
"""

from __future__ import annotations

import numpy as np

from ..limits import check_number, check_whole

__all__ = ["BRUSH_AFTER", "BRUSH_BEFORE", "BRUSH_THRESHOLD", "brush_rule", "brush_units"]

#: LSTMVis v2's defaults (see the module docstring).
BRUSH_THRESHOLD = 0.3
BRUSH_BEFORE = 1
BRUSH_AFTER = 0


def brush_units(values: np.ndarray, start: int, stop: int, threshold: float = BRUSH_THRESHOLD,
                before: int = BRUSH_BEFORE, after: int = BRUSH_AFTER) -> list[int]:
    """The units (columns of ``values``, (T, H)) that are ``>= threshold`` at every token
    of ``[start, stop)`` and ``< threshold`` at the ``before`` tokens before it and the
    ``after`` tokens after it (those that exist), in unit order. NaN is neither on nor
    off, so a unit with NaN in the tested window is never selected."""
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f"values must be (T, H), got shape {values.shape}")
    steps = values.shape[0]
    start = check_whole("start", start, 0, max(steps - 1, 0), "brush tokens of the text")
    stop = check_whole("stop", stop, start + 1, steps, "brush at least one token")
    threshold = check_number("threshold", threshold, "give e.g. 0.3 (LSTMVis's default)")
    before = check_whole("before", before, 0, steps, "give e.g. 1 (LSTMVis's default)")
    after = check_whole("after", after, 0, steps, "give e.g. 0 (LSTMVis's default)")
    inside = (values[start:stop] >= threshold).all(axis=0)
    outside = np.concatenate((values[max(start - before, 0):start], values[stop:stop + after]))
    off = (outside < threshold).all(axis=0)
    return np.flatnonzero(inside & off).tolist()


def brush_rule(threshold: float, before: int, after: int) -> str:
    """The rule with its parameters, in words (the panel and docs show it)."""
    return (f"units >= {threshold:g} at every brushed token and < {threshold:g} at the "
            f"{before} token(s) before and {after} after (LSTMVis, Strobelt et al. 2018)")
