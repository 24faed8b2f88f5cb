"""A trace: everything a model computed while reading one text, forward and backward.

Arrays are time-major and in forward time, one row per token: h (T, H_out), c and gates
(T, H), gradients likewise. ``Trace.arrays()`` flattens it to the trace-file keys
(``l0.fwd.h``, ``grad.l0.fwd.c``, ``grad.x`` ..., spelled in :mod:`.trace_keys`) plus
``meta``, documented in ``docs/formats.md``; ``Trace.from_arrays`` rebuilds it from them.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from .interventions import Intervention
from .jsonable import to_jsonable
from .trace_keys import (
    C0,
    GRAD_X,
    H0,
    LOGITS,
    META,
    TOKEN_IDS,
    TOKENS,
    X,
    grad_key,
    jacobian_key,
    state_key,
)

if TYPE_CHECKING:
    from .model import ModelConfig

Key = tuple[int, str]
TRACE_FORMAT = "rnnstudio-trace"
TRACE_FORMAT_VERSION = 1
#: ``NonFinite.message()`` read backwards (older files kept only the message).
_NONFINITE_MESSAGE = re.compile(
    r"non-finite value: (?P<quantity>.+?) of layer (?P<layer>-?[0-9]{1,9}) "
    r"\((?P<direction>\w+)\) is (?P<value>\S+) at step (?P<step>[0-9]{1,9}) "
    r"\(token (?P<token>.*)\), unit (?P<unit>[0-9]{1,9})"
)


@dataclass(frozen=True)
class LayerTrace:
    """One layer and direction: h (T, H_out), c (T, H) for LSTM, gates name -> (T, H)."""

    h: np.ndarray
    c: np.ndarray | None
    gates: dict[str, np.ndarray]

    def quantities(self) -> dict[str, np.ndarray]:
        """h, c (LSTM) and every gate, in display order."""
        out = {"h": self.h}
        if self.c is not None:
            out["c"] = self.c
        return {**out, **self.gates}


@dataclass(frozen=True)
class NonFinite:
    """Where a value first became NaN or infinite (earliest step, then lowest layer)."""

    step: int
    layer: int
    direction: str
    quantity: str
    unit: int
    value: float
    token: str = ""

    def message(self) -> str:
        where = f"layer {self.layer} ({self.direction})"
        return (f"non-finite value: {self.quantity} of {where} is {self.value} at step "
                f"{self.step} (token {self.token!r}), unit {self.unit}")

    @classmethod
    def from_message(cls, text: str) -> NonFinite | None:
        """The fields back from :meth:`message` (the only form format-1 files of
        rnnstudio 0.1 recorded; float text and ``repr`` of the token are exact), or None
        when ``text`` is not such a message."""
        match = _NONFINITE_MESSAGE.fullmatch(text) if len(text) <= 10_000 else None
        if match is None:
            return None
        try:
            token = ast.literal_eval(match["token"])
            value = float(match["value"])
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
        if not isinstance(token, str):
            return None
        return cls(int(match["step"]), int(match["layer"]), match["direction"],
                   match["quantity"], int(match["unit"]), value, token)


def find_nonfinite(
    arrays: dict[tuple[int, str, str], np.ndarray], tokens: list[str]
) -> NonFinite | None:
    """The earliest step, then first (layer, direction, quantity), holding NaN or inf."""
    best: NonFinite | None = None
    for (layer, direction, quantity), values in arrays.items():
        bad = ~np.isfinite(values.reshape(values.shape[0], -1))
        rows = np.flatnonzero(bad.any(axis=1))
        if rows.size and (best is None or rows[0] < best.step):
            step = int(rows[0])
            unit = int(np.flatnonzero(bad[step])[0])
            value = float(values.reshape(values.shape[0], -1)[step, unit])
            token = tokens[step] if step < len(tokens) else ""
            best = NonFinite(step, layer, direction, quantity, unit, value, token)
    return best


def row_norms(values: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row without squaring tiny values to zero (a vanished
    gradient of 1e-170 has a norm of 1e-170, not 0 as ``np.linalg.norm`` gives). A row
    holding an infinity has norm inf (inf / inf would make it NaN); one holding a NaN, NaN."""
    peak = np.abs(values).max(axis=1, keepdims=True)
    safe = np.where((peak > 0) & np.isfinite(peak), peak, 1.0)
    with np.errstate(invalid="ignore", over="ignore"):
        norms = peak[:, 0] * np.sqrt(((values / safe) ** 2).sum(axis=1))
    return np.where(np.isinf(peak[:, 0]), peak[:, 0], norms)


