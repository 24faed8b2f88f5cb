"""Follow the system's light or dark appearance, in the widgets and in the plots.

Qt 6.5+ reports the system scheme through ``QStyleHints.colorScheme()`` and announces
changes with ``colorSchemeChanged``. Platform themes that follow it (macOS, Windows 11
style, GNOME through the portal) repaint the widgets themselves; where the widget palette
stays light although the system is dark (Fusion on some desktops), a dark Fusion palette
is set. pyqtgraph does not follow any of this: its background and axis pens are set here,
both as the default for new plots and on plots that already exist.

Exported figures are the GUI's call (they usually stay white for slides); this module
only styles what is on screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget


@dataclass(frozen=True)
class PlotColors:
    """Background and foreground (axes, labels) of pyqtgraph plots for one scheme."""

    background: str
    foreground: str


LIGHT_PLOTS = PlotColors(background="#ffffff", foreground="#2b2b2b")
#: Not pure black: heatmap colour maps keep their contrast against a dark grey.
DARK_PLOTS = PlotColors(background="#1e1f22", foreground="#d4d4d4")


def system_is_dark(app: QGuiApplication | None = None) -> bool:
    """True when the system asks for dark; an unknown scheme falls back to the palette."""
    instance = app or QGuiApplication.instance()
    if not isinstance(instance, QGuiApplication):
        return False
    app = instance
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return palette_is_dark(app.palette())


def palette_is_dark(palette: QPalette) -> bool:
    """Window colour darker than mid-grey (lightness 0-255)."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def plot_colors(dark: bool) -> PlotColors:
    return DARK_PLOTS if dark else LIGHT_PLOTS


def dark_fusion_palette() -> QPalette:
    """A dark palette for the Fusion style, with readable disabled text and links."""
    palette = QPalette()
    roles = QPalette.ColorRole
    for role, color in (
        (roles.Window, "#2b2d30"), (roles.WindowText, "#dfe1e5"), (roles.Base, "#1e1f22"),
        (roles.AlternateBase, "#2b2d30"), (roles.ToolTipBase, "#3c3f41"),
        (roles.ToolTipText, "#dfe1e5"), (roles.Text, "#dfe1e5"), (roles.Button, "#393b40"),
        (roles.ButtonText, "#dfe1e5"), (roles.BrightText, "#ff6b6b"),
        (roles.Highlight, "#2f65ca"), (roles.HighlightedText, "#ffffff"),
        (roles.Link, "#6ea8fe"), (roles.PlaceholderText, "#8c8f94"),
    ):
        palette.setColor(role, QColor(color))
    disabled = QPalette.ColorGroup.Disabled
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        palette.setColor(disabled, role, QColor("#6f737a"))
    return palette


def restyle_plots(root: QWidget, colors: PlotColors) -> int:
    """Recolour every pyqtgraph view under ``root``; returns how many were changed."""
    views = root.findChildren(pg.GraphicsView)
    if isinstance(root, pg.GraphicsView):
        views.append(root)
    for view in views:
        view.setBackground(colors.background)
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen(colors.foreground)
                item.setTextPen(colors.foreground)
    return len(views)


#: A scheme the user chose (View > Theme) instead of the system's.
CHOSEN_SCHEMES = {"light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}


class SystemSchemeFollower(QObject):
    """Applies the current scheme now and again on every ``colorSchemeChanged``.

    ``on_change(dark)`` runs after the palette and plot colours are set, for colours the
    GUI keeps itself (token strip, cursor line). Keep the object alive with the app (or
    the window it styles: pass it as ``parent``). ``choice`` ("system", "light" or
    "dark") fixes the scheme whatever the system says: a desktop that reports no scheme
    (most X11 ones) had no way to dark.
    """

    def __init__(self, app: QApplication, windows: Callable[[], list[QWidget]] | None = None,
                 on_change: Callable[[bool], None] | None = None,
                 parent: QObject | None = None, choice: str = "system") -> None:
        super().__init__(parent or app)
        self.app = app
        self.windows = windows or app.topLevelWidgets
        self.on_change = on_change
        self.choice = choice
        self._own_palette = False
        self._system_style = app.style().name()
        self.dark = False
        app.styleHints().colorSchemeChanged.connect(self.apply)
        self._following = True
        if isinstance(parent, QWidget):  # a closed window no longer sets the app's colours
            parent.installEventFilter(self)
        self.apply()

    def stop(self) -> None:
        """Stop following (tests; the window it styles closed)."""
        if self._following:
            self.app.styleHints().colorSchemeChanged.disconnect(self.apply)
            self._following = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if watched is self.parent() and event.type() == QEvent.Type.Close:
            self.stop()
        return False

    def set_choice(self, choice: str) -> bool:
        """Follow the system ("system") or fix the scheme ("light", "dark"), at once;
        returns whether the window is now dark."""
        if choice != "system" and choice not in CHOSEN_SCHEMES:
            raise ValueError(f"scheme {choice!r} is not system, light or dark")
        self.choice = choice
        return self.apply()

    def apply(self, scheme: Qt.ColorScheme | None = None) -> bool:
        """Set widget palette and plot colours for ``scheme`` (default: the system's),
        or for the user's ``choice`` when it is not "system".

        ``colorSchemeChanged`` passes the new scheme; returns whether it is dark.
        """
        if self.choice in CHOSEN_SCHEMES:
            scheme = CHOSEN_SCHEMES[self.choice]
        elif scheme is None:
            scheme = self.app.styleHints().colorScheme()
        self._set_palette(scheme)
        if scheme == Qt.ColorScheme.Unknown:
            self.dark = palette_is_dark(self.app.palette())
        else:
            self.dark = scheme == Qt.ColorScheme.Dark
        colors = plot_colors(self.dark)
        pg.setConfigOptions(background=colors.background, foreground=colors.foreground)
        for window in self.windows():
            restyle_plots(window, colors)
        if self.on_change is not None:
            self.on_change(self.dark)
        return self.dark

    def _set_palette(self, scheme: Qt.ColorScheme) -> None:
        """A palette of our own only where the platform's does not match ``scheme``."""
        dark_wanted = scheme == Qt.ColorScheme.Dark
        if self._own_palette:  # back to the platform's, then judge it afresh
            self.app.setStyle(self._system_style)
            self.app.setPalette(self.app.style().standardPalette())
            self._own_palette = False
        palette_dark = palette_is_dark(self.app.palette())
        if dark_wanted and not palette_dark:
            # The platform theme did not follow; Fusion takes a custom palette well.
            self.app.setStyle("Fusion")
            self.app.setPalette(dark_fusion_palette())
            self._own_palette = True
        elif scheme == Qt.ColorScheme.Light and palette_dark:
            self.app.setStyle("Fusion")  # its standard palette is light
            self.app.setPalette(self.app.style().standardPalette())
            self._own_palette = True


def follow_system_scheme(app: QApplication,
                         on_change: Callable[[bool], None] | None = None
                         ) -> SystemSchemeFollower:
    """Start following the system scheme; keep no reference (the app owns the follower).

    Call it once the main window exists: widgets that call the GUI's own
    ``configure_pyqtgraph`` while being built set pyqtgraph's defaults back to white, and
    this restyles every plot of every top-level window.
    """
    return SystemSchemeFollower(app, on_change=on_change)
