"""One unit's equations at one step with the model's numbers plugged in (NumPy only).

Recomputed from the parameters and the recorded inputs and previous states, so a user can
check the arithmetic: ``f = sigmoid(W_if x + b_if + W_hf h + b_hf) = sigmoid(0.52 + 0.85)
= sigmoid(1.37) = 0.80``. Tests compare every value with the engine's trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

_GATE_FUNCTIONS = {"i": "sigmoid", "f": "sigmoid", "o": "sigmoid", "r": "sigmoid",
                   "z": "sigmoid", "g": "tanh", "n": "tanh"}


@dataclass(frozen=True)
class EquationLine:
    """``name`` is the quantity (a gate letter, ``c``, ``h``); ``symbolic`` the equation,
    ``numbers`` the same with this step's values, ending in the result."""

    name: str
    value: float
    symbolic: str
    numbers: str

    @property
    def text(self) -> str:
        return f"{self.symbolic} {self.numbers}"


def _sigmoid(value: float) -> float:
    return float(1.0 / (1.0 + np.exp(-value)))


def _apply(function: str, value: float) -> float:
    if function == "sigmoid":
        return _sigmoid(value)
    if function == "relu":
        return max(value, 0.0)
    return float(np.tanh(value))


@dataclass(frozen=True)
class _StepInputs:
    x: np.ndarray
    h_prev: np.ndarray
    c_prev: float
    suffix: str


def _step_inputs(trace: Any, layer: int, direction: str, step: int, unit: int) -> _StepInputs:
    """Input vector, previous hidden state and previous cell value the cell saw at ``step``.

    Backward-direction outputs are aligned to forward time, so their "previous" step is
    ``step + 1``; initial states are zero, as in PyTorch without ``h0``.
    """
    recurrent = trace.config.recurrent
    if layer == 0:
        x = np.asarray(trace.x[step], dtype=np.float64)
    else:
        x = np.concatenate([np.asarray(trace.layer(layer - 1, d).h[step], dtype=np.float64)
                            for d in recurrent.directions])
    layer_trace = trace.layer(layer, direction)
    previous = step - 1 if direction == "fwd" else step + 1
    inside = 0 <= previous < len(trace.tokens)
    h_prev = (np.asarray(layer_trace.h[previous], dtype=np.float64) if inside
              else np.zeros(layer_trace.h.shape[1]))
    c_prev = 0.0
    if layer_trace.c is not None and inside:
        c_prev = float(layer_trace.c[previous, unit])
    suffix = f"_l{layer}" + ("_reverse" if direction == "bwd" else "")
    return _StepInputs(x, h_prev, c_prev, suffix)


class _Params:
    def __init__(self, state: dict[str, Any], suffix: str, hidden: int) -> None:
        self.w_ih = state[f"rnn.weight_ih{suffix}"]
        self.w_hh = state[f"rnn.weight_hh{suffix}"]
        self.b_ih = state.get(f"rnn.bias_ih{suffix}")
        self.b_hh = state.get(f"rnn.bias_hh{suffix}")
        self.hidden = hidden

    def parts(self, row: int, x: np.ndarray, h_prev: np.ndarray) -> tuple[float, float]:
        """(W_i x + b_i, W_h h + b_h) for one row of the stacked gate matrices."""
        from_input = float(np.asarray(self.w_ih[row], dtype=np.float64) @ x)
        from_hidden = float(np.asarray(self.w_hh[row], dtype=np.float64) @ h_prev)
        if self.b_ih is not None:
            from_input += float(self.b_ih[row])
        if self.b_hh is not None:
            from_hidden += float(self.b_hh[row])
        return from_input, from_hidden


def _gate_line(params: _Params, gate: str, index: int, unit: int, inputs: _StepInputs,
               reset: float | None = None) -> EquationLine:
    function = _GATE_FUNCTIONS[gate]
    bias = params.b_ih is not None
    from_input, from_hidden = params.parts(index * params.hidden + unit, inputs.x,
                                           inputs.h_prev)
    input_term = f"W_i{gate} x" + (f" + b_i{gate}" if bias else "")
    hidden_term = f"W_h{gate} h" + (f" + b_h{gate}" if bias else "")
    if reset is None:
        total = from_input + from_hidden
        symbolic = f"{input_term} + {hidden_term}"
        numbers = f"{from_input:.2f} + {from_hidden:.2f}"
    else:  # GRU candidate: the reset gate scales the recurrent part only
        total = from_input + reset * from_hidden
        symbolic = f"{input_term} + r * ({hidden_term})"
        numbers = f"{from_input:.2f} + {reset:.2f} * {from_hidden:.2f}"
    value = _apply(function, total)
    return EquationLine(gate, value, f"{gate} = {function}({symbolic})",
                        f"= {function}({numbers}) = {function}({total:.2f}) = {value:.2f}")


def unit_equations(model: Any, trace: Any, layer: int, direction: str, step: int,
                   unit: int) -> list[EquationLine]:
    """The equations of ``unit`` at ``step``, in the order the cell evaluates them."""
    recurrent = trace.config.recurrent
    hidden = recurrent.hidden_size
    inputs = _step_inputs(trace, layer, direction, step, unit)
    # ``params`` is a read-only view; ``state_dict()`` copies every array (slow per step).
    state = getattr(model, "params", None) or model.state_dict()
    params = _Params(dict(state), inputs.suffix, hidden)
    lines: list[EquationLine] = []
    if recurrent.cell == "lstm":
        gates = {gate: _gate_line(params, gate, index, unit, inputs)
                 for index, gate in enumerate("ifgo")}
        lines.extend(gates.values())
        i, f, g, o = (gates[name].value for name in "ifgo")
        cell = f * inputs.c_prev + i * g
        lines.append(EquationLine("c", cell, "c = f * c_prev + i * g",
                                  f"= {f:.2f} * {inputs.c_prev:.2f} + {i:.2f} * {g:.2f} "
                                  f"= {cell:.2f}"))
        shown = o * np.tanh(cell)
        name = "m" if recurrent.proj_size else "h"
        note = " (then h = W_hr m mixes all units)" if recurrent.proj_size else ""
        lines.append(EquationLine(name, float(shown), f"{name} = o * tanh(c){note}",
                                  f"= {o:.2f} * tanh({cell:.2f}) = {shown:.2f}"))
    elif recurrent.cell == "gru":
        reset = _gate_line(params, "r", 0, unit, inputs)
        update = _gate_line(params, "z", 1, unit, inputs)
        candidate = _gate_line(params, "n", 2, unit, inputs, reset=reset.value)
        h_prev = float(inputs.h_prev[unit])
        z, n = update.value, candidate.value
        hidden_value = (1 - z) * n + z * h_prev
        lines += [reset, update, candidate, EquationLine(
            "h", hidden_value, "h = (1 - z) * n + z * h_prev",
            f"= (1 - {z:.2f}) * {n:.2f} + {z:.2f} * {h_prev:.2f} = {hidden_value:.2f}")]
    else:
        function = recurrent.nonlinearity
        from_input, from_hidden = params.parts(unit, inputs.x, inputs.h_prev)
        total = from_input + from_hidden
        value = _apply(function, total)
        lines.append(EquationLine("h", value,
                                  f"h = {function}(W_ih x + b_ih + W_hh h_prev + b_hh)",
                                  f"= {function}({from_input:.2f} + {from_hidden:.2f}) "
                                  f"= {function}({total:.2f}) = {value:.2f}"))
    return lines
