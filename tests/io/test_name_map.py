"""Recognising the parts of a tutorial model's state_dict by name, without torch: the
arrays have the shapes nn.Embedding, nn.LSTM and nn.Linear give them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnstudio.cli import main
from rnnstudio.errors import ConfigError, ParameterError
from rnnstudio.io.model_files import load_model, read_model
from rnnstudio.io.name_map import check_key_map, map_names

VOCAB, INPUT, HIDDEN, CLASSES = 7, 4, 5, 3
PATH = Path("m.pt")


def lstm_keys(prefix: str, layers: int = 2) -> dict[str, np.ndarray]:
    """nn.LSTM(INPUT, HIDDEN, num_layers=layers) as its state_dict names it."""
    rng = np.random.default_rng(0)
    keys = {}
    for layer in range(layers):
        inputs = INPUT if layer == 0 else HIDDEN
        keys[f"{prefix}weight_ih_l{layer}"] = rng.normal(size=(4 * HIDDEN, inputs))
        keys[f"{prefix}weight_hh_l{layer}"] = rng.normal(size=(4 * HIDDEN, HIDDEN))
        keys[f"{prefix}bias_ih_l{layer}"] = rng.normal(size=4 * HIDDEN)
        keys[f"{prefix}bias_hh_l{layer}"] = rng.normal(size=4 * HIDDEN)
    return keys


def embedding(name: str) -> dict[str, np.ndarray]:
    return {f"{name}.weight": np.ones((VOCAB, INPUT))}


def linear(name: str, rows: int = CLASSES, columns: int = HIDDEN) -> dict[str, np.ndarray]:
    return {f"{name}.weight": np.ones((rows, columns)), f"{name}.bias": np.ones(rows)}


@pytest.mark.parametrize(("embed", "rnn", "head"), [
    ("embed", "lstm", "fc"),              # the usual tutorial
    ("encoder", "rnn", "decoder"),        # PyTorch's word_language_model
    ("emb", "gru", "fc.1"),               # fc = nn.Sequential(nn.Dropout(0.1), nn.Linear)
    ("word_embeddings", "lstm", "hidden2tag"),  # the sequence-tagging tutorial
    ("embeddings", "encoder_rnn", "classifier.2"),
    ("embedding", "rnn", "head"),         # RNN Studio's own names: nothing renamed
])
def test_tutorial_names_are_recognised(embed: str, rnn: str, head: str) -> None:
    params = {**embedding(embed), **lstm_keys(rnn + "."), **linear(head)}
    renamed = map_names(params, PATH)
    assert sorted(renamed.params) == sorted(
        ["embedding.weight", "head.weight", "head.bias",
         *(f"rnn.{key[len(rnn) + 1:]}" for key in lstm_keys(rnn + "."))])
    assert renamed.params["head.weight"] is params[f"{head}.weight"]
    expected = [(embed, "embedding"), (rnn, "rnn"), (head, "head")]
    assert renamed.names == tuple(pair for pair in expected if pair[0] != pair[1])


def test_wrapper_prefix_and_bare_stack() -> None:
    params = {**embedding("module.embed"), **lstm_keys("module.lstm."),
              **linear("module.out")}
    renamed = map_names(params, PATH)
    assert renamed.names == (("module.embed", "embedding"), ("module.lstm", "rnn"),
                             ("module.out", "head"))
    bare = map_names(lstm_keys(""), PATH)
    assert bare.names == () and sorted(bare.params) == sorted(
        "rnn." + key for key in lstm_keys(""))


def test_an_encoder_with_a_bias_is_no_embedding() -> None:
    """``encoder`` is an embedding only as an nn.Embedding (2-D weight, no bias); a
    Linear as wide as the RNN's input may feed it, so it is refused, never left out."""
    params = {**linear("encoder", INPUT, 3), **lstm_keys("rnn."), **linear("decoder")}
    with pytest.raises(ParameterError,
                       match=r"unexpected keys 'encoder\.bias', 'encoder\.weight'.*"
                             r"'encoder\.bias' is as wide as the RNN's input.*--map"):
        map_names(params, PATH)


