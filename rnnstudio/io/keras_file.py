"""Keras model files, read with ``h5py`` (the optional extra ``rnnstudio[keras]``),
never with Keras or TensorFlow.

* ``.keras`` (Keras 3): a zip archive of ``config.json`` (the model's configuration),
  ``metadata.json`` and ``model.weights.h5``, whose group ``layers/<class_name>`` (in
  snake case, ``_1``, ``_2`` ... for later layers of a class) holds a layer's arrays as
  ``vars/0, 1, ...`` (a recurrent layer's under ``cell/vars``, a Bidirectional's under
  ``forward_layer`` and ``backward_layer``, a TimeDistributed's under ``layer``);
* legacy ``.h5`` / ``.hdf5`` (``model.save("m.h5")``, Keras 2 and 3): the configuration
  in the root attribute ``model_config``, the arrays under ``model_weights/<name>``,
  listed in order by that group's ``weight_names`` attribute.

Nothing in the file is run: the configuration is JSON read by :mod:`.keras_config`,
which refuses ``Lambda`` layers and custom objects by name. What is read is bounded by
the file's real size: the zip's members are checked as :mod:`.npz_members` does before
any is read (a zip bomb declares gigabytes in kilobytes), the configuration is at most
``MAX_CONFIG_BYTES``, every array's shape must be the one the configuration implies
(itself within the limits) before it is read, and all arrays together at most
``MAX_EXPANSION`` times the weights file (an HDF5 dataset that was never written reads
as fill values of any size).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError, RnnStudioError
from .config_sources import MAX_CONFIG_BYTES, parse_config_text
from .json_values import show
from .keras_layers import Shape, Weights, check_weight_shapes, convert_keras
from .messages import library_line
from .npz_members import MAX_EXPANSION, ZIP_ERRORS, check_archive_sizes
from .state_dict import FileContents

__all__ = ["KERAS_MEMBERS", "read_keras", "read_keras_h5"]

CONFIG_MEMBER = "config.json"
WEIGHTS_MEMBER = "model.weights.h5"
#: Members that make a zip archive a Keras 3 model (``metadata.json`` is not needed).
KERAS_MEMBERS = (CONFIG_MEMBER, WEIGHTS_MEMBER)
#: Where a Keras 3 layer's own arrays sit below ``layers/<name>``, in the order of
#: ``layer.get_weights()``.
_VARIABLE_GROUPS = ("vars", "cell/vars", "forward_layer/cell/vars", "backward_layer/cell/vars",
                    "layer/vars")
_INSTALL = 'pip install "rnnstudio[keras]"'


def read_keras(path: Path) -> FileContents:
    """The engine's parameters and configuration from a Keras 3 ``.keras`` file.

    Raises :class:`ModelFileError` or :class:`ConfigError`, one line naming the file
    and the member, layer or option at fault.
    """
    h5py = _h5py(path)
    try:
        size = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            weights_bytes, config_text = _zip_members(path, archive, size)
    except RnnStudioError:
        raise
    except ZIP_ERRORS as exc:
        raise ModelFileError(f"{path}: truncated or corrupt .keras archive "
                             f"({library_line(exc)}); save the model again") from exc
    config = parse_config_text(config_text, f"{path} {CONFIG_MEMBER}")
    with _opened(h5py, io.BytesIO(weights_bytes), path) as weights_file:
        reader = _ArrayReader(path, len(weights_bytes), h5py.Dataset)

        def weights(layer: str, key: str, shapes: Sequence[Shape]) -> list[np.ndarray]:
            group = weights_file.get(f"layers/{key}")
            datasets = [] if group is None else [
                dataset for variables in _VARIABLE_GROUPS if variables in group
                for dataset in _numbered(group[variables])]
            return reader.read(layer, datasets, shapes)

        return _converted(config, weights, path)


def read_keras_h5(path: Path) -> FileContents:
    """The engine's parameters and configuration from a legacy Keras ``.h5`` file."""
    h5py = _h5py(path)
    with _opened(h5py, path, path) as weights_file:
        text = weights_file.attrs.get("model_config")
        if text is None:
            raise ModelFileError(f"{path}: an HDF5 file without a Keras model_config (weights "
                                 "only, or not Keras): save the whole model with "
                                 "model.save('model.keras')")
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        if not isinstance(text, str) or len(text) > MAX_CONFIG_BYTES:
            raise ModelFileError(f"{path}: model_config is not a JSON text of at most "
                                 f"{MAX_CONFIG_BYTES:,} characters; save the model again")
        config = parse_config_text(text, f"{path} model_config")
        root = weights_file.get("model_weights", weights_file)
        reader = _ArrayReader(path, path.stat().st_size, h5py.Dataset)

        def weights(layer: str, _key: str, shapes: Sequence[Shape]) -> list[np.ndarray]:
            group = root.get(layer)
            names = [] if group is None else group.attrs.get("weight_names", [])
            datasets = [group.get(_text(name)) for name in names]
            if any(dataset is None for dataset in datasets):
                raise ModelFileError(f"{path}: layer {show(layer)} lists weights the file does "
                                     "not hold; save the model again")
            return reader.read(layer, datasets, shapes)

        return _converted(config, weights, path)


