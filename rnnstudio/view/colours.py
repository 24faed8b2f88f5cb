"""How heatmap values become colours, for the window and for figure exports (no Qt).

A :class:`ColourScale` maps real values to positions 0..1 along a colour bar, linearly
or on a symmetric-log scale::

    linear:  p(x) = (x - low) / (high - low)
    symlog:  s(x) = sign(x) * log10(1 + |x| / linthresh)
             p(x) = (s(x) - s(low)) / (s(high) - s(low))

clipped to 0..1. Levels come from finite values only: after an overflow an inf must not
stretch the scale until every finite value has one colour. Non-finite values (NaN, +inf,
-inf) have no position: they are drawn in :data:`NONFINITE_RGB`, a colour none of the
maps uses, and the colour bar names it :data:`NONFINITE_LABEL`.

:func:`colour_indices` is the fast path the window redraws with: block means down to the
screen's pixels, then one of :data:`COLOUR_COUNT` colour indices per cell (a uint8), or
:data:`NONFINITE_INDEX` for a block holding a non-finite value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..io.session_file import COLOUR_SCALES

#: Colours along a bar; index NONFINITE_INDEX (the 256th) is the non-finite colour.
COLOUR_COUNT = 255
NONFINITE_INDEX = 255
#: Magenta: in none of cividis, viridis and CET-CBD1 (blue to grey to yellow).
NONFINITE_RGB = (255, 0, 255)
NONFINITE_LABEL = "inf/NaN"
#: Unsquashed values whose finite |values| span more than this many decades (largest over
#: the 5th percentile of the non-zero ones) get a symmetric-log scale by default.
SYMLOG_DECADES = 3.0
#: The scale modes a user can choose: automatic, or one forced for unsquashed quantities
#: (defined where session files check them).
SCALE_MODES = COLOUR_SCALES
#: Above this a float32 sum of a few values may overflow: block sums then use float64.
_SAFE_FLOAT32 = 1e37
#: Percentiles are taken on at most this many values (every k-th): one pass, not a sort.
_SAMPLE = 1 << 16


@dataclass(frozen=True)
class ColourScale:
    """Real values ``levels = (low, high)`` at the ends of the colour bar ``colormap``;
    ``linthresh`` is None for a linear scale, else the symmetric-log threshold."""

    levels: tuple[float, float]
    colormap: str
    linthresh: float | None = None

    @property
    def symlog(self) -> bool:
        return self.linthresh is not None

    def describe(self) -> str:
        """One line for a tooltip: which scale, and the threshold of a symmetric log."""
        if self.linthresh is None:
            return "linear colour scale"
        return (f"symmetric-log colour scale: sign(x)·log10(1 + |x|/{_label(self.linthresh)}), "
                f"linear below |x| = {_label(self.linthresh)}")

    def _ends(self) -> tuple[float, float]:
        """The levels after the transform, as float64 scalars."""
        low, high = _transform(np.array(self.levels, dtype=np.float64), self.linthresh)
        return float(low), float(high) if high > low else float(low) + 1.0

    def positions(self, values: np.ndarray) -> np.ndarray:
        """Where ``values`` (any shape) sit on the bar: float64 0..1, NaN where not finite."""
        with np.errstate(invalid="ignore", over="ignore"):
            moved = _transform(np.asarray(values, dtype=np.float64), self.linthresh)
            low, high = self._ends()
            place = np.clip((moved - low) / (high - low), 0.0, 1.0)
        place[~np.isfinite(np.asarray(values))] = np.nan
        return place

    def ticks(self) -> tuple[tuple[float, str], ...]:
        """(position 0..1, label of the real value) for the bar: the ends and the middle
        value on a linear scale; the ends, 0 and a power of ten per side on a symlog one
        (a label shows what the colour means, never the transformed number)."""
        low, high = self.levels
        if self.linthresh is None:
            values = [low, (low + high) / 2, high]
        else:
            values = [low, high] + ([0.0] if low < 0 < high else [])
            values += [_middle_decade(end, self) for end in (low, high) if end != 0]
        shown = sorted(set(values))
        return tuple((float(self.positions(np.array([value]))[0]), _label(value))
                     for value in shown)


def _transform(values: np.ndarray, linthresh: float | None) -> np.ndarray:
    """Identity, or sign(x) log10(1 + |x|/c) written as log10(|x| + c) - log10(c): no
    overflow even at |x| = 3.4e38 with a small c."""
    if linthresh is None:
        return values
    magnitude = np.abs(values)
    magnitude += linthresh
    np.log10(magnitude, out=magnitude)
    magnitude -= np.log10(linthresh)
    return np.copysign(magnitude, values, out=magnitude)


def _middle_decade(end: float, scale: ColourScale) -> float:
    """The power of ten nearest the middle (on the bar) between 0 and ``end``."""
    assert scale.linthresh is not None
    half = float(_transform(np.array([end]), scale.linthresh)[0]) / 2
    magnitude = scale.linthresh * (10.0 ** abs(half) - 1)
    return float(np.copysign(10.0 ** np.round(np.log10(max(magnitude, 1e-300))), end))


def _label(value: float) -> str:
    """A short real-value label: ``0.5``, ``20``, ``1e-05``, ``5e+38``."""
    return "0" if value == 0 else f"{value:.3g}"


def nice_ceiling(value: float) -> float:
    """Round up to 1, 2 or 5 times a power of ten, so colour bars get round numbers."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    exponent = np.floor(np.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        candidate = step * 10.0**exponent
        if candidate >= value * (1 - 1e-9):
            return float(candidate)
    return float(10.0 ** (exponent + 1))


