"""Route Qt's own messages (qWarning and friends) into Python ``logging``.

Qt prints warnings such as "QPainter::begin: Paint device returned engine == 0" or a
missing platform plugin straight to stderr, where a bundle user never sees them and our
log file never gets them. With this handler they become records of the
``rnnstudio.qt[.<category>]`` loggers, with Qt's category ("qt.qpa.xcb", ...) in the name
so they can be filtered like any other logger.

Known harmless messages (:data:`_NOISE`) are lowered to DEBUG, so they reach neither
stderr nor the log file at its usual level: the headless ``rnnstudio plot`` printed
"This plugin does not support propagateSizeHints()" on every run, and 6,700 lines of it
for one huge figure. Anything else still reaches a log or, with no handler set up,
stderr (logging's last resort prints WARNING and above).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

LOGGER_NAME = "rnnstudio.qt"

_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}

#: Harmless messages lowered to DEBUG, matched at their start: the offscreen plugin
#: (tests, smoke test, ``rnnstudio plot``) says this for every top-level window, which
#: would bury real warnings.
_NOISE = ("This plugin does not support propagateSizeHints()",)

MessageHandler = Callable[[QtMsgType, QMessageLogContext, str], None]
_previous: Any = None  # what qInstallMessageHandler returned: Qt's own, or ours
_installed = False


def logger_for(category: str | None) -> logging.Logger:
    """``rnnstudio.qt`` for Qt's default category, ``rnnstudio.qt.<category>`` otherwise."""
    if not category or category == "default":
        return logging.getLogger(LOGGER_NAME)
    return logging.getLogger(f"{LOGGER_NAME}.{category}")


def handle_qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """The installed handler: one log record per Qt message, never an exception."""
    level = _LEVELS.get(kind, logging.WARNING)
    if any(message.startswith(noise) for noise in _NOISE):
        level = logging.DEBUG
    category = getattr(context, "category", None)
    where = f" ({context.file}:{context.line})" if getattr(context, "file", None) else ""
    logger_for(category).log(level, "%s%s", message, where)


def install_qt_message_handler() -> None:
    """Install the handler once; the previous one is kept for ``uninstall``.

    It is taken out again at interpreter exit: Qt still logs while the application object
    is destroyed, after Python has begun tearing its modules down, and a Python handler
    called then can crash the process on the way out.
    """
    global _previous, _installed
    if not _installed:
        _previous = qInstallMessageHandler(handle_qt_message)
        _installed = True
        atexit.register(uninstall_qt_message_handler)


@contextlib.contextmanager
def qt_messages_logged() -> Iterator[None]:
    """Route Qt's messages to logging while the block runs (headless ``plot``); a
    handler that was installed before stays installed after."""
    installed_here = not _installed
    install_qt_message_handler()
    try:
        yield
    finally:
        if installed_here:
            uninstall_qt_message_handler()


def uninstall_qt_message_handler() -> None:
    """Give Qt back the handler it had (or its default one)."""
    global _previous, _installed
    if _installed:
        qInstallMessageHandler(_previous)
        _previous, _installed = None, False
