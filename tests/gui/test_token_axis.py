"""Token labels on the time axis: every token when there is room, thinned otherwise."""

from __future__ import annotations

from rnnstudio.gui.widgets.token_axis import TokenAxis


def test_every_token_when_there_is_room(qtbot) -> None:  # type: ignore[no-untyped-def]
    axis = TokenAxis()
    axis.set_tokens(["the", "cat", "sat", "on", "the", "mat"])
    [(spacing, values)] = axis.tickValues(-0.5, 5.5, 600)
    assert spacing == 1 and values == [0, 1, 2, 3, 4, 5]
    assert axis.tickStrings(values, 1, 1) == ["the", "cat", "sat", "on", "the", "mat"]


def test_long_texts_are_thinned_and_numbered(qtbot) -> None:  # type: ignore[no-untyped-def]
    axis = TokenAxis()
    axis.set_tokens([f"w{index}" for index in range(2000)] )
    [(spacing, values)] = axis.tickValues(-0.5, 1999.5, 1000)
    assert spacing == 200 and values[:3] == [0, 200, 400]
    assert axis.tickStrings(values[:2], 1, spacing) == ["0:w0", "200:w200"]
    [(spacing, values)] = axis.tickValues(99.5, 110.5, 1000)  # zoomed in: all again
    assert spacing == 1 and values[0] == 100
    axis.set_tokens(["a-very-long-token-indeed"])
    assert axis._tokens == ["a-very-lo…"]
