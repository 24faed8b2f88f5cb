"""Every user command declared once (text, shortcut, icon, status tip), then placed in the
menus, the toolbar and the plots' context menus."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from ..errors import RnnStudioError
from ..models_index import shipped_models
from ..view.attribution import STRIP_LABELS
from ..view.lessons import SHIPPED, index_tip, index_title
from .appearance import install_theme_menu
from .desktop.about import show_about
from .desktop.palette import SystemSchemeFollower
from .desktop.shortcuts import shortcuts_from_actions, show_shortcuts
from .edit_menu import install_edit_menu
from .presentation import PANELS, Presentation
from .widgets.model_panel import shipped_label

if TYPE_CHECKING:
    from .main_window import MainWindow


@dataclass
class WindowActions:
    """The window's actions by name, and the recent-files menu that changes at run time."""

    by_name: dict[str, QAction] = field(default_factory=dict)
    recent_menu: QMenu | None = None
    #: Menus filled from data (Models, Lessons), by name, for tests and later additions.
    menus: dict[str, QMenu] = field(default_factory=dict)
    #: View > Theme's scheme follower and View > Presentation (set by ``install_actions``).
    scheme: SystemSchemeFollower | None = None
    presentation: Presentation | None = None

    def __getitem__(self, name: str) -> QAction:
        return self.by_name[name]


def _action(window: MainWindow, actions: WindowActions, name: str, text: str,
            slot: Callable[[], object],
            shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
            tip: str = "", icon: QStyle.StandardPixmap | None = None) -> QAction:
    action = QAction(text, window)
    action.setObjectName(f"action_{name}")
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    action.triggered.connect(lambda *_: slot())
    window.addAction(action)  # shortcuts work even when no menu shows the action
    actions.by_name[name] = action
    return action


