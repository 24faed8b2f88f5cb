"""A training run of the session: started, reported on, cancelled, then saved or used.

The engine trains through plain ``should_stop`` / ``on_progress`` / ``on_report``
callables; reports cross to the GUI thread as queued signals, and a cancelled or
superseded run's reports are dropped. A run that diverges is not an error of the window
but a result to show: the worker hands back the engine's ``TrainingDiverged`` (with its
record of every step) and the job keeps it in ``divergence``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..engine.training import TrainConfig, TrainReport, TrainResult, train
from ..errors import RnnStudioError, TrainingDiverged
from ..io import save_model
from ..view.training import config_summary, divergence_message, speed_text
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session


class _Reports(QObject):
    """Carries ``TrainReport`` objects from the worker to the GUI thread (queued)."""

    report = Signal(int, object)


class TrainingJob(QObject):
    """Part of the :class:`Session`. ``changed``: running, status or result changed;
    ``reported``: ``reports`` has one more entry; ``progressed(done, total)``;
    ``offered(TrainConfig)``: a lesson proposes these settings (the form shows them, the
    student presses Start)."""

    changed = Signal()
    reported = Signal()
    progressed = Signal(int, int)
    offered = Signal(object)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.config: TrainConfig | None = None
        self.reports: list[TrainReport] = []
        self.result: TrainResult | None = None
        #: The run that stopped because a value overflowed, with its record.
        self.divergence: TrainingDiverged | None = None
        #: Training steps a second of the latest run (evaluations excluded), and its text.
        self.speed = ""
        self.running = False
        self.status = "Pick a task and a cell, then Start."
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.progressed.connect(self.progressed)
        self._reports = _Reports(self)
        self._reports.report.connect(self._on_report)

    def start(self, config: TrainConfig) -> None:
        """Start a run in the worker; a run already going is cancelled first."""
        self.config, self.reports, self.result = config, [], None
        self.divergence, self.speed = None, ""
        bridge = self._reports
        generation = self.runner.generation + 1  # what submit() is about to hand out

        def work(stop: Callable[[], bool], progress: Callable[[int, int], None]) -> object:
            try:
                return train(config, stop, progress,
                             lambda report: bridge.report.emit(generation, report))
            except TrainingDiverged as error:  # a result to show, not a failure
                return error

        self.runner.submit("train", work)
        self._set(True, f"Training: {config_summary(config)}…")

    def offer(self, config: TrainConfig) -> None:
        """Propose ``config`` to the form (a lesson stage's settings); nothing starts."""
        self.offered.emit(config)

    def cancel(self) -> None:
        """Stop the run at its next step (the engine checks ``should_stop`` every step)."""
        if self.running:
            self.runner.cancel()
            self._set(False, "Cancelled.")

    def use(self) -> None:
        """Make the trained model the session's (its trace replaces the current one)."""
        if self.result is not None:
            model = self.result.model
            self.session.use_model(model, f"trained {model.config.recurrent.kind} "
                                          f"({self.config.task if self.config else 'task'})")

    def save(self, path: str | Path) -> bool:
        """Write the trained model atomically; False (and why, in ``status``) on failure."""
        if self.result is None:
            return False
        try:
            save_model(self.result.model, path)
        except (RnnStudioError, OSError) as error:
            self._set(False, f"Could not save: {error}")
            return False
        self._set(False, f"Saved to {path}")
        return True

    def _set(self, running: bool, status: str) -> None:
        self.running, self.status = running, status
        self.changed.emit()

    def _on_report(self, generation: int, report: TrainReport) -> None:
        if self.runner.is_stale(generation):
            return  # a cancelled run's last report
        self.reports.append(report)
        self.speed = speed_text(report)
        self.status = (f"step {report.step}: held-out loss {report.eval_loss:.3f}, "
                       f"accuracy {report.eval_accuracy:.1%} ({report.seconds:.1f} s)")
        self.reported.emit()

    def _on_finished(self, result: JobResult) -> None:
        if result.error is not None:
            self._set(False, result.error)
            return
        if isinstance(result.value, TrainingDiverged):
            self.divergence = error = result.value
            record = error.record
            if record is not None:
                self.speed = speed_text(None, error.step, record.train_seconds)
            assert self.config is not None
            self._set(False, divergence_message(error, self.config))
            return
        self.result = result.value
        final = self.reports[-1] if self.reports else None
        summary = f" Held-out accuracy {final.eval_accuracy:.1%}." if final else ""
        self._set(False, f"Done in {result.seconds:.1f} s (evaluations included).{summary} "
                         "Save it, or use it in the window.")
