"""Write: the session's language model continues the text while every panel watches.

The worker samples with the engine's :class:`~rnnstudio.engine.generation.Writer` (one
cell step a token) and hands the GUI thread *frames*: the forward trace of the text so
far (states, gates, logits; built from what the stepper computed, never a re-read) and
the text. A frame is sent only once the previous one is on screen and at most
:data:`FRAME_INTERVAL` after it, so the window is never flooded, and the writing never
waits for the paint. When the writing ends (its length, its end token or Stop) the
worker makes the full trace (gradients of the session's loss) of prompt and
continuation once, and the session shows it. Backpropagating through the whole text at
every token would cost O(T^2).

The text box's own undo takes the whole writing back (the box joins the session's
appends into one undo step); an edit of the text or another model while writing
cancels it, keeping what was written.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..engine.generation import Generation, Writer, check_options
from ..engine.losses import Loss
from ..engine.model import Model
from ..engine.trace import Trace
from ..errors import Cancelled, RnnStudioError
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session

#: At most 20 frames a second: the eye follows no more. Each frame re-draws every panel:
#: 60 ms to take the trace and 70-90 ms to paint at 300 tokens (charlm-lstm, 1280 x 720
#: under Xvfb on the busy 2-core machine), so frames come at about 7 a second there.
FRAME_INTERVAL = 0.05
#: How often a paced writing looks at Stop while it waits for its next token.
_WAIT_SLICE = 0.05


@dataclass(frozen=True)
class WriteRequest:
    """One writing: ``length`` tokens, ``temperature``, ``top_k`` (None: all),
    ``seed``, and ``pace`` tokens a second (0: as fast as the cell writes)."""

    length: int
    temperature: float = 1.0
    top_k: int | None = None
    seed: int | None = 0
    pace: float = 0.0


@dataclass(frozen=True)
class _Frame:
    trace: Trace
    text: str
    written: int
    length: int


@dataclass(frozen=True)
class _Done:
    generation: Generation
    trace: Trace
    loss: Loss
    tokens_per_second: float


class _Frames(QObject):
    """Carries frames from the worker to the GUI thread (queued)."""

    frame = Signal(int, object)


class WritingJob(QObject):
    """Part of the :class:`Session`. ``changed``: ``running`` or ``status`` changed;
    ``progressed(written, length)`` while writing."""

    changed = Signal()
    progressed = Signal(int, int)

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.running = False
        self.status = ""
        self.result: Generation | None = None
        #: The text the latest frame showed: any other text is someone else's edit.
        self._expected = ""
        self._stop = threading.Event()
        self._shown = threading.Event()
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.progressed.connect(self.progressed)
        self._frames = _Frames(self)
        self._frames.frame.connect(self._on_frame)
        session.text_changed.connect(self._on_text)
        session.model_changed.connect(self.cancel)

    def can_write(self) -> bool:
        """Whether the open model has a next-token head (the engine says why not)."""
        model = self.session.model
        return model is not None and model.config.task == "next-token"

    def start(self, request: WriteRequest) -> bool:
        """Write after the session's text in the worker; False (and why, in ``status``
        and ``error_raised``) when the model or the options cannot."""
        session, model = self.session, self.session.model
        try:
            if model is None:
                raise RnnStudioError("Open a model first.")
            options = check_options(model, request.length, request.temperature,
                                    request.top_k, request.seed)
        except RnnStudioError as error:
            self._set(False, f"Cannot write: {error}")
            session.error_raised.emit(f"Cannot write: {error}")
            return False
        self._stop.clear()
        self._shown.set()
        self._expected = session.text
        self.result = None
        bridge, stop_requested, shown = self._frames, self._stop, self._shown
        generation = self.runner.generation + 1  # what submit() is about to hand out
        loss, prompt = session.loss, session.text

        def work(stale: Callable[[], bool], progress: Callable[[int, int], None]) -> _Done:
            writer = Writer(model, prompt, options)  # reads the prompt: off the GUI thread
            return _write(writer, request.pace, loss, model, stale, stop_requested.is_set,
                          progress, shown, lambda frame: bridge.frame.emit(generation, frame))

        self.runner.submit("write", work, session.source.title)
        self._set(True, f"Writing {options.length} tokens…")
        return True

    def stop(self) -> None:
        """End the writing at the next token; what was written stays and gets its full
        trace."""
        if self.running:
            self._stop.set()
            self._set(True, "Stopping…")

    def cancel(self) -> None:
        """Drop the writing (the text was edited, another model opened)."""
        if self.running:
            self.runner.cancel()
            self._set(False, "Writing cancelled: the text or the model changed.")

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the worker is idle (tests, benchmarks)."""
        return self.runner.wait(timeout_ms)

    def _on_frame(self, generation: int, frame: _Frame) -> None:
        if self.runner.is_stale(generation):
            return
        self._expected = frame.text
        session = self.session
        session.show_written(frame.trace, frame.text)
        session.status_changed.emit(
            f"{frame.trace.steps} tokens · {session.source.title} · writing: "
            f"{frame.written} of {frame.length} tokens (states only; the gradients come "
            "when the writing ends)")
        self._shown.set()  # the worker may send the next frame

    def _on_finished(self, result: JobResult) -> None:
        if result.error is not None:
            self._set(False, result.error)
            self.session.error_raised.emit(result.error)
            return
        done: _Done = result.value
        self.result = done.generation
        self._expected = done.generation.text
        self.session.show_written(done.trace, done.generation.text, done.loss)
        self._set(False, written_summary(done.generation, done.tokens_per_second))

    def _on_text(self, text: str) -> None:
        if self.running and text != self._expected:
            self.cancel()

    def _set(self, running: bool, status: str) -> None:
        self.running, self.status = running, status
        self.changed.emit()