def test_a_sequential_with_two_linears_loads_as_the_recurrent_part_only() -> None:
    params = {**embedding("embed"), **lstm_keys("lstm."), **linear("fc.0", HIDDEN),
              **linear("fc.2")}
    renamed = map_names(params, PATH)
    assert renamed.head_left_out
    assert renamed.left_out == ("fc.0.bias", "fc.0.weight", "fc.2.bias", "fc.2.weight")
    assert not [key for key in renamed.params if key.startswith("head.")]
    assert renamed.names == (("embed", "embedding"), ("lstm", "rnn"))
    assert renamed.note() == (
        "recurrent part only: 'fc.0.bias', 'fc.0.weight', 'fc.2.bias', 'fc.2.weight' left "
        "out (the engine reads one Linear head), so the states are the model's own and "
        "there is no verdict; if one Linear is the whole head, name it with --map NAME=head")


def test_two_head_candidates_name_both_and_the_map_picks_one() -> None:
    params = {**embedding("embed"), **lstm_keys("lstm."), **linear("fc"), **linear("out")}
    with pytest.raises(ParameterError,
                       match=r"2 submodules could be the head \('fc', 'out'\); pass --map"):
        map_names(params, PATH)
    # The map settles which is the head; the other Linear is left out, by name.
    renamed = map_names(params, PATH, (("fc", "head"),))
    assert renamed.params["head.weight"] is params["fc.weight"]
    assert renamed.left_out == ("out.bias", "out.weight") and not renamed.head_left_out
    assert renamed.note() == ("left out 'out.bias', 'out.weight': not on the path of the "
                              "head you named")
    params = {**embedding("embed"), **lstm_keys("lstm."), **linear("proj")}  # unguessable
    renamed = map_names(params, PATH)
    assert renamed.head_left_out and renamed.left_out == ("proj.bias", "proj.weight")
    renamed = map_names(params, PATH, (("proj", "head"),))
    assert renamed.params["head.bias"] is params["proj.bias"] and renamed.note() is None


def test_extra_parameters_leave_the_head_out_or_are_refused_by_key() -> None:
    """A LayerNorm over the RNN's output (HIDDEN wide) is part of a head the engine
    cannot reproduce: the head goes with it. One as wide as the RNN's input (INPUT)
    may normalise the embeddings: leaving it out would change the states."""
    params = {**embedding("embed"), **lstm_keys("lstm."), **linear("fc"),
              "norm.weight": np.ones(HIDDEN), "norm.bias": np.zeros(HIDDEN)}
    renamed = map_names(params, PATH)
    assert renamed.left_out == ("fc.bias", "fc.weight", "norm.bias", "norm.weight")
    params.update({"norm.weight": np.ones(INPUT), "norm.bias": np.zeros(INPUT)})
    with pytest.raises(ParameterError, match=r"unexpected keys 'norm\.bias', 'norm\.weight': "
                                             r".*as wide as the RNN's input.*delete them"):
        map_names(params, PATH)
    # A part the engine's own names take but that holds more than a Linear is refused.
    params = {**embedding("embed"), **lstm_keys("lstm."), **linear("head"),
              "head.scale": np.ones(7)}
    with pytest.raises(ParameterError, match=r"unexpected key 'head\.scale'"):
        map_names(params, PATH)


def test_explicit_map_names_every_part() -> None:
    params = {**embedding("tok"), **lstm_keys("stack."), **linear("readout.0")}
    renamed = map_names(params, PATH, check_key_map(
        {"tok": "embedding", "stack": "rnn", "readout.0": "head"}))
    assert renamed.names == (("tok", "embedding"), ("stack", "rnn"), ("readout.0", "head"))
    assert renamed.params["embedding.weight"] is params["tok.weight"]
    assert renamed.params["rnn.weight_hh_l1"] is params["stack.weight_hh_l1"]
    with pytest.raises(ParameterError, match=r"key_map nothing=head: no key 'nothing\.weight'"):
        map_names(params, PATH, (("nothing", "head"),))
    with pytest.raises(ParameterError,
                       match=r"key_map tok=head: 'tok' holds 'scale', 'weight', not an nn\.Linear"):
        map_names({**params, "tok.scale": np.ones(2)}, PATH, (("tok", "head"),))
    with pytest.raises(ParameterError, match="key_map tok=rnn: no key 'tok.weight_ih_l0'"):
        map_names(params, PATH, (("tok", "rnn"),))


