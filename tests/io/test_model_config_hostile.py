"""Hostile model configurations: in a native file's metadata, an .npz ``config`` key, a
sidecar or the caller's options. Each wrong type, range, size or depth is one
:class:`ConfigError` line naming the file (or "options") and the key."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import safetensors.numpy
from hostile import MODEL, cli_refusal, refusal

from rnnstudio.errors import ConfigError
from rnnstudio.io.config_fields import MODEL_CHECKS, RECURRENT_CHECKS
from rnnstudio.io.config_sources import MAX_CONFIG_BYTES, MODEL_FIELDS, RECURRENT_FIELDS
from rnnstudio.io.model_files import load_model

Change = Callable[[dict[str, Any]], Any]


def _config() -> dict[str, Any]:
    return json.loads(json.dumps(MODEL.config.to_dict()))


def _native(path: Path, config_text: str) -> Path:
    metadata = {"rnnstudio": config_text, "rnnstudio_format": "1"}
    path.write_bytes(safetensors.numpy.save(MODEL.state_dict(), metadata=metadata))
    return path


def _set(*keys: str, value: Any) -> Change:
    def change(config: dict[str, Any]) -> None:
        place = config
        for key in keys[:-1]:
            place = place[key]
        place[keys[-1]] = value
    return change


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


CONFIG_CASES: dict[str, tuple[Change, str]] = {
    "vocabulary-5": (_set("vocabulary", value=5), '"vocabulary" must be a list of text, got 5'),
    "tokenizer-vocabulary-5": (_set("tokenizer", "vocabulary", value=5),
                               '"tokenizer.vocabulary" must be a list of text, got 5'),
    "vocabulary-numbers": (_set("vocabulary", value=[1, 2]), '"vocabulary" must be a list'),
    "hidden-text": (_set("recurrent", "hidden_size", value="8"),
                    '"hidden_size" must be a whole number from 1 to 65,536, got \'8\''),
    "hidden-float": (_set("recurrent", "hidden_size", value=6.0), '"hidden_size" must be'),
    "hidden-huge": (_set("recurrent", "hidden_size", value=10**400), '"hidden_size" must be'),
    "proj-text": (_set("recurrent", "proj_size", value="2"), '"proj_size" must be'),
    "layers-billion": (_set("recurrent", "num_layers", value=10**9),
                       '"num_layers" must be a whole number from 1 to 100'),
    "bias-text": (_set("recurrent", "bias", value="false"),
                  '"bias" must be true or false, got \'false\''),
    "cell-unknown": (_set("recurrent", "cell", value="transformer"),
                     '"cell" must be one of "rnn", "lstm", "gru"'),
    "recurrent-list": (_set("recurrent", value=[1]), "'recurrent' must be a JSON object"),
    "recurrent-unknown": (_set("recurrent", "hiden", value=3), "unknown recurrent key 'hiden'"),
    "unknown-key": (_set("\x1b[2Jevil", value=1),
                    re.escape(r"unknown configuration key '\x1b[2Jevil'")),
    "tokenizer-kind": (_set("tokenizer", "kind", value="bpe"), '"tokenizer.kind" must be one'),
    "tokenizer-number": (_set("tokenizer", value=7), '"tokenizer" must be "word", "char" or'),
    "tokenizer-unknown": (_set("tokenizer", "merges", value=[]), "unknown tokenizer key 'merges'"),
    "lowercase-text": (_set("tokenizer", "lowercase", value="yes"), '"tokenizer.lowercase"'),
    "labels-5": (_set("labels", value=5), '"labels" must be a list of text, got 5'),
    "task-unknown": (_set("task", value="regress"), '"task" must be one of'),
    "dtype-half": (_set("dtype", value="float16"), '"dtype" must be one of "float32"'),
    "embedding": (_set("embedding", value="lookup"), '"embedding" must be one of'),
    "card-list": (_set("card", value=[1, 2]), r'"card" must be an object, got \[1, 2\]'),
    "card-huge-string": (_set("card", "note", value="x" * 100_001),
                         '"card.note" must be at most 100,000 characters long'),
    "card-list-huge": (_set("card", "notes", value=["ok", "x" * 100_001]),
                       r'"card\.notes\[1\]" must be at most 100,000 characters long'),
    "card-huge-key": (_set("card", "k" * 100_001, value=1), '"card key" must be at most'),
    "card-deep": (_set("card", value=_nested(40)), "JSON nested 41 levels deep, more than the 32"),
    "token-huge": (_set("tokenizer", "vocabulary", value=["<unk>", "a" * 10_001]),
                   r'"tokenizer\.vocabulary\[1\]" must be at most 10,000 characters'),
    "token-surrogate": (_set("tokenizer", "vocabulary", value=["<unk>", "\ud800"]),
                        r"character 0 is an unpaired surrogate"),
    "token-twice-escaped": (_set("tokenizer", "vocabulary", value=[
        "<unk>", "the", "\x1b]0;pwned\x07", "\x1b]0;pwned\x07", "mat", ",", ".", "on"]),
        r"lists the token '\\x1b\]0;pwned\\x07' twice \(entries 2 and 3\)"),
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_metadata_with_wrong_types(tmp_path: Path, case: str) -> None:
    change, words = CONFIG_CASES[case]
    config = _config()
    change(config)
    path = _native(tmp_path / "m.safetensors", json.dumps(config))
    message = refusal(path, words, ConfigError)
    assert message.startswith(str(path)) and len(message) < 400, message
    assert not any(ord(char) < 32 for char in message), message


def test_a_card_nested_within_bounds_loads(tmp_path: Path) -> None:
    config = _config()
    config["card"] = {"runs": [[[{"score": [1, 2], "notes": {"by": "me"}}]]] * 2}
    path = _native(tmp_path / "m.safetensors", json.dumps(config))
    assert load_model(path).config.card == config["card"]


@pytest.mark.parametrize(("text", "words"), [
    ("[" * 100_000, "JSON nested 100000 levels deep, more than the 32 allowed"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", r"expected a JSON object \{\.\.\.\}, got list"),
    ('{"a": 1, "a": 2}', "key 'a' appears twice"),
    ('{"dtype": NaN}', "NaN is not a JSON number"),
    ("", "empty, where JSON was expected"),
    ('["a",' * 10 + '"b"' + "]" * 10, "expected a JSON object"),
    ("[" + "0," * 2_000_000 + "0]", "JSON with 2,000,001 values, more than the 2,000,000"),
], ids=["deep", "not-json", "list", "duplicate", "nan", "empty", "nested-list", "2m-values"])
def test_metadata_that_is_no_small_json_object(tmp_path: Path, text: str, words: str) -> None:
    path = _native(tmp_path / "m.safetensors", text)
    refusal(path, f"metadata 'rnnstudio': .*{words}", ConfigError)


def test_metadata_over_16_mb(tmp_path: Path) -> None:
    path = _native(tmp_path / "m.safetensors", " " * (MAX_CONFIG_BYTES + 1))
    refusal(path, "16,000,001 characters of JSON, more than the 16,000,000 allowed", ConfigError)


def test_npz_config_key_is_checked_alike(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    config = _config()
    config["recurrent"]["hidden_size"] = "6"
    np.savez(path, config=np.array(json.dumps(config)), **MODEL.state_dict())
    refusal(path, f"{path} metadata: \"hidden_size\" must be a whole number", ConfigError)
    np.savez(path, config=np.array("[" * 50_000), **MODEL.state_dict())
    refusal(path, "key 'config': JSON nested 50000 levels deep", ConfigError)
    cli_refusal(tmp_path, path, "nested 50000 levels deep")
    np.savez(path, config=np.array('{"card": "\ud800"}'), **MODEL.state_dict())
    refusal(path, r"key 'config': not UTF-8 text \(byte 0xed", ConfigError)


def _bare(tmp_path: Path) -> Path:
    path = tmp_path / "m.npz"
    np.savez(path, **{key: value for key, value in MODEL.state_dict().items()
                      if key.startswith("rnn.")})
    return path


@pytest.mark.parametrize(("content", "words"), [
    (b"[" * 200_000, "JSON nested 200000 levels deep"),
    (b'{"hidden_size": "6"}', '"hidden_size" must be a whole number'),
    (b'{"vocabulary": 5}', '"vocabulary" must be a list of text, got 5'),
    (b"[1]", r"expected a JSON object \{\.\.\.\}, got list"),
    (b"\xff\xfe{}", "not UTF-8 text"),
    (b"  ", "the file is empty"),
    (b'{"nonlinearity": "tanh", "nonlinearity": "relu"}', "appears twice"),
], ids=["deep", "hidden-text", "vocabulary-5", "list", "utf16", "blank", "duplicate"])
def test_hostile_sidecars(tmp_path: Path, content: bytes, words: str) -> None:
    path = _bare(tmp_path)
    sidecar = tmp_path / "m.json"
    sidecar.write_bytes(content)
    refusal(sidecar, words, ConfigError, read=lambda _: load_model(path))


def test_huge_sidecar_is_refused_unread(tmp_path: Path) -> None:
    path = _bare(tmp_path)
    sidecar = tmp_path / "m.json"
    sidecar.write_bytes(b"{")
    os.truncate(sidecar, MAX_CONFIG_BYTES + 1)  # sparse: nothing on disk
    refusal(sidecar, "16,000,001 bytes, more than the 16,000,000 allowed", ConfigError,
            read=lambda _: load_model(path))
    cli_refusal(tmp_path, path, "16,000,001 bytes", named=sidecar)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_named_like_the_sidecar_does_not_block(tmp_path: Path) -> None:
    path = _bare(tmp_path)
    os.mkfifo(tmp_path / "m.json")
    assert load_model(path).config.recurrent == MODEL.config.recurrent


@pytest.mark.parametrize(("options", "words"), [
    ({"hidden_size": "6"}, '"hidden_size" must be a whole number'),
    ({"num_layers": 1.5}, '"num_layers" must be a whole number'),
    ({"vocabulary": "abc"}, '"vocabulary" must be a list of text'),
    ({"card": {"self": None}}, ""),
], ids=["hidden-text", "layers-float", "vocabulary-text", "card-ok"])
def test_options_from_python_are_checked(tmp_path: Path, options: dict[str, Any],
                                         words: str) -> None:
    path = _native(tmp_path / "m.safetensors", json.dumps(_config()))
    if not words:
        cyclic: dict[str, Any] = {}
        cyclic["self"] = cyclic  # a card that nests forever must not hang the check
        with pytest.raises(ConfigError, match=r'"card\.self\.self.*nested at most 32'):
            load_model(path, card=cyclic)
        return
    with pytest.raises(ConfigError, match=f"^options: {words}"):
        load_model(path, **options)


def test_every_field_has_a_check() -> None:
    assert set(RECURRENT_CHECKS) == set(RECURRENT_FIELDS)
    assert set(MODEL_CHECKS) == set(MODEL_FIELDS)


def test_cli_shows_config_refusals_in_one_escaped_line(tmp_path: Path) -> None:
    config = _config()
    config["tokenizer"]["vocabulary"] = ["<unk>", "\x1b[2J", "\x1b[2J"]
    path = _native(tmp_path / "m.safetensors", json.dumps(config))
    cli_refusal(tmp_path, path, r"'\x1b[2J' twice")
    path = _native(tmp_path / "m.safetensors", "[" * 100_000)
    cli_refusal(tmp_path, path, "nested 100000 levels deep")
    assert sys.getrecursionlimit() < 100_000  # the depth check, not a lucky limit
