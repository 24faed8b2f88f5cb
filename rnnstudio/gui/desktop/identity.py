"""Give the running ``QApplication`` the app's identity, from ``rnnstudio.app_info`` only."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication, QIcon

from ... import app_info
from .icons import app_icon


def apply_identity(app: QGuiApplication) -> None:
    """Set name, organisation, version, desktop file name and window icon.

    Call it right after creating the application and before anything reads
    ``QSettings`` or ``QStandardPaths``: both build their paths from the organisation
    and application names. ``setDesktopFileName`` is what lets GNOME and KDE match the
    running window to ``<APP_ID>.desktop`` (its icon and name in the dock; Wayland has
    no other way).
    """
    app.setApplicationName(app_info.APP_NAME)
    app.setApplicationDisplayName(app_info.APP_NAME)
    app.setOrganizationName(app_info.ORGANIZATION)
    app.setOrganizationDomain(app_info.ORGANIZATION_DOMAIN)
    app.setApplicationVersion(app_info.VERSION)
    app.setDesktopFileName(app_info.APP_ID)
    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)


def window_icon() -> QIcon:
    """The app icon, for a window created before ``apply_identity`` ran (tests)."""
    return app_icon()


def window_title(document: str) -> str:
    """``document — RNN Studio``: the app's name once, last.

    On X11, Wayland and Windows Qt appends the application display name to every window
    title that does not already end with it (``QPlatformWindow::formatWindowTitle``), so
    a title starting with the name read "RNN Studio — model — RNN Studio" on the title
    bar. Ending with the name stops the append and reads the same on every platform.
    """
    return f"{document} — {app_info.APP_NAME}" if document else app_info.APP_NAME
