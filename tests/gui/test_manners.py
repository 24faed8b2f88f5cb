"""Desktop manners: the Edit menu, keys that step from anywhere, the title, the shortcuts."""

from __future__ import annotations

from conftest import wait_for_trace
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from rnnstudio import app_info
from rnnstudio.gui.desktop.identity import window_title
from rnnstudio.gui.desktop.shortcuts import ShortcutsDialog, shortcuts_from_actions
from rnnstudio.gui.edit_menu import copy_figure


def test_copy_figure_puts_the_focused_panel_on_the_clipboard(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    QGuiApplication.clipboard().clear()
    window.activateWindow()
    window.text_input.editor.setFocus()  # not a figure: the heatmaps are copied
    window.named_actions["copy_figure"].trigger()
    image = QGuiApplication.clipboard().image()
    ratio = window.heatmaps.devicePixelRatioF()
    assert not image.isNull()
    assert (image.width(), image.height()) == (round(window.heatmaps.width() * ratio),
                                               round(window.heatmaps.height() * ratio))
    # The heatmaps are not blank: cividis has many colours.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 9)
               for y in range(0, image.height(), 9)}
    assert len(colours) > 20
    window.gradients.plot_widget.setFocus()
    assert copy_figure(window).size() == window.gradients.grab().toImage().size()


def test_undo_after_typing_restores_the_text(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    actions = window.named_actions
    editor = window.text_input.editor
    before = editor.toPlainText()
    assert not actions["undo"].isEnabled() and not actions["copy"].isEnabled()
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor, " twice")
    assert editor.toPlainText() == before + " twice" and actions["undo"].isEnabled()
    wait_for_trace(qtbot, window.session, actions["undo"].trigger)
    assert editor.toPlainText() == before
    assert window.session.text == before and actions["redo"].isEnabled()
    actions["select_all"].trigger()
    assert actions["copy"].isEnabled() and actions["cut"].isEnabled()
    actions["copy"].trigger()
    assert QGuiApplication.clipboard().text() == before


def test_esc_leaves_the_text_box_and_alt_arrows_step_from_anywhere(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    editor = window.text_input.editor
    window.activateWindow()
    session.set_cursor(2)
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Right)  # the caret moves, the cursor does not
    assert session.cursor == 2
    qtbot.keyClick(editor, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert session.cursor == 3
    qtbot.keyClick(editor, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.keyClick(editor, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert session.cursor == 1
    assert editor.toPlainText() == session.text  # Alt+arrows typed nothing
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not editor.hasFocus()
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert session.cursor == 3


def test_the_title_names_the_app_once_and_last(window) -> None:  # type: ignore[no-untyped-def]
    title = window.windowTitle()
    assert title.count(app_info.APP_NAME) == 1
    # Qt appends the display name to a title not ending with it (X11, Wayland, Windows).
    assert title.endswith(app_info.APP_NAME)
    assert title == window_title(window.session.source.title)
    assert window_title("") == app_info.APP_NAME


def _last_row_visible(dialog: ShortcutsDialog) -> bool:
    table = dialog.table
    last = table.model().index(table.rowCount() - 1, 1)
    return table.viewport().rect().contains(table.visualRect(last))


def test_shortcuts_dialog_shows_its_last_row(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    pairs = shortcuts_from_actions(window.named_actions.by_name.values())
    assert len(pairs) > 13
    dialog = ShortcutsDialog(pairs, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert _last_row_visible(dialog)
    assert dialog.table.verticalScrollBar().maximum() == 0


def test_a_long_shortcuts_list_fits_the_screen_and_scrolls(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = ShortcutsDialog([(f"Ctrl+{index % 10}", f"action {index}") for index in range(80)])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    screen = dialog.screen().availableGeometry()
    assert dialog.height() <= screen.height()
    assert dialog.table.verticalScrollBar().maximum() > 0
    dialog.table.scrollToBottom()
    assert _last_row_visible(dialog)


#: Qt's own buttons (a dock's float and close, a toolbar's or menu bar's "more" arrow):
#: standard icons every desktop shows, named ``qt_*`` by Qt.
_QT_OWN_PREFIX = "qt_"


def test_every_control_says_what_it_does(window) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QCheckBox, QComboBox

    silent = []
    checked = 0
    for kind in (QAbstractButton, QComboBox, QAbstractSpinBox, QCheckBox):
        for control in window.findChildren(kind):
            if control.objectName().startswith(_QT_OWN_PREFIX):
                continue
            checked += 1
            if not control.toolTip().strip():
                silent.append(f"{type(control).__name__} {control.objectName()!r} "
                              f"{getattr(control, 'text', lambda: '')()!r}")
    assert checked > 40  # every panel's controls, Training's and Compare's included
    assert not silent, "controls without a tooltip: " + "; ".join(silent)
