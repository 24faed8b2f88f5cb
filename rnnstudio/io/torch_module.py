"""Models handed over live from Python: ``rs.from_torch(module_or_state_dict, ...)``.

No file is written: a ``torch.nn.Module``'s parameters (or a state_dict of tensors or
arrays held in memory) go through the same renaming, configuration and validation as a
file (:func:`.model_files.assemble_model`), so a module loads exactly as its saved
state_dict would, and is refused with the same messages.

What a module knows is read from it rather than guessed from weight shapes: the
``nn.RNN/LSTM/GRU``'s own attributes (cell, nonlinearity, sizes, layers, direction,
projection, bias; ``batch_first`` and ``dropout`` do not change the numbers of one text
in eval mode), which ``nn.Embedding`` and which ``nn.Linear`` are the embedding and the
head when there is one of each that fits, whatever their names, and the layers around a
head in an ``nn.Sequential`` (dropout and identities only: a ReLU or Softmax there would
make the module's output differ from the engine's). What a module cannot say is its
``forward()``: which vector the head reads. That is the ``readout`` argument, guessed
as for files when not given (``"final-states"`` for a bidirectional classifier, the
tutorial's ``fc(cat(hidden[-2], hidden[-1]))``; ``"last-step"`` otherwise).

torch is imported only when a module or a tensor is handed over.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.model import Model
from ..errors import ConfigError, ParameterError
from .config_sources import ConfigParts
from .json_values import show
from .model_files import LoadedModel, assemble_model
from .name_map import KeyMap, check_key_map
from .state_dict import FileContents, conversion_notes
from .torch_file import check_tensor
from .vocab_options import option_sources

__all__ = ["from_torch", "read_torch_module"]

#: Layers that may sit next to the head's Linear in an ``nn.Sequential``: they change
#: nothing in eval mode.
NEUTRAL_LAYERS = ("Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "Identity", "Flatten")
_CELLS = {"LSTM": ("lstm", "tanh"), "GRU": ("gru", "tanh"), "RNN_TANH": ("rnn", "tanh"),
          "RNN_RELU": ("rnn", "relu")}
_WIDENED = ("float16", "bfloat16")
_VOCABULARY_FIX = "pass vocabulary=[...] (a list, or a {token: index} dict) to rs.from_torch"


def from_torch(module_or_state_dict: Any, vocabulary: Any = None, *,
               key_map: Mapping[str, str] | None = None, readout: str | None = None,
               task: str | None = None, labels: Any = None, tokenizer: Any = None,
               dtype: str | None = None, **overrides: Any) -> Model:
    """A model from a live ``torch.nn.Module`` or an in-memory state_dict, no file.

    Parameters
    ----------
    module_or_state_dict : an ``nn.Module`` holding one ``nn.RNN/LSTM/GRU`` (and at most
        an ``nn.Embedding`` and an ``nn.Linear`` head), a bare ``nn.LSTM``, or a mapping
        ``{name: tensor or array}`` as ``module.state_dict()`` returns.
    vocabulary : tokens by embedding row: a list, a ``{token: index}`` dict (torchtext
        ``stoi``, Keras ``word_index``) or a torchtext ``Vocab``; needed with an embedding.
    key_map : ``{old prefix: "embedding" | "rnn" | "head"}`` for parts whose names and
        types leave a doubt (docs/formats.md).
    readout : which vector the head reads (``last-step``, ``final-states``, ``mean``,
        ``max``, ``per-step``); a module's ``forward()`` cannot be read, so it is
        guessed as for files: ``final-states`` for a bidirectional classifier (the
        usual ``fc(torch.cat((hidden[-2], hidden[-1]), dim=1))``), else ``last-step``;
        pass ``"mean"`` or ``"max"`` for a pooling head.
    task, labels, tokenizer, dtype, **overrides : as for :func:`rnnstudio.load_model`;
        they win over what the module says.

    Returns
    -------
    Model
        A head the engine cannot reproduce (a LayerNorm before the Linear) is left out
        with a ``UserWarning`` naming it: the model is then its recurrent part only.
        Weights copied (the module may go on training) and cast to ``dtype``: float64
        when every weight is (``module.double()``), else float32; float16 and bfloat16
        are widened to float32 exactly. :func:`read_torch_module` also returns what was
        renamed and converted, and the embedding's ``padding_idx``.
    """
    loaded = read_torch_module(module_or_state_dict, key_map, vocabulary=vocabulary,
                               readout=readout, task=task, labels=labels, tokenizer=tokenizer,
                               dtype=dtype, **overrides)
    for note in loaded.notes:  # a head left out must not pass unseen in a notebook
        if "left out" in note:
            warnings.warn(note, UserWarning, stacklevel=2)
    return loaded.model


def read_torch_module(source: Any, key_map: Mapping[str, str] | None = None,
                      **overrides: Any) -> LoadedModel:
    """:func:`from_torch` that also reports the configuration sources, the renamed
    submodules (``names``) and ``notes`` (conversions, ``padding_idx``)."""
    checked_map = check_key_map(key_map)
    tokens_of = getattr(overrides.get("vocabulary"), "get_itos", None)  # torchtext Vocab
    if tokens_of is not None:
        overrides["vocabulary"] = list(tokens_of())
    options = option_sources(overrides)  # a wrong vocab or labels before the module
    parts = ConfigParts()
    module_map: KeyMap = ()
    notes: tuple[str, ...] = ()
    if isinstance(source, Mapping):
        kind, where = "state_dict", Path("state_dict")
        contents = _arrays(source, where)
    else:
        module = _module(source)
        kind, where = "torch module", Path(f"torch module {type(module).__name__}")
        attributes, module_map, notes = _read_module(module, checked_map)
        if attributes:
            parts.add(attributes, "module attributes")
        contents = _arrays(module.state_dict(), where)
    contents = FileContents(contents.params, None, contents.notes + notes)
    loaded = assemble_model(contents, parts, where, checked_map, options,
                            (kind,), vocabulary_fix=_VOCABULARY_FIX, found=module_map)
    if not isinstance(source, Mapping):
        _check_head_container(source, loaded.names, where)
    return loaded


def _module(source: Any) -> Any:
    """``source`` if it is a ``torch.nn.Module``; ConfigError saying what to pass. A
    module exists only once torch is imported, so torch is not imported here."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(source, torch.nn.Module):
        raise ConfigError(
            f"from_torch: expected a torch.nn.Module or a state_dict (a mapping of names to "
            f"tensors or arrays), got {type(source).__name__}; for a file use rs.load_model",
            argument="module_or_state_dict")
    return source


