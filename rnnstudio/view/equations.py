"""One unit's equations at one step with the model's numbers plugged in (no Qt).

Every number comes from :func:`rnnstudio.engine.explain.step_terms`, the cell module's own
textbook step fed what the cell really saw (its input, its previous state or the trace's
initial states); this module only formats, so a user can check the arithmetic:
``f = sigmoid(W_if x + b_if + W_hf h + b_hf) = sigmoid(0.52 + 0.85) = sigmoid(1.37) = 0.80``.
A quantity an intervention replaced ends in ``→ 1.00 (edited)``: the cell's own value,
then the one the rest of the step and the trace use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine.explain import step_terms

if TYPE_CHECKING:
    from ..engine.layer import GateTerms, StepTerms
    from ..engine.model import Model
    from ..engine.trace import Trace

_GATE_FUNCTIONS = {"i": "sigmoid", "f": "sigmoid", "o": "sigmoid", "r": "sigmoid",
                   "z": "sigmoid", "g": "tanh", "n": "tanh"}


@dataclass(frozen=True)
class EquationLine:
    """``name`` is the quantity (a gate letter, ``c``, ``m``, ``h``); ``symbolic`` the
    equation, ``numbers`` the same with this step's values, ending in the result."""

    name: str
    value: float
    symbolic: str
    numbers: str

    @property
    def text(self) -> str:
        return f"{self.symbolic} {self.numbers}"


def _gate_line(gate: str, terms: GateTerms, unit: int, bias: bool,
               reset: float | None = None) -> EquationLine:
    """``gate = function(W_i* x + b_i* + W_h* h + b_h*) = function(.. + ..) = ...``;
    with ``reset`` (GRU's candidate) the recurrent part appears as ``r * (...)``."""
    function = _GATE_FUNCTIONS[gate]
    from_input, from_hidden = float(terms.from_input[unit]), float(terms.from_hidden[unit])
    total, value = float(terms.pre_activation[unit]), float(terms.value[unit])
    input_term = f"W_i{gate} x" + (f" + b_i{gate}" if bias else "")
    hidden_term = f"W_h{gate} h" + (f" + b_h{gate}" if bias else "")
    if reset is None:
        symbolic = f"{input_term} + {hidden_term}"
        numbers = f"{from_input:.2f} + {from_hidden:.2f}"
    else:
        symbolic = f"{input_term} + r * ({hidden_term})"
        numbers = f"{from_input:.2f} + {reset:.2f} * {from_hidden:.2f}"
    return EquationLine(gate, value, f"{gate} = {function}({symbolic})",
                        f"= {function}({numbers}) = {function}({total:.2f}) = {value:.2f}")


def _with_edit(line: EquationLine, terms: StepTerms, unit: int) -> EquationLine:
    """``line`` ending in the cell's own value, then ``→ 1.00 (edited)`` when an
    intervention replaced it at this unit; its ``value`` is then the edited one, which
    the lines after it (and the trace) use."""
    edited = terms.edited.get(line.name)
    if edited is None or float(edited[unit]) == line.value:
        return line
    value = float(edited[unit])
    return EquationLine(line.name, value, line.symbolic,
                        f"{line.numbers} → {value:.2f} (edited)")


def _lstm_lines(terms: StepTerms, unit: int, bias: bool) -> list[EquationLine]:
    gates = {gate: _with_edit(_gate_line(gate, terms.gates[gate], unit, bias), terms, unit)
             for gate in "ifgo"}
    i, f, g, o = (gates[gate].value for gate in "ifgo")
    assert terms.cell is not None and terms.cell_prev is not None
    made, cell_prev = float(terms.cell[unit]), float(terms.cell_prev[unit])
    cell = _with_edit(EquationLine(
        "c", made, "c = f * c_prev + i * g",
        f"= {f:.2f} * {cell_prev:.2f} + {i:.2f} * {g:.2f} = {made:.2f}"), terms, unit)
    projected = terms.unprojected is not None
    shown = float(terms.unprojected[unit] if terms.unprojected is not None
                  else terms.hidden[unit])
    name = "m" if projected else "h"
    note = " (then h = W_hr m mixes all units)" if projected else ""
    out = EquationLine(name, shown, f"{name} = o * tanh(c){note}",
                       f"= {o:.2f} * tanh({cell.value:.2f}) = {shown:.2f}")
    return [*gates.values(), cell, out if projected else _with_edit(out, terms, unit)]