@pytest.mark.parametrize(("key_map", "message"), [
    (["fc.0head"], "expected OLD=NEW"),
    (["fc=body"], "expected OLD=NEW.*one of embedding, rnn, head"),
    (["=head"], "expected OLD=NEW"),
    ({"fc": "head", "out": "head"}, "names 'head' twice"),
    (["fc=head", "fc=embedding"], "names 'fc' twice"),
])
def test_bad_maps_are_refused_before_the_file_is_read(
        tmp_path: Path, key_map: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_model(tmp_path / "missing.pt", key_map=key_map)  # type: ignore[arg-type]
    assert caught.value.argument == "key_map"
    assert check_key_map(["fc.0 = head", "lstm=rnn"]) == (("fc.0", "head"), ("lstm", "rnn"))


def test_load_model_reads_a_tutorial_npz_and_reports_the_names(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    np.savez(path, **embedding("embed"), **lstm_keys("lstm."), **linear("fc"))
    vocabulary = ["<unk>", *"abcdef"]
    loaded = read_model(path, vocabulary=vocabulary, labels=["x", "y", "z"])
    assert loaded.names == (("embed", "embedding"), ("lstm", "rnn"), ("fc", "head"))
    assert loaded.model.config.recurrent.num_layers == 2
    assert loaded.model.config.task == "classify"
    np.testing.assert_array_equal(loaded.model.params["embedding.weight"], np.ones((7, 4)))


def tutorial_file(tmp_path: Path, *parts: dict[str, np.ndarray]) -> Path:
    """An .npz state_dict with a sidecar vocabulary, as ``rnnstudio info`` reads it."""
    path = tmp_path / "m.npz"
    np.savez(path, **{key: value for part in parts for key, value in part.items()})
    (tmp_path / "m.json").write_text(json.dumps(
        {"tokenizer": {"kind": "word", "vocabulary": ["<unk>", *"abcdef"]}}))
    return path


def test_info_says_what_was_renamed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tutorial_file(tmp_path, embedding("embed"), lstm_keys("lstm."), linear("fc"))
    assert main(["info", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "names: embed -> embedding, lstm -> rnn, fc -> head" in lines
    assert "  head.weight: (3, 5)" in lines
    native = tutorial_file(tmp_path, embedding("embedding"), lstm_keys("rnn."), linear("head"))
    assert main(["info", str(native)]) == 0
    assert not [line for line in capsys.readouterr().out.splitlines()
                if line.startswith("names:")]


def test_cli_map_resolves_and_bad_maps_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tutorial_file(tmp_path, embedding("embed"), lstm_keys("stack."), linear("proj.1"))
    assert main(["info", str(path), "--map", "proj.1=head"]) == 0
    assert "names: embed -> embedding, stack -> rnn, proj.1 -> head" in capsys.readouterr().out
    out = tmp_path / "m.safetensors"
    assert main(["convert", str(path), str(out), "--map", "proj.1=head"]) == 0
    assert "names: embed -> embedding" in capsys.readouterr().out
    assert sorted(load_model(out).params)[:2] == ["embedding.weight", "head.bias"]
    # Unnamed, proj.1 is no head the engine recognises: the recurrent part loads, said.
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "recurrent part only: 'proj.1.bias', 'proj.1.weight' left out" in out
    assert "head.weight" not in out
    loaded = read_model(path, labels=["x", "y", "z"], task="classify")
    assert loaded.model.config.task is None and "head.weight" not in loaded.model.params
    assert loaded.notes[-1].startswith("recurrent part only")
    for bad, message in (("proj.1=body", "--map 'proj.1=body': expected OLD=NEW"),
                         ("proj.1", "--map 'proj.1': expected OLD=NEW")):
        assert main(["info", str(tmp_path / "missing.pt"), "--map", bad]) == 2
        assert message in capsys.readouterr().err
    assert main(["info", str(path), "--map", "a=head", "--map", "b=head"]) == 2
    assert "--map names 'head' twice" in capsys.readouterr().err
    assert main(["trace", "--text", "a b", "--out", str(tmp_path / "t.npz"),
                 "--map", "fc=head"]) == 2
    assert "--map only applies to a model file" in capsys.readouterr().err
