"""The command line's error contract beyond bad input: a bug is one line plus a log with
its traceback, Ctrl+C is 130, and text from files is escaped and bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from rnnstudio import app_info, cli, user_logs
from rnnstudio.cli import main
from rnnstudio.cli_errors import for_command_line
from rnnstudio.engine.model import Model, random_model
from rnnstudio.errors import ConfigError
from rnnstudio.io.model_files import save_model
from rnnstudio.limits import MAX_ERROR_LOG_BYTES
from rnnstudio.terminal import printable, printable_list

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "logs"
    monkeypatch.setenv(user_logs.LOG_DIR_VARIABLE, str(folder))
    return folder


def _failing(error: BaseException):  # type: ignore[no-untyped-def]
    def handler(options):  # type: ignore[no-untyped-def]
        raise error
    return handler


def test_a_bug_is_one_line_and_its_traceback_is_logged(logs: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "cmd_info", _failing(ZeroDivisionError("boom\nsecond line")))
    assert main(["info", "m.safetensors"]) == 1
    captured = capsys.readouterr()
    log = logs / user_logs.CLI_LOG_NAME
    assert captured.err.count("\n") == 1 and captured.out == ""
    assert captured.err.startswith("rnnstudio: internal error (ZeroDivisionError: boom), a bug "
                                   f"in RNN Studio; the traceback is in {log} ")
    assert app_info.ISSUES_URL in captured.err and "Traceback" not in captured.err
    text = log.read_text("utf-8")
    assert "command: rnnstudio info m.safetensors" in text
    assert "Traceback (most recent call last)" in text and "ZeroDivisionError: boom" in text
    assert app_info.version_line() in text


def test_out_of_memory_says_so(logs: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "cmd_info", _failing(MemoryError()))
    assert main(["info", "m.safetensors"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rnnstudio: out of memory; try a smaller model or text; the "
                          "traceback is in ") and err.count("\n") == 1


def test_the_log_is_rotated_and_falls_back_to_the_temporary_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    monkeypatch.setenv(user_logs.LOG_DIR_VARIABLE, str(folder))
    log = folder / user_logs.CLI_LOG_NAME
    log.write_text("x" * (MAX_ERROR_LOG_BYTES + 1))
    assert user_logs.log_bug(ValueError("one"), ["trace"]) == log
    assert (folder / (user_logs.CLI_LOG_NAME + ".1")).stat().st_size == MAX_ERROR_LOG_BYTES + 1
    assert log.stat().st_size < 2000 and "ValueError: one" in log.read_text()
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv(user_logs.LOG_DIR_VARIABLE, str(blocked))  # cannot be a folder
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path / "temp"))
    written = user_logs.log_bug(ValueError("two"), ["info"])
    assert written == tmp_path / "temp" / "rnnstudio" / user_logs.CLI_LOG_NAME
    assert "ValueError: two" in written.read_text()


def test_without_any_log_the_traceback_goes_to_stderr(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "cmd_info", _failing(KeyError("k")))
    monkeypatch.setattr("rnnstudio.cli_errors.log_bug", lambda error, argv: None)
    assert main(["info", "m"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("rnnstudio: internal error (KeyError: 'k'), a bug in RNN Studio; "
                          "the log could not be written, so here is the traceback:\n")
    assert "Traceback (most recent call last)" in err


def test_ctrl_c_is_130(logs: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "cmd_info", _failing(KeyboardInterrupt()))
    assert main(["info", "m"]) == 130
    assert capsys.readouterr().err == "rnnstudio: interrupted\n"
    assert not logs.exists()


def test_log_folder_is_the_one_qt_gives_the_app(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
           "XDG_DATA_HOME": str(tmp_path / "data")}
    env.pop(user_logs.LOG_DIR_VARIABLE, None)
    code = ("from PySide6.QtWidgets import QApplication\n"
            "from PySide6.QtCore import QStandardPaths as Q\n"
            "from rnnstudio.gui.desktop.identity import apply_identity\n"
            "from rnnstudio.user_logs import log_folder\n"
            "app = QApplication([]); apply_identity(app)\n"
            "print(Q.writableLocation(Q.StandardLocation.AppLocalDataLocation) + '/logs')\n"
            "print(log_folder())\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=True)
    from_qt, ours = result.stdout.splitlines()[-2:]
    assert Path(from_qt) == Path(ours) == tmp_path / "data" / "rnnstudio" / "RNN Studio" / "logs"


def test_a_flag_replaces_the_argument_only_where_the_message_starts() -> None:
    flags = {"hidden_size": "--hidden", "seed": "--seed"}
    error = ConfigError("hidden_size must be ..., got 0; hidden_size stays", "hidden_size")
    assert for_command_line(error, flags) == "--hidden must be ..., got 0; hidden_size stays"
    assert for_command_line(ConfigError("file: seed bad", "seed"), flags) == "file: seed bad"
    assert for_command_line(ConfigError("two\nlines"), flags) == "two"


def test_printable_escapes_and_cuts() -> None:
    assert printable("a\x1b]0;title\x07b\x1b[2J") == "a\\x1b]0;title\\x07b\\x1b[2J"
    assert printable("tab\tnew\nline\r") == "tab\\x09new\\x0aline\\x0d"
    assert printable("\u202eevil\u2028\x85\udcff") == "\\u202eevil\\u2028\\x85\\udcff"
    assert printable("héllo wörld 日本 🙂") == "héllo wörld 日本 🙂"
    assert printable("x" * 10_000_000) == "x" * 200 + "… (9,999,800 more characters)"
    assert printable("\x00" * 300, 10) == "\\x00" * 10 + "… (290 more characters)"
    assert printable_list([f"l{i}" for i in range(25)]) == ", ".join(
        f"l{i}" for i in range(20)) + " and 5 more"


def test_info_prints_a_hostile_card_escaped_and_bounded(tmp_path: Path, capsys) -> None:
    model = random_model("gru", 3, input_size=2)
    # (the loaders refuse card strings over 100,000 characters: io/config_fields.py)
    card = {"title": "\x1b]0;pwned\x07\x1b[2J", "big": "x" * 100_000,
            "nested": {"deep": ["\x1b[31m"]}, **{f"k{i:02d}": i for i in range(40)}}
    path = save_model(Model(replace(model.config, card=card), model.params),
                      tmp_path / "evil\x1b[2J.safetensors")
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "evil\\x1b[2J.safetensors" in out and len(out) < 10_000
    assert "card: big: " + "x" * 200 + "… (99,800 more characters)" in out
    assert "card: ... and 23 more entries (rnnstudio info --json shows them all)" in out
    assert main(["info", "--json", str(path)]) == 0  # everything, as ASCII-escaped JSON
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and json.loads(printed)["card"]["title"] == card["title"]
