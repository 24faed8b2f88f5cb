"""Help > About lists the running versions; Help > Keyboard shortcuts lists what it is given."""

from __future__ import annotations

import platform

import numpy
import pyqtgraph
import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QWidget

from rnnstudio import app_info
from rnnstudio.gui.desktop.about import AboutDialog, runtime_versions, show_about, versions_text
from rnnstudio.gui.desktop.shortcuts import (
    ShortcutsDialog,
    native_keys,
    shortcuts_from_actions,
    show_shortcuts,
)


def test_runtime_versions_are_the_loaded_ones(qapp) -> None:  # type: ignore[no-untyped-def]
    versions = runtime_versions()
    assert versions["Qt"] == qVersion()
    assert versions["PySide6"] == PySide6.__version__
    assert versions["pyqtgraph"] == pyqtgraph.__version__
    assert versions["NumPy"] == numpy.__version__
    assert versions["Python"] == platform.python_version()
    assert versions[app_info.APP_NAME] == app_info.VERSION
    assert "offscreen" in versions["Platform"]


def test_about_dialog_shows_every_version(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    text = dialog.versions.toPlainText()
    for name, version in runtime_versions().items():
        assert f"{name}: {version}" in text
    assert dialog.windowTitle() == "About RNN Studio"
    dialog.copy_versions()
    assert QGuiApplication.clipboard().text() == versions_text()


def test_show_about_is_non_modal_and_parented(qtbot) -> None:  # type: ignore[no-untyped-def]
    parent = QWidget()
    qtbot.addWidget(parent)
    dialog = show_about(parent)
    assert dialog.isVisible() and not dialog.isModal()
    assert dialog.parent() is parent
    dialog.close()


def test_shortcuts_dialog_lists_what_it_is_given(qtbot) -> None:  # type: ignore[no-untyped-def]
    shortcuts = [("Ctrl+O", "Open model"), (QKeySequence("Space"), "Play / pause"),
                 ("Right", "Step forward")]
    dialog = ShortcutsDialog(shortcuts)
    qtbot.addWidget(dialog)
    rows = dialog.rows()
    assert [action for _, action in rows] == ["Open model", "Play / pause", "Step forward"]
    assert rows[0] == (native_keys("Ctrl+O"), "Open model")
    dialog.table.sortItems(1, Qt.SortOrder.DescendingOrder)  # a click on "Action"
    assert [action for _, action in dialog.rows()] == [
        "Step forward", "Play / pause", "Open model"]
    # Read-only: no item can be edited.
    assert not dialog.table.item(0, 1).flags() & Qt.ItemFlag.ItemIsEditable


def test_shortcuts_are_read_off_actions(qtbot) -> None:  # type: ignore[no-untyped-def]
    owner = QWidget()
    qtbot.addWidget(owner)
    open_action = QAction("&Open model…", owner)
    open_action.setShortcut(QKeySequence("Ctrl+O"))
    quit_action = QAction("Save && quit", owner)
    quit_action.setShortcuts([QKeySequence("Ctrl+Q"), QKeySequence("Ctrl+W")])
    silent = QAction("No shortcut", owner)
    pairs = shortcuts_from_actions([open_action, quit_action, silent])
    assert pairs == [(native_keys("Ctrl+O"), "Open model"),
                     (f"{native_keys('Ctrl+Q')}, {native_keys('Ctrl+W')}", "Save & quit")]
    dialog = show_shortcuts(pairs, owner)
    assert dialog.isVisible() and dialog.table.rowCount() == 2
    dialog.close()