class _ArrayReader:
    """Reads a layer's datasets after checking their shapes and type, and keeps the
    total read within ``MAX_EXPANSION`` times the weights' ``size`` in bytes."""

    def __init__(self, path: Path, size: int, dataset_type: type) -> None:
        self.path, self.budget = path, MAX_EXPANSION * max(size, 1)
        self.dataset_type = dataset_type

    def read(self, layer: str, datasets: Sequence[Any],
             shapes: Sequence[Shape]) -> list[np.ndarray]:
        if not datasets:
            raise ModelFileError(f"{self.path}: layer {show(layer)} has no weights in the "
                                 "file; save the model again (model.save) after building it")
        if not all(isinstance(dataset, self.dataset_type) for dataset in datasets):
            raise ModelFileError(f"{self.path}: layer {show(layer)} lists a weight that is "
                                 "no array; save the model again")
        check_weight_shapes(str(self.path), layer, [d.shape for d in datasets], shapes)
        arrays = []
        for dataset in datasets:
            if dataset.dtype.kind != "f":
                raise ModelFileError(f"{self.path}: layer {show(layer)} holds {dataset.dtype} "
                                     "weights; RNN Studio reads floating-point weights")
            self.budget -= dataset.size * dataset.dtype.itemsize
            if self.budget < 0:
                raise ModelFileError(f"{self.path}: its weights would expand to more than "
                                     f"{MAX_EXPANSION} times the file's size; is this a model?")
            arrays.append(np.asarray(dataset[()]))
        return arrays


def _zip_members(path: Path, archive: zipfile.ZipFile, size: int) -> tuple[bytes, str]:
    """The weights file's bytes and the configuration text, sizes checked first."""
    infos = {info.filename: info for info in archive.infolist()}
    missing = [name for name in KERAS_MEMBERS if name not in infos]
    if missing:
        raise ModelFileError(f"{path}: a .keras archive without {' or '.join(missing)}; save "
                             "the model again with model.save('model.keras')")

    def fail(reason: str) -> ModelFileError:
        return ModelFileError(f"{path}: {reason}")

    check_archive_sizes([infos[name] for name in KERAS_MEMBERS], size, fail, MAX_EXPANSION,
                        fix="is this a Keras model?")
    if infos[CONFIG_MEMBER].file_size > MAX_CONFIG_BYTES:
        raise fail(f"{CONFIG_MEMBER} holds {infos[CONFIG_MEMBER].file_size:,} bytes, more "
                   f"than the {MAX_CONFIG_BYTES:,} RNN Studio reads")
    try:
        config_text = archive.read(CONFIG_MEMBER).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"{CONFIG_MEMBER} is not UTF-8 text; save the model again") from exc
    return archive.read(WEIGHTS_MEMBER), config_text


def _converted(config: dict[str, Any], weights: Weights, path: Path) -> FileContents:
    """:func:`convert_keras`, with HDF5 read errors said in one line."""
    try:
        return convert_keras(config, weights, str(path))
    except RnnStudioError:
        raise
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path}: corrupt Keras weights ({library_line(exc)}); save the "
                             "model again") from exc


def _numbered(group: Any) -> Iterator[Any]:
    """A ``vars`` group's datasets ``0, 1, ...`` in number order."""
    for key in sorted((key for key in group if key.isdigit()), key=int):
        yield group[key]


def _text(name: Any) -> str:
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)


def _opened(h5py: Any, source: Any, path: Path) -> Any:
    """``h5py.File(source, "r")``; a file HDF5 cannot open is one line naming it."""
    try:
        return h5py.File(source, "r")
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: truncated or corrupt HDF5 weights "
                             f"({library_line(exc)}); save the model again") from exc


def _h5py(path: Path) -> Any:
    try:
        import h5py
    except ImportError:
        raise ModelFileError(f"{path}: a Keras file, and h5py is not installed here: "
                             f"{_INSTALL}") from None
    return h5py

