"""Broken and hostile Keras files: one line naming the file and what is wrong, before
anything large is allocated. Needs h5py only (the files are edited copies of the
fixtures)."""

from __future__ import annotations

import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hostile import cli_refusal, refusal
from keras_cases import VOCABULARY, unpack_models

from rnnstudio import load_model
from rnnstudio.errors import ConfigError, ModelFileError
from rnnstudio.io.sniff import KERAS, KERAS_H5, NPZ, model_format

h5py = pytest.importorskip("h5py")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack_models(tmp_path_factory.mktemp("keras"))


def rewritten(source: Path, target: Path, edit: Callable[[dict[str, Any]], None] | None = None,
              drop: str | None = None, extra: dict[str, bytes] | None = None) -> Path:
    """A copy of the ``.keras`` archive ``source`` whose config.json went through
    ``edit``, without the member ``drop`` and with ``extra`` members."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist() if name != drop}
    if edit is not None and "config.json" in members:
        config = json.loads(members["config.json"])
        edit(config)
        members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in {**members, **(extra or {})}.items():
            archive.writestr(name, data)
    return target


def with_embedding_replaced(models: Path, tmp_path: Path,
                            replace: Callable[[Any, str], object]) -> Path:
    """A copy of ``lstm.h5`` whose embedding array ``replace(group, name)`` recreated."""
    path = tmp_path / "m.h5"
    path.write_bytes((models / "lstm.h5").read_bytes())
    with h5py.File(path, "a") as weights:
        group = weights["model_weights/embedding"]
        name = group.attrs["weight_names"][0]
        del group[name]
        replace(group, name)
    return path


def layer(config: dict[str, Any], class_name: str) -> dict[str, Any]:
    return next(entry for entry in config["config"]["layers"]
                if entry["class_name"] == class_name)


def test_a_truncated_archive(models: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.keras"
    data = (models / "lstm.keras").read_bytes()
    path.write_bytes(data[:len(data) // 2])
    refusal(path, r"truncated or corrupt", ModelFileError)


def test_missing_weights(models: Path, tmp_path: Path) -> None:
    path = rewritten(models / "lstm.keras", tmp_path / "m.keras", drop="model.weights.h5")
    refusal(path, r"a \.keras archive without model\.weights\.h5; save the model again",
            ModelFileError)


def test_a_zip_bomb_is_refused_before_it_is_read(models: Path, tmp_path: Path) -> None:
    bomb = {"model.weights.h5": bytes(40_000_000)}  # deflates to about 40 KB
    path = rewritten(models / "lstm.keras", tmp_path / "m.keras", drop="model.weights.h5",
                     extra=bomb)
    assert path.stat().st_size < 200_000
    refusal(path, r"would expand to 40,0\d\d,\d\d\d bytes, more than 256 times", ModelFileError)


def test_an_unknown_layer_is_named(models: Path, tmp_path: Path) -> None:
    def to_conv(config: dict[str, Any]) -> None:
        layer(config, "Dense")["class_name"] = "Conv1D"

    path = rewritten(models / "lstm.keras", tmp_path / "m.keras", to_conv)
    refusal(path, r"Keras layer Conv1D \('dense.*'\) is not read by RNN Studio; it reads "
            r"InputLayer, Embedding", ModelFileError)
    path.with_suffix(".json").write_text(json.dumps({"vocabulary": VOCABULARY}))
    cli_refusal(tmp_path, path, "Conv1D")


def test_a_lambda_layer_is_never_run(models: Path, tmp_path: Path) -> None:
    def to_lambda(config: dict[str, Any]) -> None:
        dense = layer(config, "Dense")
        dense["class_name"] = "Lambda"
        dense["config"]["function"] = {"class_name": "__lambda__", "config": {
            "code": "4wEAAAAAAAAA", "defaults": None, "closure": None}}

    path = rewritten(models / "lstm.keras", tmp_path / "m.keras", to_lambda)
    refusal(path, r"layer Lambda .* holds Python code, which RNN Studio never runs",
            ModelFileError)


@pytest.mark.parametrize("units", [10**9, -3, "3", None])
def test_absurd_sizes_are_refused_before_reading(models: Path, tmp_path: Path,
                                                 units: object) -> None:
    def resize(config: dict[str, Any]) -> None:
        layer(config, "LSTM")["config"]["units"] = units

    path = rewritten(models / "lstm.keras", tmp_path / "m.keras", resize)
    refusal(path, rf"layer 'lstm.*' has units {units!r}; RNN Studio reads 1 to 4,096",
            ModelFileError)


def test_weights_unlike_the_configuration(models: Path, tmp_path: Path) -> None:
    def resize(config: dict[str, Any]) -> None:
        layer(config, "LSTM")["config"]["units"] = 5

    path = rewritten(models / "lstm.keras", tmp_path / "m.keras", resize)
    refusal(path, r"layer 'lstm.*' weight 0 has shape \(4, 12\), expected \(4, 20\) from "
            r"the model's configuration", ModelFileError)


def test_a_hard_sigmoid_gate_is_refused(models: Path, tmp_path: Path) -> None:
    def hard(config: dict[str, Any]) -> None:
        layer(config, "LSTM")["config"]["recurrent_activation"] = "hard_sigmoid"

    path = rewritten(models / "lstm.keras", tmp_path / "m.keras", hard)
    refusal(path, r"recurrent_activation 'hard_sigmoid'; RNN Studio's gates use the logistic "
            r"sigmoid", ModelFileError)


def test_an_h5_file_without_a_model(tmp_path: Path) -> None:
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as weights:
        weights["kernel"] = np.zeros((3, 4), np.float32)
    refusal(path, r"an HDF5 file without a Keras model_config \(weights only, or not Keras\)",
            ModelFileError)


def test_a_truncated_h5_file(models: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.h5"
    path.write_bytes((models / "bilstm.h5").read_bytes()[:3000])
    refusal(path, r"truncated or corrupt HDF5 weights", ModelFileError)


def test_an_h5_dataset_claiming_more_than_the_file(tmp_path: Path, models: Path) -> None:
    """A dataset never written reads as fill values of any size: the shape must be the
    configuration's, which is bounded, before a byte is read."""
    path = with_embedding_replaced(
        models, tmp_path, lambda group, name: group.create_dataset(
            name, shape=(100_000, 100_000), dtype="f4"))
    refusal(path, r"weight 0 has shape \(100000, 100000\), expected \(12, 4\)", ModelFileError)


