"""A recurrent stack: layers and directions wired as in ``torch.nn.LSTM``.

Layer k's input is layer k-1's output, the forward and reverse directions concatenated
(reverse outputs re-aligned to forward time). Arrays are time-major (T, B, ...); caches
stay in each direction's processing order and are flipped only at the boundary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .config import RecurrentConfig
from .edited import forward_edited
from .edits import LayerEdits
from .gru import GruLayer, GruResetBeforeLayer
from .layer import LayerGrads, ProgressCallback, StepCallback, StopCheck
from .lstm import LstmLayer
from .lstm_training import LstmTrainingLayer
from .params import RNN_PREFIX, layer_suffix, layer_weights
from .rnn import RnnLayer
from .workspace import Workspace

Key = tuple[int, str]  # (layer, direction)

#: Up to this many output units ||dh_T/dh_t|| is exact (one adjoint per unit); above it,
#: a seeded Hutchinson estimate with JACOBIAN_PROBES Gaussian probes (relative error
#: about 1/sqrt(2 * probes), i.e. ~9% for 64).
JACOBIAN_EXACT_MAX = 256
JACOBIAN_PROBES = 64


def _in_time_order(array: np.ndarray, direction: str) -> np.ndarray:
    """Flip a reverse direction's processing order to forward time (a view)."""
    return array[::-1] if direction == "bwd" else array


@dataclass
class StackCache:
    """Forward results: per-layer caches (processing order) and each layer's output."""

    caches: dict[Key, Any]
    outputs: list[np.ndarray]  # layer k output (T, B, D * H_out), forward time

    def record(self, key: Key) -> dict[str, np.ndarray]:
        """Named arrays of one layer and direction in forward time (T, B, n)."""
        return {k: _in_time_order(v, key[1]) for k, v in self.caches[key].record().items()}


@dataclass
class StackGrads:
    """Total derivatives per layer and direction (forward time) and parameter grads."""

    hidden: dict[Key, np.ndarray] = field(default_factory=dict)
    cell: dict[Key, np.ndarray] = field(default_factory=dict)
    x: np.ndarray | None = None
    h0: np.ndarray | None = None
    c0: np.ndarray | None = None
    params: dict[str, np.ndarray] = field(default_factory=dict)


