"""View > Theme: follow the system's light or dark scheme, or keep one of them.

The window owns its scheme follower (``desktop/palette.py``), made with the saved choice
once every plot exists, so the first frame already has the chosen colours. A choice is
applied at once (widget palette, pyqtgraph colours, what the GUI draws itself through
``scheme.apply_scheme``) and saved in the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QMenu

from .desktop.palette import SystemSchemeFollower
from .scheme import apply_scheme
from .settings import THEMES

if TYPE_CHECKING:
    from .main_window import MainWindow

_THEME_TEXT = {"system": "&System", "light": "&Light", "dark": "&Dark"}
_THEME_TIP = {"system": "Light or dark as the desktop asks (light where it does not say)",
              "light": "Light window and plots, whatever the desktop asks",
              "dark": "Dark window and plots, whatever the desktop asks"}


def install_theme_menu(window: MainWindow, menu: QMenu,
                       by_name: dict[str, QAction]) -> SystemSchemeFollower:
    """Fill ``menu`` with the exclusive System / Light / Dark choice and start the
    window's scheme follower on the saved one; returns the follower."""
    app = QApplication.instance()
    assert isinstance(app, QApplication), "the window needs a QApplication"
    def restyle(dark: bool) -> None:
        """What the GUI draws itself: titles, legends, the wash over unread steps."""
        apply_scheme(window, dark)

    follower = SystemSchemeFollower(app, windows=lambda: [window], on_change=restyle,
                                    parent=window, choice=window.settings.theme)
    group = QActionGroup(window)
    for theme in THEMES:
        action = QAction(_THEME_TEXT[theme], window)
        action.setObjectName(f"action_theme_{theme}")
        action.setCheckable(True)
        action.setChecked(theme == follower.choice)
        action.setStatusTip(_THEME_TIP[theme])
        action.triggered.connect(lambda *_, theme=theme: choose_theme(window, follower, theme))
        group.addAction(action)
        menu.addAction(action)
        by_name[f"theme_{theme}"] = action
    return follower


def choose_theme(window: MainWindow, follower: SystemSchemeFollower, theme: str) -> None:
    """Apply ``theme`` now and keep it for the next start."""
    follower.set_choice(theme)
    window.settings.theme = theme
