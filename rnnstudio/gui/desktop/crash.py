"""The last-resort exception hook: log the traceback, tell the user once, keep running.

An exception that escapes a Qt slot does not stop the event loop in PySide6; it reaches
``sys.excepthook`` (and one in a worker thread reaches ``threading.excepthook``). By default
both only print to a terminal a bundle user does not have. Here every such exception is
appended to ``crash.log`` in the user's log folder (rotated and bounded: see
:mod:`.logs`), printed to stderr when there is one (the smoke test fails on a
``Traceback`` there), and the first one of the session opens a non-modal dialog that says
where the log is. Later ones are logged and counted in that same dialog: a broken paint
handler would otherwise open a dialog per repaint.

A bug caught where it happened (an unexpected exception inside a worker job) is not
unhandled: :func:`log_bug` writes its report to the same log and the job says where.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from ... import app_info
from .logs import CRASH_LOG_NAME, log_folder, write_crash_report

__all__ = ["CRASH_LOG_NAME", "CrashHandler", "format_report", "install_crash_handler",
           "log_bug"]
_logger = logging.getLogger("rnnstudio")


def format_report(kind: type[BaseException], error: BaseException,
                  trace: TracebackType | None, thread_name: str | None = None,
                  what: str = "unhandled exception") -> str:
    """One log entry: time, version, what happened, thread and the full traceback."""
    stamp = dt.datetime.now().isoformat(timespec="seconds")
    where = f" in thread {thread_name!r}" if thread_name else ""
    lines = traceback.format_exception(kind, error, trace)
    return f"--- {stamp} {app_info.version_line()}: {what}{where}\n" + "".join(lines)


def log_bug(error: BaseException, what: str, folder: Path | None = None) -> Path | None:
    """Write ``error``'s traceback to ``crash.log`` as a bug met while ``what`` (e.g.
    "reading the text (model.pt)"); returns the log's path, or ``None`` when it cannot be
    written, in which case the traceback goes to stderr instead."""
    text = format_report(type(error), error, error.__traceback__,
                         threading.current_thread().name, f"bug while {what}")
    written = write_crash_report(text, folder)
    if written is None and sys.stderr is not None:
        sys.stderr.write(text)
    return written


class _MainThreadRelay(QObject):
    """Carries a report from any thread to the GUI thread, where widgets may be made."""

    reported = Signal(str, str)  # summary, log path


class CrashHandler:
    """Installs itself as ``sys.excepthook`` and ``threading.excepthook``.

    Create and install it on the GUI thread after the ``QApplication`` exists. Set
    ``show_dialog=False`` for headless runs (the smoke test, scripts).
    """

    def __init__(self, folder: Path | None = None, show_dialog: bool = True,
                 parent: QWidget | None = None) -> None:
        self.folder = folder or log_folder()
        self.show_dialog = show_dialog
        self.parent = parent
        self.exception_count = 0
        self.dialogs_shown = 0
        self.dialog: QMessageBox | None = None
        self._relay = _MainThreadRelay()
        # Auto connection: direct from the GUI thread, queued from a worker thread.
        self._relay.reported.connect(self._on_reported)
        self._previous_hooks: tuple[object, object] | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / CRASH_LOG_NAME

    def install(self) -> CrashHandler:
        """Replace both hooks (remembering the previous ones); returns ``self``."""
        if self._previous_hooks is None:
            self._previous_hooks = (sys.excepthook, threading.excepthook)
            sys.excepthook = self.handle_exception
            threading.excepthook = self.handle_thread_exception
        return self

    def uninstall(self) -> None:
        """Put the previous hooks back (tests; a clean shutdown)."""
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks  # type: ignore[assignment]
            self._previous_hooks = None

    def handle_exception(self, kind: type[BaseException], error: BaseException,
                         trace: TracebackType | None) -> None:
        """``sys.excepthook``: Ctrl+C behaves as usual; anything else is reported."""
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        self.report(kind, error, trace, None)

    def handle_thread_exception(self, args: threading.ExceptHookArgs) -> None:
        """``threading.excepthook``: the same report, naming the thread."""
        if args.exc_type is SystemExit:  # a thread may end itself that way
            return
        error = args.exc_value if args.exc_value is not None else args.exc_type()
        name = args.thread.name if args.thread is not None else None
        self.report(args.exc_type, error, args.exc_traceback, name)

    def report(self, kind: type[BaseException], error: BaseException,
               trace: TracebackType | None, thread_name: str | None) -> None:
        """Log to file and stderr, then ask the GUI thread to tell the user."""
        try:
            text = format_report(kind, error, trace, thread_name)
            written = write_crash_report(text, self.folder)
            if sys.stderr is not None:  # None in a Windows bundle built without a console
                sys.stderr.write(text)
                sys.stderr.flush()
            _logger.debug("exception logged to %s", written)
            self._relay.reported.emit(f"{kind.__name__}: {error}", str(written or ""))
        except Exception:  # the hook must never raise: fall back to Python's own
            sys.__excepthook__(kind, error, trace)

    def _on_reported(self, summary: str, log_path: str) -> None:
        self.exception_count += 1
        if not self.show_dialog or QApplication.instance() is None:
            return
        if self.dialog is not None:
            self.dialog.setInformativeText(self._informative(log_path))
            return
        self.dialog = self._make_dialog(summary, log_path)
        self.dialogs_shown += 1
        self.dialog.show()

    def _informative(self, log_path: str) -> str:
        where = f"The details were written to\n{log_path}" if log_path else (
            "The details could not be written to the log folder; see the terminal.")
        more = self.exception_count - 1
        also = f"\n\n{more} more error(s) happened since and were logged too." if more else ""
        return where + also

    def _make_dialog(self, summary: str, log_path: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Critical, f"{app_info.APP_NAME}: unexpected error",
                          f"Something went wrong: {summary}\n\nYour text and model are "
                          "unchanged and you can keep working; if things look wrong, "
                          "save your work and restart.", QMessageBox.StandardButton.Close,
                          self.parent)
        box.setObjectName("crash_dialog")
        box.setInformativeText(self._informative(log_path))
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        if log_path:
            folder = box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole)
            folder.clicked.connect(lambda: QDesktopServices.openUrl(
                QUrl.fromLocalFile(str(Path(log_path).parent))))
        return box


def install_crash_handler(parent: QWidget | None = None, show_dialog: bool = True,
                          folder: Path | None = None) -> CrashHandler:
    """Create and install the hook; keep the returned object alive (it owns the dialog)."""
    return CrashHandler(folder, show_dialog, parent).install()
