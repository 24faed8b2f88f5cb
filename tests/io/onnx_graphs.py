"""ONNX recurrent graphs built with ``onnx.helper``, and the ONNX operator documentation's
equations in NumPy (written from the spec, not from the engine) to check them against.

Used by the tests and by ``fixtures/onnx/make_onnx_fixtures.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: Gate blocks of W, R and B per op, in ONNX's order.
BLOCKS = {"LSTM": 4, "GRU": 3, "RNN": 1}
OPSET = 17


def random_weights(op: str, hidden: int, inputs: int, directions: int, seed: int) -> dict:
    """W (D, G*H, I), R (D, G*H, H), B (D, 2*G*H): float32, non-zero, Wb != Rb."""
    rng = np.random.default_rng(seed)
    rows = BLOCKS[op] * hidden
    return {
        "W": rng.uniform(-0.7, 0.7, (directions, rows, inputs)).astype(np.float32),
        "R": rng.uniform(-0.7, 0.7, (directions, rows, hidden)).astype(np.float32),
        "B": rng.uniform(-0.5, 0.5, (directions, 2 * rows)).astype(np.float32),
    }


def recurrent_model(op: str, weights: dict, *, direction: str = "bidirectional",
                    attrs: dict | None = None, extra_inputs: dict | None = None,
                    after: list | None = None, input_shape: tuple = ("time", 1, None)):
    """A graph ``x -> op -> Y (-> after nodes)`` with the weights as initializers.

    ``extra_inputs`` maps input names (``sequence_lens``, ``initial_h``, ``initial_c``,
    ``P``) to arrays given as initializers; ``input_shape``'s None is the input size.
    """
    from onnx import TensorProto, helper, numpy_helper

    hidden = weights["R"].shape[-1]
    names = ["x", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"]
    given = {"W": weights["W"], "R": weights["R"], "B": weights["B"], **(extra_inputs or {})}
    node_inputs = [name if name in given or name == "x" else "" for name in names]
    while node_inputs[-1] == "":
        node_inputs.pop()
    node = helper.make_node(op, node_inputs, ["Y", "Y_h"], name=f"{op.lower()}_0",
                            hidden_size=hidden, direction=direction, **(attrs or {}))
    inits = [numpy_helper.from_array(np.asarray(value), name) for name, value in given.items()]
    shape = [weights["W"].shape[-1] if size is None else size for size in input_shape]
    graph_input = helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)
    nodes = [node, *(after or [])]
    output = nodes[-1].output[0]
    graph = helper.make_graph(nodes, "recurrent", [graph_input],
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
                              inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def save(model, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def spec_states(op: str, x: np.ndarray, weights: dict, linear_before_reset: int = 0,
                relu: bool = False) -> np.ndarray:
    """Y (T, D, H) of an ONNX LSTM/GRU/RNN node by the operator documentation's
    equations (float64), the reverse direction aligned to forward time."""
    directions = weights["W"].shape[0]
    steps, hidden = len(x), weights["R"].shape[-1]
    out = np.zeros((steps, directions, hidden))
    for d in range(directions):
        w, r = weights["W"][d].astype(float), weights["R"][d].astype(float)
        wb, rb = np.split(weights["B"][d].astype(float), 2)
        h, c = np.zeros(hidden), np.zeros(hidden)
        for t in (range(steps) if d == 0 else range(steps - 1, -1, -1)):
            xw, hr = w @ x[t] + wb, r @ h + rb  # all gate blocks at once
            part = [slice(k * hidden, (k + 1) * hidden) for k in range(BLOCKS[op])]
            if op == "RNN":
                h = np.maximum(xw + hr, 0) if relu else np.tanh(xw + hr)
            elif op == "GRU":  # blocks z, r, h
                z = sigmoid(xw[part[0]] + hr[part[0]])
                reset = sigmoid(xw[part[1]] + hr[part[1]])
                if linear_before_reset:
                    candidate = np.tanh(xw[part[2]] + reset * hr[part[2]])
                else:
                    candidate = np.tanh(xw[part[2]] + r[part[2]] @ (reset * h) + rb[part[2]])
                h = (1 - z) * candidate + z * h
            else:  # LSTM, blocks i, o, f, c
                i, o, f = (sigmoid(xw[part[k]] + hr[part[k]]) for k in range(3))
                c = f * c + i * np.tanh(xw[part[3]] + hr[part[3]])
                h = o * np.tanh(c)
            out[t, d] = h
    return out