@dataclass
class Gradients:
    """Backward results in ``grad_dtype`` (float64 by default).

    ``h``/``c`` are total derivatives dL/dh_t, dL/dc_t per (layer, direction);
    ``jacobian`` is ||dh_T/dh_t|| (Frobenius, see ``RecurrentStack.jacobian_norms``).
    ``params`` (dL/dW by PyTorch name) and ``h0``/``c0`` (dL/dh0, dL/dc0) are what
    training needs, not what the window shows, so a trace file does not keep them: a
    trace read back from a file has ``params == {}`` and ``h0 is None``.
    """

    loss_name: str
    loss_value: float
    h: dict[Key, np.ndarray]
    c: dict[Key, np.ndarray]
    x: np.ndarray
    params: dict[str, np.ndarray]
    h0: np.ndarray | None
    c0: np.ndarray | None
    jacobian: dict[Key, np.ndarray] = field(default_factory=dict)
    nonfinite: NonFinite | None = None

    def norms(self, layer: int = 0, direction: str = "fwd") -> dict[str, np.ndarray]:
        """Per-step norms (T,): ``h`` ||dL/dh_t||, ``c`` ||dL/dc_t||, ``x`` ||dL/dx_t||
        and ``jacobian`` ||dh_T/dh_t|| where computed."""
        key = (layer, direction)
        out = {"h": row_norms(self.h[key])}
        if key in self.c:
            out["c"] = row_norms(self.c[key])
        out["x"] = row_norms(self.x)
        if key in self.jacobian:
            out["jacobian"] = self.jacobian[key]
        return out


