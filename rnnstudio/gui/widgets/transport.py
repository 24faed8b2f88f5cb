"""First / back / play-pause / forward / last, speed and a scrub slider.

Playback is a single-shot timer re-armed after each step, so a slow repaint delays the
next step instead of piling up timer events (the UI never falls behind the clock).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QWidget,
)

from ..session import Session


class Transport(QWidget):
    """Drives ``session.cursor``; keys are bound by the main window's actions."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._tick)
        style = self.style()
        icon = style.standardIcon
        pixmap = QStyle.StandardPixmap
        self.first_button = self._button(icon(pixmap.SP_MediaSkipBackward), "First step (Home)",
                                         self.go_first)
        self.back_button = self._button(icon(pixmap.SP_MediaSeekBackward), "Step back (Left)",
                                        lambda: session.step_by(-1))
        self.play_button = self._button(icon(pixmap.SP_MediaPlay), "Play / pause (Space)",
                                        self.toggle_play)
        self.forward_button = self._button(icon(pixmap.SP_MediaSeekForward),
                                           "Step forward (Right)", lambda: session.step_by(1))
        self.last_button = self._button(icon(pixmap.SP_MediaSkipForward), "Last step (End)",
                                        self.go_last)
        self.speed_box = QDoubleSpinBox()
        self.speed_box.setRange(0.5, 60.0)
        self.speed_box.setValue(4.0)
        self.speed_box.setSuffix(" steps/s")
        self.speed_box.setToolTip("Playback speed")
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
        if session.trace is not None:
            self._on_trace_changed(session.trace)

    def _button(self, icon: Any, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def go_first(self) -> None:
        self.session.set_cursor(0)

    def go_last(self) -> None:
        self.session.set_cursor(self.session.step_count - 1)

    def toggle_play(self) -> None:
        if self.playing:
            self.stop()
            return
        if self.session.cursor >= self.session.step_count - 1:
            self.session.set_cursor(0)  # replay from the start, the cell reads again
        self._arm()
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))

    def stop(self) -> None:
        self.timer.stop()
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))

    def _arm(self) -> None:
        self.timer.start(int(1000 / self.speed_box.value()))

    def _tick(self) -> None:
        if self.session.cursor >= self.session.step_count - 1:
            self.stop()
            return
        self.session.step_by(1)
        self._arm()

    def _on_trace_changed(self, trace: Any) -> None:
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(len(trace.tokens) - 1, 0))
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
