"""A Hugging Face style folder (model.safetensors + config.json + vocab file) opens as
one model whose traces equal the original's exactly."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from hostile import cli_refusal, refusal
from model_cases import TEXT, VOCABULARY, make_model

from rnnstudio import load_model as api_load_model
from rnnstudio.cli import main
from rnnstudio.engine.model import Model
from rnnstudio.errors import ConfigError, ModelFileError
from rnnstudio.io.model_files import read_model, save_model

MODEL = make_model("gru", vocabulary=VOCABULARY, task="next-token", num_layers=2)
#: The short config.json form: recurrent fields at the top level.
SHORT_CONFIG = {"cell": "gru", "hidden_size": 6, "input_size": 5, "num_layers": 2,
                "tokenizer": "word", "task": "next-token"}


def _folder(tmp_path: Path, *, native: bool, vocab: str = "vocab.txt") -> Path:
    folder = tmp_path / "hf-model"
    folder.mkdir()
    weights = folder / "model.safetensors"
    if native:  # RNN Studio's own file: config.json then holds its to_dict() form
        save_model(MODEL, weights)
        config = MODEL.config.to_dict()
        del config["tokenizer"]["vocabulary"]
    else:  # plain tensors, no metadata: everything comes from config.json + vocab
        safetensors.numpy.save_file(MODEL.state_dict(), str(weights))
        config = SHORT_CONFIG
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    if vocab == "vocab.txt":
        (folder / vocab).write_text("\n".join(VOCABULARY) + "\n", encoding="utf-8")
    else:  # {token: index}, written out of order: the indices decide the rows
        indices = {token: row for row, token in enumerate(VOCABULARY)}
        (folder / vocab).write_text(json.dumps(dict(reversed(indices.items()))))
    return folder


@pytest.mark.parametrize("native", [True, False], ids=["native", "plain"])
@pytest.mark.parametrize("vocab", ["vocab.txt", "vocab.json"])
def test_folder_opens_as_the_same_model(tmp_path: Path, native: bool, vocab: str) -> None:
    folder = _folder(tmp_path, native=native, vocab=vocab)
    loaded = read_model(folder)
    assert loaded.format == "folder"
    assert loaded.config_sources[0] == f"{folder / 'config.json'} and {vocab}"
    model = api_load_model(folder)
    assert isinstance(model, Model)
    assert model.tokenizer.vocabulary == VOCABULARY
    assert model.trace(TEXT) == MODEL.trace(TEXT)


def test_cli_info_and_trace_open_a_folder(tmp_path: Path) -> None:
    folder = _folder(tmp_path, native=False)
    out = tmp_path / "trace.npz"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["info", str(folder)]) == 0
        assert main(["trace", str(folder), "--text", TEXT, "--out", str(out)]) == 0
    assert "format: folder" in stdout.getvalue()
    with np.load(out, allow_pickle=False) as saved:
        np.testing.assert_array_equal(saved["l1.fwd.h"], MODEL.trace(TEXT).layer(1, "fwd").h)


@pytest.mark.parametrize("remove, missing", [
    (("model.safetensors",), "missing: model.safetensors"),
    (("config.json", "vocab.txt"), "missing: config.json, vocab.json, vocab.txt or tokenizer.json"),
])
def test_missing_pieces_are_named(tmp_path: Path, remove: tuple[str, ...], missing: str) -> None:
    folder = _folder(tmp_path, native=False)
    for name in remove:
        (folder / name).unlink()
    refusal(folder, missing, ModelFileError)
    cli_refusal(tmp_path, folder, missing)


def test_a_folder_without_vocabulary_takes_one_as_an_option(tmp_path: Path) -> None:
    """Refused with what to add, unless --vocab (or the window's Model details) gives it;
    the folder itself is left as it was."""
    folder = _folder(tmp_path, native=False)
    (folder / "vocab.txt").unlink()
    words = "has no vocab.json, vocab.txt or tokenizer.json: add one, or give it with --vocab"
    refusal(folder, words, ConfigError)
    cli_refusal(tmp_path, folder, words)
    before = sorted(path.name for path in folder.iterdir())
    loaded = read_model(folder, vocab=list(VOCABULARY))
    model = loaded.model
    assert loaded.config_sources[:2] == ("vocab", f"{folder / 'config.json'}")
    assert model.tokenizer.vocabulary == VOCABULARY
    np.testing.assert_array_equal(model.trace(TEXT).layer(1, "fwd").h,
                                  MODEL.trace(TEXT).layer(1, "fwd").h)
    assert sorted(path.name for path in folder.iterdir()) == before


@pytest.mark.parametrize("vocab_json, words", [
    ({"<unk>": 0, "the": 2}, "token 'the' has index 2; indices must be whole numbers 0..1"),
    ({"<unk>": 0, "the": True}, "token 'the' has index True"),
    ({"<unk>": 1, "the": 1}, "tokens '<unk>' and 'the' both have index 1"),
    (["<unk>", "the", "<unk>"], "the token '<unk>' is listed twice"),
    ({"tokens": "<unk>"}, "token 'tokens' has index '<unk>'"),
    ("<unk>", "expected a list of tokens"),
])
def test_bad_vocabularies_name_the_token(tmp_path: Path, vocab_json: object,
                                         words: str) -> None:
    folder = _folder(tmp_path, native=False)
    (folder / "vocab.txt").unlink()
    (folder / "vocab.json").write_text(json.dumps(vocab_json), encoding="utf-8")
    message = refusal(folder / "vocab.json", words, ConfigError, read=lambda _: load_folder(folder))
    assert "\n" not in message


def load_folder(folder: Path) -> Model:
    return api_load_model(folder)


def test_config_json_unknown_key_is_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path, native=False)
    (folder / "config.json").write_text(json.dumps({**SHORT_CONFIG, "hidden_dim": 6}))
    refusal(folder / "config.json", "unknown configuration key 'hidden_dim'", ConfigError,
            read=lambda _: load_folder(folder))