@dataclass(repr=False, eq=False)
class Trace:
    """Forward (and, with a loss, backward) results for one text."""

    config: ModelConfig
    tokens: list[str]
    token_ids: np.ndarray
    unknown: list[int]
    x: np.ndarray
    layers: dict[Key, LayerTrace]
    logits: np.ndarray | None = None
    grads: Gradients | None = None
    nonfinite: NonFinite | None = None
    seconds: float = 0.0
    h0: np.ndarray | None = None  # initial states as given (None: zeros)
    c0: np.ndarray | None = None
    #: The edits the trace was computed with (``Model.trace(interventions=...)``).
    interventions: tuple[Intervention, ...] = ()

    @property
    def steps(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        """One line (cell, layers, dtype, the first tokens, the loss), not every array."""
        from .display import trace_repr

        return trace_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter: a table of the facts and a heatmap of h (layer 0) as inline PNG."""
        from ..notebook import trace_html

        return trace_html(self)

    def _repr_png_(self) -> bytes:
        """Jupyter: the heatmap of h of layer 0, forward (see :mod:`rnnstudio.notebook`)."""
        from ..notebook import trace_png

        return trace_png(self)

    def plot(self, panel: str = "heatmaps", ax: Any = None, **options: Any) -> Any:
        """Draw a panel as ``rnnstudio plot`` names it: ``heatmaps``, ``gradients``,
        ``step``, ``unit`` or ``figure`` (heatmaps and gradients on one time axis).

        With matplotlib: into ``ax`` (one Axes per plot the panel draws) or a new
        ``Figure``, which is returned. Without it: an image that Jupyter shows and
        ``.save(path)`` writes, drawn by ``rnnstudio plot`` itself. ``options``:
        ``layer``, ``direction``, ``step``, ``unit``, ``width``, ``height`` (pixels at
        96 dpi), ``model`` (named in the title), ``quantities`` (e.g. ``("h", "c")``).
        See :mod:`rnnstudio.notebook_plot`; the engine itself imports no plotting library.
        """
        from ..notebook_plot import plot_trace

        return plot_trace(self, panel, ax, **options)

    def to_dataframe(self) -> Any:
        """The long-format rows of the CSV export as a ``pandas.DataFrame``: columns
        ``layer`` (nullable int), ``direction``, ``step``, ``token``, ``quantity``,
        ``unit`` (nullable int), ``value`` (float64); one row per step and unit of every
        state, gate, gradient, Jacobian norm, input and logit. Needs pandas (an
        ``ImportError`` says ``pip install pandas`` without it)."""
        from .trace_columns import trace_dataframe

        return trace_dataframe(self)

    def __eq__(self, other: object) -> bool:
        """Exactly the same tokens, facts and arrays (NaN equals NaN); not ``seconds``
        nor ``grads.params``, which files do not keep (see :mod:`.trace_compare`)."""
        if not isinstance(other, Trace):
            return NotImplemented
        from .trace_compare import traces_equal

        return traces_equal(self, other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def allclose(self, other: Trace, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
        """Same tokens and facts, every float array within ``rtol``/``atol`` (as
        ``numpy.allclose``); see :func:`.trace_compare.allclose`."""
        from .trace_compare import allclose

        return allclose(self, other, rtol, atol)

    def layer(self, layer: int = 0, direction: str = "fwd") -> LayerTrace:
        return self.layers[layer % self.config.recurrent.num_layers, direction]

    @property
    def meta(self) -> dict[str, Any]:
        """What ``arrays()`` cannot hold: the model's configuration, the loss, where a
        value first overflowed. Keys after ``nonfinite`` were added in rnnstudio 0.2
        (format 1 still: readers ignore keys they do not know)."""
        cfg, grads = self.config, self.grads
        tokenizer = cfg.tokenizer.to_dict()
        return {
            "format": TRACE_FORMAT,
            "format_version": TRACE_FORMAT_VERSION,
            "version": __version__,
            **cfg.recurrent.to_dict(),
            "dtype": cfg.dtype,
            "tokenizer": cfg.tokenizer.kind,
            "steps": self.steps,
            "unknown": list(self.unknown),
            "labels": list(cfg.labels),
            "loss": None if grads is None else grads.loss_name,
            "loss_value": None if grads is None else grads.loss_value,
            "grad_dtype": None if grads is None else str(grads.x.dtype),
            "nonfinite": None if self.nonfinite is None else self.nonfinite.message(),
            "task": cfg.task,
            "embedding": cfg.embedding,
            "vocabulary": tokenizer["vocabulary"],
            "lowercase": cfg.tokenizer.lowercase,
            "unk": tokenizer.get("unk"),  # null when the vocabulary tells (to_dict)
            "pad": tokenizer.get("pad"),
            "card": dict(cfg.card),
            "readout": cfg.readout,
            "nonfinite_at": None if self.nonfinite is None else asdict(self.nonfinite),
            "grad_nonfinite_at": None if grads is None or grads.nonfinite is None
            else asdict(grads.nonfinite),
            "seconds": self.seconds,
            "interventions": [edit.to_dict() for edit in self.interventions],
        }

    def arrays(self) -> dict[str, np.ndarray]:
        """The trace-file keys and arrays (``meta`` as a JSON string)."""
        out: dict[str, np.ndarray] = {
            TOKENS: np.array(self.tokens, dtype=np.str_),
            TOKEN_IDS: self.token_ids.astype(np.int64),
            X: self.x,
        }
        for (layer, direction), record in self.layers.items():
            for name, values in record.quantities().items():
                out[state_key(layer, direction, name)] = values
        grads = self.grads
        if grads is not None:
            for (layer, direction), values in grads.h.items():
                out[grad_key(layer, direction, "h")] = values
            for (layer, direction), values in grads.c.items():
                out[grad_key(layer, direction, "c")] = values
            out[GRAD_X] = grads.x
            for (layer, direction), values in grads.jacobian.items():
                out[jacobian_key(layer, direction)] = values
        if self.logits is not None:
            out[LOGITS] = self.logits
        for key, state in ((H0, self.h0), (C0, self.c0)):
            if state is not None:
                out[key] = np.asarray(state)
        out[META] = np.array(json.dumps(to_jsonable(self.meta), allow_nan=False))
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> Trace:
        """The trace that ``arrays()`` flattened: ``arrays`` by trace-file key (a ``meta``
        key among them is ignored) and ``meta`` decoded from its JSON.

        Everything is checked before it is trusted (see :mod:`.trace_rebuild`): the
        configuration in ``meta``, every layer and direction it implies, shapes (T, I),
        (T, H_out), (T, H) ... Raises :class:`~rnnstudio.errors.ExportError` naming the
        key or meta field at fault. Gradients of the weights and initial states are not
        in the file: the rebuilt ``grads.params`` is empty and ``grads.h0`` None.
        """
        from .trace_rebuild import trace_from_arrays

        return trace_from_arrays(arrays, meta)