def _read_module(module: Any, key_map: KeyMap
                 ) -> tuple[dict[str, Any], KeyMap, tuple[str, ...]]:
    """The recurrent config from the ``nn.RNNBase``'s attributes, the parts found by
    type (added to the map where names alone would not find them) and notes."""
    from torch import nn

    named = dict(module.named_modules())
    cells = sorted(name for name, layer in named.items() if isinstance(layer, nn.RNNCellBase))
    if cells:
        raise ParameterError(
            f"{show(cells[0])} is an {type(named[cells[0]]).__name__}, stepped by the "
            "module's own Python loop, which RNN Studio cannot read; use nn.RNN/LSTM/GRU "
            "(their weights are the cell's with the suffix _l0)")
    stacks = [name for name, layer in named.items() if isinstance(layer, nn.RNNBase)]
    given = dict((role, old) for old, role in key_map)
    chosen = given.get("rnn", stacks[0] if len(stacks) == 1 else None)
    if chosen not in named or not isinstance(named[chosen], nn.RNNBase):
        return {}, (), ()  # none or several: the name mapping says which and what to do
    rnn = named[chosen]
    cell, nonlinearity = _CELLS[rnn.mode]
    attributes = {"cell": cell, "nonlinearity": nonlinearity, "input_size": rnn.input_size,
                  "hidden_size": rnn.hidden_size, "num_layers": rnn.num_layers,
                  "bidirectional": rnn.bidirectional, "proj_size": rnn.proj_size,
                  "bias": rnn.bias}
    width = (rnn.proj_size or rnn.hidden_size) * (2 if rnn.bidirectional else 1)
    embeddings = _only(named, nn.Embedding, lambda layer: layer.embedding_dim == rnn.input_size)
    heads = _only(named, nn.Linear, lambda layer: layer.in_features == width)
    found: list[tuple[str, str]] = []
    for role, name in (("embedding", embeddings), ("head", heads)):
        if name and role not in given and name not in given.values():
            found.append((name, role))
    notes: tuple[str, ...] = ()
    if embeddings and named[embeddings].padding_idx is not None:
        notes = (f"embedding {show(embeddings)} has padding_idx "
                 f"{named[embeddings].padding_idx}: its row is read as stored, as torch's "
                 "forward does",)
    return attributes, tuple(found), notes


def _only(named: Mapping[str, Any], kind: type, fits: Any) -> str | None:
    """The name of the one layer of ``kind``, if there is one and it ``fits``."""
    layers = [name for name, layer in named.items() if isinstance(layer, kind)]
    return layers[0] if len(layers) == 1 and fits(named[layers[0]]) else None


def _check_head_container(module: Any, names: KeyMap, where: Path) -> None:
    """Refuse, by name, a layer that computes something beside the head in its
    ``nn.Sequential`` (a ReLU before it, a Softmax after it)."""
    from torch import nn

    head = next((old for old, role in names if role == "head"), "head")
    parent_name, _, _ = head.rpartition(".")
    named = dict(module.named_modules())
    parent = named.get(parent_name) if parent_name else None
    if not isinstance(parent, nn.Sequential):
        return
    for index, layer in enumerate(parent):
        name = f"{parent_name}.{index}"
        if name != head and type(layer).__name__ not in NEUTRAL_LAYERS:
            raise ParameterError(
                f"{where}: {show(name)} is a {type(layer).__name__} next to the head "
                f"{show(head)}, and the engine applies the head's Linear alone, so its "
                "logits would differ from the module's; build the head without it, or pass "
                "module.state_dict() to load the Linear alone")


def _arrays(state: Mapping[Any, Any], where: Path) -> FileContents:
    """NumPy copies of a state_dict's tensors or arrays; half precision widened to
    float32 (exact), each kind counted in ``notes``."""
    params: dict[str, np.ndarray] = {}
    widened: dict[str, list[str]] = {kind: [] for kind in _WIDENED}
    for name, value in state.items():
        if hasattr(value, "detach"):  # a torch tensor: torch is installed
            import torch

            kind = check_tensor(name, value, where, torch)
            tensor = value.detach().cpu().resolve_conj().resolve_neg()
            if kind in _WIDENED:
                widened[kind].append(name)
                tensor = tensor.float()  # exact: float32 holds every float16 and bfloat16
            params[name] = tensor.numpy()
            continue
        array = np.asarray(value)
        if not isinstance(name, str) or array.dtype.kind not in "fiub":
            raise ParameterError(
                f"{where}: key {show(name)} holds {type(value).__name__} "
                f"({array.dtype}), not a real-valued tensor or array; pass "
                "module.state_dict() or a mapping of names to arrays")
        if array.dtype == np.float16:
            widened["float16"].append(name)
            array = array.astype(np.float32)
        params[name] = array
    return FileContents(params, None, conversion_notes(widened))
