"""The Compare set: which shipped models read the session's text side by side, and their
traces, computed in a worker of their own (latest request wins) only while shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..errors import RnnStudioError
from ..models_index import check_compare_keys, default_compare_keys
from ..view.compare import ComparedModel, compare_models
from .jobs import JobResult, JobRunner

if TYPE_CHECKING:
    from .session import Session


class CompareSet(QObject):
    """Part of the :class:`Session`. ``keys_changed`` when the set changes, ``ready`` when
    ``rows`` (or ``error``) hold the reading of the current text."""

    keys_changed = Signal()
    ready = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        self.keys: tuple[str, ...] = default_compare_keys()
        self.rows: list[ComparedModel] = []
        self.error = ""
        #: Whether anyone shows the comparison: hidden, nothing is computed.
        self.active = False
        self._stale = True
        self.runner = JobRunner(self)
        self.runner.finished.connect(self._on_result)

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
            self.keys_changed.emit()
            self.request()

    def set_active(self, active: bool) -> None:
        """The Compare view shows (True) or hides (False); showing catches up."""
        self.active = active
        if active and self._stale:
            self.request()

    def request(self) -> None:
        """Read the session's text with every compared model, in the worker; while
        nobody shows the comparison only remember that it is out of date."""
        keys, text = self.keys, self.session.text
        if not self.active or not keys or not text.strip():
            self._stale = True
            return
        self._stale = False
        self.runner.submit("compare", lambda stop, progress: compare_models(keys, text, stop))

    def _on_result(self, result: JobResult) -> None:
        if result.error is not None:
            self.error = result.error
        else:
            self.rows, self.error = result.value, ""
        self.ready.emit()
