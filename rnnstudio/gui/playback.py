"""Playback of the session's cursor: playing or not, and the speed.

A single-shot timer re-armed after each step, so a slow repaint delays the next step
instead of piling up timer events (the window never falls behind the clock).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

if TYPE_CHECKING:
    from .session import Session

MIN_SPEED, MAX_SPEED = 0.5, 60.0


class Playback(QObject):
    """Part of the :class:`Session`: ``changed`` fires when ``playing`` or ``speed`` do."""

    changed = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.playing = False
        self.speed = 4.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._tick)

    def set_speed(self, steps_per_second: float) -> None:
        """Steps a second, clamped to 0.5..60."""
        speed = max(MIN_SPEED, min(float(steps_per_second), MAX_SPEED))
        if speed != self.speed:
            self.speed = speed
            self.changed.emit()

    def toggle(self) -> None:
        """Play from the cursor (from the start when it is at the end), or pause."""
        if self.playing:
            self.stop()
            return
        session = self.session
        if session.cursor >= session.step_count - 1:
            session.set_cursor(0)  # replay from the start: the cell reads again
        self.playing = True
        self._arm()
        self.changed.emit()

    def stop(self) -> None:
        self._timer.stop()
        if self.playing:
            self.playing = False
            self.changed.emit()

    def _arm(self) -> None:
        self._timer.start(int(1000 / self.speed))

    def _tick(self) -> None:
        session = self.session
        if session.cursor >= session.step_count - 1:
            self.stop()
            return
        session.step_by(1)
        self._arm()
