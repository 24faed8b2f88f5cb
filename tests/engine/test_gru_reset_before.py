"""The GRU that PyTorch cannot express: ``reset_after=False`` (Keras 2's default, ONNX
``linear_before_reset=0``), whose candidate reads the reset state through W_hn.

Gradients, the textbook step, the stepper and the scaled float32 path run over it with
every other cell (``cases.CELL_KINDS`` has ``gru-before``); here: the forward equation
against a NumPy reference written from the Keras/ONNX documentation, the flag's checks,
its round trip through files, and the equations the window shows.
"""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.config import RecurrentConfig
from rnnstudio.engine.model import Model, random_model
from rnnstudio.errors import ConfigError
from rnnstudio.io.model_files import load_model, read_model, save_model
from rnnstudio.view.equations import unit_equations

from .cases import initial_states

TEXT = "one two three four two five"


def keras_gru(x, kernel, recurrent_kernel, input_bias, recurrent_bias, h):
    """Keras 2 ``GRU(reset_after=False)`` in its own layout: kernels (in, 3H) with
    columns z, r, h; one step per row of ``x`` (T, in); returns every h (T, H)."""
    size = recurrent_kernel.shape[0]
    z_cols, r_cols, h_cols = (slice(k * size, (k + 1) * size) for k in range(3))
    states = []
    for x_t in x:
        z = 1 / (1 + np.exp(-(x_t @ kernel[:, z_cols] + input_bias[z_cols]
                               + h @ recurrent_kernel[:, z_cols] + recurrent_bias[z_cols])))
        r = 1 / (1 + np.exp(-(x_t @ kernel[:, r_cols] + input_bias[r_cols]
                               + h @ recurrent_kernel[:, r_cols] + recurrent_bias[r_cols])))
        hh = np.tanh(x_t @ kernel[:, h_cols] + input_bias[h_cols]
                     + (r * h) @ recurrent_kernel[:, h_cols] + recurrent_bias[h_cols])
        h = z * h + (1 - z) * hh
        states.append(h)
    return np.array(states)


def keras_layout(params: dict, suffix: str):
    """The engine's PyTorch rows (r, z, n) as Keras kernels (columns z, r, h)."""
    w_ih, w_hh = params[f"rnn.weight_ih_{suffix}"], params[f"rnn.weight_hh_{suffix}"]
    b_ih, b_hh = params[f"rnn.bias_ih_{suffix}"], params[f"rnn.bias_hh_{suffix}"]
    size = w_hh.shape[1]
    order = np.r_[size : 2 * size, 0:size, 2 * size : 3 * size]
    return w_ih[order].T, w_hh[order].T, b_ih[order], b_hh[order]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("layers", "bidirectional"), [(1, False), (2, False), (2, True)])
def test_every_state_equals_keras_equations(layers, bidirectional, dtype):
    model = random_model("gru", 5, input_size=3, num_layers=layers, bidirectional=bidirectional,
                         seed=4, dtype=dtype, reset_after=False)
    cfg = model.config.recurrent
    h0, _ = initial_states(cfg, 9)
    trace = model.trace(TEXT, loss=None, h0=h0)
    params = {name: value.astype(np.float64) for name, value in model.params.items()}
    layer_input = trace.x.astype(np.float64)
    tolerance = 1e-12 if dtype == "float64" else 2e-6
    for layer in range(layers):
        outputs = []
        for d, direction in enumerate(cfg.directions):
            suffix = f"l{layer}" + ("_reverse" if direction == "bwd" else "")
            flip = slice(None, None, -1) if direction == "bwd" else slice(None)
            states = keras_gru(layer_input[flip], *keras_layout(params, suffix),
                               h0[layer * cfg.num_directions + d])[flip]
            np.testing.assert_allclose(trace.layer(layer, direction).h, states,
                                       rtol=0, atol=tolerance)
            outputs.append(states)
        layer_input = np.concatenate(outputs, axis=-1)


def test_the_flag_changes_the_numbers_and_only_the_candidate():
    before = random_model("gru", 4, input_size=3, seed=2, dtype="float64", reset_after=False)
    after = Model(random_model("gru", 4, input_size=3, seed=2, dtype="float64").config,
                  before.params)
    first, second = before.trace(TEXT, loss=None).layer(0, "fwd"), \
        after.trace(TEXT, loss=None).layer(0, "fwd")
    for gate in "rz":  # from h0 = 0 both gates agree; the candidate reads b_hn, not r * b_hn
        np.testing.assert_array_equal(first.gates[gate][0], second.gates[gate][0])
    assert np.abs(first.gates["n"][0] - second.gates["n"][0]).min() > 1e-6
    assert not np.allclose(first.h, second.h)
    assert before.config.recurrent.kind == "GRU (reset before)"
    assert after.config.recurrent.kind == "GRU"
    assert "GRU (reset before)" in before.summary()


