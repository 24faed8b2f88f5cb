"""Model files: native and .npz round trips, inference from shapes, and every refusal."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from model_cases import VOCABULARY, assert_same_params, assert_same_trace, make_model

from rnnstudio.engine.model import Model
from rnnstudio.errors import ConfigError, ExportError, ModelFileError, ParameterError
from rnnstudio.io.model_files import convert_model, load_model, read_model, save_model


@pytest.mark.parametrize("extension", [".safetensors", ".npz"])
def test_round_trip_is_bit_exact(tmp_path: Path, model: Model, extension: str) -> None:
    path = save_model(model, tmp_path / f"m{extension}")
    loaded = read_model(path)
    assert loaded.model.config == model.config
    assert loaded.model.config.card == {"note": "test"}
    assert loaded.config_sources == (f"{path} metadata",)
    assert_same_params(model, loaded.model)
    assert_same_trace(model, loaded.model)


def test_native_metadata_layout(tmp_path: Path) -> None:
    model = make_model("lstm", vocabulary=VOCABULARY, task="next-token")
    path = save_model(model, tmp_path / "m.safetensors")
    data = path.read_bytes()
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    metadata = header["__metadata__"]
    assert metadata["rnnstudio_format"] == "1"
    config = json.loads(metadata["rnnstudio"])
    assert config["tokenizer"]["vocabulary"] == list(VOCABULARY)
    assert config["recurrent"]["cell"] == "lstm" and config["task"] == "next-token"
    assert set(safetensors.numpy.load(data)) == set(model.params)


def test_convert_chain_keeps_everything(tmp_path: Path, model: Model) -> None:
    first = save_model(model, tmp_path / "a.safetensors")
    convert_model(first, tmp_path / "b.npz")
    convert_model(tmp_path / "b.npz", tmp_path / "c.safetensors")
    final = load_model(tmp_path / "c.safetensors")
    assert final.config == model.config
    assert_same_params(model, final)


def _bare_npz(path: Path, model: Model, prefix: str = "") -> Path:
    """A state_dict without any config, as a user would write it by hand."""
    arrays = {
        prefix + name[4:] if name.startswith("rnn.") else name: value
        for name, value in model.params.items()
    }
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "case",
    [
        {"cell": "lstm"},
        {"cell": "lstm", "proj_size": 2, "num_layers": 3, "bidirectional": True},
        {"cell": "gru", "bias": False, "num_layers": 2},
        {"cell": "rnn", "nonlinearity": "tanh", "bidirectional": True},
    ],
    ids=["lstm", "lstm-proj-3layer-bidir", "gru-nobias-2layer", "rnn-bidir"],
)
def test_architecture_inferred_from_shapes(tmp_path: Path, case: dict) -> None:
    model = make_model(**case)
    path = _bare_npz(tmp_path / "bare.npz", model)
    overrides = {"nonlinearity": "tanh"} if case["cell"] == "rnn" else {}
    loaded = read_model(path, **overrides)
    assert loaded.model.config.recurrent == model.config.recurrent
    assert loaded.model.config.embedding == "hashed"
    assert loaded.model.config.tokenizer.open
    assert "weight shapes" in loaded.config_sources
    assert_same_params(model, loaded.model)
    assert_same_trace(model, loaded.model)


def test_rnn_nonlinearity_is_asked_for(tmp_path: Path) -> None:
    path = _bare_npz(tmp_path / "rnn.npz", make_model("rnn", nonlinearity="relu"))
    with pytest.raises(ConfigError, match="--nonlinearity tanh|relu") as info:
        load_model(path)
    assert str(path) in str(info.value)
    assert load_model(path, nonlinearity="relu").config.recurrent.nonlinearity == "relu"
    (tmp_path / "rnn.json").write_text('{"nonlinearity": "relu"}')
    loaded = read_model(path)
    assert loaded.model.config.recurrent.nonlinearity == "relu"
    assert loaded.config_sources[-2:] == (f"sidecar {tmp_path / 'rnn.json'}", "weight shapes")


def test_sidecar_vocabulary_and_priorities(tmp_path: Path) -> None:
    model = make_model("gru", vocabulary=VOCABULARY, task="next-token")
    path = _bare_npz(tmp_path / "m.npz", model, prefix="rnn.")
    with pytest.raises(ConfigError, match="no vocabulary") as info:
        load_model(path)
    assert "m.json" in str(info.value) and "\n" not in str(info.value)
    (tmp_path / "m.json").write_text(json.dumps({"tokenizer": {"kind": "word"},
                                                 "vocabulary": list(VOCABULARY),
                                                 "dtype": "float64"}))
    loaded = load_model(path)
    assert loaded.config.task == "next-token"  # head rows == vocabulary size
    assert loaded.config.dtype == "float64"  # the sidecar wins over the weights' dtype
    assert load_model(path, dtype="float32").config.dtype == "float32"  # options win
    assert_same_trace(model, load_model(path, dtype="float32"))


def test_head_without_vocabulary_match_is_a_classifier(tmp_path: Path) -> None:
    model = make_model("lstm", vocabulary=VOCABULARY, task="classify", labels=("a", "b"))
    path = _bare_npz(tmp_path / "m.npz", model, prefix="rnn.")
    (tmp_path / "m.json").write_text(json.dumps({"vocabulary": list(VOCABULARY)}))
    loaded = load_model(path)
    assert loaded.config.task == "classify" and loaded.config.labels == ("0", "1")
    (tmp_path / "m.json").write_text(json.dumps({"vocabulary": list(VOCABULARY),
                                                 "labels": ["a", "b"]}))
    assert load_model(path).config.labels == ("a", "b")


def test_foreign_safetensors_reads_like_a_state_dict(tmp_path: Path) -> None:
    model = make_model("lstm", bidirectional=True)
    path = tmp_path / "hub.safetensors"
    path.write_bytes(safetensors.numpy.save({"lstm." + k[4:]: v for k, v in model.params.items()}))
    loaded = read_model(path)
    assert loaded.format == "safetensors" and loaded.config_sources == ("weight shapes",)
    assert_same_params(model, loaded.model)


def _one_line(exc: pytest.ExceptionInfo, *words: str) -> None:
    message = str(exc.value)
    assert "\n" not in message
    for word in words:
        assert word in message, (word, message)


def test_missing_key_names_file_and_key(tmp_path: Path) -> None:
    model = make_model("lstm", num_layers=2)
    params = {k: v for k, v in model.params.items() if k != "rnn.weight_hh_l1"}
    path = tmp_path / "m.npz"
    np.savez(path, config=np.array(json.dumps(model.config.to_dict())), **params)
    with pytest.raises(ParameterError) as info:
        load_model(path)
    _one_line(info, str(path), "rnn.weight_hh_l1")


def test_wrong_shape_names_file_and_key(tmp_path: Path) -> None:
    model = make_model("gru")
    params = dict(model.params)
    params["rnn.bias_hh_l0"] = np.zeros(5, np.float32)
    path = tmp_path / "m.npz"
    np.savez(path, config=np.array(json.dumps(model.config.to_dict())), **params)
    with pytest.raises(ParameterError) as info:
        load_model(path)
    _one_line(info, str(path), "rnn.bias_hh_l0", "(5,)", "(18,)")
    with pytest.raises(ParameterError) as info:  # an option that contradicts the shapes
        load_model(save_model(model, tmp_path / "ok.safetensors"), hidden_size=7)
    _one_line(info, "ok.safetensors", "rnn.weight_ih_l0")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_weight_names_file_key_and_index(tmp_path: Path, bad: float) -> None:
    model = make_model("lstm")
    params = model.state_dict()
    params["rnn.weight_hh_l0"][3, 2] = bad
    path = tmp_path / "m.safetensors"
    path.write_bytes(safetensors.numpy.save(params))
    with pytest.raises(ParameterError) as info:
        load_model(path)
    _one_line(info, str(path), "rnn.weight_hh_l0", "(3, 2)", "finite")


@pytest.mark.parametrize("extension", [".safetensors", ".npz"])
@pytest.mark.parametrize("keep", [0.3, 0.9, 0.999])
def test_truncated_file_is_refused(tmp_path: Path, extension: str, keep: float) -> None:
    path = save_model(make_model("lstm", num_layers=2), tmp_path / f"m{extension}")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    _one_line(info, str(path), "truncated")


def test_corrupt_header_and_newer_format(tmp_path: Path) -> None:
    path = save_model(make_model("gru"), tmp_path / "m.safetensors")
    data = bytearray(path.read_bytes())
    data[9:20] = b"#" * 11
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="corrupt safetensors header"):
        load_model(path)
    model = make_model("gru")
    newer = tmp_path / "new.safetensors"
    newer.write_bytes(safetensors.numpy.save(
        dict(model.params), metadata={"rnnstudio": "{}", "rnnstudio_format": "99"}))
    with pytest.raises(ModelFileError, match="newer RNN Studio"):
        load_model(newer)


def test_config_mistakes_are_named(tmp_path: Path) -> None:
    path = _bare_npz(tmp_path / "m.npz", make_model("lstm"))
    (tmp_path / "m.json").write_text('{"hiden_size": 6}')
    with pytest.raises(ConfigError, match="'hiden_size'") as info:
        load_model(path)
    _one_line(info, "m.json")
    (tmp_path / "m.json").write_text("{oops")
    with pytest.raises(ConfigError, match="m.json: not valid JSON"):
        load_model(path)
    (tmp_path / "m.json").unlink()
    np.savez(path, **{"rnn.weight_ih_l0": np.zeros((24, 5)), "rnn.weight_hh_l0": np.zeros((20, 6))})
    with pytest.raises(ParameterError, match="20 rows for hidden size 6"):
        load_model(path)
    np.savez(path, encoder=np.zeros((3, 3)))
    with pytest.raises(ParameterError, match="missing key weight_ih_l0"):
        load_model(path)


def test_unexpected_keys_and_two_stacks(tmp_path: Path) -> None:
    model = make_model("lstm")
    path = tmp_path / "m.npz"
    np.savez(path, **dict(model.params), **{"decoder.weight": np.zeros(3)})
    loaded = read_model(path)  # no head: the recurrent part, and what was left out
    assert loaded.notes[-1].startswith("recurrent part only: 'decoder.weight' left out")
    width = model.config.recurrent.input_size  # as wide as the input: it may feed the RNN
    np.savez(path, **dict(model.params), **{"decoder.weight": np.zeros(width)})
    with pytest.raises(ParameterError, match="unexpected key 'decoder.weight'"):
        load_model(path)
    arrays = {**dict(model.params), **{"enc." + k[4:]: v for k, v in model.params.items()}}
    np.savez(path, **arrays)
    with pytest.raises(ParameterError, match="more than one recurrent stack"):
        load_model(path)


def test_save_refuses_other_extensions_and_bad_places(tmp_path: Path) -> None:
    model = make_model("rnn")
    with pytest.raises(ExportError, match=r"\.safetensors \(native\) or \.npz"):
        save_model(model, tmp_path / "m.pt")
    with pytest.raises(ExportError, match="does not exist"):
        save_model(model, tmp_path / "nowhere" / "m.safetensors")
    with pytest.raises(ExportError, match="convert to"):
        convert_model(tmp_path / "x.npz", tmp_path / "y.onnx")


def test_without_torch_points_at_convert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "m.pt"
    path.write_bytes(b"\x80\x02}q\x00.")  # a pickle stream: a pre-1.6 torch.save file
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert "PyTorch is not installed" in message and "rnnstudio convert" in message
    assert str(path) in message and "\n" not in message


def test_card_with_numpy_and_nonfinite_values_saves(tmp_path: Path) -> None:
    base = make_model("gru")
    card = {"gain": np.float32(0.5), "best": float("inf"), "shape": (2, 3)}
    model = Model(replace(base.config, card=card), base.params)
    for extension in (".safetensors", ".npz"):
        loaded = load_model(save_model(model, tmp_path / f"m{extension}"))
        assert loaded.config.card == {"gain": 0.5, "best": "Infinity", "shape": [2, 3]}


def test_a_model_is_not_saved_with_what_loading_would_refuse(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A card string over the readers' limit saved fine and then could not be opened."""
    from dataclasses import replace

    from rnnstudio.engine.model import Model, random_model
    from rnnstudio.errors import ConfigError
    from rnnstudio.io import load_model, save_model

    model = random_model("gru", 3, input_size=2)
    big = Model(replace(model.config, card={"notes": "x" * 200_000}), model.params)
    with pytest.raises(ConfigError, match=r"card\.notes.*at most 100,000 characters"):
        save_model(big, tmp_path / "big.safetensors")
    assert not (tmp_path / "big.safetensors").exists()
    fine = Model(replace(model.config, card={"notes": "x" * 99_000}), model.params)
    assert load_model(save_model(fine, tmp_path / "fine.npz")).config.card["notes"] == "x" * 99_000
