"""Heatmap colours: finite levels after an overflow, the non-finite colour index,
symmetric-log scales for unsquashed values, and the fast path against a slow reference."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.model import random_model
from rnnstudio.view.colours import (
    COLOUR_COUNT,
    NONFINITE_INDEX,
    ColourScale,
    colour_indices,
    count_nonfinite,
    spread,
)
from rnnstudio.view.heatmaps import colour_scales, heatmaps, step_bars

TEXT = " ".join(["the cat sat on the mat"] * 20)


def _overflowing_relu_trace():  # type: ignore[no-untyped-def]
    """A ReLU RNN with recurrent gain 10 on 120 tokens: h grows about tenfold a step and
    passes float32's 3.4e38 at step 68 (inf, then NaN)."""
    model = random_model("rnn", 32, nonlinearity="relu", gain=10.0, seed=0)
    return model.trace(TEXT, loss=model.default_loss())


def _reference_indices(values: np.ndarray, scale: ColourScale, unit_block: int) -> np.ndarray:
    """Block means in float64, then the bar positions of ColourScale: as the docstring
    of the colours module writes them."""
    units, steps = values.shape
    rows = [values[start:start + unit_block].astype(np.float64).mean(axis=0)
            for start in range(0, units, unit_block)]
    means = np.array(rows)
    positions = scale.positions(means)
    indices = np.minimum(np.floor(np.nan_to_num(positions) * COLOUR_COUNT), COLOUR_COUNT - 1)
    indices[np.isnan(positions)] = NONFINITE_INDEX
    return indices.astype(np.uint8)


def test_levels_after_an_overflow_come_from_the_finite_values() -> None:
    (hidden,) = heatmaps(_overflowing_relu_trace(), 0, "fwd")
    finite = hidden.values[np.isfinite(hidden.values)]
    assert hidden.nonfinite == hidden.values.size - finite.size > 0
    low, high = hidden.levels
    assert np.isfinite(high) and low == 0.0
    assert float(finite.max()) <= high < 2 * float(finite.max())  # rounded up to 5 x 10^k
    assert hidden.scale.symlog  # tenfold a step: dozens of decades


def test_nonfinite_cells_get_their_own_index_and_finite_ones_keep_their_colours() -> None:
    (hidden,) = heatmaps(_overflowing_relu_trace(), 0, "fwd")
    indices = colour_indices(hidden.values, hidden.scale)
    nonfinite = ~np.isfinite(hidden.values)
    assert (indices[nonfinite] == NONFINITE_INDEX).all()
    finite_indices = indices[~nonfinite]
    assert finite_indices.max() < NONFINITE_INDEX
    # Before the overflow the growth is visible: the early steps use many colours.
    assert np.unique(indices[:, :60]).size > 100
    np.testing.assert_array_equal(indices, _reference_indices(hidden.values, hidden.scale, 1))


@pytest.mark.parametrize("scale", [ColourScale((-2.0, 2.0), "CET-CBD1"),
                                   ColourScale((0.0, 1.0), "cividis"),
                                   ColourScale((-50.0, 50.0), "CET-CBD1", 0.01)])
def test_block_means_match_the_reference(scale: ColourScale) -> None:
    """Units averaged four (and a partial last block of two) to a row, as on a screen with
    fewer pixel rows than units; a NaN marks only its own block."""
    rng = np.random.default_rng(3)
    values = (rng.standard_normal((10, 37)) * 3).astype(np.float32)
    values[5, 7] = np.nan
    indices = colour_indices(values, scale, unit_block=4)
    assert indices.shape == (3, 37)
    np.testing.assert_array_equal(indices, _reference_indices(values, scale, 4))
    assert indices[1, 7] == NONFINITE_INDEX and (indices[1, 8:] != NONFINITE_INDEX).all()


def test_step_blocks_average_pairs_of_steps() -> None:
    values = np.arange(12, dtype=np.float32).reshape(2, 6)
    indices = colour_indices(values, ColourScale((0.0, 12.0), "cividis"), step_block=2)
    means = np.array([[0.5, 2.5, 4.5], [6.5, 8.5, 10.5]])
    np.testing.assert_array_equal(indices, np.floor(means / 12 * COLOUR_COUNT))


