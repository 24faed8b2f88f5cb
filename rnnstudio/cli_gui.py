"""``rnnstudio [FILE | MODEL_NAME] [--text TEXT]``: the GUI's own command line, checked
before Qt starts (no Qt here).

A word that is no command, no file and no shipped model is a typo, not a file to open: it
used to start the GUI (and, headless, abort Qt with exit 134), or open the default model
in silence. Such a word, a path that does not exist, and an unknown option are one-line
errors with exit status 2; Qt's own single-dash options (``-platform``, ``-style`` ...)
still reach Qt.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Sequence
from pathlib import Path

from .errors import RnnStudioError

#: Options Qt itself reads from the command line (QGuiApplication / QApplication docs).
QT_OPTIONS_WITH_VALUE = ("-platform", "-platformpluginpath", "-platformtheme", "-plugin",
                         "-qwindowgeometry", "-qwindowicon", "-qwindowtitle", "-session",
                         "-style", "-stylesheet", "-display", "-geometry")
QT_FLAGS = ("-reverse", "-widgetcount", "-nograb", "-dograb", "-sync")


class GuiArgumentError(RnnStudioError):
    """The GUI's command line names something that does not exist."""


def gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rnnstudio", description="RNN Studio desktop app")
    parser.add_argument("file", nargs="?", help="a model, a session (.rnnstudio) or a trace "
                        "file to open, or the name of a shipped model (rnnstudio models)")
    parser.add_argument("--text", help="sentence to read at start")
    # Open the window, run one trace, export one PNG, exit 0 (packaging smoke test).
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    return parser


def split_qt_options(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(ours, Qt's): Qt's single-dash options with their values go to Qt."""
    ours: list[str] = []
    qt: list[str] = []
    words = iter(argv)
    for word in words:
        name = word.split("=", 1)[0]
        if name in QT_OPTIONS_WITH_VALUE:
            qt.append(word)
            if "=" not in word:
                qt.append(next(words, ""))
        elif name in QT_FLAGS:
            qt.append(word)
        else:
            ours.append(word)
    return ours, qt


def parse_gui_args(argv: Sequence[str], commands: Sequence[str]) -> argparse.Namespace:
    """The GUI's options, checked: raises :class:`GuiArgumentError` (one line) for an
    unknown option, a word that is neither a file nor a shipped model (with the command
    it may have meant), or a path that does not exist."""
    ours, _qt = split_qt_options(argv)
    unknown = [word for word in ours if word.startswith("-") and word.split("=", 1)[0]
               not in ("--text", "--smoke-test", "-h", "--help")]
    if unknown:
        raise GuiArgumentError(f"unknown option {unknown[0]!r}; see rnnstudio --help")
    options, extra = gui_parser().parse_known_args(ours)
    if extra:
        raise GuiArgumentError(f"unexpected {extra[0]!r}: the app opens one file or model")
    if options.file is not None:
        _check_target(options.file, commands)
    return options


def _check_target(word: str, commands: Sequence[str]) -> None:
    path = Path(word)
    if path.exists():
        return
    from .models_index import shipped_models

    try:
        names = [entry.key for entry in shipped_models()]
    except RnnStudioError:
        names = []
    if word in names:
        return
    close = difflib.get_close_matches(word, [*commands, *names], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if path.suffix or "/" in word or "\\" in word:
        raise GuiArgumentError(f"{word}: no such file{hint}")
    raise GuiArgumentError(f"{word!r} is not a command, a file or a shipped model{hint} "
                           f"(commands: {', '.join(commands)}; rnnstudio models lists the "
                           "models)")
