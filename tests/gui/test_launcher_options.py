"""``rnnstudio MODEL --vocab ... --readout ...``: the launcher takes the model-file options
of ``info`` and ``trace``, checks them before any window, and the window opens the model
with them (and a session file keeps them)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

from rnnstudio.cli import COMMANDS, main
from rnnstudio.cli_gui import parse_gui_args
from rnnstudio.engine.model import random_model
from rnnstudio.gui.app import start
from rnnstudio.gui.session import Session
from rnnstudio.gui.settings import Settings
from rnnstudio.io.session_file import SessionFile, session_from_dict, session_to_dict

TOKENS = ["[UNK]", "[PAD]", "the", "film", "was", "good"]


@pytest.fixture
def state_dict_file(tmp_path: Path) -> Path:
    """A tutorial state_dict with an embedding named ``tok`` (no name RNN Studio knows),
    ``lstm`` and ``fc``, and no vocabulary: what only its user can complete."""
    model = random_model("lstm", hidden_size=8, input_size=4, seed=3)
    weights = {f"lstm.{key[4:]}": value for key, value in model.params.items()
               if key.startswith("rnn.")}
    generator = np.random.default_rng(0)
    weights["tok.weight"] = generator.normal(size=(len(TOKENS), 4)).astype(np.float32)
    weights["fc.weight"] = generator.normal(size=(2, 8)).astype(np.float32)
    weights["fc.bias"] = generator.normal(size=(2,)).astype(np.float32)
    path = tmp_path / "classifier.safetensors"
    path.write_bytes(safetensors.numpy.save(weights))
    (tmp_path / "vocab.txt").write_text("\n".join(TOKENS) + "\n", encoding="utf-8")
    return path


def test_the_window_opens_the_model_with_the_options(qtbot, state_dict_file: Path) -> None:  # type: ignore[no-untyped-def]
    vocab = state_dict_file.parent / "vocab.txt"
    options = parse_gui_args([str(state_dict_file), "--vocab", str(vocab), "--map",
                              "tok=embedding", "--readout", "mean", "--labels", "neg,pos",
                              "--no-lowercase", "--text", "the Film was good"], COMMANDS)
    session = Session()
    window = start(session, Settings(), options.file, options.text, options.model_source)
    qtbot.addWidget(window)
    try:
        config = session.model.config
        assert list(config.tokenizer.vocabulary) == TOKENS
        assert (config.readout, config.labels, config.tokenizer.unk) == (
            "mean", ("neg", "pos"), "[UNK]")
        assert session.trace.tokens == ["the", "Film", "was", "good"]
        assert list(session.trace.token_ids) == [2, 0, 4, 5]  # no lowercase: Film unknown
        saved = session_to_dict(SessionFile(model=session.source, text=session.text))
        assert saved["model"]["map"] == {"tok": "embedding"}
        assert saved["model"]["config"]["readout"] == "mean"
        reopened = session_from_dict(saved).model
        assert reopened == session.source and reopened.key_map == (("tok", "embedding"),)
        assert reopened.read().model.config == config
    finally:
        window.close()
        session.shutdown()


@pytest.mark.parametrize(("extra", "words"), [
    (["--vocab", "missing-vocab.txt"], "--vocab 'missing-vocab.txt': no such file"),
    (["--readout", "sideways"], "invalid choice: 'sideways'"),
    (["--map", "tok=eyes"], "--map 'tok=eyes': expected OLD=NEW"),
    (["--labels", "nothing"], "--labels 'nothing': no such file"),
])
def test_a_bad_option_is_one_line_and_no_window(  # type: ignore[no-untyped-def]
        monkeypatch, capsys, run_app, state_dict_file: Path, extra: list[str],
        words: str) -> None:
    monkeypatch.chdir(state_dict_file.parent)
    argv = [str(state_dict_file), *extra]
    started = []
    monkeypatch.setattr("rnnstudio.gui.app.MainWindow", lambda *a: started.append(a))
    assert run_app(argv) == 2  # rnnstudio-gui MODEL ...
    monkeypatch.setitem(sys.modules, "rnnstudio.gui.app", None)  # rnnstudio MODEL ...
    assert main(argv) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 2 and errors[0] == errors[1] and not started
    assert errors[0].startswith("rnnstudio: error: ") and words in errors[0], errors


def test_the_options_need_a_model_file(monkeypatch, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(sys.modules, "rnnstudio.gui.app", None)
    (tmp_path / "v.txt").write_text("[UNK]\n", encoding="utf-8")
    for argv in (["--vocab", str(tmp_path / "v.txt")], ["recall-gru", "--readout", "mean"]):
        assert main(argv) == 2
        error = capsys.readouterr().err
        assert "only applies to a model file" in error and error.count("\n") == 1
