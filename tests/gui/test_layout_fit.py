"""Issue 11: the layout on a 1280 x 720 projector with a lesson, Training and Compare
open, and after View > Reset layout (the window's screen is set through its
``available_geometry`` seam; offscreen Qt has one 800 x 800 screen)."""

from __future__ import annotations

import pytest
from conftest import wait_for_trace
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QTabBar

from rnnstudio.gui.widgets.step_view import CHART_MIN_HEIGHT, axis_ticks, fitted_title
from rnnstudio.io.model_source import RandomModelSpec
from rnnstudio.view.lessons import load_lessons

SCREEN_720 = QRect(0, 0, 1280, 720)


def _on_screen(qtbot, window, monkeypatch, screen: QRect) -> None:  # type: ignore[no-untyped-def]
    """The window as it starts on ``screen``: 1600 x 1000 or 95 % of it."""
    monkeypatch.setattr(window, "available_geometry", lambda: screen)
    window._fit_to_screen(1600, 1000)
    window._size_docks()
    qtbot.wait(50)


def _open_lesson(qtbot, window, name: str) -> None:  # type: ignore[no-untyped-def]
    lesson = next(lesson for lesson in load_lessons() if lesson.name == name)
    wait_for_trace(qtbot, window.session, lambda: window.session.open_lesson(lesson))
    qtbot.wait(50)


def _assert_charts_readable(step_view) -> None:  # type: ignore[no-untyped-def]
    """Every bar chart's data area >= 60 px, its title within its width, its y labels
    at least a line apart."""
    for name, row in step_view.rows.items():
        view = row.plot.getViewBox()
        assert view.height() >= CHART_MIN_HEIGHT, (name, view.height())
        title = row.plot.titleLabel
        shown = title.item.toPlainText()  # laid out in its 8 pt font, the name bold
        assert title.item.document().idealWidth() <= title.width(), (name, shown)
        axis = row.plot.getAxis("left")
        low, high = row.plot.viewRange()[1]
        values = sorted(value for value, _ in axis._tickLevels[0])
        line = QFontMetrics(axis.style["tickFont"] or axis.font()).height()
        scale = view.height() / (high - low)
        gaps = [(b - a) * scale for a, b in zip(values, values[1:], strict=False)]
        assert min(gaps) >= line, (name, gaps)