def test_sums_of_huge_finite_values_are_not_taken_for_an_overflow() -> None:
    """Four values of 3e38 sum to inf in float32: the block must stay finite (top colour)."""
    values = np.full((4, 3), 3e38, dtype=np.float32)
    indices = colour_indices(values, ColourScale((0.0, 5e38), "viridis"), unit_block=4)
    np.testing.assert_array_equal(indices, [[int(0.6 * COLOUR_COUNT)] * 3])


def test_tanh_h_is_linear_from_minus_one_to_one_in_every_mode() -> None:
    model = random_model("rnn", 16, seed=1, gain=3.0)
    (hidden,) = heatmaps(model.trace(TEXT), 0, "fwd")
    assert hidden.scale == ColourScale((-1.0, 1.0), "CET-CBD1")
    assert hidden.scale_for("symlog") is hidden.scale_for("linear") is hidden.scale


def test_a_cell_state_of_one_scale_stays_linear_and_may_be_switched() -> None:
    model = random_model("lstm", 16, seed=1)
    names = {item.name: item for item in heatmaps(model.trace(TEXT), 0, "fwd")}
    cell = names["c"]
    assert not cell.scale.symlog and cell.levels[0] == -cell.levels[1]
    forced = cell.scale_for("symlog")
    assert forced.symlog and forced.levels == cell.levels
    assert cell.scale_for("linear") is cell.scale


def test_symlog_is_chosen_beyond_three_decades() -> None:
    steps = np.arange(50, dtype=np.float32)
    growing = np.outer(np.ones(4, dtype=np.float32), 1.5 ** steps)  # 0..8.5e8
    scale, other, nonfinite = colour_scales("h", growing, "rnn", "relu")
    assert scale.symlog and other is not None and not other.symlog and nonfinite == 0
    assert spread(growing).decades > 3
    calm = np.abs(np.random.default_rng(0).standard_normal((4, 50))).astype(np.float32)
    assert not colour_scales("h", calm, "rnn", "relu")[0].symlog


def test_symlog_ticks_are_labelled_with_real_values() -> None:
    scale = ColourScale((0.0, 5e38), "viridis", 10.0)
    ticks = dict((label, position) for position, label in scale.ticks())
    assert ticks["0"] == 0.0 and ticks["5e+38"] == 1.0
    (middle,) = set(ticks) - {"0", "5e+38"}
    value = float(middle)
    assert np.log10(value).is_integer()  # a power of ten, not a transformed number
    expected = np.log10(1 + value / 10) / np.log10(1 + 5e38 / 10)
    assert ticks[middle] == pytest.approx(expected)
    assert "|x|/10" in scale.describe()


def test_linear_ticks_are_the_ends_and_the_middle() -> None:
    ticks = ColourScale((-2.0, 2.0), "CET-CBD1").ticks()
    assert ticks == ((0.0, "-2"), (0.5, "0"), (1.0, "2"))


def test_symmetric_symlog_ticks_have_zero_in_the_middle() -> None:
    scale = ColourScale((-1000.0, 1000.0), "CET-CBD1", 0.1)
    ticks = scale.ticks()
    assert ticks[0] == (0.0, "-1e+03") and ticks[-1] == (1.0, "1e+03")
    assert (0.5, "0") in ticks and len(ticks) == 5


def test_count_nonfinite_counts_nan_and_both_infinities() -> None:
    values = np.zeros((3, 4), dtype=np.float32)
    assert count_nonfinite(values) == 0
    values[0, 0], values[1, 1], values[2, 2] = np.nan, np.inf, -np.inf
    assert count_nonfinite(values) == 3
    assert count_nonfinite(np.full((2, 2), 3e38, dtype=np.float32)) == 0  # sum overflows


def test_step_bars_after_an_overflow_are_finite_and_scaled_to_the_step() -> None:
    (hidden,) = heatmaps(_overflowing_relu_trace(), 0, "fwd")
    before = step_bars(hidden, 30)
    column = hidden.values[:, 30]
    assert before.nonfinite.size == 0 and before.levels[0] == 0.0
    assert column.max() <= before.levels[1] < 2.0 * float(column.max())  # not 5e38
    after = step_bars(hidden, 100)
    np.testing.assert_array_equal(after.nonfinite, np.arange(32))
    assert (after.heights == 0).all() and np.isfinite(after.levels).all()
    assert step_bars(hidden, 30, "linear").levels == hidden.levels
