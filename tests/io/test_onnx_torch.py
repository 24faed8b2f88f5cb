"""ONNX exports of tutorial-style torch models: every step's h of every layer and
direction, the final c, and the logits equal torch's own (float32, 1e-5).

Both exporters run: TorchScript (``dynamo=False``: shape glue computed from the input,
zero initial states built with Expand) and the default dynamo exporter (weights in an
external ``.onnx.data`` file next to the model, zero states as initializers).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from rnnstudio.cli import main
from rnnstudio.errors import ModelFileError
from rnnstudio.io.model_files import read_model

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
nn = torch.nn

VOCABULARY = ["<unk>", "the", "cat", "sat", "on", "mat", "dog", "ran"]
TEXT = "the cat sat on the mat the dog ran"
TOLERANCE = 1e-5


class Tagger(nn.Module):
    """Embedding, a recurrent stack and a head on every step (``batch_first`` or not)."""

    def __init__(self, rnn: nn.Module, batch_first: bool = False) -> None:
        super().__init__()
        self.embedding = nn.Embedding(len(VOCABULARY), 4)
        self.rnn = rnn
        self.batch_first = batch_first
        width = rnn.hidden_size * (2 if rnn.bidirectional else 1)
        self.head = nn.Linear(width, 3)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(self.embedding(ids))
        return self.head(output)


class Classifier(nn.Module):
    """The tutorial classifier: the head reads h_n, ``cat(hidden[-2], hidden[-1])`` when
    bidirectional (``final-states``), else ``hidden[-1]`` (the last step's output)."""

    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.embedding = nn.Embedding(len(VOCABULARY), 4)
        self.rnn = rnn
        self.head = nn.Linear(rnn.hidden_size * (2 if rnn.bidirectional else 1), 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _, hidden = self.rnn(self.embedding(ids))
        if isinstance(hidden, tuple):
            hidden = hidden[0]
        if self.rnn.bidirectional:
            return self.head(torch.cat([hidden[-2], hidden[-1]], dim=1))
        return self.head(hidden[-1])


class Pooler(nn.Module):
    """A batch-first bidirectional LSTM classifier on the mean or the maximum of its
    outputs over the steps."""

    def __init__(self, pool: str) -> None:
        super().__init__()
        self.embedding = nn.Embedding(len(VOCABULARY), 4)
        self.rnn = nn.LSTM(4, 5, bidirectional=True, batch_first=True)
        self.head = nn.Linear(10, 2)
        self.pool, self.batch_first = pool, True

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        output, _ = self.rnn(self.embedding(ids))
        pooled = output.mean(dim=1) if self.pool == "mean" else torch.max(output, 1)[0]
        return self.head(pooled)


def export(net: nn.Module, path: Path, dynamo: bool, batch_first: bool = False,
           **options) -> None:
    ids = torch.tensor([[1, 2, 3]] if batch_first else [[1], [2], [3]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dynamo:
            pytest.importorskip("onnxscript")  # the dynamo exporter's own dependency
            torch.onnx.export(net, (ids,), str(path), verbose=False)
        else:
            torch.onnx.export(net, (ids,), str(path), dynamo=False, **options)
    path.with_suffix(".json").write_text(json.dumps({"vocabulary": VOCABULARY}))


def layer_states(rnn: nn.Module, x: torch.Tensor) -> dict:
    """Each layer's per-step h (forward, backward) and final c, from one-layer torch
    modules holding that layer's weights (nn.LSTM returns only the top layer's h)."""
    states, layer_input = {}, x
    kind = type(rnn)
    options = {"nonlinearity": rnn.nonlinearity} if kind is nn.RNN else {}
    for layer in range(rnn.num_layers):
        single = kind(layer_input.shape[-1], rnn.hidden_size, bidirectional=rnn.bidirectional,
                      **options)
        single.load_state_dict({name.replace(f"_l{layer}", "_l0"): value
                                for name, value in rnn.state_dict().items()
                                if f"_l{layer}" in name})
        output, final = single(layer_input)
        size = rnn.hidden_size
        states[layer, "fwd"] = output[:, 0, :size]
        if rnn.bidirectional:
            states[layer, "bwd"] = output[:, 0, size:]
        if isinstance(final, tuple):
            states[layer, "c"] = final[1][:, 0]
        layer_input = output
    return states


def assert_like_torch(path: Path, net: nn.Module) -> object:
    loaded = read_model(path)
    model = loaded.model
    trace = model.trace(TEXT, loss=None)
    ids = torch.from_numpy(trace.token_ids)
    batch_first = getattr(net, "batch_first", False)
    with torch.no_grad():
        logits = net(ids[None] if batch_first else ids[:, None])
        states = layer_states(net.rnn, net.embedding(ids)[:, None])
    for (layer, direction), expected in states.items():
        if direction == "c":
            record = trace.layer(layer, "fwd")
            np.testing.assert_allclose(record.c[-1], expected[0].numpy(), atol=TOLERANCE)
            if net.rnn.bidirectional:
                np.testing.assert_allclose(trace.layer(layer, "bwd").c[0], expected[1].numpy(),
                                           atol=TOLERANCE)
            continue
        np.testing.assert_allclose(trace.layer(layer, direction).h, expected.numpy(),
                                   atol=TOLERANCE, rtol=0, err_msg=f"{layer} {direction}")
    expected_logits = logits.reshape(-1, logits.shape[-1]).numpy()
    shown = trace.logits if len(expected_logits) == trace.steps else trace.logits[-1:]
    np.testing.assert_allclose(shown, expected_logits, atol=TOLERANCE, rtol=0)
    return loaded


MODELS = {
    "lstm-2-bidirectional": lambda: Tagger(nn.LSTM(4, 5, num_layers=2, bidirectional=True)),
    "gru-2": lambda: Tagger(nn.GRU(4, 5, num_layers=2)),
    "relu-rnn-2-bidirectional-batch-first": lambda: Tagger(
        nn.RNN(4, 5, num_layers=2, nonlinearity="relu", bidirectional=True, batch_first=True),
        batch_first=True),
}


@pytest.mark.parametrize(("name", "dynamo"), [
    (name, dynamo) for name in MODELS for dynamo in (False, True)
    if not (dynamo and name.startswith("relu"))  # unrolled: see the test below
])
def test_an_exported_tagger_reads_like_torch(tmp_path, name, dynamo):
    torch.manual_seed(3)
    net = MODELS[name]().eval()
    path = tmp_path / "model.onnx"
    export(net, path, dynamo, batch_first=net.batch_first)
    loaded = assert_like_torch(path, net)
    rec = loaded.model.config.recurrent
    assert (rec.cell, rec.num_layers, rec.bidirectional) == (
        type(net.rnn).__name__.lower(), 2, net.rnn.bidirectional)
    assert loaded.format.startswith("onnx (ONNX ") and "head: ONNX" in loaded.format
    assert ("weights from model.onnx.data" in loaded.format) is dynamo  # external_data=True
    assert f"{path} graph" in loaded.config_sources


@pytest.mark.parametrize("name", list(MODELS))
def test_weights_computed_by_slice_and_concat_are_folded(tmp_path, name):
    """Without constant folding (opset 11) the exporter leaves the gate reordering as
    Slice/Concat/Unsqueeze on the initializers: evaluated in NumPy, same numbers."""
    torch.manual_seed(6)
    net = MODELS[name]().eval()
    path = tmp_path / "unfolded.onnx"
    export(net, path, dynamo=False, batch_first=net.batch_first, do_constant_folding=False,
           opset_version=11)
    import onnx

    assert "Slice" in {node.op_type for node in onnx.load(str(path)).graph.node}
    assert_like_torch(path, net)


def test_the_dynamo_exporters_unrolled_rnn_is_refused_with_the_fix(tmp_path):
    """torch's dynamo exporter writes nn.RNN as plain MatMul/Add/Relu per step (LSTM and
    GRU as ONNX nodes): no recurrent node to read, so the message says how to export."""
    torch.manual_seed(3)
    net = MODELS["relu-rnn-2-bidirectional-batch-first"]().eval()
    export(net, tmp_path / "unrolled.onnx", dynamo=True, batch_first=True)
    with pytest.raises(ModelFileError, match=r"MatMul node .* unrolled .*dynamo=False\)$"):
        read_model(tmp_path / "unrolled.onnx")


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize(("bidirectional", "readout"),
                         [(True, "final-states"), (False, "last-step")])
@pytest.mark.parametrize(("cell", "layers"), [(nn.GRU, 1), (nn.GRU, 2), (nn.LSTM, 2)])
def test_a_classifier_on_the_final_states_gets_its_readout(tmp_path, dynamo, bidirectional,
                                                          readout, cell, layers):
    """Two layers: torch's h_n is a Concat of both nodes' final states, and the head
    reads the top layer's, ``hidden[-2], hidden[-1]``: the tutorial classifier."""
    torch.manual_seed(4)
    net = Classifier(cell(4, 5, num_layers=layers, bidirectional=bidirectional)).eval()
    path = tmp_path / "classifier.onnx"
    export(net, path, dynamo)
    loaded = assert_like_torch(path, net)
    config = loaded.model.config
    assert (config.task, config.readout, config.labels) == ("classify", readout, ("0", "1"))


class LowerLayerHead(Classifier):
    """A head on the first layer's final forward state, ``hidden[0]``."""

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        _, hidden = self.rnn(self.embedding(ids))
        return self.head(torch.cat([hidden[0], hidden[0]], dim=1))


def test_a_head_on_a_lower_layers_final_state_is_refused(tmp_path):
    torch.manual_seed(4)
    net = LowerLayerHead(nn.GRU(4, 5, num_layers=2, bidirectional=True)).eval()
    path = tmp_path / "lower.onnx"
    export(net, path, dynamo=False)
    with pytest.raises(ModelFileError, match="reads neither every step, the last step, the "
                                             "final states"):
        read_model(path, vocabulary=VOCABULARY)


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize("pool", ["mean", "max"])
def test_a_pooled_classifier_gets_its_readout(tmp_path, dynamo, pool):
    torch.manual_seed(7)
    net = Pooler(pool).eval()
    path = tmp_path / "pooled.onnx"
    export(net, path, dynamo, batch_first=True)
    loaded = assert_like_torch(path, net)
    config = loaded.model.config
    assert (config.task, config.readout) == ("classify", pool)
    assert f"reading the {'mean' if pool == 'mean' else 'maximum'} over the steps" in \
        loaded.format


@pytest.mark.parametrize("name", ["tagger", "classifier"])
def test_open_time_and_batch_axes(tmp_path, name):
    """``dynamic_axes``: the graph's shapes are computed from the input's, probed with 5
    steps and a batch of 3, so a glue op that mixed the two would be seen."""
    torch.manual_seed(8)
    net = (MODELS["lstm-2-bidirectional"]() if name == "tagger"
           else Classifier(nn.GRU(4, 5, bidirectional=True))).eval()
    path = tmp_path / "open.onnx"
    export(net, path, dynamo=False, input_names=["ids"],
           dynamic_axes={"ids": {0: "time", 1: "batch"}})
    import onnx

    dims = onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim
    assert [dim.dim_param for dim in dims] == ["time", "batch"]
    assert_like_torch(path, net)


def test_info_and_trace_read_an_onnx_file(tmp_path, capsys):
    torch.manual_seed(5)
    net = Tagger(nn.LSTM(4, 5, bidirectional=True)).eval()
    path = tmp_path / "tagger.onnx"
    export(net, path, dynamo=False)
    assert main(["info", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "format: onnx (ONNX LSTM x1, bidirectional, gates i,o,f,c -> i,f,g,o" in printed
    # The graph shows the head reads every step: a tagger, said as a guess, per-step.
    assert "task: tag (guessed: the head reads every step; --task next-token if it " \
        "predicts the next token)" in printed.splitlines()
    assert "readout: per-step" in printed.splitlines()
    assert main(["trace", str(path), "--text", TEXT, "--out", str(tmp_path / "t.npz")]) == 0
    arrays = np.load(tmp_path / "t.npz")
    with torch.no_grad():
        ids = torch.from_numpy(arrays["token_ids"])
        expected = net(ids[:, None])[:, 0].numpy()
    np.testing.assert_allclose(arrays["logits"], expected, atol=TOLERANCE, rtol=0)
