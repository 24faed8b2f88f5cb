"""The Trajectory dock's work, off the GUI thread: fit the PCA basis and project the shown
text (and a second text) into it, for the session's layer and direction.

Fitting on the shown text takes about a millisecond (T = 14, H = 32), but fitting on a
text file reads every line with the model and a second text is a forward pass, so every
request runs in this job's worker (latest request wins) and only while the dock shows;
a result is kept only for the trace, layer and direction it was computed from.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..io.pca_basis import save_basis
from ..view.trajectory_fit import TrajectoryRequest, TrajectoryResult, compute_trajectories
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session


class TrajectoryJob(QObject):
    """Part of the :class:`Session`. ``changed``: ``result`` (or ``error``) is new.

    ``quantity`` ("h", or "c" for an LSTM), ``fit_file`` (None: fit on the shown text)
    and ``overlay_text`` ("" for none) are the dock's choices."""

    changed = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.quantity = "h"
        self.fit_file: Path | None = None
        self.overlay_text = ""
        self.result: TrajectoryResult | None = None
        self.error = ""
        #: Whether the dock shows: hidden, nothing is computed.
        self.active = False
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        session.trace_changed.connect(self.request)
        session.layer_changed.connect(self.request)

    def set_active(self, active: bool) -> None:
        """The dock shows (True) or hides; showing catches up with the session."""
        self.active = active
        if active:
            self.request()

    def set_quantity(self, quantity: str) -> None:
        self.quantity = quantity
        self.request()

    def set_fit_file(self, path: str | Path | None) -> None:
        """Fit on the lines of ``path`` from now on (None: on the shown text)."""
        self.fit_file = None if path is None else Path(path)
        self.request()

    def set_overlay_text(self, text: str) -> None:
        self.overlay_text = text
        self.request()

    def current_request(self) -> TrajectoryRequest | None:
        """What the dock should show now, or None without a trace (c falls back to h for
        a cell without one)."""
        session = self.session
        if session.trace is None:
            return None
        quantity = self.quantity if session.trace.config.recurrent.cell == "lstm" else "h"
        return TrajectoryRequest(session.trace, session.model, quantity, session.layer,
                                 session.direction, self.fit_file, self.overlay_text)

    def request(self) -> None:
        """Compute what the dock should show, unless it shows it already or is hidden."""
        wanted = self.current_request()
        if not self.active or wanted is None:
            return
        if self.result is not None and _same(self.result.request, wanted):
            return
        self.runner.submit("trajectory", lambda stop, progress: compute_trajectories(
            wanted, stop, progress), self.session.source.title)

    def save_basis(self, path: str | Path) -> Path:
        """Write the shown basis to ``path`` (.npz or .json); raises what the writer does."""
        from ..errors import ExportError

        if self.result is None:
            raise ExportError("There is no trajectory yet: show the Trajectory dock first")
        return save_basis(self.result.main.basis, path)

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (tests)."""
        return self.runner.wait(timeout_ms)

    def _on_finished(self, result: JobResult) -> None:
        if result.error is not None:
            self.error = result.error
            self.session.error_raised.emit(result.error)
            if self.fit_file is not None:  # said once (it names the file), not every edit
                self.fit_file = None
                self.request()
            self.changed.emit()
            return
        done: TrajectoryResult = result.value
        wanted = self.current_request()
        if wanted is not None and _same(done.request, wanted):
            self.result, self.error = done, ""
            self.changed.emit()


def _same(done: TrajectoryRequest, wanted: TrajectoryRequest) -> bool:
    """The same trace (by identity) and the same choices."""
    return done.trace is wanted.trace and replace(done, trace=wanted.trace) == wanted