def install_actions(window: MainWindow) -> WindowActions:
    """Create actions, menus and the main toolbar for ``window``."""
    actions = WindowActions()
    pixmap = QStyle.StandardPixmap
    add = partial(_action, window, actions)
    file_menu = window.menuBar().addMenu("&File")
    file_menu.addAction(add("open", "&Open…", window.dialogs.choose_file_to_open,
                            QKeySequence.StandardKey.Open,
                            "Open a model (.safetensors, .npz, PyTorch .pt), a session "
                            "(.rnnstudio) or a saved trace (.npz, .json)",
                            pixmap.SP_DialogOpenButton))
    file_menu.addAction(add("open_folder", "Open &folder…", window.dialogs.choose_folder_to_open,
                            "Ctrl+Shift+O", "Open a Hugging Face style model folder "
                            "(model.safetensors, config.json, vocab.json or vocab.txt)"))
    file_menu.addAction(add("open_lessons", "Open &lesson folder…",
                            window.choose_lesson_folder, tip="Add the lessons (*.json) of "
                            "a course's folder to the Lessons menu (docs/lessons.md)"))
    actions.recent_menu = file_menu.addMenu("Open &recent")
    add("clear_recent", "&Clear recent", lambda: _clear_recent(window),
        tip="Forget the files opened recently (the files themselves stay)")
    file_menu.addAction(add("save_session", "&Save session…", window.dialogs.choose_session_path,
                            QKeySequence.StandardKey.Save,
                            "Save the model, text, loss, cursor, view and lesson to a "
                            ".rnnstudio file", pixmap.SP_DialogSaveButton))
    file_menu.addSeparator()
    export_menu = file_menu.addMenu("&Export")
    # One submenu per panel, plus the figure (heatmaps over gradients on one time axis):
    # five panels in three formats made a flat menu of fifteen look-alike lines.
    for panel, title in [*((panel, panel.capitalize()) for panel in window.panels),
                         ("figure", "Heatmaps + gradients figure")]:
        panel_menu = export_menu.addMenu(title)
        for kind, label in (("png", "PNG image…"), ("svg", "SVG drawing…"),
                            ("pdf", "PDF document…")):
            panel_menu.addAction(add(
                f"export_{panel}_{kind}", label,
                partial(window.dialogs.choose_figure_path, panel, kind),
                tip=f"Save the {title.lower()} as {kind.upper()}, titled with the model, "
                    "text, step, layer and loss"))
    export_menu.addAction(add("export_animation", "&Animation (GIF / MP4)…",
                              window.dialogs.choose_animation,
                              tip="Save the cursor stepping through the text, a frame per "
                                  "token, as a GIF or MP4 for slides"))
    export_menu.addSeparator()
    export_menu.addAction(add("export_window", "Whole &window as PNG…",
                              window.dialogs.choose_window_path, "Ctrl+Shift+P",
                              "Save a picture of the whole window", pixmap.SP_DesktopIcon))
    export_menu.addAction(add("export_trace", "&Trace as NPZ / CSV / JSON…",
                              window.dialogs.choose_trace_path, "Ctrl+Shift+E",
                              "Save every state, gate and gradient of this trace",
                              pixmap.SP_DriveFDIcon))
    export_menu.addAction(add("export_attribution", "Token &attribution as CSV / JSON…",
                              window.dialogs.choose_attribution_path,
                              tip="Save the score of each token the strip is coloured by, "
                                  "with what the score explains"))
    file_menu.addSeparator()
    file_menu.addAction(add("quit", "&Quit", window.close, QKeySequence.StandardKey.Quit))
    install_edit_menu(window, add)

    play_menu = window.menuBar().addMenu("&Playback")
    session = window.session
    for name, text, slot, key in (
        ("first", "First step", lambda: session.set_cursor(0), "Home"),
        ("back", "Step back", lambda: session.step_by(-1), "Left"),
        ("play", "Play / pause", session.playback.toggle, "Space"),
        ("forward", "Step forward", lambda: session.step_by(1), "Right"),
        ("last", "Last step", lambda: session.set_cursor(session.step_count - 1), "End"),
    ):
        play_menu.addAction(add(name, text, slot, key))
    # Alt+arrows step from anywhere: inside the sentence box the plain arrows move its caret.
    for name, key in (("back", "Alt+Left"), ("forward", "Alt+Right")):
        actions[name].setShortcuts([actions[name].shortcut(), QKeySequence(key)])

    _install_models_menu(window, actions)

    actions.menus["lessons"] = window.menuBar().addMenu("&Lessons")
    fill_lessons_menu(window, actions)
    window.session.library.changed.connect(lambda: fill_lessons_menu(window, actions))

    view_menu = window.menuBar().addMenu("&View")
    for key, dock in window.docks.items():
        view_menu.addAction(_tabbed_toggle(window, actions, key) if key in _TABBED_PANELS
                            else dock.toggleViewAction())
    view_menu.addSeparator()
    _install_token_colours(window, view_menu.addMenu("&Colour tokens by"), actions)
    view_menu.addAction(add("reset_layout", "&Reset layout", window.reset_layout,
                            tip="Put every dock back where it started"))
    view_menu.addSeparator()
    actions.scheme = install_theme_menu(window, view_menu.addMenu("&Theme"), actions.by_name)
    actions.presentation = _install_presentation(window, view_menu, actions)

    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction(add(
        "shortcuts", "&Keyboard shortcuts",
        lambda: show_shortcuts(shortcuts_from_actions(actions.by_name.values()), window),
        "Ctrl+?", tip="Every keyboard shortcut of the window"))
    help_menu.addAction(add(
        "check_pytorch", "Check against &PyTorch…", window.dialogs.show_parity,
        tip="Compare the engine's states, gates and gradients with PyTorch's for this model"))
    about = add("about", "&About RNN Studio", lambda: show_about(window),
                tip="Version of RNN Studio and of the libraries it runs on")
    about.setMenuRole(QAction.MenuRole.AboutRole)
    help_menu.addAction(about)

    toolbar = QToolBar("Main toolbar", window)
    toolbar.setObjectName("main_toolbar")
    for name in ("open", "save_session", "export_window", "export_trace"):
        toolbar.addAction(actions[name])
    window.addToolBar(toolbar)
    _install_plot_menus(window, actions)
    return actions


