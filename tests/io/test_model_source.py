"""ModelSource and RandomModelSpec: one checked value per model origin, loaded on demand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from rnnstudio.engine.model import random_model
from rnnstudio.errors import ConfigError, ModelFileError, RnnStudioError
from rnnstudio.io import ModelSource, RandomModelSpec, save_model
from rnnstudio.io.model_source import MAX_RANDOM_PARAMETERS, load_shipped_model
from rnnstudio.models_index import (
    check_compare_keys,
    find_model,
    shipped_models,
    shipped_title,
)


def test_spec_round_trips_through_its_dict_and_describes_itself() -> None:
    spec = RandomModelSpec(cell="rnn", hidden_size=7, nonlinearity="relu", num_layers=2,
                           bidirectional=True, seed=3, gain=1.5, dtype="float64",
                           input_size=5)
    assert RandomModelSpec.from_dict(spec.to_dict()) == spec
    assert RandomModelSpec.from_dict({"cell": "gru"}) == RandomModelSpec(cell="gru")
    assert spec.describe() == "random RNN (relu) 2x7 bidirectional, seed 3, gain 1.5"


@pytest.mark.parametrize(("values", "key", "shown"), [
    ({"cell": "transformer"}, "cell", "'transformer'"),
    ({"nonlinearity": "sigmoid"}, "nonlinearity", "'sigmoid'"),
    ({"hidden_size": 0}, "hidden_size", "0"),
    ({"hidden_size": 1025}, "hidden_size", "1025"),
    ({"hidden_size": "32"}, "hidden_size", "'32'"),
    ({"num_layers": 9}, "num_layers", "9"),
    ({"seed": -1}, "seed", "-1"),
    ({"seed": 1.5}, "seed", "1.5"),
    ({"seed": True}, "seed", "True"),
    ({"gain": math.nan}, "gain", "nan"),
    ({"gain": "1"}, "gain", "'1'"),
    ({"dtype": "float16"}, "dtype", "'float16'"),
    ({"input_size": 0}, "input_size", "0"),
    ({"bidirectional": 1}, "bidirectional", "1"),
])
def test_spec_values_out_of_range_are_refused_naming_key_and_value(
        values: dict, key: str, shown: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RandomModelSpec.from_dict(values, "s.rnnstudio: model.random")
    message = str(caught.value)
    assert message.startswith(f's.rnnstudio: model.random: "{key}" must be ')
    assert f"got {shown};" in message and "\n" not in message


def test_spec_unknown_keys_and_non_objects_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"unknown key\(s\) 'proj_size'; known: cell, "):
        RandomModelSpec.from_dict({"proj_size": 2})
    with pytest.raises(ConfigError, match="must be an object of random-model settings, got "
                                          "list"):
        RandomModelSpec.from_dict([1, 2])


def test_parameter_count_matches_the_built_model_and_bounds_it_before_building() -> None:
    for spec in (RandomModelSpec(), RandomModelSpec(cell="gru", hidden_size=5, num_layers=3,
                                                    bidirectional=True, input_size=4),
                 RandomModelSpec(cell="rnn", hidden_size=6)):
        built = spec.build()
        assert spec.parameter_count() == sum(v.size for v in built.state_dict().values())
    huge = RandomModelSpec(hidden_size=1024, num_layers=8, bidirectional=True)
    assert huge.parameter_count() > MAX_RANDOM_PARAMETERS
    with pytest.raises(ConfigError, match=r"has 184,811,520 parameters, more than the "
                                          r"20,000,000 allowed; use fewer units or layers"):
        huge.build()


def test_build_is_the_engines_random_model() -> None:
    spec = RandomModelSpec(cell="gru", hidden_size=6, seed=9, gain=0.5, dtype="float64")
    expected = random_model("gru", 6, seed=9, gain=0.5, dtype="float64")
    built = spec.build()
    assert built.config == expected.config
    for name, weight in expected.state_dict().items():
        np.testing.assert_array_equal(built.state_dict()[name], weight)


def test_sources_are_exactly_one_kind_with_a_title(tmp_path: Path) -> None:
    spec = RandomModelSpec(hidden_size=8)
    sources = {
        "shipped": ModelSource.shipped("recall-gru"),
        "file": ModelSource.file(tmp_path / "m.safetensors"),
        "random": ModelSource.random(spec),
        "in-memory": ModelSource.in_memory("trained GRU, 3 epochs"),
    }
    assert {kind: source.kind for kind, source in sources.items()} == {
        kind: kind for kind in sources}
    assert [source.title for source in sources.values()] == [
        "Recall across a gap (GRU)", "m.safetensors", spec.describe(), "trained GRU, 3 epochs"]
    assert len(set(sources.values())) == 4  # hashable, and unequal across kinds
    assert ModelSource.shipped("recall-gru") == sources["shipped"]
    with pytest.raises(ConfigError, match="exactly one of"):
        ModelSource(key="recall-gru", path=tmp_path)
    with pytest.raises(ConfigError, match="exactly one of"):
        ModelSource()


def test_file_sources_are_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert ModelSource.file("m.npz").path == tmp_path / "m.npz"
    assert ModelSource.file("m.npz") == ModelSource.file(tmp_path / "m.npz")


@pytest.mark.parametrize(("build", "key"), [
    (lambda: ModelSource.shipped("../models/x.safetensors"), "key"),
    (lambda: ModelSource.shipped(""), "key"),
    (lambda: ModelSource.file(""), "path"),
    (lambda: ModelSource.file("a\x00b.npz"), "path"),
    (lambda: ModelSource.random({"cell": "gru"}), "spec"),  # type: ignore[arg-type]
    (lambda: ModelSource.random(RandomModelSpec(hidden_size=0)), "hidden_size"),
    (lambda: ModelSource.in_memory(""), "memory_title"),
])
def test_invalid_sources_are_refused(build, key: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=f'"{key}" must be'):
        build()


def test_random_sources_hold_the_checked_spec() -> None:
    source = ModelSource.random(RandomModelSpec(gain=2, seed=np.int64(4)))
    assert source.spec is not None
    assert (type(source.spec.gain), type(source.spec.seed)) == (float, int)


def test_load_each_kind(tmp_path: Path) -> None:
    shipped = ModelSource.shipped("recall-gru").load()
    assert shipped.config.recurrent.cell == "gru" and shipped.config.task is not None
    spec = RandomModelSpec(cell="rnn", hidden_size=5, seed=2)
    random = ModelSource.random(spec).load()
    assert random.config.recurrent.hidden_size == 5
    path = save_model(random, tmp_path / "five.safetensors")
    loaded = ModelSource.file(path).load()
    np.testing.assert_array_equal(loaded.state_dict()["rnn.weight_hh_l0"],
                                  random.state_dict()["rnn.weight_hh_l0"])
    with pytest.raises(ModelFileError, match=r"'trained' was trained in this window and has "
                                             "no file to read; save it as a model file"):
        ModelSource.in_memory("trained").load()
    with pytest.raises(ModelFileError, match="gone.npz: no such file; check the path"):
        ModelSource.file(tmp_path / "gone.npz").load()
    with pytest.raises(RnnStudioError, match="no shipped model 'nope-gru': use one of "
                                             "recall-rnn, "):
        ModelSource.shipped("nope-gru").load()


def test_shipped_models_are_cached_by_key() -> None:
    first = ModelSource.shipped("idioms-lstm").load()
    assert ModelSource.shipped("idioms-lstm").load() is first
    assert load_shipped_model("idioms-lstm") is first
    assert ModelSource.shipped("idioms-gru").load() is not first


def test_sample_text_and_titles_of_unknown_keys() -> None:
    assert ModelSource.shipped("charlm-gru").sample_text() == find_model("charlm-gru").sample
    assert ModelSource.random(RandomModelSpec()).sample_text() is None
    assert ModelSource.shipped("gone-lstm").sample_text() is None
    assert ModelSource.shipped("gone-lstm").title == "gone-lstm"  # never raises
    assert shipped_title("recall-lstm") == "Recall across a gap (LSTM)"


def test_compare_keys() -> None:
    known = [entry.key for entry in shipped_models()]
    check_compare_keys(("recall-rnn", "idioms-gru"))
    for keys, problem in ((("recall-rnn", "nope"), "unknown model 'nope'"),
                          ((), "0 models, not 1 to 4"),
                          (tuple(known[:5]), "5 models, not 1 to 4")):
        with pytest.raises(RnnStudioError) as caught:
            check_compare_keys(keys)
        assert str(caught.value) == (f"cannot compare {problem}: choose 1 to 4 of "
                                     f"{', '.join(known)}")
