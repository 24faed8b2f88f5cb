"""Does the engine match PyTorch for this model? The check, and what the window says.

Two comparisons, one report (:class:`ParityReport`):

* **references** (cheap, every shipped model): PyTorch's float64 values stored once beside
  the model (:mod:`rnnstudio.io.parity_file`, written by packaging/parity_references.py)
  against the engine's trace of the same tokens;
* **live** (needs torch): PyTorch recomputes the open model (any model the engine reads)
  on the current text now (:func:`rnnstudio.io.torch_parity.torch_values`).

The engine runs twice: in float64 (the weights as stored, widened exactly), judged by
:data:`FLOAT64_TOLERANCE`, which tests the equations; and as opened (the shipped models
are float32), judged by :data:`FLOAT32_TOLERANCE`, which is what the window shows. Both
tolerances scale with the quantity's largest reference value when that exceeds 1.
Measured on the 27 shipped models: float64 within 6e-15, float32 within 1.2e-6.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from ..engine.config import GATE_DESCRIPTIONS
from ..engine.losses import Loss, parse_loss
from ..engine.model import Model
from ..engine.tokenizers import Tokens
from ..errors import ModelFileError
from ..io.model_files import load_model
from ..io.parity_file import ParityReferences, file_sha256, read_references
from ..io.torch_parity import torch_values, torch_version
from ..models_index import find_model

__all__ = ["FLOAT32_TOLERANCE", "FLOAT64_TOLERANCE", "ParityReport", "QuantityDiff",
           "badge_text", "check_live", "check_references", "check_shipped",
           "quantity_words", "verdict_text"]

#: Largest |engine - torch| allowed in float64, per unit of max(1, max |reference|).
FLOAT64_TOLERANCE = 1e-10
#: The same for a float32 model as opened: float32 rounds at 6e-8 relative, and a few
#: steps of matrix products and tanh/sigmoid gather tens of such roundings.
FLOAT32_TOLERANCE = 1e-4
REFERENCES, LIVE = "references", "live"
#: h, c, then the gates in PyTorch's row order (LSTM i f g o, GRU r z n).
_STATE_ORDER = "hcifgorzn"
_KEY = re.compile(r"(?P<grad>grad\.)?l(?P<layer>\d+)\.(?P<direction>fwd|bwd)\.(?P<name>\w)")


@dataclass(frozen=True)
class QuantityDiff:
    """One compared quantity: ``key`` (trace-file key or ``loss``), its ``shape``, the
    largest |engine - torch| in float64 and as opened (None for a float64 model: the
    same run), and ``scale`` = max(1, max |torch value|)."""

    key: str
    shape: tuple[int, ...]
    scale: float
    diff_float64: float
    diff_as_opened: float | None

    @property
    def worst(self) -> float:
        """The larger of the two differences (the one a failure is about)."""
        return max(self.diff_float64, self.diff_as_opened or 0.0)

    @property
    def passed(self) -> bool:
        opened_ok = (self.diff_as_opened is None
                     or self.diff_as_opened <= FLOAT32_TOLERANCE * self.scale)
        return self.diff_float64 <= FLOAT64_TOLERANCE * self.scale and opened_ok


@dataclass(frozen=True)
class ParityReport:
    """A finished check of one model on one text against PyTorch."""

    kind: str  # REFERENCES or LIVE
    model_title: str
    text: str
    steps: int
    loss: str
    model_dtype: str
    against: str  # e.g. "PyTorch 2.13.0+cpu references of 2026-11-30"
    rows: tuple[QuantityDiff, ...]
    checked_at: datetime.datetime
    note: str = ""

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def failures(self) -> list[QuantityDiff]:
        return [row for row in self.rows if not row.passed]

    def largest(self, as_opened: bool = False) -> float:
        """The largest difference over every quantity (float64, or as opened)."""
        found = [row.diff_as_opened if as_opened else row.diff_float64 for row in self.rows]
        return max((value for value in found if value is not None), default=0.0)


def engine_values(model: Model, tokens: Tokens, loss: Loss) -> dict[str, np.ndarray]:
    """The engine's trace of ``tokens`` as trace-file key -> array, plus ``loss``."""
    trace = model.trace(tokens, loss, jacobian=False)
    values = {key: np.asarray(value) for key, value in trace.arrays().items()
              if value.dtype.kind == "f"}
    if trace.grads is not None:
        values["loss"] = np.array(trace.grads.loss_value)
    return values


def compare(model: Model, tokens: Tokens, loss: Loss,
            reference: Mapping[str, np.ndarray]) -> tuple[QuantityDiff, ...]:
    """Every quantity of ``reference`` against the engine in float64 and as opened."""
    wide = model if model.dtype == np.float64 else Model(
        replace(model.config, dtype="float64"), model.params, model.source)
    float64 = engine_values(wide, tokens, loss)
    opened = None if wide is model else engine_values(model, tokens, loss)
    rows = []
    for key, expected in sorted(reference.items(), key=lambda item: _reading_order(item[0])):
        if key not in float64 or float64[key].shape != expected.shape:
            raise ModelFileError(f"the PyTorch references hold {key} {list(expected.shape)}, "
                                 "which this model does not compute: they belong to another "
                                 "model; regenerate them with packaging/parity_references.py")
        scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
        rows.append(QuantityDiff(key, expected.shape, scale, _gap(float64[key], expected),
                                 None if opened is None else _gap(opened[key], expected)))
    return tuple(rows)


