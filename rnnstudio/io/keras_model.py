"""``rs.from_keras``: a live Keras model in RNN Studio, without writing a file.

The same conversion as a ``.keras`` file (:mod:`.keras_layers`): the model's
``get_config()`` is read as JSON data and each layer's ``get_weights()`` as arrays, so
what loads, what is refused and the numbers are exactly those of the saved model.
Nothing from Keras is imported: the model's own methods are all that is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.model import Model
from ..errors import ConfigError, ModelFileError
from .config_sources import ConfigParts
from .json_values import show
from .keras_layers import PADDING, Shape, check_weight_shapes, convert_keras, keras_options
from .model_files import assemble_model
from .vocab_options import option_sources

__all__ = ["from_keras"]


def from_keras(model: Any, vocabulary: Any = None, **options: Any) -> Model:
    """An RNN Studio :class:`~rnnstudio.engine.model.Model` computing what the Keras
    ``model`` computes.

    Parameters
    ----------
    model : a built ``keras.Sequential`` or functional ``keras.Model`` (Keras 2 or 3)
        whose layers RNN Studio reads (docs/formats.md, "Keras").
    vocabulary : the tokens of the Embedding's rows: a list, or a ``{token: index}``
        dict such as Keras's ``Tokenizer.word_index`` (which starts at 1: row 0 becomes
        ``"<pad>"``). Needed when the model has an Embedding; it must hold an unknown token
        (``"<OOV>"``, ``"<unk>"``, ``"[UNK]"`` ... or the one ``unk=`` names).
    **options : any ``load_model`` option (``labels``, ``task``, ``readout``,
        ``tokenizer``, ``dtype`` ...); they win over what the model implies.

    Raises :class:`ModelFileError` naming the layer or option RNN Studio does not read,
    or :class:`ConfigError` for a missing vocabulary or a wrong option.
    """
    where = f"Keras model {show(getattr(model, 'name', type(model).__name__))}"
    try:
        config = {"class_name": type(model).__name__, "config": model.get_config()}
        layers = {layer.name: layer for layer in model.layers}
    except AttributeError as exc:
        raise ModelFileError(f"{where}: not a Keras model (no get_config or layers); pass "
                             "a keras.Sequential or functional keras.Model") from exc

    def weights(name: str, _key: str, shapes: Sequence[Shape]
                ) -> list[np.ndarray]:
        arrays = [np.asarray(array) for array in layers[name].get_weights()]
        if not arrays:
            raise ModelFileError(f"{where}: layer {show(name)} has no weights yet; build the "
                                 "model (call it once, or give it an Input) first")
        check_weight_shapes(where, name, [array.shape for array in arrays], shapes)
        return arrays

    contents = convert_keras(config, weights, where)
    if "embedding.weight" in contents.params and vocabulary is None \
            and "tokenizer" not in options:
        rows = contents.params["embedding.weight"].shape[0]
        raise ConfigError(f"{where}: has an Embedding of {rows} rows but no vocabulary: pass "
                          "vocabulary=[...] (one token per row, with '<unk>') or the Keras "
                          f"word_index (row 0 then is {PADDING!r})", argument="vocabulary")
    parts = ConfigParts()
    parts.add(contents.config or {}, f"{where} configuration")
    sources = keras_options(option_sources({"vocabulary": vocabulary, **options}), contents)
    return assemble_model(contents, parts, Path(where), (), sources, ("Keras model",)).model