#: Docks the View menu shows through ``show_panel``, so the first time each is tabbed
#: with the gradients (a dock's own toggle would split the bottom area): key -> action
#: name, menu text, shortcut, tip.
_TABBED_PANELS: dict[str, tuple[str, str, str | None, str]] = {
    "paths": ("gradient_paths", "Gradient &paths", None,
              "How much of the gradient flows along the forget (update) gates, or the step "
              "Jacobians' singular values of an RNN"),
    "saturation": ("saturation", "&Saturation statistics", None,
                   "How often each gate is nearly shut or nearly open, one dot per unit "
                   "(Karpathy et al. 2015)"),
    "trajectory": ("trajectory", "&Trajectory", "Ctrl+Shift+J",
                   "The hidden state's path through its principal components (PCA)"),
    "interventions": ("interventions", "&Interventions", "Ctrl+Shift+I",
                      "Clamp, scale or zero a gate, c or h and see what changes"),
    "corpus": ("corpus", "&Corpus", None,
               "Search a corpus index for where units fire; a unit's top-activating tokens"),
}


def _tabbed_toggle(window: MainWindow, actions: WindowActions, key: str) -> QAction:
    """View › (a dock of ``_TABBED_PANELS``): checked while the dock shows."""
    name, text, shortcut, tip = _TABBED_PANELS[key]
    dock = window.docks[key]

    def toggle() -> None:
        if dock.isHidden():
            window.show_panel(key)
        else:
            dock.hide()

    action = _action(window, actions, name, text, toggle, shortcut, tip)
    action.setCheckable(True)
    dock.visibilityChanged.connect(lambda *_: action.setChecked(not dock.isHidden()))
    return action


def _install_presentation(window: MainWindow, view_menu: QMenu,
                          actions: WindowActions) -> Presentation:
    """View > Presentation (F5; Esc leaves) and the panel it shows beside the heatmaps."""
    presentation = Presentation(window)
    toggle = _action(window, actions, "presentation", "&Presentation", presentation.toggle,
                     "F5", "Full screen, larger text, the heatmaps and one panel, a bold "
                     "cursor: for a projector. F5 or Esc leaves")
    toggle.setCheckable(True)
    presentation.changed.connect(toggle.setChecked)
    view_menu.addAction(toggle)
    leave = _action(window, actions, "leave_presentation", "Leave presentation",
                    presentation.leave, "Esc")
    leave.setEnabled(False)  # Esc belongs to dialogs and fields until presenting
    presentation.changed.connect(leave.setEnabled)
    panel_menu = view_menu.addMenu("Presentation &shows")
    group = QActionGroup(window)
    for key, text in PANELS.items():
        choice = QAction(text, window)
        choice.setObjectName(f"action_present_{key}")
        choice.setCheckable(True)
        choice.setChecked(key == presentation.panel)
        choice.setStatusTip(f"Presentation shows {text} beside the heatmaps")
        choice.triggered.connect(lambda *_, key=key: setattr(presentation, "panel", key))
        group.addAction(choice)
        panel_menu.addAction(choice)
        actions.by_name[f"present_{key}"] = choice
    return presentation


def token_colour_action_name(choice: str) -> str:
    """``colour_tokens_dLdx``, ``colour_tokens_occlusion`` ...: an action's name."""
    return "colour_tokens_" + choice.replace("/", "")


def _install_token_colours(window: MainWindow, menu: QMenu, actions: WindowActions) -> None:
    """View > Colour tokens by: one exclusive choice per attribution (the window checks
    the one in the session's options)."""
    group = QActionGroup(window)
    for choice, text in STRIP_LABELS.items():
        name = token_colour_action_name(choice)
        item = _action(window, actions, name, text,
                       partial(window.session.set_attribution, choice),
                       tip=f"Colour each token by {text}" if choice != "off"
                       else "Leave the tokens uncoloured")
        item.setCheckable(True)
        group.addAction(item)
        menu.addAction(item)


def fill_lessons_menu(window: MainWindow, actions: WindowActions) -> None:
    """The Lessons menu as the index: "N. Title" by order, a user folder's lessons marked
    with its name; action ``lesson_NAME`` (``lesson_FOLDER/NAME`` for a user's)."""
    menu = actions.menus["lessons"]
    for name in [name for name in actions.by_name if name.startswith("lesson_")]:
        window.removeAction(actions.by_name.pop(name))
    menu.clear()
    for number, lesson in enumerate(window.lessons, start=1):
        action = QAction(index_title(lesson, number), window)
        key = lesson.name if lesson.folder == SHIPPED else (
            f"{Path(lesson.folder).name}/{lesson.name}")
        action.setObjectName(f"action_lesson_{key}")
        action.setStatusTip(index_tip(lesson).split("\n")[0])
        action.setToolTip(index_tip(lesson))
        action.triggered.connect(lambda *_, lesson=lesson: window.session.open_lesson(lesson))
        menu.addAction(action)
        actions.by_name[f"lesson_{key}"] = action
    menu.setToolTipsVisible(True)


