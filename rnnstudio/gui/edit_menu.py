"""Edit: undo, redo, cut, copy, paste and select all for the sentence box, and Copy figure.

The text commands act on the sentence box wherever the focus is, and are enabled exactly
when the box can do them (its ``undoAvailable``, ``redoAvailable`` and ``copyAvailable``
signals). While the box has the focus it handles its own Ctrl+Z, Ctrl+C ... first (Qt's
shortcut override), so the menu and the keys never do a thing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QGuiApplication, QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from .main_window import MainWindow

#: ``add(name, text, slot, shortcut, tip)`` from ``actions.install_actions``.
AddAction = Callable[..., QAction]


def install_edit_menu(window: MainWindow, add: AddAction) -> None:
    """Add the Edit menu to ``window``'s menu bar."""
    editor = window.text_input.editor
    menu = window.menuBar().addMenu("&Edit")
    keys = QKeySequence.StandardKey
    undo = add("undo", "&Undo", editor.undo, keys.Undo, "Undo the last edit of the sentence")
    redo = add("redo", "&Redo", editor.redo, keys.Redo, "Redo what Undo took back")
    menu.addActions([undo, redo])
    menu.addSeparator()
    cut = add("cut", "Cu&t", editor.cut, keys.Cut, "Cut the selected text of the sentence")
    copy = add("copy", "&Copy", editor.copy, keys.Copy, "Copy the selected text")
    paste = add("paste", "&Paste", editor.paste, keys.Paste,
                "Paste text into the sentence box")
    select_all = add("select_all", "Select &all", editor.selectAll, keys.SelectAll,
                     "Select the whole sentence")
    menu.addActions([cut, copy, paste, select_all])
    menu.addSeparator()
    menu.addAction(add("copy_figure", "Copy &figure", lambda: copy_figure(window),
                       "Ctrl+Shift+C", "Copy the panel with the focus (else the heatmaps) "
                       "as an image, to paste into slides or notes"))
    for action, available in ((undo, editor.undoAvailable), (redo, editor.redoAvailable),
                              (cut, editor.copyAvailable), (copy, editor.copyAvailable)):
        action.setEnabled(False)  # a new box has no history and no selection
        available.connect(action.setEnabled)


def figure_panel(window: MainWindow) -> tuple[str, QWidget]:
    """The panel Copy figure copies: the one holding the focus, else the heatmaps."""
    focus = QApplication.focusWidget()
    for name, panel in window.panels.items():
        if focus is not None and (focus is panel or panel.isAncestorOf(focus)):
            return name, panel
    return "heatmaps", window.heatmaps


def copy_figure(window: MainWindow) -> QImage:
    """Put the figure (see :func:`figure_panel`) on the clipboard as it is on screen, at
    the screen's pixel density; returns the image."""
    name, panel = figure_panel(window)
    image = panel.grab().toImage()
    QGuiApplication.clipboard().setImage(image)
    window.statusBar().showMessage(
        f"Copied {name} to the clipboard ({image.width()} x {image.height()} px)", 6000)
    return image
