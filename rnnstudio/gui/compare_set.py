"""The Compare set: which models read the session's text side by side, and their traces,
computed in a worker of their own (latest request wins) only while shown.

The set follows the open model (:func:`~rnnstudio.view.compare_choice.follow_choice`)
until shipped models are chosen by hand (the Task box, a lesson, a restored session);
:meth:`CompareSet.follow` goes back to following.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..errors import RnnStudioError
from ..models_index import check_compare_keys
from ..view.compare import ComparedModel, compare_models
from ..view.compare_choice import CompareChoice, follow_choice, hand_choice
from ..view.distribution import trained_task
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session


class CompareSet(QObject):
    """Part of the :class:`Session`. ``keys_changed`` when the set changes (``choice``
    is new), ``ready`` when ``rows`` (or ``error``) hold the reading of the current text.

    ``keys`` are the shipped models chosen by hand; ``()`` means the set follows the
    open model (and is what a session file stores then, so reopening follows too).
    """

    keys_changed = Signal()
    ready = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.keys: tuple[str, ...] = ()
        self.choice: CompareChoice = follow_choice(session.source, session.model)
        self.rows: list[ComparedModel] = []
        self.error = ""
        #: Whether anyone shows the comparison: hidden, nothing is computed.
        self.active = False
        self._stale = True
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_result)
        session.model_changed.connect(self._on_model_changed)

    @property
    def following(self) -> bool:
        """Whether the set follows the open model (nothing chosen by hand)."""
        return not self.keys

    def set_keys(self, keys: tuple[str, ...] | list[str]) -> None:
        """Choose the 1-4 shipped models to compare; unknown names are refused with the
        list of known ones."""
        keys = tuple(keys)
        try:
            check_compare_keys(keys)
        except RnnStudioError as error:
            self.session.error_raised.emit(str(error))
            return
        if keys != self.keys:
            self.keys = keys
            self._choose()

    def follow(self) -> None:
        """Compare the open model's task again (after a set chosen by hand)."""
        if self.keys:
            self.keys = ()
            self._choose()

    def set_active(self, active: bool) -> None:
        """The Compare view shows (True) or hides (False); showing catches up."""
        self.active = active
        if active and self._stale:
            self.request()

    def request(self) -> None:
        """Read the session's text with every compared model, in the worker; while
        nobody shows the comparison only remember that it is out of date."""
        contenders, text = self.choice.contenders, self.session.text
        if not self.active or not contenders or not text.strip():
            self._stale = True
            return
        self._stale = False
        model = self.session.model
        open_task = trained_task(model) if model is not None else None
        self.runner.submit("compare", lambda stop, progress: compare_models(
            contenders, text, stop, open_task))

    def _on_model_changed(self) -> None:
        if self.following:
            self._choose()

    def _choose(self) -> None:
        session = self.session
        self.choice = (hand_choice(self.keys) if self.keys
                       else follow_choice(session.source, session.model))
        self.keys_changed.emit()
        self.request()

    def _on_result(self, result: JobResult) -> None:
        if result.error is not None:
            self.error = result.error
        else:
            self.rows, self.error = result.value, ""
        self.ready.emit()