class RecurrentStack:
    """The recurrent part of a model; layers are prepared once per dtype and reused.

    ``training``: an LSTM without projection runs :class:`LstmTrainingLayer`, the
    trainer's layer (same gradients, no per-step scale, no edits, about twice as fast at
    batch 32) with its arrays in ``workspace``, one part per layer and direction; its
    caches have no ``record()``, so such a stack traces nothing.
    """

    def __init__(self, config: RecurrentConfig, params: dict[str, np.ndarray],
                 training: bool = False, workspace: Workspace | None = None) -> None:
        self.config = config
        self._params = params
        self._training = training and config.cell == "lstm" and not config.proj_size
        self._workspace = Workspace() if workspace is None else workspace
        self._layers: dict[np.dtype, dict[Key, Any]] = {}

    def keys(self) -> list[Key]:
        return [(k, d) for k in range(self.config.num_layers) for d in self.config.directions]

    def layers(self, dtype: DTypeLike) -> dict[Key, Any]:
        dtype = np.dtype(dtype)
        if dtype not in self._layers:
            built: dict[Key, Any] = {}
            for layer, direction in self.keys():
                weights = layer_weights(self._params, layer, direction, dtype)
                if self._training:
                    built[layer, direction] = LstmTrainingLayer(
                        weights, self._workspace.part((layer, direction)))
                elif self.config.cell == "lstm":
                    built[layer, direction] = LstmLayer(weights)
                elif self.config.cell == "gru":
                    gru_kind = GruLayer if self.config.reset_after else GruResetBeforeLayer
                    built[layer, direction] = gru_kind(weights)
                else:
                    built[layer, direction] = RnnLayer(weights, self.config.nonlinearity)
            self._layers[dtype] = built
        return self._layers[dtype]

    def initial_states(
        self, batch: int, dtype: np.dtype, h0: np.ndarray | None, c0: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """PyTorch's (L*D, B, H_out) and (L*D, B, H) initial states, zeros by default."""
        cfg = self.config
        count = cfg.num_layers * cfg.num_directions
        h = np.zeros((count, batch, cfg.output_size), dtype) if h0 is None else h0.astype(dtype)
        c = np.zeros((count, batch, cfg.hidden_size), dtype) if c0 is None else c0.astype(dtype)
        return h, c

    def forward(
        self,
        x: np.ndarray,
        dtype: DTypeLike,
        h0: np.ndarray | None = None,
        c0: np.ndarray | None = None,
        should_stop: StopCheck | None = None,
        on_progress: ProgressCallback | None = None,
        edits: Mapping[Key, LayerEdits] | None = None,
    ) -> StackCache:
        """Run x (T, B, I) through every layer and direction; a layer with ``edits``
        (:func:`~rnnstudio.engine.edits.layer_edits`) runs its edited loop instead
        (:mod:`.edited`), and its cache carries them into backward and Jacobian passes."""
        dtype = np.dtype(dtype)
        edits = edits or {}
        layers = self.layers(dtype)
        h_init, c_init = self.initial_states(x.shape[1], dtype, h0, c0)
        caches: dict[Key, Any] = {}
        outputs = []
        layer_input = x.astype(dtype, copy=False)
        directions = self.config.directions
        for layer in range(self.config.num_layers):
            parts = []
            for j, direction in enumerate(directions):
                index = layer * len(directions) + j
                layer_x = _in_time_order(layer_input, direction)
                if (layer, direction) in edits:
                    cache = forward_edited(layers[layer, direction], layer_x, h_init[index],
                                           c_init[index], edits[layer, direction], should_stop)
                else:
                    cache = layers[layer, direction].forward(layer_x, h_init[index],
                                                             c_init[index], should_stop)
                caches[layer, direction] = cache
                parts.append(_in_time_order(cache.hidden, direction))
                if on_progress is not None:
                    on_progress(len(caches), len(layers))
            layer_input = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
            outputs.append(layer_input)
        return StackCache(caches, outputs)

    def backward(
        self,
        cache: StackCache,
        grad_states: dict[tuple[int, str, str], np.ndarray],
        dtype: DTypeLike = np.float64,
        should_stop: StopCheck | None = None,
    ) -> StackGrads:
        """Backpropagate direct gradients ``grad_states[(layer, direction, "h"|"c")]``
        (T, B, n), forward time, through every layer and direction."""
        dtype = np.dtype(dtype)
        scaled = _scaled(cache, dtype)
        layers = self.layers(cache.outputs[0].dtype if scaled else dtype)
        cfg = self.config
        out = StackGrads()
        count = cfg.num_layers * cfg.num_directions
        steps, batch = cache.outputs[0].shape[:2]
        out.h0 = np.zeros((count, batch, cfg.output_size), dtype)
        out.c0 = np.zeros((count, batch, cfg.hidden_size), dtype) if cfg.cell == "lstm" else None
        from_above: dict[Key, np.ndarray] = {}
        for layer in range(cfg.num_layers - 1, -1, -1):
            d_input = None
            for j, direction in enumerate(cfg.directions):
                key = (layer, direction)
                grad_h = _sum_present(grad_states.get((layer, direction, "h")), from_above.get(key))
                grad_c = grad_states.get((layer, direction, "c"))
                result: LayerGrads = layers[key].backward(
                    cache.caches[key],
                    None if grad_h is None else _in_time_order(grad_h, direction),
                    None if grad_c is None else _in_time_order(grad_c, direction),
                    should_stop=should_stop,
                    scaled=scaled,
                )
                out.hidden[key] = _in_time_order(result.hidden, direction)
                if result.cell is not None:
                    out.cell[key] = _in_time_order(result.cell, direction)
                sfx = layer_suffix(layer, direction)
                for name, value in result.params.items():
                    out.params[f"{RNN_PREFIX}{name}_{sfx}"] = value
                index = layer * cfg.num_directions + j
                out.h0[index] = result.h0
                if out.c0 is not None:
                    out.c0[index] = result.c0
                assert result.x is not None
                d_x = _in_time_order(result.x, direction)
                d_input = d_x if d_input is None else d_input + d_x
            assert d_input is not None
            width = cfg.output_size
            for j, direction in enumerate(cfg.directions):
                from_above[layer - 1, direction] = d_input[..., j * width : (j + 1) * width]
            out.x = d_input
        return out

    def jacobian_norms(
        self, cache: StackCache, dtype: DTypeLike = np.float64,
        should_stop: StopCheck | None = None, on_progress: ProgressCallback | None = None,
    ) -> dict[Key, np.ndarray]:
        """||dh_T/dh_t|| (Frobenius) per layer and direction, within that layer's own
        recurrence (its input held fixed); for a reverse direction "T" is time 0.

        Exact up to JACOBIAN_EXACT_MAX units: the backward pass runs with one adjoint per
        unit of h_T (the identity as seed), so the adjoint at step t is dh_T/dh_t itself.
        Above that, E||v^T J||^2 = ||J||_F^2 for v ~ N(0, I) gives an unbiased estimate
        of the squared norm from JACOBIAN_PROBES seeded probes.

        ``on_progress(done, total)`` counts steps over all layers and directions: first
        (0, total), then after every step, the last call (total, total).
        """
        dtype = np.dtype(dtype)
        size = self.config.output_size
        if size <= JACOBIAN_EXACT_MAX:
            seeds = np.eye(size, dtype=dtype)
        else:
            rng = np.random.default_rng(0)
            seeds = rng.standard_normal((JACOBIAN_PROBES, size)) / np.sqrt(JACOBIAN_PROBES)
        scaled = _scaled(cache, dtype)
        loop_dtype = cache.outputs[0].dtype if scaled else dtype
        layers = self.layers(loop_dtype)
        steps = cache.outputs[0].shape[0]
        total = steps * len(layers)
        if on_progress is not None:
            on_progress(0, total)
        norms = {}
        for index, (key, layer) in enumerate(layers.items()):
            result = layer.jacobian_norms(
                cache.caches[key], seeds.astype(loop_dtype), should_stop,
                _pass_progress(on_progress, index * steps, total),
            )
            norms[key] = np.ascontiguousarray(_in_time_order(result, key[1]), dtype)
        return norms


def _pass_progress(
    on_progress: ProgressCallback | None, before: int, total: int
) -> StepCallback | None:
    """Steps done within one backward pass as steps done over all passes."""
    if on_progress is None:
        return None
    return lambda done: on_progress(before + done, total)


def _scaled(cache: StackCache, dtype: np.dtype) -> bool:
    """float64 gradients of a float32 forward run in float32 with a per-step scale
    (:class:`~rnnstudio.engine.layer.StepScale`): float32 speed, float64 range."""
    return dtype == np.float64 and cache.outputs[0].dtype == np.float32


def _sum_present(*arrays: np.ndarray | None) -> np.ndarray | None:
    present = [a for a in arrays if a is not None]
    if not present:
        return None
    total = present[0]
    for extra in present[1:]:
        total = total + extra
    return total