def test_a_lesson_at_720p_leaves_this_step_its_column(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The lesson split above This step squashed its six charts to ~15 px with their y
    labels printed over each other; now it is tabbed with Model in the left column."""
    _on_screen(qtbot, window, monkeypatch, SCREEN_720)
    _open_lesson(qtbot, window, "07-lstm-highway")
    docks = window.docks
    assert window.width() <= 1280 and window.height() <= 720
    assert docks["lessons"].isVisible() and docks["lessons"] in window.tabifiedDockWidgets(
        docks["model"])
    assert docks["step"].height() >= window.centralWidget().height()  # the whole column
    step_view = window.step_view
    assert list(step_view.rows) == ["h", "c", "i", "f", "g", "o"]
    _assert_charts_readable(step_view)
    # Six charts do not fit beside the equations at 720p: they scroll, not squash.
    assert step_view.bars_area.verticalScrollBar().maximum() > 0
    equations_area = step_view.equations.parent().parent()
    assert equations_area.viewport().height() >= 120
    assert "f = sigmoid(" in step_view.equations.text()
    assert equations_area.horizontalScrollBar().maximum() == 0  # long lines wrap
    text = window.lesson_panel.text
    assert text.viewport().width() >= 300 and text.viewport().height() >= 90
    assert window.heatmaps.graphics.height() >= 200
    assert window.gradients.plot_widget.height() >= 120


def test_gru_titles_fit_and_say_the_gate(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _on_screen(qtbot, window, monkeypatch, SCREEN_720)
    _open_lesson(qtbot, window, "07-lstm-highway")
    wait_for_trace(qtbot, window.session, lambda: window.session.set_random_model(
        RandomModelSpec(cell="gru", hidden_size=16)))
    qtbot.wait(50)
    step_view = window.step_view
    assert list(step_view.rows) == ["h", "r", "z", "n"]
    _assert_charts_readable(step_view)
    assert step_view.rows["r"].plot.titleLabel.item.toPlainText().startswith("r — reset gate")
    assert "how much of the old state" in step_view.rows["z"].plot.titleLabel.toolTip()


@pytest.mark.parametrize(("width", "expected"), [
    (2000, "z — update gate: how much of the old state is kept instead of the candidate"),
    (200, "z — update gate"),
])
def test_a_title_keeps_what_fits(qtbot, width: int, expected: str) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.view.heatmaps import QUANTITY_DESCRIPTIONS

    html = fitted_title("z", QUANTITY_DESCRIPTIONS["z"], width)
    assert html.replace("<b>", "").replace("</b>", "") == expected
    assert fitted_title("z", QUANTITY_DESCRIPTIONS["z"], 50).endswith("…")


def test_y_labels_are_the_ends_and_zero() -> None:
    assert axis_ticks((-1.0, 1.0)) == [(-1.0, "-1"), (0.0, "0"), (1.0, "1")]
    assert axis_ticks((0.0, 1.0)) == [(0.0, "0"), (0.5, "0.5"), (1.0, "1")]
    assert [label for _, label in axis_ticks((-3.14159, 3.14159))] == ["-3.14", "0", "3.14"]


def test_reset_after_lesson_training_and_compare_fits_720p(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """It made the window 1520 x 1380 and left a stray tab bar."""
    _on_screen(qtbot, window, monkeypatch, SCREEN_720)
    _open_lesson(qtbot, window, "13-negation")
    window.show_panel("training")
    qtbot.wait(50)
    assert window.width() <= 1280 and window.height() <= 720
    assert window.docks["training"] in window.tabifiedDockWidgets(window.docks["gradients"])
    window.show_panel("compare")
    qtbot.wait(50)
    compare = window.docks["compare"]
    assert compare.isFloating() and SCREEN_720.contains(compare.frameGeometry())
    assert window.width() <= 1280 and window.height() <= 720
    window.reset_layout()
    qtbot.wait(50)
    window.session.wait()
    assert window.width() <= 1280 and window.height() <= 720
    inside = window.rect()
    for key, dock in window.docks.items():
        shown = key in ("input", "model", "step", "gradients", "unit")
        assert dock.isVisible() == shown, key
        if shown:
            assert inside.contains(dock.geometry()), (key, dock.geometry())
    assert not [bar for bar in window.findChildren(QTabBar) if bar.isVisible()]
    assert window.minimumSizeHint().width() <= 1280
    assert window.minimumSizeHint().height() <= 720
    for name, plot in (("gradients", window.gradients.plot_widget),
                       ("unit inspector", window.unit_inspector.plot_widget),
                       ("heatmaps", window.heatmaps.graphics),
                       ("this step", window.step_view.bars_area.viewport())):
        assert plot.height() >= 120, (name, plot.height())
    _assert_charts_readable(window.step_view)


def test_a_window_saved_on_a_larger_screen_comes_back_inside(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(window, "available_geometry", lambda: SCREEN_720)
    window.setGeometry(400, 300, 1500, 1100)
    window.keep_on_screen()
    assert SCREEN_720.contains(window.frameGeometry())


def test_heatmap_titles_shorten_to_letters_when_rows_are_short(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """At 720p "g candidate" (rotated) was taller than its row and ran into "f forget"."""
    def titles() -> list[str]:
        return [row.plot.getAxis("left").labelText for row in window.heatmaps.rows]

    _on_screen(qtbot, window, monkeypatch, SCREEN_720)
    assert window.heatmaps.rows[0].plot.getViewBox().height() < 60
    assert titles() == ["h", "c", "i", "f", "g", "o"]
    window.resize(1400, 1200)
    window._size_docks()
    qtbot.wait(50)
    assert window.heatmaps.rows[0].plot.getViewBox().height() > 90
    assert titles() == ["h hidden", "c cell", "i input", "f forget", "g candidate", "o output"]


def test_a_lesson_without_model_beside_it_still_opens_in_the_left_column(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    window.docks["model"].hide()
    _open_lesson(qtbot, window, "07-lstm-highway")
    lessons = window.docks["lessons"]
    assert lessons.isVisible() and not lessons.isFloating()
    assert window.dockWidgetArea(lessons) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.docks["step"].height() >= window.centralWidget().height()