def written_summary(generation: Generation, tokens_per_second: float) -> str:
    """What the writing did, for the panel: how many tokens, why it ended, how sure the
    model was of them, and how to take them back."""
    count = len(generation.tokens)
    if count == 0:
        return f"Wrote nothing ({_ENDINGS[generation.stop_reason]})."
    below = int((generation.ranks > 0).sum())
    return (f"Wrote {count} token{'s' * (count != 1)} ({_ENDINGS[generation.stop_reason]}, "
            f"{tokens_per_second:,.0f} tokens/s); mean probability "
            f"{generation.probabilities.mean():.2f}, {below} not the model's first choice. "
            "Edit › Undo takes them back.")


_ENDINGS = {"length": "all asked for", "end token": "the model wrote its end token",
            "stopped": "stopped"}


def _write(writer: Writer, pace: float, loss: Loss | None, model: Model,
           stale: Callable[[], bool], stop_requested: Callable[[], bool],
           progress: Callable[[int, int], None], shown: threading.Event,
           send: Callable[[_Frame], None]) -> _Done:
    """The worker's part: write, send frames when the last one is shown, then trace."""
    started = last_frame = time.perf_counter()
    length = writer.options.length
    for count, _written in enumerate(writer, start=1):
        if stale():
            raise Cancelled()
        progress(count, length)
        if pace > 0:
            _wait_until(started + count / pace, stale, stop_requested)
        now = time.perf_counter()
        if shown.is_set() and now - last_frame >= FRAME_INTERVAL and count < length:
            shown.clear()
            last_frame = now
            send(_Frame(writer.trace(), writer.text, count, length))
        if stop_requested():
            writer.stop()
            break
    seconds = time.perf_counter() - started
    generation = writer.result()
    tokens = generation.all_tokens
    if loss is None or not loss.fits(len(tokens)):
        loss = model.default_loss()
    trace = model.trace(tokens, loss=loss, jacobian=False, should_stop=stale)
    return _Done(generation, trace, loss, len(generation.tokens) / max(seconds, 1e-9))


def _wait_until(deadline: float, stale: Callable[[], bool],
                stop_requested: Callable[[], bool]) -> None:
    """Sleep until ``deadline`` in short slices, waking at once for Stop or a cancel."""
    while not (stale() or stop_requested()):
        left = deadline - time.perf_counter()
        if left <= 0:
            return
        time.sleep(min(left, _WAIT_SLICE))