def fill_recent_menu(window: MainWindow) -> None:
    """File > Open recent: the settings' files that opened, newest first, then Clear
    recent; disabled when there is none."""
    menu = window.named_actions.recent_menu
    if menu is None:
        return
    menu.clear()
    recent = window.settings.recent_files
    for path in recent:
        action = QAction(Path(path).name, menu)
        action.setStatusTip(path)
        action.triggered.connect(lambda *_, path=path: window.open_file(path))
        menu.addAction(action)
    menu.addSeparator()
    menu.addAction(window.named_actions["clear_recent"])
    menu.setEnabled(bool(recent))


def _clear_recent(window: MainWindow) -> None:
    window.settings.clear_recent_files()
    fill_recent_menu(window)


def _install_models_menu(window: MainWindow, actions: WindowActions) -> None:
    """Models: one submenu per task with its RNN, LSTM and GRU (checked: the open one)."""
    menu = actions.menus["models"] = window.menuBar().addMenu("&Models")
    group = QActionGroup(window)
    try:
        entries = shipped_models()
    except RnnStudioError as error:
        menu.addAction(error_action := QAction(str(error), window))
        error_action.setEnabled(False)
        return
    submenus: dict[str, QMenu] = {}
    for entry in entries:
        submenu = submenus.get(entry.task)
        if submenu is None:
            submenu = submenus[entry.task] = menu.addMenu(entry.task_title)
        action = QAction(shipped_label(entry), window)
        action.setObjectName(f"action_model_{entry.key}")
        action.setCheckable(True)
        action.setStatusTip(f"{entry.title}: {entry.metric}; opens with a sentence of the task")
        action.triggered.connect(lambda *_, key=entry.key: window.session.open_shipped_model(key))
        group.addAction(action)
        submenu.addAction(action)
        actions.by_name[f"model_{entry.key}"] = action

    menu.addSeparator()
    details = _action(window, actions, "model_details", "Model &details…",
                      window.dialogs.ask_model_details, tip="Vocabulary, labels, task, "
                      "nonlinearity and readout of the open model file, saved next to it")
    menu.addAction(details)
    menu.addAction(_action(window, actions, "train", "&Train a model…",
                           lambda: window.show_panel("training"), "Ctrl+T",
                           "Train a model on a generated task while you watch"))
    menu.addAction(_action(window, actions, "write", "&Write with the model…",
                           lambda: window.show_panel("write"), "Ctrl+G",
                           "A language model continues the text token by token while "
                           "every panel shows the cell writing"))
    menu.addAction(_action(window, actions, "index_corpus", "&Index a corpus…",
                           window.dialogs.show_corpus_index,
                           tip="Read a text file or folder with the open model and store "
                           "every token's state for searching"))
    menu.addAction(_action(window, actions, "compare", "&Compare RNN, LSTM and GRU…",
                           lambda: window.show_panel("compare"), "Ctrl+K",
                           "The sentence read by the three cells trained on one task"))

    def check_current() -> None:
        key = window.session.source.key
        for action in group.actions():
            action.setChecked(action.objectName() == f"action_model_{key}")
        details.setEnabled(window.session.source.kind == "file")

    window.session.model_changed.connect(check_current)
    check_current()


def _install_plot_menus(window: MainWindow, actions: WindowActions) -> None:
    """pyqtgraph appends a scene's ``contextMenu`` to every plot's right-click menu."""
    for panel, widget in window.panels.items():
        scene = window.scene_of(widget)
        for kind in ("png", "svg"):
            action = add_scene_action(window, f"Save {panel} as {kind.upper()}…",
                                      partial(window.dialogs.choose_figure_path, panel, kind))
            scene.contextMenu.append(action)
            actions.by_name[f"context_{panel}_{kind}"] = action


def add_scene_action(window: MainWindow, text: str, slot: Callable[[], object]) -> QAction:
    action = QAction(text, window)
    action.triggered.connect(lambda *_: slot())
    return action
