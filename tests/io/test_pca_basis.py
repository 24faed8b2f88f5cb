"""PCA basis files: a round trip in both forms, and refusals of damaged or foreign ones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnstudio import load_basis, random_model, save_basis
from rnnstudio.engine.trajectory import fit_pca, model_fingerprint
from rnnstudio.errors import ConfigError, ExportError


@pytest.fixture
def model():  # type: ignore[no-untyped-def]
    return random_model("lstm", hidden_size=10, seed=2)


def _basis(model, quantity: str = "h"):  # type: ignore[no-untyped-def]
    trace = model.trace("the quick brown fox jumps over the lazy dog")
    states = trace.layer(0).h if quantity == "h" else trace.layer(0).c
    return fit_pca(states, 3, quantity=quantity, fitted_on="corpus.txt",
                   fingerprint=model_fingerprint(model.params))


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_round_trip_is_exact(tmp_path: Path, model, suffix: str) -> None:  # type: ignore[no-untyped-def]
    basis = _basis(model, "c")
    path = save_basis(basis, tmp_path / f"basis{suffix}")
    again = load_basis(path, model)
    assert again == basis
    assert (again.fitted_on, again.tokens, again.quantity) == ("corpus.txt", 9, "c")
    states = np.random.default_rng(0).normal(size=(4, 10))
    np.testing.assert_array_equal(again.project(states), basis.project(states))
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left nothing behind


def test_npz_needs_no_pickle(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    path = save_basis(_basis(model), tmp_path / "basis.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert archive["components"].shape == (3, 10)
        assert json.loads(str(archive["meta"]))["format"] == "rnnstudio-pca-basis"


def test_another_model_is_refused(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    path = save_basis(_basis(model), tmp_path / "basis.json")
    with pytest.raises(ConfigError, match="has 12"):
        load_basis(path, random_model("lstm", hidden_size=12))
    with pytest.raises(ConfigError, match="fitted on another model"):
        load_basis(path, random_model("lstm", hidden_size=10, seed=3))
    with pytest.raises(ConfigError, match="only an LSTM has c"):
        load_basis(save_basis(_basis(model, "c"), tmp_path / "c.json"),
                   random_model("gru", hidden_size=10))


def _edited(tmp_path: Path, model, change) -> Path:  # type: ignore[no-untyped-def]
    path = save_basis(_basis(model), tmp_path / "basis.json")
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["components"].pop(), "mismatched shapes"),
    (lambda d: d["mean"].append(0.0), "mismatched shapes"),
    (lambda d: d.__setitem__("explained_variance", [1.0]), "mismatched shapes"),
    (lambda d: d["components"][0].__setitem__(0, 5.0), "not orthonormal"),
    (lambda d: d.__setitem__("format", "rnnstudio-trace"), "not an RNN Studio PCA basis"),
    (lambda d: d.__setitem__("layer", -1), '"layer" must be'),
    (lambda d: d.__setitem__("quantity", "f"), '"quantity" must be'),
    (lambda d: d.__setitem__("total_variance", 0.0), "sum to at most"),
    (lambda d: d.pop("mean"), "no mean array"),
    (lambda d: d.__setitem__("mean", ["a"] * 10), "array of numbers"),
])
def test_damaged_json_is_refused(tmp_path: Path, model, change, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ExportError, match=message):
        load_basis(_edited(tmp_path, model, change))


def test_corrupt_npz_and_wrong_extension(tmp_path: Path, model) -> None:  # type: ignore[no-untyped-def]
    path = save_basis(_basis(model), tmp_path / "basis.npz")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExportError, match="basis.npz"):
        load_basis(path)
    broken = tmp_path / "objects.npz"
    np.savez(broken, mean=np.array([object()], dtype=object))
    with pytest.raises(ExportError, match="objects.npz"):
        load_basis(broken)
    with pytest.raises(ExportError, match=".npz or .json"):
        save_basis(_basis(model), tmp_path / "basis.csv")
    (tmp_path / "empty.json").write_text("")
    with pytest.raises(ExportError, match="empty"):
        load_basis(tmp_path / "empty.json")
