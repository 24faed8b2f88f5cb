"""``rnnstudio [FILE | MODEL_NAME] [--text TEXT] [--lessons DIR] [--vocab FILE ...]``: the GUI's own
command line, checked before Qt starts (no Qt here).

A model file takes the options ``info`` and ``trace`` take (``--map``, ``--readout``,
``--vocab``, ``--labels`` ...: :func:`~rnnstudio.cli_model_file.add_model_file_options`);
they are read here, a vocabulary or labels file included, and become the window's
:class:`~rnnstudio.io.model_source.ModelSource` overrides (kept in session files), so a
bad one is a one-line error before any window opens.

A word that is no command, no file and no shipped model is a typo, not a file to open: it
used to start the GUI (and, headless, abort Qt with exit 134), or open the default model
in silence. Such a word, a path that does not exist, and an unknown option are one-line
errors with exit status 2; Qt's own single-dash options (``-platform``, ``-style`` ...)
still reach Qt.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .cli_errors import flag_names, for_command_line
from .cli_model_file import add_model_file_options, model_file_flags, model_file_overrides
from .errors import RnnStudioError

if TYPE_CHECKING:
    from .io.model_source import ModelSource

#: Options Qt itself reads from the command line (QGuiApplication / QApplication docs).
QT_OPTIONS_WITH_VALUE = ("-platform", "-platformpluginpath", "-platformtheme", "-plugin",
                         "-qwindowgeometry", "-qwindowicon", "-qwindowtitle", "-session",
                         "-style", "-stylesheet", "-display", "-geometry")
QT_FLAGS = ("-reverse", "-widgetcount", "-nograb", "-dograb", "-sync")


class GuiArgumentError(RnnStudioError):
    """The GUI's command line names something that does not exist."""


class _GuiParser(argparse.ArgumentParser):
    """A usage error (``--readout sideways``) is a :class:`GuiArgumentError`: one line."""

    def error(self, message: str) -> NoReturn:
        raise GuiArgumentError(f"{message}; see rnnstudio --help")


def gui_parser(version: str | None = None) -> argparse.ArgumentParser:
    """The app's options (with ``--version`` printing ``version`` when given)."""
    parser = _GuiParser(prog="rnnstudio", description="RNN Studio desktop app")
    parser.add_argument("file", nargs="?", help="a model, a session (.rnnstudio) or a trace "
                        "file to open, or the name of a shipped model (rnnstudio models)")
    parser.add_argument("--text", help="sentence to read at start")
    parser.add_argument("--lessons", metavar="DIR", help="a folder of lesson files (*.json) "
                        "to offer beside the shipped lessons (docs/lessons.md)")
    # Open the window, run one trace, export one PNG, exit 0 (packaging smoke test).
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    if version is not None:
        parser.add_argument("--version", action="version", version=version)
    add_model_file_options(parser.add_argument_group(
        "model file options", "complete or override a model file, as for rnnstudio info"))
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


def parse_gui_args(argv: Sequence[str], commands: Sequence[str],
                   version: str | None = None) -> argparse.Namespace:
    """The GUI's options, checked: raises :class:`GuiArgumentError` (one line) for an
    unknown option, a word that is neither a file nor a shipped model (with the command
    it may have meant), a path that does not exist, or a model-file option that is
    wrong or given without a model file. ``options.model_source`` is the model file
    with those options (:func:`model_file_source`), or None."""
    ours, _qt = split_qt_options(argv)
    parser = gui_parser(version)
    known = {flag for action in parser._actions for flag in action.option_strings}
    unknown = [word for word in ours if word.startswith("-") and word != "-"
               and word.split("=", 1)[0] not in known]
    if unknown:
        raise GuiArgumentError(f"unknown option {unknown[0]!r}; see rnnstudio --help")
    options, extra = parser.parse_known_args(ours)
    if extra:
        raise GuiArgumentError(f"unexpected {extra[0]!r}: the app opens one file or model")
    if options.file is not None:
        _check_target(options.file, commands)
    if options.lessons is not None:
        check_lesson_folder(options.lessons)
    options.model_source = model_file_source(options, flag_names(parser))
    return options


def model_file_source(options: argparse.Namespace,
                      flag_of: Mapping[str, str]) -> ModelSource | None:
    """``options.file`` as a model file with the model-file options given (a vocabulary
    or labels file read into the overrides), or None when none is given; a
    :class:`GuiArgumentError` naming the option when one is wrong or the file is no
    model file (a session, a trace, a shipped model); ``flag_of`` names the flag of
    each option (:func:`~rnnstudio.cli_errors.flag_names`)."""
    flags = model_file_flags(options, also=("readout",))
    if not flags:
        return None
    from .io.model_source import ModelSource
    from .io.name_map import check_key_map
    from .io.session_file import is_session_file
    from .io.sniff import is_trace_file

    path = options.file
    if path is None or not Path(path).exists() or is_session_file(path) or is_trace_file(path):
        raise GuiArgumentError(f"{flags} to a model file (rnnstudio MODEL_FILE "
                               f"{flags.split()[0]} ...), not {path or 'no file'}")
    try:
        return ModelSource.file(path, _config_fields(options), check_key_map(options.key_map))
    except RnnStudioError as exc:
        raise GuiArgumentError(for_command_line(exc, flag_of)) from None


def _config_fields(options: argparse.Namespace) -> dict[str, Any]:
    """The model-file options as configuration fields, as ``read_model`` lays them over
    the file: a vocabulary file's tokenizer first, the options beside it over it."""
    from .io.vocab_options import option_sources

    fields: dict[str, Any] = {}
    for data, _source in option_sources(model_file_overrides(options)).sources:
        kind = data.get("tokenizer")
        if isinstance(kind, str) and isinstance(fields.get("tokenizer"), dict):
            data = {**data, "tokenizer": {**fields["tokenizer"], "kind": kind}}
        fields.update(data)
    return fields


def check_lesson_folder(folder: str) -> None:
    """``--lessons DIR``: a folder holding at least one ``*.json`` file, else one line.
    The files themselves are read by the window, which names a broken one and loads the
    rest (docs/lessons.md)."""
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise GuiArgumentError(f"--lessons {folder}: "
                               f"{'not a folder' if path.exists() else 'no such folder'}; "
                               "give the folder that holds your lesson files")
    if not any(item.suffix == ".json" for item in path.iterdir()):
        raise GuiArgumentError(f"--lessons {folder}: no lesson files (*.json) in it; "
                               "docs/lessons.md shows one")


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
