"""Shell completion generated from the parser: every sub-command, every flag, the shipped
model names, and the completions bash (and zsh, when installed) really produce."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rnnstudio.cli import COMMANDS, build_parser, main
from rnnstudio.cli_completion import command_words, completion_script
from rnnstudio.errors import RnnStudioError
from rnnstudio.models_index import shipped_models

ROOT = Path(__file__).resolve().parents[1]
MODELS = [entry.key for entry in shipped_models()]


def _script(shell: str, *how: str) -> str:
    """The script as a user gets it: ``python -m rnnstudio`` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    words = how or ("--completion", shell)
    result = subprocess.run([sys.executable, "-m", "rnnstudio", *words], capture_output=True,
                            text=True, env=env, timeout=120, check=True)
    assert result.stderr == ""
    return result.stdout


def _flags_of(command: str) -> list[str]:
    """Every flag of a sub-command, read from argparse independently of the module."""
    parser = build_parser()
    (commands,) = [action for action in parser._actions
                   if isinstance(action, argparse._SubParsersAction)]
    return [flag for action in commands.choices[command]._actions
            for flag in action.option_strings]


def _complete(script: Path, words: list[str], folder: Path) -> list[str]:
    """What ``_rnnstudio`` offers for the last of ``words`` (bash, in ``folder``)."""
    quoted = " ".join(f"'{word}'" for word in words)
    code = (f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
            '_rnnstudio; printf "%s\\n" "${COMPREPLY[@]}"')
    result = subprocess.run(["bash", "--norc", "-c", code], cwd=folder, capture_output=True,
                            text=True, timeout=30, check=True)
    return [line for line in result.stdout.splitlines() if line]


def test_the_bash_script_holds_every_command_flag_and_model() -> None:
    script = _script("bash")
    assert script == _script("bash", "completion", "bash")  # both spellings
    assert set(COMMANDS) == {"trace", "attribute", "generate", "stats", "info", "convert",
                             "plot", "animate", "train", "models", "completion", "trajectory",
                             "corpus"}
    for word in [*COMMANDS, *_flags_of("trace"), *MODELS]:
        assert word in script, word
    trace = next(entry for entry in command_words(build_parser()) if entry.name == "trace")
    assert list(trace.flags) == _flags_of("trace")
    assert trace.choices["--cell"] == ("rnn", "lstm", "gru") and trace.takes_model


def test_bash_completes_commands_flags_values_and_models(tmp_path: Path) -> None:
    script = tmp_path / "rnnstudio.bash"
    script.write_text(_script("bash"), encoding="utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _complete(script, ["rnnstudio", "tr"], empty) == ["trace", "trajectory", "train"]
    assert _complete(script, ["rnnstudio", "trace", "--gr"], empty) == ["--grad-dtype"]
    assert _complete(script, ["rnnstudio", "trace", "--cell", ""], empty) == [
        "rnn", "lstm", "gru"]
    assert _complete(script, ["rnnstudio", "info", "sentiment-"], empty) == [
        "sentiment-rnn", "sentiment-lstm", "sentiment-gru"]
    assert _complete(script, ["rnnstudio", "trace", "--hidden", ""], empty) == []
    assert _complete(script, ["rnnstudio", "--completion", ""], empty) == ["bash", "zsh"]
    assert _complete(script, ["rnnstudio", "completion", "z"], empty) == ["zsh"]
    assert _complete(script, ["rnnstudio", "train", "--"], empty) == [
        flag for flag in _flags_of("train") if flag.startswith("--")]
    (empty / "mine.safetensors").write_bytes(b"")
    assert _complete(script, ["rnnstudio", "trace", "mi"], empty) == ["mine.safetensors"]
    assert _complete(script, ["rnnstudio", "trace", "--out", "m"], empty) == [
        "mine.safetensors"]


def test_bash_completes_the_sub_commands_of_a_command_and_their_flags(
        tmp_path: Path) -> None:
    """``corpus`` has sub-commands of its own: each completes its own flags, values and
    models, and a flag of one is not offered for another."""
    script = tmp_path / "rnnstudio.bash"
    script.write_text(_script("bash"), encoding="utf-8")
    assert _complete(script, ["rnnstudio", "corpus", ""], tmp_path) == [
        "index", "info", "search", "top"]
    assert _complete(script, ["rnnstudio", "corpus", "index", "--j"], tmp_path) == ["--jobs"]
    assert _complete(script, ["rnnstudio", "corpus", "search", "--j"], tmp_path) == ["--json"]
    assert _complete(script, ["rnnstudio", "corpus", "index", "--cell", ""], tmp_path) == [
        "rnn", "lstm", "gru"]
    assert _complete(script, ["rnnstudio", "corpus", "index", "--jobs", ""], tmp_path) == []
    assert _complete(script, ["rnnstudio", "corpus", "index", "charlm-"], tmp_path) == [
        name for name in MODELS if name.startswith("charlm-")]
    corpus = next(entry for entry in command_words(build_parser())
                  if entry.name == "corpus top")
    assert "--unit" in corpus.flags and "--jobs" not in corpus.flags


def test_zsh_script_parses_and_completes(tmp_path: Path) -> None:
    script = tmp_path / "rnnstudio.zsh"
    script.write_text(_script("zsh"), encoding="utf-8")
    assert script.read_text().startswith("#compdef rnnstudio\n")
    if shutil.which("zsh") is None:
        pytest.skip("zsh is not installed: only the script's text is checked")
    subprocess.run(["zsh", "-n", str(script)], check=True, timeout=30)
    # zsh's own matching filters by prefix later: the function offers the candidates.
    code = (f"source {script}; emulate sh -c 'COMP_WORDS=(rnnstudio trace --cell \"\"); "
            "COMP_CWORD=3; _rnnstudio; echo ${COMPREPLY[@]}'")
    result = subprocess.run(["zsh", "-f", "-c", code], capture_output=True, text=True,
                            timeout=30, check=True, env={**os.environ, "HOME": str(tmp_path)})
    assert result.stdout.split() == ["rnn", "lstm", "gru"]


def test_an_unknown_shell_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "fish"]) == 2
    assert "invalid choice: 'fish'" in capsys.readouterr().err
    with pytest.raises(RnnStudioError, match="use bash or zsh"):
        completion_script(build_parser(), "fish")
