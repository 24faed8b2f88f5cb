"""Who the application is: one id, one name, one version, used everywhere.

The reverse-DNS ``APP_ID`` must be identical in four places or the desktop forgets the
app between them: the ``.desktop`` file's name (GNOME/KDE match running windows to it
through ``QGuiApplication.desktopFileName``), the AppStream ``<id>`` (software centres),
the macOS bundle identifier (PyInstaller spec) and Qt. ``tests/desktop`` checks all four
against this module, so change it here and nowhere else. Qt-free: the CLI, the packaging
spec and the tests read it without starting Qt.
"""

from __future__ import annotations

from ._version import __version__

#: Reverse-DNS id. ``io.github.<owner>`` is the form Flathub accepts for a project hosted
#: on GitHub without its own domain; it matches ``HOMEPAGE`` below.
APP_ID = "io.github.rnnstudio.RnnStudio"
APP_NAME = "RNN Studio"
#: Kept equal to the ``QSettings`` organisation the GUI already writes under, so existing
#: users keep their window layout and recent files.
ORGANIZATION = "rnnstudio"
ORGANIZATION_DOMAIN = "rnnstudio.github.io"
#: Name of the console command, the GUI launcher and the frozen executable.
EXECUTABLE = "rnnstudio"
VERSION = __version__
SUMMARY = "Watch RNN, LSTM and GRU cells read text"
HOMEPAGE = "https://github.com/rnnstudio/rnnstudio"
ISSUES_URL = f"{HOMEPAGE}/issues"
LICENSE = "MIT"
#: Icon name in the freedesktop icon theme (``share/icons/hicolor/<size>/apps/<name>.png``).
ICON_NAME = APP_ID
#: Raw files of the repository's default branch: how the metainfo reaches screenshots
#: that live in ``docs/screenshots`` (AppStream wants absolute web URLs).
RAW_FILES_URL = "https://raw.githubusercontent.com/rnnstudio/rnnstudio/main"


def version_line() -> str:
    """``RNN Studio 0.1.0``: the text of ``--version`` and the About dialog's title line."""
    return f"{APP_NAME} {VERSION}"
