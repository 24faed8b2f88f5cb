"""RNN Studio: watch RNN, LSTM and GRU cells read text (NumPy engine, no Qt here).

>>> import rnnstudio as rs
>>> model = rs.random_model("lstm", hidden_size=32, seed=0)      # or rs.load_model(path)
>>> trace = model.trace("the cat sat on the mat")
>>> trace.layer(0).gates["f"].shape                               # (T, H) forget gate
(6, 32)
>>> model.attribute("the cat sat on the mat").scores.shape       # one score a token
(6,)
>>> rs.save_trace(trace, "trace.npz")                             # doctest: +SKIP

Names are loaded on first use, so ``import rnnstudio`` (and ``rnnstudio --version``)
stays fast, and importing it never imports Qt. See docs/api.md and docs/formats.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import errors
from ._version import __version__

if TYPE_CHECKING:
    from .engine.attribution import Attribution
    from .engine.config import RecurrentConfig
    from .engine.corpus_query import ArrayCorpus, find_spans, search_spans, top_activations
    from .engine.corpus_query_brush import brush_units
    from .engine.decomposition import Decomposition
    from .engine.interventions import Intervention, parse_intervention
    from .engine.model import Model, ModelConfig, random_model
    from .engine.saturation import Saturation, saturation, trace_saturation
    from .engine.trace import Trace
    from .engine.trace_compare import allclose
    from .engine.trajectory import PcaBasis, fit_pca
    from .io.corpus_index import index_corpus
    from .io.corpus_reader import open_corpus
    from .io.keras_model import from_keras
    from .io.model_files import load_model, save_model
    from .io.pca_basis import load_basis, save_basis
    from .io.text_stream import read_paragraphs
    from .io.torch_module import from_torch
    from .io.trace_export import save_trace
    from .io.trace_read import load_trace

#: Public name -> module that defines it.
_EXPORTS = {
    "Attribution": "rnnstudio.engine.attribution",
    "Decomposition": "rnnstudio.engine.decomposition",
    "Model": "rnnstudio.engine.model",
    "ModelConfig": "rnnstudio.engine.model",
    "random_model": "rnnstudio.engine.model",
    "RecurrentConfig": "rnnstudio.engine.config",
    "Intervention": "rnnstudio.engine.interventions",
    "parse_intervention": "rnnstudio.engine.interventions",
    "Trace": "rnnstudio.engine.trace",
    "Saturation": "rnnstudio.engine.saturation",
    "saturation": "rnnstudio.engine.saturation",
    "trace_saturation": "rnnstudio.engine.saturation",
    "read_paragraphs": "rnnstudio.io.text_stream",
    "ArrayCorpus": "rnnstudio.engine.corpus_query",
    "find_spans": "rnnstudio.engine.corpus_query",
    "search_spans": "rnnstudio.engine.corpus_query",
    "top_activations": "rnnstudio.engine.corpus_query",
    "brush_units": "rnnstudio.engine.corpus_query_brush",
    "index_corpus": "rnnstudio.io.corpus_index",
    "open_corpus": "rnnstudio.io.corpus_reader",
    "allclose": "rnnstudio.engine.trace_compare",
    "PcaBasis": "rnnstudio.engine.trajectory",
    "fit_pca": "rnnstudio.engine.trajectory",
    "load_basis": "rnnstudio.io.pca_basis",
    "save_basis": "rnnstudio.io.pca_basis",
    "load_model": "rnnstudio.io.model_files",
    "save_model": "rnnstudio.io.model_files",
    "save_trace": "rnnstudio.io.trace_export",
    "load_trace": "rnnstudio.io.trace_read",
    "from_torch": "rnnstudio.io.torch_module",
    "from_keras": "rnnstudio.io.keras_model",
}

__all__ = [
    "ArrayCorpus", "Attribution", "Decomposition", "Intervention", "Model", "ModelConfig",
    "PcaBasis", "RecurrentConfig", "Saturation", "Trace", "__version__", "allclose",
    "brush_units", "errors", "find_spans", "fit_pca", "from_keras", "from_torch",
    "index_corpus", "load_basis", "load_model", "load_trace", "open_corpus",
    "parse_intervention", "random_model", "read_paragraphs", "save_basis", "save_model",
    "save_trace", "saturation", "search_spans", "top_activations", "trace_saturation",
]


#: Sub-packages reachable as attributes (``rs.io.read_model``, ``rs.limits.MAX_TOKENS``);
#: never the GUI.
_SUBPACKAGES = ("engine", "io", "limits")


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"rnnstudio.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rnnstudio' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBPACKAGES))