@dataclass(frozen=True)
class Spread:
    """What the scale of an unsquashed quantity is chosen from, finite values only: the
    largest |value|, the 5th percentile of the non-zero |values|, non-finite cells."""

    largest: float
    small: float
    nonfinite: int

    @property
    def decades(self) -> float:
        if self.small <= 0 or self.largest <= 0:
            return 0.0
        return float(np.log10(self.largest / self.small))

    @property
    def linthresh(self) -> float:
        """The power of ten at or below ``small``: linear below it, log above."""
        if self.small <= 0:
            return 1.0
        return float(10.0 ** np.floor(np.log10(self.small)))


def count_nonfinite(values: np.ndarray) -> int:
    """How many of ``values`` are NaN or infinite. A finite sum proves there are none in
    one pass (NaN and inf propagate); only an infinite sum needs the count."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(values, axis=None)):
            return 0
    return int(values.size - np.count_nonzero(np.isfinite(values)))


def spread(values: np.ndarray) -> Spread:
    """The :class:`Spread` of ``values`` (any shape, float)."""
    nonfinite = count_nonfinite(values)
    kept = values[np.isfinite(values)] if nonfinite else values.reshape(-1)
    if not kept.size:
        return Spread(0.0, 0.0, nonfinite)
    largest = float(max(kept.max(), -kept.min()))
    sample = np.abs(kept[:: max(1, kept.size // _SAMPLE)], dtype=np.float64)
    sample = sample[sample > 0]
    small = float(np.percentile(sample, 5)) if sample.size else 0.0
    return Spread(largest, small, nonfinite)


def _block_sums(values: np.ndarray, block: int, axis: int, wide: bool) -> np.ndarray:
    """Sums over ``block`` neighbours along ``axis`` (a partial last block scaled up as
    if full). Units (axis 0) in one reduction over whole rows, which streams through the
    cache (2.5x faster than adding strided row slices); steps (axis 1, contiguous) by
    adding strided slices, as a reduction over a tiny inner axis is slow."""
    if block == 1:
        return values
    length = values.shape[axis]
    full = length // block * block
    dtype = np.float64 if wide else np.float32
    if axis == 0:
        sums = values[:full].reshape(full // block, block, -1).sum(axis=1, dtype=dtype)
    else:
        sums = np.add(values[:, 0:full:block], values[:, 1:full:block], dtype=dtype)
        for offset in range(2, block):
            sums += values[:, offset:full:block]
    if full < length:
        rest = values[full:] if axis == 0 else values[:, full:]
        tail = rest.mean(axis=axis, keepdims=True, dtype=np.float64) * block
        sums = np.concatenate([sums, tail.astype(dtype)], axis=axis)
    return sums


def colour_indices(values: np.ndarray, scale: ColourScale, unit_block: int = 1,
                   step_block: int = 1, nonfinite: bool = True) -> np.ndarray:
    """Colour index per block of ``values``: uint8 (ceil(units / unit_block),
    ceil(T / step_block)), 0..COLOUR_COUNT-1 along the bar, NONFINITE_INDEX where the
    block holds a non-finite value.

    ``values`` is (units, T) float; each block is averaged before it is coloured, so every
    unit counts. ``nonfinite=False`` promises there is no non-finite value (the check
    costs a pass over the image).
    """
    bound = max(abs(scale.levels[0]), abs(scale.levels[1]))
    wide = bound * unit_block * step_block > _SAFE_FLOAT32
    count = unit_block * step_block
    low, high = scale._ends()
    with np.errstate(invalid="ignore", over="ignore"):
        sums = _block_sums(_block_sums(values, unit_block, 0, wide), step_block, 1, wide)
        # Sums of our own (float32) are overwritten in place: every pass is a pass over
        # the image, and passes are what a redraw costs.
        owned = sums is not values and sums.dtype == np.float32
        if scale.linthresh is None:  # the block mean's 1/count folded into the multiply
            shade = np.multiply(sums, COLOUR_COUNT / ((high - low) * count),
                                out=sums if owned else None, dtype=sums.dtype)
            shade -= low * COLOUR_COUNT / (high - low)
        else:
            shade = _transform(np.multiply(sums, 1.0 / count, out=sums if owned else None,
                                           dtype=sums.dtype), scale.linthresh)
            shade -= low
            shade *= COLOUR_COUNT / (high - low)
        indices = np.empty(shade.shape, dtype=np.uint8)
        # Clip and cast in one pass; a non-finite block is non-finite here too.
        np.clip(shade, 0, COLOUR_COUNT - 1, out=indices, casting="unsafe")
        if nonfinite:
            indices[~np.isfinite(shade)] = NONFINITE_INDEX
    return indices
