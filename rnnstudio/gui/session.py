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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ..engine.corpus_source import CorpusSource
from ..engine.interventions import Intervention
from ..engine.losses import Loss, Probe
from ..engine.model import Model
from ..engine.trace import Trace
from ..errors import RnnStudioError
from ..io import save_trace
from ..io.model_files import LoadedModel
from ..io.model_source import ModelSource, RandomModelSpec
from ..io.name_map import KeyMap
from ..limits import check_choice
from ..view.attribution import STRIP_ATTRIBUTIONS
from ..view.colours import SCALE_MODES
from ..view.costs import JacobianClock
from ..view.interventions import EditState, edit_state, shown_at
from ..view.lessons import Lesson, Question
from ..view.losses import LossEntry, Where
from ..view.position import (
    Position,
    clamp,
    fit_position,
    milliseconds,
    status_line,
    unit_count,
    valid_view,
)
from ..view.trace_view import TraceView, trace_view, with_layer, with_new_gradients
from ..view.tracing import (
    Placement,
    Progress,
    StopCheck,
    TraceOutcome,
    TraceRequest,
)
from .attribution_job import AttributionJob
from .compare_set import CompareSet
from .corpus_index_job import CorpusIndexJob
from .corpus_query_job import CorpusQueries
from .decomposition_job import DecompositionJob
from .generation_job import WritingJob
from .jobs import JobResult, JobRunner, Work
from .lesson_library import LessonLibrary
from .model_opening import DetailsNeeded, Opened, open_and_trace
from .parity_job import ParityCheck
from .playback import Playback
from .saturation_job import SaturationJob
from .training_job import TrainingJob
from .trajectory_job import TrajectoryJob

#: ||dh_T/dh_t|| starts by itself when estimated below this; longer runs wait for a click,
#: so the worker never keeps the CPU busy for long without being asked.
AUTO_JACOBIAN_SECONDS = 1.0
#: ... and starts this long after its trace is shown: run at once, it took the cores from
#: the paint (edit to view 70-95 ms at T = 200, H = 256, 53-59 without).
JACOBIAN_DELAY_MS = 150
_TRACE, _JACOBIAN, _SAVE = "trace", "jacobian", "save"


@dataclass(frozen=True)
class ViewOptions:
    """How the window draws, not what it computes. ``colour_scale`` is one of
    :data:`~rnnstudio.view.colours.SCALE_MODES`: "auto" (symmetric-log when an unsquashed
    quantity spans more than three decades), or "linear" / "symlog" for all of them."""

    #: What colours the tokens: one of :data:`~rnnstudio.view.attribution.STRIP_ATTRIBUTIONS`.
    attribution: str = "off"
    colour_scale: str = "auto"
    #: With edits on, the heatmaps show edited − original instead of values.
    delta: bool = False

    @property
    def saliency(self) -> bool:
        """Whether the tokens are coloured at all (the switch before there was a choice)."""
        return self.attribution != "off"


@dataclass(frozen=True)
class _JacobianDone:
    trace: Trace
    norms: dict[tuple[int, str], np.ndarray]


