"""Help > About: what is running, with the versions a bug report needs.

The versions are read from the running modules (``qVersion()`` is the Qt library actually
loaded, which can differ from the PySide6 wheel's version in a distro or a bundle), so a
user can paste the text into an issue and we know which of the known traps they hit
(PySide6 >= 6.11 breaks pyqtgraph's SVG export; 6.12 on Python 3.11 crashes on repaints).
"""

from __future__ import annotations

import platform
import sys
from html import escape

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ... import app_info


def runtime_versions() -> dict[str, str]:
    """Name -> version of every component a bug report should mention, in display order."""
    import numpy
    import pyqtgraph
    import PySide6

    return {
        app_info.APP_NAME: app_info.VERSION,
        "Python": platform.python_version(),
        "Qt": qVersion(),
        "PySide6": PySide6.__version__,
        "pyqtgraph": pyqtgraph.__version__,
        "NumPy": numpy.__version__,
        "Platform": _platform_text(),
    }


def _platform_text() -> str:
    """OS plus the Qt platform plugin (xcb, wayland, cocoa, offscreen...)."""
    app = QGuiApplication.instance()
    plugin = QGuiApplication.platformName() if app is not None else "no QGuiApplication"
    frozen = ", frozen bundle" if getattr(sys, "frozen", False) else ""
    return f"{platform.system()} {platform.release()} ({platform.machine()}), {plugin}{frozen}"


def versions_text() -> str:
    """Plain ``name: version`` lines, ready to paste into an issue."""
    return "\n".join(f"{name}: {version}" for name, version in runtime_versions().items())


class AboutDialog(QDialog):
    """Name, summary, homepage and a copyable block of versions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about_dialog")
        self.setWindowTitle(f"About {app_info.APP_NAME}")
        heading = QLabel(
            f"<h2>{escape(app_info.version_line())}</h2>"
            f"<p>{escape(app_info.SUMMARY)}.</p>"
            f'<p><a href="{app_info.HOMEPAGE}">{escape(app_info.HOMEPAGE)}</a><br>'
            f"Licence: {escape(app_info.LICENSE)}</p>"
        )
        heading.setTextFormat(Qt.TextFormat.RichText)
        heading.setOpenExternalLinks(True)
        heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        # A read-only text box rather than a label: users select and copy it into issues.
        self.versions = QPlainTextEdit(versions_text())
        self.versions.setObjectName("about_versions")
        self.versions.setReadOnly(True)
        self.versions.setMaximumHeight(self.versions.fontMetrics().lineSpacing() * 9)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton("Copy versions", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_versions)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.versions)
        layout.addWidget(buttons)

    def copy_versions(self) -> None:
        """Put the version lines on the clipboard."""
        QGuiApplication.clipboard().setText(self.versions.toPlainText())


def show_about(parent: QWidget | None = None) -> AboutDialog:
    """Open the About dialog (non-modal, deleted on close) and return it."""
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