def _reading_order(key: str) -> tuple[int, int, int, int]:
    """States (layer by layer, forward first, h before c before gates), logits, loss, then
    gradients: the first failing row is where a difference starts."""
    rank = (3 if key.startswith("grad.") else 2 if key == "loss" else 1 if key == "logits"
            else 0)
    match = _KEY.fullmatch(key)
    if match is None:
        return rank, -1, 0, 0
    return (rank, int(match["layer"]), int(match["direction"] == "bwd"),
            _STATE_ORDER.find(match["name"]))


def _gap(found: np.ndarray, expected: np.ndarray) -> float:
    with np.errstate(invalid="ignore"):
        gap = np.abs(found.astype(np.float64) - expected)
    return float("inf") if not np.isfinite(gap).all() else float(gap.max(initial=0.0))


def check_references(model: Model, references: ParityReferences, title: str,
                     same_file: bool = True) -> ParityReport:
    """Compare ``model`` with stored PyTorch ``references`` (their own tokens and loss)."""
    tokens = Tokens(list(references.tokens), np.array(references.token_ids, np.int64), [])
    rows = compare(model, tokens, parse_loss(references.loss), references.values)
    note = "" if same_file else ("this model file is not the one the references were "
                                 "computed from")
    return ParityReport(REFERENCES, title, references.text, len(tokens.tokens),
                        references.loss, model.config.dtype,
                        f"PyTorch {references.torch_version} references of "
                        f"{references.created}", rows, _now(), note)


def check_shipped(key: str) -> ParityReport:
    """Check shipped model ``key`` (e.g. ``recall-gru``) against its stored references.
    Measured: 10 to 30 ms a model (two 4-token traces and the file)."""
    entry = find_model(key)
    if entry.parity_path is None:
        raise ModelFileError(f"{key}: no PyTorch references are listed for this model")
    references = read_references(entry.parity_path)
    with entry.as_file() as path:
        model = load_model(path)
        same_file = file_sha256(path) == references.model_sha256
    return check_references(model, references, entry.title, same_file)


def check_live(model: Model, tokens: Tokens, loss: Loss, title: str,
               should_stop: Callable[[], bool] | None = None,
               on_progress: Callable[[int, int], None] | None = None) -> ParityReport:
    """Recompute ``tokens`` with PyTorch now and compare (needs torch; run it in a
    worker: the torch loop takes about 2 ms a token, layer and direction)."""
    reference = torch_values(model, tokens, loss, should_stop, on_progress)
    rows = compare(model, tokens, loss, reference)
    shown = " ".join(tokens.tokens)
    return ParityReport(LIVE, title, shown, len(tokens.tokens), loss.name, model.config.dtype,
                        f"PyTorch {torch_version()}, computed now", rows, _now())


def _now() -> datetime.datetime:
    return datetime.datetime.now().replace(microsecond=0)


def quantity_words(key: str) -> str:
    """A compared key in words, e.g. ``grad.l0.bwd.h`` -> "dL/dh_t, layer 0 backward"."""
    fixed = {"loss": "loss", "logits": "head logits", "grad.x": "dL/dx_t (input gradient)"}
    if key in fixed:
        return fixed[key]
    match = _KEY.fullmatch(key)
    if match is None:
        return key
    where = (f"layer {match['layer']} "
             f"{'forward' if match['direction'] == 'fwd' else 'backward'}")
    name = match["name"]
    if match["grad"]:
        return f"dL/d{name}_t, {where}"
    if name in ("h", "c"):
        return f"{name} ({'hidden' if name == 'h' else 'cell'} state), {where}"
    return f"{name} ({GATE_DESCRIPTIONS[name].split(':')[0]}), {where}"


def verdict_text(report: ParityReport) -> str:
    """One or two sentences: did it match, by how much, judged by what."""
    opened = "" if report.model_dtype == "float64" else (
        f"; as opened ({report.model_dtype}) {report.largest(True):.1e} "
        f"(tolerance {FLOAT32_TOLERANCE:g} x scale)")
    numbers = (f"largest difference in float64 {report.largest():.1e} "
               f"(tolerance {FLOAT64_TOLERANCE:g} x scale){opened}")
    if report.passed:
        return f"Matches PyTorch: {numbers}."
    names = ", ".join(quantity_words(row.key) for row in report.failures[:3])
    more = f" and {len(report.failures) - 3} more" if len(report.failures) > 3 else ""
    note = f" Note: {report.note}." if report.note else ""
    return f"Does NOT match PyTorch on {names}{more}: {numbers}.{note}"


def badge_text(report: ParityReport | None, source_kind: str) -> str:
    """The Model dock's line: what was checked for the open model, when, and how."""
    if report is None:
        what = {"shipped": "not checked yet", "file": "not checked (user file)",
                "random": "not checked (random model)"}.get(source_kind, "not checked")
        return f"PyTorch parity: {what}; Help › Check against PyTorch"
    when = report.checked_at.strftime("%Y-%m-%d %H:%M")
    on_what = "reference text" if report.kind == REFERENCES else "current text, live"
    if not report.passed:
        first = report.failures[0]
        return (f"✗ differs from PyTorch on {quantity_words(first.key)} (max diff "
                f"{first.worst:.0e}), checked {when} on {on_what}")
    opened = ("" if report.model_dtype == "float64"
              else f", {report.largest(True):.0e} ({report.model_dtype} as opened)")
    return (f"✓ matches PyTorch: max diff {report.largest():.0e} (float64){opened}; "
            f"checked {when} on {on_what}")