@pytest.mark.parametrize("cell", ["lstm", "rnn"])
def test_reset_before_is_for_gru_only(cell):
    with pytest.raises(ConfigError, match="reset_after=False is for GRU only") as caught:
        RecurrentConfig(cell, 3, 4, reset_after=False)
    assert caught.value.argument == "reset_after"


def test_reset_after_must_be_a_flag():
    with pytest.raises(ConfigError, match="reset_after must be True or False"):
        RecurrentConfig("gru", 3, 4, reset_after="no")  # type: ignore[arg-type]
    assert RecurrentConfig("gru", 3, 4, reset_after=np.bool_(False)).reset_after is False


def test_the_flag_round_trips_through_dicts_and_files(tmp_path):
    model = random_model("gru", 4, input_size=3, seed=1, reset_after=False)
    data = model.config.recurrent.to_dict()
    assert data["reset_after"] is False
    assert RecurrentConfig.from_dict(data) == model.config.recurrent
    text = "a b c"
    for name in ("m.safetensors", "m.npz"):
        loaded = load_model(save_model(model, tmp_path / name))
        assert loaded.config.recurrent.reset_after is False
        np.testing.assert_array_equal(loaded.trace(text, loss=None).layer(0, "fwd").h,
                                      model.trace(text, loss=None).layer(0, "fwd").h)


@pytest.mark.parametrize("extension", [".npz", ".json"])
def test_a_saved_trace_keeps_the_flag(tmp_path, extension):
    from rnnstudio.io.trace_export import save_trace
    from rnnstudio.io.trace_read import load_trace

    model = random_model("gru", 4, input_size=3, seed=1, reset_after=False)
    trace = model.trace("a b c", loss=None)
    again = load_trace(save_trace(trace, tmp_path / f"t{extension}"))
    assert again.config.recurrent == model.config.recurrent
    assert again.meta["reset_after"] is False


def test_a_file_written_before_the_flag_reads_as_pytorchs_gru(tmp_path):
    """Native files from before ``reset_after`` existed lack the key: they were PyTorch's
    GRU, and their config still comes from the file alone (not from weight shapes)."""
    from rnnstudio.io.safetensors_file import write_safetensors

    model = random_model("gru", 4, input_size=3, seed=1)
    config = model.config.to_dict()
    del config["recurrent"]["reset_after"]
    path = write_safetensors(tmp_path / "old.safetensors", model.state_dict(), config)
    loaded = read_model(path)
    assert loaded.model.config.recurrent.reset_after is True
    assert "weight shapes" not in loaded.config_sources


def test_a_torch_state_dict_is_pytorchs_gru(tmp_path):
    torch = pytest.importorskip("torch")
    net = torch.nn.Module()
    net.rnn = torch.nn.GRU(3, 4)
    torch.save(net.state_dict(), tmp_path / "gru.pt")
    assert load_model(tmp_path / "gru.pt").config.recurrent.reset_after is True


@pytest.mark.parametrize("bias", [True, False])
def test_the_candidate_line_shows_the_reset_before_form(bias):
    model = random_model("gru", 4, input_size=3, seed=5, dtype="float64", bias=bias,
                         reset_after=False)
    trace = model.trace(TEXT, loss=None)
    step, unit = 2, 1
    lines = {line.name: line for line in unit_equations(model, trace, 0, "fwd", step, unit)}
    candidate = lines["n"]
    inside = "W_in x + b_in + W_hn (r * h) + b_hn" if bias else "W_in x + W_hn (r * h)"
    assert candidate.symbolic == f"n = tanh({inside})"
    assert candidate.value == pytest.approx(trace.layer(0, "fwd").gates["n"][step, unit])
    # the numbers are the real parts: W_in x + b_in and W_hn (r * h_prev) + b_hn
    params, size = model.params, 4
    x, h_prev = trace.x[step], trace.layer(0, "fwd").h[step - 1]
    reset = trace.layer(0, "fwd").gates["r"][step]
    from_input = params["rnn.weight_ih_l0"][2 * size + unit] @ x
    from_hidden = params["rnn.weight_hh_l0"][2 * size + unit] @ (reset * h_prev)
    if bias:
        from_input += params["rnn.bias_ih_l0"][2 * size + unit]
        from_hidden += params["rnn.bias_hh_l0"][2 * size + unit]
    assert candidate.numbers.startswith(f"= tanh({from_input:.2f} + {from_hidden:.2f}) ")
    assert candidate.numbers.endswith(f"= {candidate.value:.2f}")
