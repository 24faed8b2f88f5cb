"""The one object every panel observes: all the state the window shows.

Model (where it comes from, and the loaded ``Model``), text, trace and its view, cursor,
layer, direction, unit, loss, view options and the open lesson live here; playback, the
Compare set and the Training job are parts of it (:attr:`Session.playback`,
:attr:`Session.compare`, :attr:`Session.training`). Panels call the setters and listen to
the snake_case signals. The session validates, runs long work off the GUI thread through
its job runners (latest request wins), and emits a signal only on real change and only
after every field of that change is assigned. A failed request leaves the previous model
and trace in place and emits ``error_raised`` with a message the user can act on; the
user's text is kept whatever happens.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ..engine.losses import Loss, Probe, parse_loss
from ..engine.model import Model
from ..engine.trace import Trace
from ..errors import RnnStudioError
from ..io import save_trace
from ..io.model_source import ModelSource, RandomModelSpec
from ..io.session_file import SessionFile
from ..view.costs import JacobianClock
from ..view.lessons import Lesson
from ..view.losses import LossEntry, Where
from ..view.trace_view import TraceView, trace_view, with_layer, with_new_gradients
from ..view.tracing import (
    Placement,
    Progress,
    StopCheck,
    TraceOutcome,
    TraceRequest,
    compute_trace,
)
from .compare_set import CompareSet
from .jobs import JobResult, JobRunner, Work
from .playback import Playback
from .training_job import TrainingJob

#: ||dh_T/dh_t|| starts by itself when estimated below this; longer runs wait for a click,
#: so the worker never keeps the CPU busy for long without being asked.
AUTO_JACOBIAN_SECONDS = 1.0
#: ... and starts this long after its trace is shown: run at once, it took the cores from
#: the paint (edit to view 70-95 ms at T = 200, H = 256, 53-59 without).
JACOBIAN_DELAY_MS = 150
_TRACE, _JACOBIAN, _SAVE = "trace", "jacobian", "save"


def _milliseconds(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


@dataclass(frozen=True)
class ViewOptions:
    """How the window draws, not what it computes."""

    saliency: bool = False


@dataclass(frozen=True)
class _JacobianDone:
    trace: Trace
    norms: dict[tuple[int, str], np.ndarray]


class Session(QObject):
    """State of one window. All setters are safe to call with unchanged values."""

    model_changed = Signal()
    text_changed = Signal(str)
    #: A new trace: ``trace`` and ``view`` are both new (cursor, unit already clamped).
    trace_changed = Signal()
    #: Layer or direction changed: ``view.layer`` is new.
    layer_changed = Signal()
    #: ||dh_T/dh_t|| arrived, or its offer changed: ``view.layer.gradients`` is new.
    gradients_changed = Signal()
    cursor_changed = Signal(int)
    unit_changed = Signal(int)
    loss_changed = Signal()
    options_changed = Signal()
    busy_changed = Signal(bool)
    #: What the trace worker is doing: label, done, total (total 0: nothing running).
    progress_changed = Signal(str, int, int)
    status_changed = Signal(str)
    error_raised = Signal(str)
    #: The trace was saved (the path), from the save worker.
    saved = Signal(str)
    lesson_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source: ModelSource = ModelSource.random(RandomModelSpec())
        self.model: Model | None = None
        #: The spec the Model dock edits (kept when a file or shipped model is open).
        self.random_spec = RandomModelSpec()
        self.text = ""
        self.trace: Trace | None = None
        self.view: TraceView | None = None
        self.cursor = 0
        self.layer = 0
        self.direction = "fwd"
        self.unit = 0
        self.loss: Loss | None = None
        self.options = ViewOptions()
        self.busy = False
        self.status = ""
        #: ||dh_T/dh_t|| waits for a click; ``jacobian_estimate`` says how long it takes.
        self.jacobian_deferred = False
        self.jacobian_estimate = 0.0
        self.lesson: Lesson | None = None
        self.lesson_stage = 0
        self.clock = JacobianClock()
        self._runner = JobRunner(self)
        self._runner.finished.connect(self._on_result)
        self._runner.progressed.connect(self._on_progress)
        self._saver = JobRunner(self)
        self._saver.finished.connect(self._on_saved)
        self.playback = Playback(self)
        self.compare = CompareSet(self)
        self.training = TrainingJob(self)

    # --- what to read -----------------------------------------------------------------

    def set_text(self, text: str) -> None:
        """Keep ``text`` (whatever happens to its trace) and read it with the model."""
        if text != self.text:
            self.text = text
            self.text_changed.emit(text)
            self.compare.request()
        if self.model is None:
            if self.trace is not None:
                self.error_raised.emit("This trace was opened without its model: open the "
                                       "model (File › Open) to read new text.")
            return
        self._submit(TraceRequest(self.source, text, self.loss, self.model))

    def open_source(self, source: ModelSource, text: str | None = None,
                    loss: Loss | None = None, placement: Placement | None = None,
                    model: Model | None = None) -> None:
        """Switch to the model from ``source`` (loaded in the worker unless given); it
        becomes current only once its trace succeeded. A shipped model reads its task's
        sample sentence unless ``text`` is given; a new model starts with its own loss."""
        if text is None:
            text = source.sample_text() or self.text
        self._submit(TraceRequest(source, text, loss, model, placement))

    def open_shipped_model(self, key: str, text: str | None = None) -> None:
        self.open_source(ModelSource.shipped(key), text)

    def open_model_file(self, path: str | Path) -> None:
        """Load a model file in the worker; errors keep the previous model and trace."""
        self.open_source(ModelSource.file(Path(path)), text=self.text)

    def set_random_model(self, spec: RandomModelSpec, text: str | None = None) -> None:
        """Build a seeded random model (fast, on this thread) and read the text with it."""
        try:
            model = spec.build()
        except RnnStudioError as error:
            self.error_raised.emit(f"Cannot build that model: {error}")
            return
        self.random_spec = spec
        self.open_source(ModelSource.random(spec), self.text if text is None else text,
                         model=model)

    def use_model(self, model: Model, title: str) -> None:
        """Show a model made in this window (the Training dock's result)."""
        self.open_source(ModelSource.in_memory(title), self.text, model=model)

    def show_trace(self, trace: Trace, title: str, model: Model | None = None) -> None:
        """Show an already computed trace: a trace file (no model: its text cannot be
        edited) or, in benchmarks, a synthetic one."""
        self._runner.cancel()
        self._set_busy(False)
        request = TraceRequest(ModelSource.in_memory(title), " ".join(trace.tokens),
                               None, model)
        loss = model.default_loss() if model is not None else None
        self._commit(TraceOutcome(request, model, trace, loss, 0.0))

    def first_trace(self, source: ModelSource, text: str,
                    placement: Placement | None = None, loss: Loss | None = None,
                    model: Model | None = None) -> bool:
        """Read ``text`` on this thread (start-up and headless plots only), so the first
        painted frame already shows a trace. On failure: a message, the text kept, and
        False (the caller decides what to show instead)."""
        try:
            outcome = compute_trace(TraceRequest(source, text, loss, model, placement))
        except RnnStudioError as error:
            if text != self.text:
                self.text = text
                self.text_changed.emit(text)
            self.error_raised.emit(str(error))
            return False
        self._commit(outcome)
        return True

    # --- the loss ---------------------------------------------------------------------

    def set_loss(self, loss: Loss) -> None:
        """Recompute the gradients for ``loss``; it becomes current once that succeeded."""
        if loss == self.loss or self.model is None:
            return
        self._submit(TraceRequest(self.source, self.text, loss, self.model))

    def choose_loss(self, entry: LossEntry) -> None:
        """A Loss box entry, made at the cursor, unit, layer and direction shown now."""
        self.set_loss(entry.make(Where(self.cursor, self.unit, self.layer, self.direction)))

    @property
    def probing(self) -> bool:
        """Whether the loss is a probe: clicking a heatmap cell then probes that cell."""
        return isinstance(self.loss, Probe)

    def probe_unit(self, step: int, unit: int, quantity: str = "h") -> None:
        """Make the loss one unit of the shown layer at one step (picked on a heatmap)."""
        self.set_loss(Probe(step, unit, quantity, self.layer, self.direction))

    # --- view state, no recomputation -------------------------------------------------

    @property
    def step_count(self) -> int:
        return len(self.trace.tokens) if self.trace is not None else 0

    @property
    def unit_count(self) -> int:
        if self.trace is None:
            return 0
        return int(self.trace.layer(self.layer, self.direction).h.shape[1])

    def set_cursor(self, step: int) -> None:
        step = self._clamped_step(step)
        if step != self.cursor:
            self.cursor = step
            self.cursor_changed.emit(step)

    def step_by(self, delta: int) -> None:
        self.set_cursor(self.cursor + delta)

    def set_view(self, layer: int, direction: str) -> None:
        """Choose which layer and direction the panels show (clamped to the model's)."""
        if self.trace is None or self.view is None:
            return
        layer, direction = self._valid_view(layer, direction)
        if (layer, direction) == (self.layer, self.direction):
            return
        self.layer, self.direction = layer, direction
        self.view = with_layer(self.view, layer, direction)
        unit_moved = self._clamp_unit()
        self.layer_changed.emit()
        if unit_moved:
            self.unit_changed.emit(self.unit)

    def select_unit(self, unit: int) -> None:
        units = self.unit_count
        unit = max(0, min(int(unit), units - 1)) if units else 0
        if unit != self.unit:
            self.unit = unit
            self.unit_changed.emit(unit)

    def set_options(self, options: ViewOptions) -> None:
        if options != self.options:
            self.options = options
            self.options_changed.emit()

    def set_saliency_shown(self, shown: bool) -> None:
        self.set_options(ViewOptions(saliency=bool(shown)))

    # --- lessons ----------------------------------------------------------------------

    def open_lesson(self, lesson: Lesson, stage: int = 0) -> None:
        """Set what a lesson stage names (compared models, model, text, loss, where to
        look), then announce it so the window opens the stage's panels."""
        stage = max(0, min(int(stage), len(lesson.stages) - 1))
        part = lesson.stages[stage]
        if part.compare:
            self.compare.set_keys(part.compare)
        placement = Placement(step=part.step if isinstance(part.step, int) else None,
                              token=part.step if isinstance(part.step, str) else None,
                              layer=part.layer, direction=part.direction, unit=part.unit)
        if part.random is not None:
            self.random_spec = part.random
        self.open_source(part.source, part.sentence, part.loss, placement,
                         part.random.build() if part.random is not None else None)
        self.lesson, self.lesson_stage = lesson, stage
        self.lesson_changed.emit()

    # --- session files ----------------------------------------------------------------

    def snapshot(self, docks: str | None = None) -> SessionFile:
        """Everything needed to reopen the window as it is (``docks``: Qt's layout)."""
        lesson = None if self.lesson is None else (self.lesson.name, self.lesson_stage)
        return SessionFile(
            model=self.source, text=self.text, cursor=self.cursor, layer=self.layer,
            direction=self.direction, unit=self.unit,
            loss=None if self.loss is None else self.loss.name,
            saliency=self.options.saliency, playback_speed=self.playback.speed,
            lesson=lesson, compare=self.compare.keys, docks=docks)

    def restore(self, state: SessionFile, lessons: list[Lesson],
                synchronous: bool = False) -> bool:
        """Reopen ``state``: options, Compare set, lesson text, then the model reading
        the text with the loss and the cursor, layer, direction and unit it had.
        ``synchronous`` traces on this thread (start-up, headless plots) and returns
        whether that worked; otherwise the worker reports through the signals."""
        self.set_saliency_shown(state.saliency)
        self.playback.set_speed(state.playback_speed)
        if state.compare:
            self.compare.set_keys(state.compare)
        if state.model.kind == "random" and state.model.spec is not None:
            self.random_spec = state.model.spec
        lesson = next((item for item in lessons if state.lesson and
                       item.name == state.lesson[0]), None)
        if lesson is not None and state.lesson is not None:
            self.lesson = lesson
            self.lesson_stage = max(0, min(state.lesson[1], len(lesson.stages) - 1))
            self.lesson_changed.emit()
        loss = None if state.loss is None else parse_loss(state.loss)
        placement = Placement(step=state.cursor, layer=state.layer, direction=state.direction,
                              unit=state.unit)
        if synchronous:
            return self.first_trace(state.model, state.text, placement, loss)
        self.open_source(state.model, state.text, loss, placement)
        return True

    # --- ||dh_T/dh_t|| ----------------------------------------------------------------

    def compute_jacobian(self) -> None:
        """Add ||dh_T/dh_t|| to the shown trace in the worker; the next edit cancels it."""
        model, trace = self.model, self.trace
        self.jacobian_deferred = False  # gradients_changed says so when the norms arrive
        if trace is None or model is None or trace.grads is None or trace.grads.jacobian:
            return

        clock = self.clock

        def work(stop: StopCheck, progress: Progress) -> _JacobianDone:
            started = time.perf_counter()
            norms = model.jacobian_norms(trace, should_stop=stop, on_progress=progress)
            clock.record(model, trace.steps, time.perf_counter() - started)
            return _JacobianDone(trace, norms)

        self._start(_JACOBIAN, work)

    def _jacobian_if_current(self, trace: Trace) -> None:
        """Start the Jacobian unless a newer request is on its way (it would cancel it)."""
        if trace is self.trace and not self.busy:
            self.compute_jacobian()

    def _schedule_jacobian(self) -> None:
        trace, model = self.trace, self.model
        self.jacobian_deferred = False
        if trace is None or model is None or trace.grads is None or trace.grads.jacobian:
            return
        self.jacobian_estimate = self.clock.estimate(model, trace.steps)
        if self.jacobian_estimate <= AUTO_JACOBIAN_SECONDS:
            QTimer.singleShot(JACOBIAN_DELAY_MS, self, lambda: self._jacobian_if_current(trace))
        else:
            self.jacobian_deferred = True

    # --- files ------------------------------------------------------------------------

    def save_trace(self, path: str | Path) -> bool:
        """Start writing the shown trace (a long CSV takes seconds); False if there is
        none. ``saved`` or ``error_raised`` reports the outcome."""
        trace = self.trace
        if trace is None:
            self.error_raised.emit("There is no trace to save yet.")
            return False
        self._saver.submit(_SAVE, lambda stop, progress: save_trace(trace, path))
        return True

    def _on_saved(self, result: JobResult) -> None:
        if result.error is not None:
            self.error_raised.emit(result.error)
        else:
            self.saved.emit(str(result.value))

    # --- lifecycle --------------------------------------------------------------------

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the trace worker is idle (tests, benchmarks)."""
        return self._runner.wait(timeout_ms)

    def shutdown(self) -> None:
        """Stop playback, cancel work and wait for every worker thread (on quit)."""
        self.playback.stop()
        for runner in (self._runner, self.compare.runner, self.training.runner):
            runner.shutdown()
        self._saver.shutdown()  # a trace being saved is finished, not cut short

    # --- internals --------------------------------------------------------------------

    def _submit(self, request: TraceRequest) -> None:
        self._start(_TRACE, lambda stop, progress: compute_trace(request, stop, progress))

    def _start(self, label: str, work: Work) -> None:
        self._runner.submit(label, work)
        self._set_busy(True)
        self.progress_changed.emit(label, 0, 0)

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress_changed.emit(self._runner.label, done, total)

    def _on_result(self, result: JobResult) -> None:
        self._set_busy(False)
        self.progress_changed.emit(result.label, 0, 0)
        if result.error is not None:
            self.error_raised.emit(result.error)
            self.loss_changed.emit()  # selectors go back to the loss in force
        elif isinstance(result.value, _JacobianDone):
            self._on_jacobian(result.value, result.seconds)
        else:
            self._commit(result.value)

    def _on_jacobian(self, done: _JacobianDone, seconds: float) -> None:
        trace = done.trace
        if trace is not self.trace or self.view is None or trace.grads is None:
            return
        trace.grads.jacobian.update(done.norms)
        self.view = with_new_gradients(self.view)
        self.status = f"{self.status} · ||dh_T/dh_t|| in {_milliseconds(seconds * 1000)}"
        self.gradients_changed.emit()
        self.status_changed.emit(self.status)

    def _commit(self, outcome: TraceOutcome) -> None:
        """Make an outcome current: assign every field, then announce what changed."""
        request = outcome.request
        follow_end = self.trace is None or self.cursor >= self.step_count - 1
        new_model = outcome.model is not self.model
        new_text = request.text != self.text
        new_loss = outcome.loss != self.loss
        old = (self.cursor, self.unit)
        self.model, self.trace, self.loss = outcome.model, outcome.trace, outcome.loss
        if new_model:
            self.source = request.source
        self.text = request.text
        self.layer, self.direction = self._valid_view(self.layer, self.direction)
        self.cursor = self.step_count - 1 if follow_end else self._clamped_step(self.cursor)
        placement = request.placement
        if placement is not None:
            self._place(placement)
        self._clamp_unit()
        self.view = trace_view(outcome.trace, self.layer, self.direction)
        self.status = self._status_text(outcome.seconds)
        self._schedule_jacobian()
        if new_model:
            self.model_changed.emit()
        if new_text:
            self.text_changed.emit(self.text)
            self.compare.request()
        if new_loss:
            self.loss_changed.emit()
        self.trace_changed.emit()
        if self.cursor != old[0]:
            self.cursor_changed.emit(self.cursor)
        if self.unit != old[1]:
            self.unit_changed.emit(self.unit)
        self.status_changed.emit(self.status)

    def _place(self, placement: Placement) -> None:
        """Put layer, direction, unit and cursor where a lesson asked (before the view is
        built, so nothing is drawn twice)."""
        self.layer, self.direction = self._valid_view(
            self.layer if placement.layer is None else placement.layer,
            placement.direction or self.direction)
        if placement.unit is not None:
            self.unit = max(0, placement.unit)
        tokens = self.trace.tokens if self.trace is not None else []
        if placement.token is not None and placement.token in tokens:
            self.cursor = tokens.index(placement.token)
        elif placement.step is not None:
            step = placement.step
            self.cursor = self._clamped_step(step + len(tokens) if step < 0 else step)

    def _valid_view(self, layer: int, direction: str) -> tuple[int, str]:
        if self.trace is None:
            return 0, "fwd"
        recurrent = self.trace.config.recurrent
        layer = max(0, min(int(layer), recurrent.num_layers - 1))
        return layer, direction if direction in recurrent.directions else "fwd"

    def _clamped_step(self, step: int) -> int:
        return max(0, min(int(step), self.step_count - 1)) if self.step_count else 0

    def _clamp_unit(self) -> bool:
        units = self.unit_count
        if units and self.unit >= units:
            self.unit = units - 1
            return True
        return False

    def _status_text(self, seconds: float) -> str:
        trace = self.trace
        assert trace is not None
        parts = [f"{len(trace.tokens)} tokens", self.source.title]
        grads = trace.grads
        milliseconds = _milliseconds(seconds * 1000.0)
        if grads is not None:
            parts.append(f"loss {grads.loss_name} = {grads.loss_value:.4g}")
            parts.append(f"forward + BPTT in {milliseconds}")
        else:
            parts.append(f"forward in {milliseconds}")
        if trace.nonfinite is not None:
            parts.append("non-finite values!")
        return " · ".join(parts)