def test_without_h5py_the_message_says_what_to_install(
        models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h5py", None)
    for name in ("lstm.keras", "lstm.h5"):
        refusal(models / name, r'a Keras file, and h5py is not installed here: pip install '
                r'"rnnstudio\[keras\]"', ModelFileError)


def test_vocabularies_that_do_not_fit(models: Path) -> None:
    refusal(models / "lstm.keras", r"the vocabulary has 11 tokens but embedding\.weight 12 "
            r"rows, one per token", ConfigError,
            lambda path: load_model(path, vocabulary=VOCABULARY[:-1]))
    refusal(models / "lstm.keras", r"has an embedding table \(12 tokens\) but no vocabulary",
            ConfigError)


def test_the_content_decides_the_format(models: Path, tmp_path: Path) -> None:
    """A .keras archive is told from an .npz and a PyTorch zip by its members, an .h5
    by HDF5's signature, whatever the extension says."""
    for source, renamed, expected in (("lstm.keras", "lstm.npz", KERAS),
                                      ("lstm.h5", "lstm.pt", KERAS_H5)):
        path = tmp_path / renamed
        path.write_bytes((models / source).read_bytes())
        assert model_format(path) == expected
        assert load_model(path, vocabulary=VOCABULARY).state_dict().keys() == \
            load_model(models / source, vocabulary=VOCABULARY).state_dict().keys()
    npz = tmp_path / "arrays.keras"
    with npz.open("wb") as stream:
        np.savez(stream, weight=np.zeros(3))
    assert model_format(npz) == NPZ


def test_a_weight_that_is_a_group(models: Path, tmp_path: Path) -> None:
    path = with_embedding_replaced(models, tmp_path,
                                   lambda group, name: group.create_group(name))
    refusal(path, r"layer 'embedding' lists a weight that is no array", ModelFileError)
