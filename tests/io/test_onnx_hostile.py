"""ONNX files RNN Studio cannot read exactly, or that lie: each refused with one line
that names the file and what is wrong, before anything large is allocated."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from onnx_graphs import random_weights, recurrent_model, save

from rnnstudio.errors import ModelFileError
from rnnstudio.io.model_files import read_model

onnx = pytest.importorskip("onnx")
helper, numpy_helper = onnx.helper, onnx.numpy_helper


def refused(path, *words: str) -> str:
    with pytest.raises(ModelFileError) as caught:
        read_model(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message, message
    for word in words:
        assert word in message, message
    return message


def gru(tmp_path, name="m.onnx", **options):
    weights = random_weights("GRU", 3, 2, 1, seed=1)
    return save(recurrent_model("GRU", weights, direction="forward", **options),
                tmp_path / name)


def test_a_truncated_file(tmp_path):
    whole = gru(tmp_path).read_bytes()
    for cut in (len(whole) // 2, len(whole) - 7):
        path = tmp_path / f"cut{cut}.onnx"
        path.write_bytes(whole[:cut])
        refused(path)


@pytest.mark.parametrize("content", [b"\xff\xff\xff\xff not protobuf", b"\x00"])
def test_bytes_that_are_no_onnx_model(tmp_path, content):
    path = tmp_path / "junk.onnx"
    path.write_bytes(content)
    refused(path, "ONNX")


def test_an_op_on_the_data_is_named(tmp_path):
    after = [helper.make_node("Tanh", ["Y"], ["out"], name="squash")]
    refused(gru(tmp_path, after=after), "ONNX op Tanh", "'squash'")


def test_a_node_whose_output_nothing_uses_is_skipped(tmp_path):
    after = [helper.make_node("ArgMax", ["Y"], ["unused"], name="dead"),
             helper.make_node("Identity", ["Y"], ["out"])]
    assert read_model(gru(tmp_path, after=after)).model.config.recurrent.cell == "gru"


def test_a_tensor_declaring_more_than_it_holds(tmp_path):
    model = onnx.load_from_string(gru(tmp_path).read_bytes())
    weight = model.graph.initializer[0]
    weight.ClearField("dims")
    weight.dims.extend([1, 10**9, 10**9])  # 4 EB of float32 in a 1 KB file
    path = save(model, tmp_path / "huge.onnx")
    refused(path, "tensor 'W' declares shape [1, 1000000000, 1000000000]")


def test_a_folded_value_larger_than_the_file(tmp_path):
    """A zero initial state built by ConstantOfShape of a trillion values."""
    shape = numpy_helper.from_array(np.array([1, 10**6, 10**6], dtype=np.int64), "shape")
    make = helper.make_node("ConstantOfShape", ["shape"], ["initial_h"], name="zeros")
    model = onnx.load_from_string(gru(tmp_path).read_bytes())
    model.graph.initializer.append(shape)
    model.graph.node.insert(0, make)
    node = model.graph.node[1]
    node.input.extend(["", "initial_h"])
    refused(save(model, tmp_path / "big.onnx"), "ConstantOfShape", "values")


def test_an_input_declared_larger_than_the_file(tmp_path):
    path = gru(tmp_path, input_shape=(10**6, 10**6, None))
    refused(path, "the graph's input would make 2,000,000,000,000 values")


def external_weights(tmp_path, location: str):
    """The GRU model with its W said to be in the external file ``location``."""
    model = onnx.load_from_string(gru(tmp_path).read_bytes())
    weight = model.graph.initializer[0]
    weight.ClearField("raw_data")
    weight.ClearField("float_data")
    weight.data_location = onnx.TensorProto.EXTERNAL
    weight.external_data.add(key="location", value=location)
    return model


def test_external_weights_outside_the_models_folder(tmp_path):
    (tmp_path.parent / "secret.bin").write_bytes(b"\x00" * 1024)
    model = external_weights(tmp_path, "../secret.bin")
    refused(save(model, tmp_path / "external.onnx"), "outside the model's folder")


def test_external_weights_shorter_than_declared(tmp_path):
    (tmp_path / "m.onnx.data").write_bytes(b"\x00" * 8)
    model = external_weights(tmp_path, "m.onnx.data")
    refused(save(model, tmp_path / "short.onnx"), "truncated")


@pytest.mark.parametrize(("options", "words"), [
    ({"direction": "reverse"}, ("direction 'reverse'",)),
    ({"attrs": {"clip": 3.0}}, ("clip",)),
    ({"attrs": {"activations": ["Sigmoid", "Relu"]}}, ("activations sigmoid, relu",)),
    ({"attrs": {"activation_alpha": [0.5]}}, ("activation_alpha",)),
    ({"extra_inputs": {"initial_h": np.full((1, 1, 3), 0.5, np.float32)}},
     ("non-zero initial_h", "h0=")),
    ({"extra_inputs": {"sequence_lens": np.array([2], np.int32)}}, ("sequence_lens",)),
])
def test_what_the_engine_cannot_compute_exactly_is_named(tmp_path, options, words):
    direction = options.pop("direction", "forward")
    weights = random_weights("GRU", 3, 2, 1, seed=2)
    path = save(recurrent_model("GRU", weights, direction=direction, **options),
                tmp_path / "m.onnx")
    refused(path, *words)


@pytest.mark.parametrize(("options", "words"), [
    ({"attrs": {"input_forget": 1}}, ("input_forget=1",)),
    ({"extra_inputs": {"P": np.full((1, 9), 0.1, np.float32)}}, ("peepholes",)),
])
def test_lstm_variants_pytorch_lacks_are_named(tmp_path, options, words):
    weights = random_weights("LSTM", 3, 2, 1, seed=3)
    path = save(recurrent_model("LSTM", weights, direction="forward", **options),
                tmp_path / "m.onnx")
    refused(path, *words)


def test_zero_initial_states_and_full_lengths_are_read(tmp_path):
    extra = {"sequence_lens": np.array([5], np.int32),
             "initial_h": np.zeros((1, 1, 3), np.float32)}
    weights = random_weights("GRU", 3, 2, 1, seed=2)
    path = save(recurrent_model("GRU", weights, direction="forward", extra_inputs=extra,
                                input_shape=(5, 1, None)), tmp_path / "m.onnx")
    assert read_model(path).model.config.recurrent.hidden_size == 3


def test_a_graph_without_recurrent_nodes(tmp_path):
    from onnx import TensorProto

    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [2, 1, 3])], [helper.make_tensor_value_info(
            "y", TensorProto.FLOAT, None)])
    path = save(helper.make_model(graph), tmp_path / "relu.onnx")
    refused(path, "ONNX op Relu")


def test_without_the_onnx_package_the_message_says_what_to_install(tmp_path, monkeypatch):
    path = gru(tmp_path)
    monkeypatch.setitem(sys.modules, "onnx", None)
    refused(path, 'pip install "rnnstudio[onnx]"')


def test_an_unread_tensor_type_matters_only_when_used(tmp_path):
    model = onnx.load_from_string(gru(tmp_path).read_bytes())
    model.graph.initializer.append(helper.make_tensor("note", onnx.TensorProto.STRING, [1],
                                                      [b"trained on 3 sentences"]))
    assert read_model(save(model, tmp_path / "note.onnx")).model.config.recurrent.cell == "gru"
    weight = next(t for t in model.graph.initializer if t.name == "R")
    weight.name = "R_raw"
    model.graph.node.insert(0, helper.make_node("Sin", ["R_raw"], ["R"], name="wave"))
    refused(save(model, tmp_path / "sin.onnx"), "its R input comes from an ONNX Sin node 'wave'")