def _sum_line(name: str, function: str, inside: str, parts: GateTerms,
              unit: int) -> EquationLine:
    """``name = function(inside) = function(input part + recurrent part) = ...``: for
    the plain RNN and the reset-before candidate, whose ``W_hn (r * h)`` mixes every
    unit's reset state, so its number is shown whole, as the textbook step computed it."""
    from_input, from_hidden = float(parts.from_input[unit]), float(parts.from_hidden[unit])
    total, value = float(parts.pre_activation[unit]), float(parts.value[unit])
    return EquationLine(name, value, f"{name} = {function}({inside})",
                        f"= {function}({from_input:.2f} + {from_hidden:.2f}) "
                        f"= {function}({total:.2f}) = {value:.2f}")


def _gru_lines(terms: StepTerms, unit: int, bias: bool,
               reset_after: bool) -> list[EquationLine]:
    reset = _with_edit(_gate_line("r", terms.gates["r"], unit, bias), terms, unit)
    update = _with_edit(_gate_line("z", terms.gates["z"], unit, bias), terms, unit)
    if reset_after:
        candidate = _gate_line("n", terms.gates["n"], unit, bias, reset=reset.value)
    else:
        biases = (" + b_in", " + b_hn") if bias else ("", "")
        candidate = _sum_line("n", "tanh", f"W_in x{biases[0]} + W_hn (r * h){biases[1]}",
                              terms.gates["n"], unit)
    candidate = _with_edit(candidate, terms, unit)
    z, n = update.value, candidate.value
    h_prev, hidden = float(terms.hidden_prev[unit]), float(terms.hidden[unit])
    return [reset, update, candidate, _with_edit(EquationLine(
        "h", hidden, "h = (1 - z) * n + z * h_prev",
        f"= (1 - {z:.2f}) * {n:.2f} + {z:.2f} * {h_prev:.2f} = {hidden:.2f}"), terms, unit)]


def _rnn_line(terms: StepTerms, unit: int, bias: bool, function: str) -> EquationLine:
    biases = (" + b_ih", " + b_hh") if bias else ("", "")
    return _sum_line("h", function, f"W_ih x{biases[0]} + W_hh h_prev{biases[1]}",
                     terms.gates["h"], unit)


def unit_equations(model: Model, trace: Trace, layer: int, direction: str, step: int,
                   unit: int) -> list[EquationLine]:
    """The equations of ``unit`` at ``step``, in the order the cell evaluates them.

    Parameters
    ----------
    model, trace : the model and a trace it made (its initial states included).
    layer, direction, step : which cell and step (forward time).
    unit : which hidden unit (0 <= unit < H).

    Returns
    -------
    list of EquationLine
        LSTM: i, f, g, o, c, then h (or m with a projection); GRU: r, z, n, h; RNN: h.
    """
    recurrent = model.config.recurrent
    terms = step_terms(model, trace, layer, direction, step)
    if not 0 <= unit < recurrent.hidden_size:
        raise IndexError(f"unit {unit} is outside this layer's {recurrent.hidden_size} units")
    if recurrent.cell == "lstm":
        return _lstm_lines(terms, unit, recurrent.bias)
    if recurrent.cell == "gru":
        return _gru_lines(terms, unit, recurrent.bias, recurrent.reset_after)
    return [_with_edit(_rnn_line(terms, unit, recurrent.bias, recurrent.nonlinearity), terms,
                       unit)]