class Session(QObject):
    """State of one window. All setters are safe to call with unchanged values."""

    model_changed = Signal()
    text_changed = Signal(str)
    #: A new trace: ``trace``, ``view``, and the cursor and unit fitted to it, all at
    #: once (no ``cursor_changed`` or ``unit_changed`` follows: panels draw them here).
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
    #: The edits or their switch changed (``edits`` is new; a trace_changed follows).
    interventions_changed = Signal()
    #: A heatmap proposed an edit for the Interventions dock's form to finish.
    intervention_proposed = Signal(object)
    #: The open stage's question was answered (``lesson_answers`` holds the choice).
    question_answered = Signal()
    #: A model file that cannot open without what only its user knows (its vocabulary,
    #: an RNN's nonlinearity): the path and the reader's message. The previous model
    #: stays; the window asks (Model details) and opens it again.
    details_needed = Signal(str, str)
    #: A corpus was opened (``corpus``, ``corpus_queries`` hold it).
    corpus_changed = Signal()
    #: Text to put in the text box as an edit the user can undo (a corpus document).
    text_proposed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source: ModelSource = ModelSource.random(RandomModelSpec())
        self.model: Model | None = None
        #: How the model file was read (renamed submodules, conversions, guesses); None
        #: for a model not read from a file.
        self.loaded: LoadedModel | None = None
        #: A model file that did not open for want of details (the dialog asks for
        #: them with its overrides and key map); None once another opens.
        self.details_source: ModelSource | None = None
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
        #: The interventions, whether they are on, the unedited trace and the diff.
        self.edits = EditState()
        self.busy = False
        #: What the shown trace cost in the worker (forward + BPTT), in seconds.
        self.compute_seconds = 0.0
        self.status = ""
        #: ||dh_T/dh_t|| waits for a click; ``jacobian_estimate`` says how long it takes.
        self.jacobian_deferred = False
        self.jacobian_estimate = 0.0
        self.lesson: Lesson | None = None
        self.lesson_stage = 0
        #: The choice made for each question of the open lesson, by stage.
        self.lesson_answers: dict[int, int] = {}
        self.library = LessonLibrary(self)
        self.clock = JacobianClock()
        self._runner = JobRunner(self)
        self._runner.finished.connect(self._on_result)
        self._runner.progressed.connect(self._on_progress)
        self._saver = JobRunner(self)
        self._saver.finished.connect(self._on_saved)
        self.playback = Playback(self)
        self.compare = CompareSet(self)
        self.training = TrainingJob(self)
        self.attribution_job = AttributionJob(self)
        self.writing = WritingJob(self)
        self.decomposition_job = DecompositionJob(self)
        self.saturation = SaturationJob(self)
        self.trajectory = TrajectoryJob(self)
        self.parity = ParityCheck(self)
        self.corpus_index = CorpusIndexJob(self)
        self.corpus_queries = CorpusQueries(self)
        self.corpus_queries.changed.connect(self.corpus_changed)

    # --- what to read -----------------------------------------------------------------

    @property
    def corpus(self) -> CorpusSource | None:
        """The open corpus index (the Corpus dock's), None before one is opened."""
        return self.corpus_queries.source

    def open_corpus(self, source: CorpusSource, name: str, path: Path | None = None) -> None:
        """Show ``source`` (called ``name``, read from the folder ``path``, which
        session files keep) in the Corpus dock."""
        self.corpus_queries.open(source, name, path)

    def propose_text(self, text: str) -> None:
        """Put ``text`` in the text box as an undoable edit (the box then reads it); with
        no box listening, read it directly."""
        self.text_proposed.emit(text)
        if self.text != text:
            self.set_text(text)

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
        self._submit(self._edited_request(text, self.loss))

    def open_source(self, source: ModelSource, text: str | None = None,
                    loss: Loss | None = None, placement: Placement | None = None,
                    model: Model | None = None,
                    interventions: tuple[Intervention, ...] = (),
                    edits_on: bool = True) -> None:
        """Switch to the model from ``source`` (loaded in the worker unless given); it
        becomes current only once its trace succeeded. A shipped model reads its task's
        sample sentence unless ``text`` is given; a new model starts with its own loss
        and no edits unless ``interventions`` are given (a restored session's)."""
        if text is None:
            text = source.sample_text() or self.text
        self._submit(TraceRequest(source, text, loss, model, placement, interventions,
                                  edits_on))

    def open_shipped_model(self, key: str, text: str | None = None) -> None:
        self.open_source(ModelSource.shipped(key), text)

    def open_model_file(self, path: str | Path,
                        overrides: Mapping[str, Any] | None = None,
                        key_map: KeyMap = ()) -> None:
        """Load a model file (or model folder) in the worker, with configuration
        ``overrides`` winning over the file and ``key_map`` naming its parts; errors keep
        the previous model and trace."""
        try:
            source = ModelSource.file(Path(path), overrides, key_map)
        except RnnStudioError as error:
            self.error_raised.emit(str(error))
            return
        self.open_source(source, text=self.text, loss=None)

    def set_readout(self, readout: str) -> None:
        """Read the open model file again with its head on ``readout`` (one of the
        engine's ``READOUTS``); kept in the model source, so session files keep it."""
        if self.model is None or readout == self.model.config.readout:
            return
        if self.source.kind != "file":
            self.error_raised.emit("Only a model opened from a file can be read with "
                                   "another readout.")
            self.model_changed.emit()  # the Model dock shows the readout in force again
            return
        try:
            source = self.source.with_overrides(readout=readout)
        except RnnStudioError as error:
            self.error_raised.emit(str(error))
            return
        self.open_source(source, self.text, self.loss)

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

    def show_written(self, trace: Trace, text: str, loss: Loss | None = None) -> None:
        """Show the trace of ``text`` as the model writes it (:attr:`writing`): a
        forward trace while writing (the loss in force, no gradients), then the full one
        with ``loss``; the cursor on the newest token."""
        if self.model is None:
            return
        self._runner.cancel()  # a trace of the text before writing must not land after
        self._set_busy(False)
        loss = self.loss if loss is None else loss
        request = TraceRequest(self.source, text, loss, self.model, Placement(step=-1))
        self._commit(TraceOutcome(request, self.model, trace, loss, trace.seconds))

    def first_trace(self, source: ModelSource, text: str,
                    placement: Placement | None = None, loss: Loss | None = None,
                    model: Model | None = None,
                    interventions: tuple[Intervention, ...] = (),
                    edits_on: bool = True) -> bool:
        """Read ``text`` on this thread (start-up and headless plots only), so the first
        painted frame already shows a trace. On failure: a message, the text kept, and
        False (the caller decides what to show instead)."""
        try:
            opened = open_and_trace(TraceRequest(source, text, loss, model, placement,
                                                 interventions, edits_on))
            if isinstance(opened, DetailsNeeded):
                raise RnnStudioError(opened.message)
        except RnnStudioError as error:
            if text != self.text:
                self.text = text
                self.text_changed.emit(text)
            self.error_raised.emit(str(error))
            return False
        self._commit(opened.outcome, opened.loaded)
        return True

    # --- the loss ---------------------------------------------------------------------

    def set_loss(self, loss: Loss) -> None:
        """Recompute the gradients for ``loss``; it becomes current once that succeeded."""
        if loss == self.loss or self.model is None:
            return
        self._submit(self._edited_request(self.text, loss))

    # --- interventions ----------------------------------------------------------------

    def set_interventions(self, interventions: Sequence[Intervention | str],
                          enabled: bool = True) -> None:
        """Read the text again with these edits (specs or objects), or without them when
        not ``enabled``; they become current once that succeeded. Edits the model cannot
        take (a gate it lacks, a unit beyond its width) are one error line, and the
        shown trace stays."""
        if self.model is None:
            self.error_raised.emit("Open a model before editing its computation.")
            return
        try:
            edits = self.model.check_interventions(interventions)
        except RnnStudioError as error:
            self.error_raised.emit(f"Cannot apply the edits: {error}")
            self.interventions_changed.emit()  # the dock shows the edits in force again
            return
        if (edits, enabled) != (self.edits.interventions, self.edits.enabled):
            self._submit(self._edited_request(self.text, self.loss, edits, enabled))

    def propose_intervention(self, edit: Intervention) -> None:
        """Offer ``edit`` to the Interventions dock's form (a heatmap's context menu)."""
        self.intervention_proposed.emit(edit)

    def _edited_request(self, text: str, loss: Loss | None,
                        edits: tuple[Intervention, ...] | None = None,
                        enabled: bool | None = None) -> TraceRequest:
        """A request for the open model with the edits in force (or those given), and
        the unedited trace kept when it read the same text with the same loss."""
        state = self.edits
        original = state.original if state.active else self.trace
        if text != self.text or loss != self.loss:
            original = None
        return TraceRequest(self.source, text, loss, self.model, None,
                            state.interventions if edits is None else edits,
                            state.enabled if enabled is None else enabled, original)

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
        return unit_count(self.trace, self.layer, self.direction)

    def set_cursor(self, step: int) -> None:
        step = self._held(clamp(step, self.step_count))
        if step != self.cursor:
            self.cursor = step
            self.cursor_changed.emit(step)

    def step_by(self, delta: int) -> None:
        self.set_cursor(self.cursor + delta)

    def set_view(self, layer: int, direction: str) -> None:
        """Choose which layer and direction the panels show (clamped to the model's)."""
        if self.trace is None or self.view is None:
            return
        layer, direction = valid_view(self.trace, layer, direction)
        if (layer, direction) == (self.layer, self.direction):
            return
        old_unit = self.unit
        self.layer, self.direction = layer, direction
        self.unit = clamp(self.unit, self.unit_count)
        self.view = with_layer(self.view, layer, direction)
        if self.trace is not None:
            self.edits = shown_at(self.edits, self.trace, layer, direction)
        self.layer_changed.emit()
        if self.unit != old_unit:
            self.unit_changed.emit(self.unit)

    def select_unit(self, unit: int) -> None:
        unit = clamp(unit, self.unit_count)
        if unit != self.unit:
            self.unit = unit
            self.unit_changed.emit(unit)

    def set_options(self, options: ViewOptions) -> None:
        if options != self.options:
            self.options = options
            self.options_changed.emit()

    def set_saliency_shown(self, shown: bool) -> None:
        """Colour the tokens by ||dL/dx_t||, or not at all."""
        self.set_attribution("dL/dx" if shown else "off")

    def set_attribution(self, choice: str) -> None:
        """Colour the tokens by ``choice`` (:data:`STRIP_ATTRIBUTIONS`); the computed
        methods arrive through :attr:`attribution_job`."""
        self.set_options(replace(self.options, attribution=check_choice(
            "attribution", choice, STRIP_ATTRIBUTIONS)))

    def set_delta_shown(self, shown: bool) -> None:
        """Heatmaps of edited − original (while edits are on) instead of values."""
        self.set_options(replace(self.options, delta=bool(shown)))

    def set_colour_scale(self, mode: str) -> None:
        """Colour scale of the unsquashed heatmaps (c, ReLU h): "auto", "linear", "symlog"."""
        self.set_options(replace(self.options, colour_scale=check_choice(
            "colour scale", mode, SCALE_MODES)))

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
        if part.strip is not None:
            self.set_attribution(part.strip)
        self.open_source(part.source, part.sentence, part.loss, placement,
                         part.random.build() if part.random is not None else None)
        if part.training is not None:  # the form shows it; the student presses Start
            self.training.offer(part.training)
        self.show_lesson(lesson, stage)

    def show_lesson(self, lesson: Lesson, stage: int) -> None:
        """Show a lesson stage's text without opening what it names (a restored session
        already has its own model, text and view). Answers are kept within a lesson."""
        if lesson != self.lesson:
            self.lesson_answers = {}
        self.lesson = lesson
        self.lesson_stage = max(0, min(int(stage), len(lesson.stages) - 1))
        self.lesson_changed.emit()

    @property
    def question(self) -> Question | None:
        """The open stage's question while it waits for an answer, else None."""
        lesson, stage = self.lesson, self.lesson_stage
        if lesson is None or stage in self.lesson_answers:
            return None
        return lesson.stages[stage].question

    def answer_question(self, choice: int) -> None:
        """Answer the open stage's question with choice ``choice`` (0-based): the panel
        then says right or wrong and why, and the notice, the next part and the steps
        past the question's ``at`` open."""
        question = self.question
        if question is None or not 0 <= choice < len(question.choices):
            return
        self.lesson_answers[self.lesson_stage] = int(choice)
        self.question_answered.emit()

    def _held(self, step: int) -> int:
        """``step``, or the last step an unanswered question lets the cursor reach (and
        playback stops there): a student predicts before stepping onto the answer."""
        question = self.question
        free = question.last_free_step(self.trace.tokens) if (
            question is not None and self.trace is not None) else None
        if free is None or step <= max(free, self.cursor):
            return step
        self.playback.stop()
        self.status_changed.emit("Answer the lesson's question to step on")
        return max(free, self.cursor)

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

    def complete_gradients(self) -> None:
        """Add ||dh_T/dh_t|| on this thread, now (headless figures: every curve drawn)."""
        model, trace = self.model, self.trace
        if trace is None or model is None or trace.grads is None or trace.grads.jacobian:
            return
        started = time.perf_counter()
        norms = model.jacobian_norms(trace)
        self._on_jacobian(_JacobianDone(trace, norms), time.perf_counter() - started)

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
        for runner in (self._runner, self.compare.runner, self.training.runner,
                       self.attribution_job.runner, self.writing.runner,
                       self.decomposition_job.runner, self.saturation.runner,
                       self.trajectory.runner, self.parity.runner,
                       self.corpus_index.runner, self.corpus_queries.runner):
            runner.shutdown()
        self._saver.shutdown()  # a trace being saved is finished, not cut short

    # --- internals --------------------------------------------------------------------

    def _submit(self, request: TraceRequest) -> None:
        self._start(_TRACE, lambda stop, progress: open_and_trace(request, stop, progress))

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
        elif isinstance(result.value, DetailsNeeded):
            self.details_source = result.value.source
            self.details_needed.emit(str(result.value.path), result.value.message)
            self.loss_changed.emit()
        else:
            opened: Opened = result.value
            self._commit(opened.outcome, opened.loaded)

    def _on_jacobian(self, done: _JacobianDone, seconds: float) -> None:
        trace = done.trace
        if trace is not self.trace or self.view is None or trace.grads is None:
            return
        trace.grads.jacobian.update(done.norms)
        self.view = with_new_gradients(self.view)
        self.status = f"{self.status} · ||dh_T/dh_t|| in {milliseconds(seconds * 1000)}"
        self.gradients_changed.emit()
        self.status_changed.emit(self.status)

    def _commit(self, outcome: TraceOutcome, loaded: LoadedModel | None = None) -> None:
        """Make an outcome current: assign every field, then announce what changed.
        ``loaded``: how a model file was read (with a new model from a file)."""
        request, trace = outcome.request, outcome.trace
        follow_end = self.trace is None or self.cursor >= self.step_count - 1
        new_model = outcome.model is not self.model
        new_text = request.text != self.text
        new_loss = outcome.loss != self.loss
        new_edits = (request.interventions, request.edits_on) != (
            self.edits.interventions, self.edits.enabled)
        old = Position(self.cursor, self.layer, self.direction, self.unit)
        self.model, self.trace, self.loss = outcome.model, trace, outcome.loss
        if new_model:
            self.source, self.loaded = request.source, loaded
        self.text = request.text
        now = fit_position(trace, old, follow_end, request.placement)
        self.cursor, self.layer, self.direction, self.unit = (
            now.cursor, now.layer, now.direction, now.unit)
        self.view = trace_view(trace, self.layer, self.direction)
        self.edits = edit_state(request.interventions, request.edits_on, trace,
                                outcome.original, self.layer, self.direction)
        self.compute_seconds = outcome.seconds
        self.status = status_line(trace, self.source.title, outcome.seconds)
        self._schedule_jacobian()
        if new_model:
            self.model_changed.emit()
        if new_text:
            self.text_changed.emit(self.text)
            self.compare.request()
        if new_loss:
            self.loss_changed.emit()
        if new_edits:
            self.interventions_changed.emit()
        self.trace_changed.emit()  # with its cursor and unit: no second signal for them
        self.status_changed.emit(self.status)
