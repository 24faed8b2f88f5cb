"""The one object every widget observes: model, text, trace, cursor, view and loss.

Widgets call the setters and listen to the snake_case signals; the session validates,
runs the engine off the GUI thread through :class:`JobRunner`, and emits a signal only
when a value really changed. A failed request leaves the previous model and trace in
place and emits ``error_raised`` with a message the user can act on.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..errors import RnnStudioError
from . import engine_bridge
from .engine_bridge import LossChoice, RandomModelSpec
from .jobs import JobResult, JobRunner
from .requests import Outcome, Request, ViewRequest, compute
from .resources import sample_sentences

#: Label of the follow-up job that adds ||dh_T/dh_t|| to a shown trace.
_JACOBIAN = "jacobian"
#: ||dh_T/dh_t|| starts by itself when estimated below this; longer runs wait for a click,
#: so the worker never keeps the CPU busy for long without being asked.
AUTO_JACOBIAN_SECONDS = 1.0
#: ... and starts this long after its trace is shown: run at once, its BLAS threads took
#: both cores from the paint (edit to view 70-95 ms at T = 200, H = 256, 53-59 without).
JACOBIAN_DELAY_MS = 150


def _milliseconds(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


class Session(QObject):
    """State of one window. All setters are safe to call with unchanged values."""

    model_changed = Signal(object)
    text_changed = Signal(str)
    trace_changed = Signal(object)
    gradients_changed = Signal(object)
    cursor_changed = Signal(int)
    view_changed = Signal(int, str)
    loss_changed = Signal(object)
    unit_changed = Signal(int)
    busy_changed = Signal(bool)
    progress_changed = Signal(int, int)
    status_changed = Signal(str)
    error_raised = Signal(str)
    compare_changed = Signal(object)
    lesson_changed = Signal(object, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model: Any = None
        self.model_source = ""
        self.model_path: str | None = None
        #: ``task-cell`` when the model is one of the shipped trained models.
        self.model_key: str | None = None
        self.random_spec = RandomModelSpec()
        self.text = ""
        self.trace: Any = None
        self.cursor = 0
        self.layer = 0
        self.direction = "fwd"
        self.loss = LossChoice()
        self.unit = 0
        self.busy = False
        self.last_compute_ms = 0.0
        self.status = ""
        self.jacobian_deferred = False
        #: Shipped models (``task-cell``) the Compare view reads the text with.
        self.compare_keys: tuple[str, ...] = engine_bridge.default_compare_keys()
        self.lesson: Any = None
        self.lesson_stage = 0
        self._runner = JobRunner(self)
        self._runner.finished.connect(self._on_result)
        self._runner.progressed.connect(self.progress_changed)

    # --- requests that recompute ------------------------------------------------------

    def set_text(self, text: str) -> None:
        """Trace ``text`` with the current model (in the worker)."""
        if text != self.text:
            self.text = text
            self.text_changed.emit(text)
        if self.model is not None:
            self._submit(Request(self.model, self.model_source, text, self.loss))

    def set_model(self, model: Any, source: str, path: str | None = None) -> None:
        """Switch to ``model``; it becomes current only once its trace succeeded."""
        self._submit(Request(model, source, self.text, self._loss_for_new_model(), path))

    def set_initial_model(self, model_key: str | None = None) -> None:
        """Load the shipped model ``model_key`` (or build the random model) and trace the
        text on this thread (startup only), so the first painted frame shows a trace.

        A shipped model that cannot be read falls back to the random model, with a
        message: the window must open whatever the install looks like.
        """
        request = None
        if model_key is not None:
            try:
                model = engine_bridge.load_shipped_model(model_key)
                request = Request(model, engine_bridge.shipped_title(model_key), self.text,
                                   LossChoice("default"), model_key=model_key)
            except RnnStudioError as error:
                self.error_raised.emit(str(error))
        if request is None:
            request = self._initial_random_request()
        started = time.perf_counter()
        try:
            outcome = compute(request, lambda: False, None)
        except RnnStudioError as error:
            self.error_raised.emit(str(error))
            request = replace(request, text=sample_sentences()[0])
            outcome = compute(request, lambda: False, None)
        self._commit(outcome, (time.perf_counter() - started) * 1000.0)

    def _initial_random_request(self) -> Request:
        try:
            model = engine_bridge.make_random_model(self.random_spec)
        except RnnStudioError:
            self.random_spec = RandomModelSpec()
            model = engine_bridge.make_random_model(self.random_spec)
        return Request(model, self.random_spec.describe(), self.text, self.loss,
                        random_spec=self.random_spec)

    def open_shipped_model(self, key: str, text: str | None = None,
                           loss: LossChoice | None = None,
                           view: ViewRequest | None = None) -> None:
        """Load a shipped trained model (``task-cell``) and read ``text``, by default the
        sample sentence of its task (a trained model shows its skill on its own data)."""
        try:
            title = engine_bridge.shipped_title(key)
            text = engine_bridge.shipped_sample(key) if text is None else text
        except RnnStudioError as error:
            self.error_raised.emit(str(error))
            return
        self._submit(Request(None, title, text, loss or self._loss_for_new_model(),
                              model_key=key, view=view))

    def set_random_model(self, spec: RandomModelSpec, text: str | None = None,
                         loss: LossChoice | None = None,
                         view: ViewRequest | None = None) -> None:
        """Build a seeded random model (fast, on this thread) and trace the text with it."""
        try:
            model = engine_bridge.make_random_model(spec)
        except Exception as error:  # ConfigError and friends: keep the old model
            self.error_raised.emit(f"Cannot build that model: {error}")
            return
        self._submit(Request(model, spec.describe(), self.text if text is None else text,
                              loss or self._loss_for_new_model(), random_spec=spec,
                              view=view))

    def open_model_file(self, path: str | Path) -> None:
        """Load a model file in the worker; errors keep the previous model and trace."""
        path = str(path)
        self._submit(Request(None, Path(path).name, self.text, self._loss_for_new_model(),
                              path))

    def _loss_for_new_model(self) -> LossChoice:
        """A new model starts with its own default loss: its task loss when trained,
        ``last-output-sum`` for a bare cell (probes name units the new model may lack)."""
        return LossChoice("default")

    def set_loss(self, loss: LossChoice) -> None:
        """Recompute the gradients for ``loss``; it becomes current once that succeeded."""
        if loss == self.loss:
            return
        if self.model is not None:
            self._submit(Request(self.model, self.model_source, self.text, loss,
                                  self.model_path))

    def probe_unit(self, step: int, unit: int, quantity: str = "h") -> None:
        """Make the loss one unit of the shown layer at one step (picked on a heatmap)."""
        self.set_loss(LossChoice("probe", step, unit, self.layer, self.direction, quantity))

    def show_trace(self, model: Any, trace: Any, source: str = "") -> None:
        """Show an already computed trace (headless rendering, tests, benchmarks)."""
        self._runner.cancel()
        self._set_busy(False)
        request = Request(model, source, self.text, self.loss)
        self._commit(Outcome(model, source, trace, request), 0.0)

    def set_compare_models(self, keys: tuple[str, ...] | list[str]) -> None:
        """Choose the 1-4 shipped models the Compare view shows; unknown names are
        refused with the list of known ones."""
        keys = tuple(keys)
        try:
            engine_bridge.check_compare_keys(keys)
        except RnnStudioError as error:
            self.error_raised.emit(str(error))
            return
        if keys != self.compare_keys:
            self.compare_keys = keys
            self.compare_changed.emit(keys)

    def open_lesson(self, lesson: Any, stage: int = 0) -> None:
        """Set what a lesson stage names: compared models, model, text, loss, view; then
        announce it (``lesson_changed``) so the window opens the stage's panels."""
        stage = max(0, min(int(stage), len(lesson.stages) - 1))
        part = lesson.stages[stage]
        if part.compare:
            self.set_compare_models(part.compare)
        view = ViewRequest(step=part.step if isinstance(part.step, int) else None,
                           token=part.step if isinstance(part.step, str) else None,
                           layer=part.layer, direction=part.direction, unit=part.unit)
        loss = LossChoice(part.loss) if part.loss else None
        if part.model_key is not None:
            self.open_shipped_model(part.model_key, part.sentence, loss, view)
        else:
            try:
                spec = RandomModelSpec(**(part.random or {}))
            except TypeError as error:
                self.error_raised.emit(f"Lesson {lesson.title}: {error}")
                return
            self.set_random_model(spec, part.sentence, loss, view)
        self.lesson, self.lesson_stage = lesson, stage
        self.lesson_changed.emit(lesson, stage)

    # --- view state, no recomputation --------------------------------------------------

    @property
    def step_count(self) -> int:
        return len(self.trace.tokens) if self.trace is not None else 0

    def set_cursor(self, step: int) -> None:
        step = max(0, min(int(step), self.step_count - 1)) if self.step_count else 0
        if step != self.cursor:
            self.cursor = step
            self.cursor_changed.emit(step)

    def step_by(self, delta: int) -> None:
        self.set_cursor(self.cursor + delta)

    def set_view(self, layer: int, direction: str) -> None:
        """Choose which layer and direction the heatmaps and plots show."""
        if self.model is None:
            return
        recurrent = self.model.config.recurrent
        layer = max(0, min(int(layer), recurrent.num_layers - 1))
        if direction not in recurrent.directions:
            direction = "fwd"
        if (layer, direction) != (self.layer, self.direction):
            self.layer, self.direction = layer, direction
            self.view_changed.emit(layer, direction)
            self._clamp_unit()

    def select_unit(self, unit: int) -> None:
        units = self.unit_count
        unit = max(0, min(int(unit), units - 1)) if units else 0
        if unit != self.unit:
            self.unit = unit
            self.unit_changed.emit(unit)

    @property
    def unit_count(self) -> int:
        if self.trace is None:
            return 0
        return int(self.trace.layer(self.layer, self.direction).h.shape[1])

    # --- lifecycle ----------------------------------------------------------------------

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (tests, benchmarks)."""
        return self._runner.wait(timeout_ms)

    def shutdown(self) -> None:
        """Cancel work and wait for the worker thread (called on quit)."""
        self._runner.shutdown()

    # --- internals -----------------------------------------------------------------------

    def _submit(self, request: Request) -> None:
        self._runner.submit(f"trace {request.model_source}", lambda stop, progress: compute(
            request, stop, progress))
        self._set_busy(True)

    def _set_busy(self, busy: bool) -> None:
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)

    def compute_jacobian(self) -> None:
        """Add ||dh_T/dh_t|| to the shown trace in the worker; the next edit cancels it."""
        model, trace = self.model, self.trace
        self.jacobian_deferred = False
        if trace is None or trace.grads is None or trace.grads.jacobian or model is None:
            return
        self._runner.submit(_JACOBIAN, lambda stop, progress: (
            trace, engine_bridge.jacobian_norms(model, trace, stop)))
        self._set_busy(True)

    def _jacobian_if_current(self, trace: Any) -> None:
        """Start the Jacobian unless a newer request is on its way (it would cancel it)."""
        if trace is self.trace and not self.busy:
            self.compute_jacobian()

    def _on_jacobian(self, trace: Any, norms: dict | None, milliseconds: float) -> None:
        if trace is not self.trace or not norms:
            return
        trace.grads.jacobian.update(norms)
        self.status = f"{self.status} · ||dh_T/dh_t|| in {_milliseconds(milliseconds)}"
        self.gradients_changed.emit(trace)
        self.status_changed.emit(self.status)

    def _on_result(self, result: JobResult) -> None:
        self._set_busy(False)
        if result.error is None and result.label == _JACOBIAN:
            self._on_jacobian(*result.value, result.seconds * 1000.0)
            return
        if result.error is not None:
            self.error_raised.emit(result.error)
            self.loss_changed.emit(self.loss)  # selectors go back to the loss in force
            return
        self._commit(result.value, result.seconds * 1000.0)

    def _commit(self, outcome: Outcome, milliseconds: float) -> None:
        old_steps = self.step_count
        follow_end = self.trace is None or self.cursor >= old_steps - 1
        if outcome.request.text != self.text:  # a shipped model brings its sample text
            self.text = outcome.request.text
            self.text_changed.emit(self.text)
        if outcome.model is not self.model:
            self.model = outcome.model
            self.model_source = outcome.model_source
            self.model_path = outcome.request.model_path
            self.model_key = outcome.request.model_key
            if outcome.request.random_spec is not None:
                self.random_spec = outcome.request.random_spec
            self._reset_view_for_model()
            self.model_changed.emit(self.model)
        loss = outcome.request.loss
        if loss.kind == "default":
            loss = LossChoice(getattr(self.model, "default_loss", lambda: "last-output-sum")())
        if loss != self.loss:
            self.loss = loss
            self.loss_changed.emit(loss)
        self.trace = outcome.trace
        self.last_compute_ms = milliseconds
        steps = self.step_count
        old_cursor = self.cursor
        self.cursor = steps - 1 if follow_end else min(self.cursor, steps - 1)
        self._clamp_unit()
        self.status = self._status_text(milliseconds)
        self._schedule_jacobian()
        self.trace_changed.emit(self.trace)  # observers read the cursor from the session
        if self.cursor != old_cursor:
            self.cursor_changed.emit(self.cursor)
        self.status_changed.emit(self.status)
        if outcome.request.view is not None:
            self._apply_view(outcome.request.view)

    def _apply_view(self, view: ViewRequest) -> None:
        if view.layer is not None or view.direction is not None:
            self.set_view(self.layer if view.layer is None else view.layer,
                          view.direction or self.direction)
        if view.unit is not None:
            self.select_unit(view.unit)
        steps = self.step_count
        tokens = list(self.trace.tokens)
        if view.token is not None and view.token in tokens:
            self.set_cursor(tokens.index(view.token))
        elif view.step is not None:
            self.set_cursor(view.step + steps if view.step < 0 else view.step)

    def _schedule_jacobian(self) -> None:
        trace, model = self.trace, self.model
        self.jacobian_deferred = False
        if trace.grads is None or trace.grads.jacobian or model is None:
            return
        if engine_bridge.jacobian_cost_seconds(model, self.step_count) <= AUTO_JACOBIAN_SECONDS:
            QTimer.singleShot(JACOBIAN_DELAY_MS, self, lambda: self._jacobian_if_current(trace))
        else:
            self.jacobian_deferred = True

    def _reset_view_for_model(self) -> None:
        recurrent = self.model.config.recurrent
        layer = min(self.layer, recurrent.num_layers - 1)
        direction = self.direction if self.direction in recurrent.directions else "fwd"
        if (layer, direction) != (self.layer, self.direction):
            self.layer, self.direction = layer, direction
            self.view_changed.emit(layer, direction)

    def _clamp_unit(self) -> None:
        units = self.unit_count
        if units and self.unit >= units:
            self.unit = units - 1
            self.unit_changed.emit(self.unit)

    def _status_text(self, milliseconds: float) -> str:
        trace = self.trace
        parts = [f"{len(trace.tokens)} tokens", self.model_source or "model"]
        grads = trace.grads
        if grads is not None:
            parts.append(f"loss {grads.loss_name} = {grads.loss_value:.4g}")
            parts.append(f"forward + BPTT in {_milliseconds(milliseconds)}")
        else:
            parts.append(f"forward in {_milliseconds(milliseconds)}")
        if trace.nonfinite is not None:
            parts.append("non-finite values!")
        return " · ".join(parts)
