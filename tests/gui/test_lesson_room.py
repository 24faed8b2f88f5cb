"""Every part of every lesson legible on a 1280 x 720 projector and at 1600 x 1000: the
lesson text at least 10 lines, each plot the part shows in front at least 80 px of data,
every panel it names open, the Input dock's labels inside the window. The window's
screen is set through its ``available_geometry`` seam (offscreen Qt has one 800 x 800
screen); lessons come from ``load_lessons()``, so a new lesson file is checked too."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from conftest import wait_for_trace
from PySide6.QtCore import QRect
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel

from rnnstudio.view.lessons import load_lessons

SCREENS = {"720p": QRect(0, 0, 1280, 720), "1600x1000": QRect(0, 0, 1600, 1000)}
LESSONS = {lesson.name: lesson for lesson in load_lessons()}
PARTS = [(name, stage) for name, lesson in LESSONS.items()
         for stage in range(len(lesson.stages))]
#: Lines of the lesson text in view, and px of a plot's data area, at the least.
TEXT_LINES = 10
PLOT_DATA_HEIGHT = 80


def _data_heights(window, key: str) -> list[float]:  # type: ignore[no-untyped-def]
    """The data areas' heights (px) of the plots in dock ``key``."""
    views = window.docks[key].widget().findChildren(pg.GraphicsView)
    return [item.height() for view in views for item in view.items()
            if isinstance(item, pg.ViewBox)]


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize(("name", "stage"), PARTS)
def test_every_lesson_part_is_legible(qtbot, window, monkeypatch, screen: str,  # type: ignore[no-untyped-def]
                                      name: str, stage: int) -> None:
    monkeypatch.setattr(window, "available_geometry", lambda: SCREENS[screen])
    window._fit_to_screen(1600, 1000)
    window._size_docks()
    lesson = LESSONS[name]
    wait_for_trace(qtbot, window.session,
                   lambda: window.session.open_lesson(lesson, stage))
    qtbot.wait(50)
    assert SCREENS[screen].contains(window.frameGeometry())
    text = window.lesson_panel.text
    lines = text.viewport().height() / QFontMetrics(text.font()).lineSpacing()
    assert lines >= TEXT_LINES, lines
    part = lesson.stages[stage]
    named = {*part.panels, *(("training",) if part.training else ())}
    docks = window.docks
    for key in named:
        assert docks[key].isVisible(), key  # not closed, not behind another tab
    front = window.dock_layout.front_plot
    assert front in named or not named & {"unit", "gradients", "training"}
    for key in named & {"unit", "gradients", "training"} - {front}:
        assert docks[key] in window.tabifiedDockWidgets(docks[front]), key
    heights = _data_heights(window, front)
    assert heights and min(heights) >= PLOT_DATA_HEIGHT, (front, heights)
    label = next(label for label in window.findChildren(QLabel)
                 if label.text() == "colour tokens by")
    where = QRect(label.mapTo(window, label.rect().topLeft()), label.size())
    assert window.rect().contains(where), where
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()


def test_the_first_named_of_two_docks_in_one_column_is_in_front(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """03-short-memory names Compare, then This step: both go in the right column, and
    the student must see Compare, which the lesson is about."""
    lesson = LESSONS["03-short-memory"]
    assert lesson.stages[0].panels[:2] == ("compare", "step")
    wait_for_trace(qtbot, window.session, lambda: window.session.open_lesson(lesson, 0))
    qtbot.wait(50)
    compare, step = window.docks["compare"], window.docks["step"]
    assert step in window.tabifiedDockWidgets(compare)
    assert not compare.visibleRegion().isEmpty() and step.visibleRegion().isEmpty()
