"""File > Export animation in the window: frames drawn on the GUI thread a token at a
time, dissolved and encoded in a worker, with progress and cancel; the window never
freezes.

Qt widgets can only be drawn on the GUI thread, so a zero-delay timer draws one token
per tick, then lets the event loop run: a 1280 x 720 figure frame takes about 60 ms here
(2 shared cores), so the window repaints and Cancel answers within that. Each token's
picture goes through a bounded queue to the encoder, a plain function of
``(should_stop, on_progress)`` run by a :class:`.jobs.JobRunner`: the sub-step dissolve
(NumPy) and Pillow or ffmpeg work there while the next token is drawn (blending three
sub-steps on the GUI thread held it for 100 ms more a token). The queue holds at most
:data:`QUEUED_TOKENS` tokens (a 1280 x 720 picture is 2.8 MB); drawing waits while it
is full.

Cancel (or a new trace arriving mid-export) stops the timer and makes the worker's
``should_stop()`` true; the encoder then raises ``Cancelled`` inside the atomic writer,
which removes its temporary file: no partial animation is left, an old one is kept.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from ..errors import Cancelled, RnnStudioError
from ..io.animation_file import check_animation_file, save_animation
from ..view.animation import AnimationSpec, check_frames, substep_frames
from .animation import FrameRenderer
from .jobs import JobResult, JobRunner, bug_message

if TYPE_CHECKING:
    from .session import Session

QUEUED_TOKENS = 8
_END = None  # after the last token
#: A drawn token for the worker: the previous token's picture, this one's, and the rows
#: of its title (:func:`.substep_frames`).
_Token = tuple[np.ndarray | None, np.ndarray, int]


class AnimationExport(QObject):
    """One export of ``spec`` to ``path`` from ``session``; :meth:`start` it.

    Signals: ``progressed(frames_encoded, total)``; ``finished(path)`` once the file is
    in place; ``failed(message)`` on an error; ``cancelled`` after :meth:`cancel`.
    """

    progressed = Signal(int, int)
    finished = Signal(str)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, session: Session, spec: AnimationSpec, path: str | Path,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.spec, self.path = session, spec, Path(path)
        check_animation_file(self.path)  # the encoder installed, the folder writable
        self.total = check_frames(spec, session.step_count, self.path.suffix)
        self.renderer: FrameRenderer | None = None
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_encoded)
        self.runner.progressed.connect(self.progressed)
        self._tokens: queue.Queue[_Token | None] = queue.Queue(QUEUED_TOKENS)
        self._waiting: list[_Token | None] = []  # drawn, not yet queued
        self._previous: np.ndarray | None = None
        self._next_step = 0
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._tick)
        self.running = False
        self._watching = False
        # Quitting mid-export cancels it: the worker would otherwise wait for frames.
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.cancel)

    def start(self) -> None:
        """Draw the last step (every colour the GIF's palette needs), start the encoder
        on the frames to come, then draw them tick by tick."""
        self.renderer = FrameRenderer(self.session, self.spec)
        self.running = True
        try:
            last = self.renderer.render(self.session.step_count - 1)
        except RnnStudioError as error:
            self._stop(str(error))
            return
        self.session.trace_changed.connect(self._on_trace_changed)
        self._watching = True
        fps, path = self.spec.fps, self.path
        frames = self._queued_frames

        def encode(stop: Callable[[], bool], progress: Callable[[int, int], None]) -> str:
            total = self.total
            return str(save_animation(path, frames(stop), fps, stop,
                                      lambda done: progress(done, total), last))

        self.runner.submit("export", encode, str(path))
        self._timer.start()

    def cancel(self) -> None:
        """Stop drawing and encoding; nothing is written."""
        if self.running:
            self._stop(None)

    def _queued_frames(self, stop: Callable[[], bool]) -> Iterator[np.ndarray]:
        """The worker's side of the queue: every token's sub-step frames, until the end
        mark or a cancel."""
        substeps = self.spec.substeps
        while True:
            try:
                token = self._tokens.get(timeout=0.05)
            except queue.Empty:
                if stop():
                    raise Cancelled("the animation export was cancelled") from None
                continue
            if token is _END:
                return
            yield from substep_frames(*token[:2], substeps, token[2])

    def _tick(self) -> None:
        """Draw one token's frames and queue them, never waiting on a full queue."""
        renderer = self.renderer
        assert renderer is not None
        try:
            if not self._drain():
                return  # the queue is full: the encoder catches up meanwhile
            if self._next_step == renderer.steps:  # every token and the end are queued
                self._timer.stop()
                self._release()
                return
            current = renderer.render(self._next_step)
            self._waiting.append((self._previous, current, renderer.title_rows))
            self._previous, self._next_step = current, self._next_step + 1
            if self._next_step == renderer.steps:
                self._waiting.append(_END)
        except RnnStudioError as error:
            self._stop(str(error))
        except Exception as error:  # a bug: said as one and logged, the window carries on
            self._stop(bug_message("export", str(self.path), error))

    def _drain(self) -> bool:
        """Move drawn frames into the queue; False while some still wait for room."""
        while self._waiting:
            try:
                self._tokens.put_nowait(self._waiting[0])
            except queue.Full:
                return False
            self._waiting.pop(0)
        return True

    def _on_trace_changed(self) -> None:
        self._stop("the text or model changed during the animation export: nothing was "
                   "written; export again")

    def _on_encoded(self, result: JobResult) -> None:
        self.running = False
        self._release()
        if result.error is not None:
            self.failed.emit(result.error)
        else:
            self.finished.emit(str(result.value))

    def _stop(self, message: str | None) -> None:
        """Stop drawing and make the encoder stop; say ``message`` (None: cancelled)."""
        self.running = False
        self._timer.stop()
        self.runner.cancel()
        self._release()
        if message is None:
            self.cancelled.emit()
        else:
            self.failed.emit(message)

    def _release(self) -> None:
        """Put the session's cursor back and free the hidden panel (once)."""
        if self.renderer is not None:
            self.renderer.close()
            self.renderer = None
        if self._watching:
            self.session.trace_changed.disconnect(self._on_trace_changed)
            self._watching = False

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the encoder is idle (tests)."""
        return self.runner.wait(timeout_ms)
