"""Token labels on the time axis: every token when there is room, thinned otherwise."""

from __future__ import annotations

from rnnstudio.gui.widgets.token_axis import TokenAxis, nice_stride


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


REVIEW = "i bought it last week and the camera was not very good .".split()


def test_labels_that_do_not_fit_side_by_side_are_staggered_not_dropped(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: 13 tokens at about 33 px a step showed every fifth one ("you cannot tell
    which column is 'not' on a slide"). Two rows fit them all."""
    axis = TokenAxis()
    axis.set_tokens(REVIEW)
    widest = axis._widest
    size = (widest + 6) * 13 / 1.6  # one row would need 1.6 times this width
    [(spacing, values)] = axis.tickValues(-0.5, 12.5, size)
    assert spacing == 1 and values == list(range(13)) and axis.staggered
    assert axis.tickStrings(values, 1, 1) == REVIEW  # no numbers: every column is named
    [(spacing, values)] = axis.tickValues(-0.5, 12.5, size * 3)
    assert spacing == 1 and not axis.staggered  # room for one row: one row
    [(spacing, values)] = axis.tickValues(-0.5, 12.5, size / 3)
    assert spacing > 1 and not axis.staggered  # not even two rows fit: thinned


def test_staggered_labels_are_drawn_on_two_rows_inside_the_axis(qtbot) -> None:  # type: ignore[no-untyped-def]
    import pyqtgraph as pg
    from PySide6.QtGui import QImage, QPainter

    axis = TokenAxis("bottom")
    widget = pg.PlotWidget(axisItems={"bottom": axis})
    qtbot.addWidget(widget)
    axis.set_tokens(REVIEW)
    widget.setXRange(-0.5, 12.5, padding=0)
    widget.resize(int(70 + (axis._widest + 6) * 13 / 1.6), 300)
    widget.show()
    qtbot.waitExposed(widget)
    for _ in range(2):  # the first paint measures the labels and grows the axis
        widget.grab()
        qtbot.wait(20)
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    painter.setFont(axis.style.get("tickFont") or painter.font())
    specs = axis.generateDrawSpecs(painter)
    painter.end()
    assert specs is not None and axis.staggered
    texts = specs[2]
    assert [text for _, _, text in sorted(texts, key=lambda spec: spec[0].x())] == REVIEW
    tops = sorted({round(rect.top()) for rect, _, _ in texts})
    assert len(tops) == 2
    bottom = max(rect.bottom() for rect, _, _ in texts)
    assert bottom <= axis.boundingRect().bottom() + 1  # the axis grew to hold both rows


def test_labels_too_crowded_for_two_rows_stand_upright_before_any_is_dropped(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Issue 11: "rotate or stagger before thinning". 22 tokens at 20 px a step (a 720p
    window) were thinned to every fifth; upright, each needs only a line's width."""
    from PySide6.QtGui import QFont, QFontMetricsF

    tokens = ("alice is allergic to nuts . the weather was nice . bob is allergic to "
              "milk . so he cannot eat the").split()
    line = QFontMetricsF(QFont()).height()
    axis = TokenAxis()
    axis.set_tokens(tokens)
    step = max(line + 2, (axis._widest + 6) / 2.5)  # two rows would need 2.5 steps a label
    [(spacing, values)] = axis.tickValues(-0.5, 21.5, step * 22)
    assert spacing == 1 and values == list(range(22)) and axis.rotated
    assert axis.tickStrings(values, 1, 1) == tokens  # every column named, no numbers
    assert axis.textHeight >= axis._widest  # the axis is as tall as the longest word
    [(spacing, values)] = axis.tickValues(-0.5, 21.5, (line - 2) * 22)
    assert spacing > 1 and not axis.rotated and axis.tickStrings(values[:1], 1, 1) == ["0:alice"]
    small = TokenAxis(may_rotate=False)  # a small plot keeps its height
    small.set_tokens(tokens)
    [(spacing, _)] = small.tickValues(-0.5, 21.5, step * 22)
    assert spacing > 1 and not small.rotated


def test_the_window_and_figures_plan_labels_by_one_rule() -> None:
    from rnnstudio.gui.widgets.token_axis import LabelPlan, plan_labels

    assert plan_labels(40, 14, 50, 20) == LabelPlan(1)
    assert plan_labels(40, 14, 30, 20) == LabelPlan(1, staggered=True)
    assert plan_labels(40, 14, 16, 20) == LabelPlan(1, rotated=True)
    assert plan_labels(40, 14, 5, 20) == LabelPlan(nice_stride(66 / 5))  # flat, numbered
    assert plan_labels(40, 14, 5, 20, rotate_thinned=True) == LabelPlan(5, rotated=True)
    assert plan_labels(40, 14, 16, 20, rotate=False) == LabelPlan(nice_stride(66 / 16))


def test_a_short_heatmap_panel_keeps_its_rows_and_lays_labels_flat(qtbot) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.engine.model import random_model
    from rnnstudio.gui.session import Session
    from rnnstudio.gui.widgets.heatmaps import ROTATE_MIN_HEIGHT, HeatmapPanel

    tokens = ("alice is allergic to nuts . the weather was nice . bob is allergic to "
              "milk . so he cannot eat the")
    session = Session()
    session.show_trace(random_model("lstm", 8, seed=0).trace(tokens), "x")
    panel = HeatmapPanel(session)
    qtbot.addWidget(panel)
    try:
        axis = panel.rows[-1].token_axis
        for height, upright in ((ROTATE_MIN_HEIGHT + 200, True), (ROTATE_MIN_HEIGHT - 60, False)):
            panel.resize(560, height)
            for _ in range(3):  # resize, then the axis re-plans its labels and resizes
                panel.grab()
            assert axis.may_rotate is upright and axis.rotated is upright
    finally:
        session.shutdown()
