"""First / back / play-pause / forward / last, speed and a scrub slider, over the
session's cursor and its playback."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from ..playback import MAX_SPEED, MIN_SPEED
from ..session import Session


class Transport(QWidget):
    """Drives ``session.cursor`` and ``session.playback``; keys are bound by the main
    window's actions."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        playback = session.playback
        style = self.style()
        icon = style.standardIcon
        pixmap = QStyle.StandardPixmap
        self.first_button = self._button(icon(pixmap.SP_MediaSkipBackward), "First step (Home)",
                                         self.go_first)
        self.back_button = self._button(icon(pixmap.SP_MediaSeekBackward), "Step back (Left)",
                                        lambda: session.step_by(-1))
        self.play_button = self._button(icon(pixmap.SP_MediaPlay), "Play / pause (Space)",
                                        playback.toggle)
        self.forward_button = self._button(icon(pixmap.SP_MediaSeekForward),
                                           "Step forward (Right)", lambda: session.step_by(1))
        self.last_button = self._button(icon(pixmap.SP_MediaSkipForward), "Last step (End)",
                                        self.go_last)
        self.speed_box = QDoubleSpinBox()
        self.speed_box.setRange(MIN_SPEED, MAX_SPEED)
        self.speed_box.setValue(playback.speed)
        self.speed_box.setSuffix(" steps/s")
        self.speed_box.setToolTip("Playback speed")
        self.speed_box.valueChanged.connect(playback.set_speed)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setToolTip("Scrub through the sentence")
        self.slider.valueChanged.connect(session.set_cursor)
        self.step_label = QLabel()
        self.step_label.setMinimumWidth(180)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for button in (self.first_button, self.back_button, self.play_button,
                       self.forward_button, self.last_button):
            layout.addWidget(button)
        layout.addWidget(self.speed_box)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.step_label)
        session.trace_changed.connect(self._on_trace_changed)
        session.cursor_changed.connect(self._on_cursor_changed)
        playback.changed.connect(self._on_playback_changed)
        if session.trace is not None:
            self._on_trace_changed()

    def _button(self, icon: Any, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def go_first(self) -> None:
        self.session.set_cursor(0)

    def go_last(self) -> None:
        self.session.set_cursor(self.session.step_count - 1)

    def _on_playback_changed(self) -> None:
        playback = self.session.playback
        pixmap = QStyle.StandardPixmap
        self.play_button.setIcon(self.style().standardIcon(
            pixmap.SP_MediaPause if playback.playing else pixmap.SP_MediaPlay))
        if self.speed_box.value() != playback.speed:
            self.speed_box.blockSignals(True)
            self.speed_box.setValue(playback.speed)
            self.speed_box.blockSignals(False)

    def _on_trace_changed(self) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(self.session.step_count - 1, 0))
        self.slider.blockSignals(False)
        self._on_cursor_changed(self.session.cursor)

    def _on_cursor_changed(self, step: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(step)
        self.slider.blockSignals(False)
        trace = self.session.trace
        if trace is not None and 0 <= step < len(trace.tokens):
            self.step_label.setText(f"step {step} “{trace.tokens[step]}” "
                                    f"· {len(trace.tokens)} tokens")
