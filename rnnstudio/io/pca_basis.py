"""PCA basis files: a trajectory's axes saved, to draw other texts (or other sessions)
in the same coordinates.

Two forms, told apart by extension, holding the same values:

* ``.npz`` (read with ``allow_pickle=False`` semantics: :func:`read_npz_arrays`, no
  objects): arrays ``mean`` (H,), ``components`` (k, H), ``explained_variance`` (k,),
  float64, and ``meta``, one JSON string;
* ``.json``: one object with the meta fields and the three arrays as lists.

The meta fields: ``format`` ("rnnstudio-pca-basis"), ``version`` (1), ``quantity``
("h"/"c"), ``layer``, ``direction``, ``fitted_on``, ``tokens`` (N), ``total_variance``,
``fingerprint`` (the model's weights, "" when unknown). Reading checks every field and
shape (components orthonormal, finite numbers) before a basis is built; with a model,
also that the basis fits it (:func:`~rnnstudio.engine.trajectory.check_basis`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from ..engine.trajectory import QUANTITIES, PcaBasis, check_basis, model_fingerprint
from ..errors import ExportError
from ..limits import MAX_HIDDEN_SIZE, MAX_TOKENS
from .atomic import check_writable, write_atomic, write_text_atomic
from .json_values import Checker, read_json_file
from .npz_members import read_npz_arrays

if TYPE_CHECKING:
    from ..engine.model import Model

BASIS_FORMAT = "rnnstudio-pca-basis"
BASIS_VERSION = 1
BASIS_EXTENSIONS = (".npz", ".json")
_ARRAYS = ("mean", "components", "explained_variance")
#: A basis file's JSON: H x k numbers of ~25 characters, k <= H <= MAX_HIDDEN_SIZE.
_MAX_JSON_BYTES = 32 * (MAX_HIDDEN_SIZE + 2) * 64
#: Rows of ``components`` further than this from orthonormal are a damaged file.
_ORTHONORMAL_TOLERANCE = 1e-6
_FIX = "export the basis again from RNN Studio"


def save_basis(basis: PcaBasis, path: str | Path) -> Path:
    """Write ``basis`` to ``path`` (.npz or .json), atomically; returns the path."""
    target = Path(path)
    suffix = basis_suffix(target)
    check_writable(target)
    meta = _meta(basis)
    if suffix == ".json":
        document = {**meta, **{key: getattr(basis, key).tolist() for key in _ARRAYS}}
        return write_text_atomic(target, json.dumps(document, allow_nan=False) + "\n")
    arrays: dict[str, Any] = {key: np.asarray(getattr(basis, key), dtype=np.float64)
                              for key in _ARRAYS}
    arrays["meta"] = np.array(json.dumps(meta, allow_nan=False))

    def write(stream: IO[bytes]) -> None:
        np.savez(stream, **arrays)

    return write_atomic(target, write)


def load_basis(path: str | Path, model: Model | None = None) -> PcaBasis:
    """The basis saved at ``path``. With ``model``, refuse one that does not fit it
    (layer, direction, quantity, width, or weights when both carry a fingerprint).

    Raises :class:`ExportError` (a damaged file) or ``ConfigError`` (another model),
    naming the file and what to do.
    """
    target = Path(path)
    if basis_suffix(target) == ".json":
        document = read_json_file(target, ExportError, max_bytes=_MAX_JSON_BYTES,
                                  max_depth=4, fix=_FIX)
        if not isinstance(document, dict):
            raise ExportError(f"{target}: not a PCA basis (a JSON object was expected); {_FIX}")
        arrays = {key: _json_array(target, key, document.get(key)) for key in _ARRAYS}
        meta = document
    else:
        found = read_npz_arrays(target, ExportError)
        meta = _npz_meta(target, found.get("meta"))
        arrays = {key: found.get(key) for key in _ARRAYS}
    basis = _basis(target, meta, arrays)
    if model is not None:
        check_basis(basis, model.config, model_fingerprint(model.params))
    return basis


def basis_suffix(path: Path) -> str:
    """``.npz`` or ``.json``; any other extension is refused, naming the two."""
    suffix = path.suffix.lower()
    if suffix not in BASIS_EXTENSIONS:
        raise ExportError(f"{path}: a PCA basis is saved as .npz or .json; "
                          "give one of these extensions")
    return suffix


def _meta(basis: PcaBasis) -> dict[str, Any]:
    return {"format": BASIS_FORMAT, "version": BASIS_VERSION, "quantity": basis.quantity,
            "layer": basis.layer, "direction": basis.direction,
            "fitted_on": basis.fitted_on, "tokens": basis.tokens,
            "total_variance": basis.total_variance, "fingerprint": basis.fingerprint}


def _npz_meta(target: Path, value: np.ndarray | None) -> dict[str, Any]:
    if value is None or value.dtype.kind != "U" or value.size != 1:
        raise ExportError(f"{target}: no meta string, so not an RNN Studio PCA basis; {_FIX}")
    try:
        meta = json.loads(str(value.reshape(())))
    except ValueError as exc:
        raise ExportError(f"{target}: its meta is not valid JSON; {_FIX}") from exc
    if not isinstance(meta, dict):
        raise ExportError(f"{target}: its meta is not a JSON object; {_FIX}")
    return meta


def _json_array(target: Path, key: str, values: Any) -> np.ndarray | None:
    if values is None:
        return None
    try:
        return np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ExportError(f"{target}: {key} must be an array of numbers; {_FIX}") from exc


def _basis(target: Path, meta: dict[str, Any], arrays: dict[str, Any]) -> PcaBasis:
    """Every field and shape checked, then the basis."""
    check = Checker(str(target), ExportError, _FIX)
    if meta.get("format") != BASIS_FORMAT:
        raise ExportError(f"{target}: not an RNN Studio PCA basis (format "
                          f"{meta.get('format')!r}); {_FIX}")
    check.whole("version", meta.get("version"), 1, BASIS_VERSION)
    mean, components, variance = (_float_array(target, key, arrays[key]) for key in _ARRAYS)
    width = mean.shape[0] if mean.ndim == 1 else 0
    if not 1 <= width <= MAX_HIDDEN_SIZE or components.ndim != 2 \
            or components.shape[1] != width or not 1 <= components.shape[0] <= width \
            or variance.shape != (components.shape[0],):
        raise ExportError(f"{target}: mismatched shapes: mean {mean.shape}, components "
                          f"{components.shape}, explained_variance {variance.shape} "
                          f"(expected (H,), (k, H), (k,)); {_FIX}")
    gram = components @ components.T
    if np.abs(gram - np.eye(gram.shape[0])).max() > _ORTHONORMAL_TOLERANCE:
        raise ExportError(f"{target}: the components are not orthonormal, so the file is "
                          f"damaged; {_FIX}")
    total = check.number("total_variance", meta.get("total_variance"), 0.0)
    if (variance < 0).any() or variance.sum() > total * (1 + 1e-9) + 1e-300:
        raise ExportError(f"{target}: explained_variance must be >= 0 and sum to at most "
                          f"total_variance {total}; {_FIX}")
    return PcaBasis(
        mean, components, variance, total,
        check.choice("quantity", meta.get("quantity"), QUANTITIES),
        check.whole("layer", meta.get("layer"), 0, 1_000),
        check.choice("direction", meta.get("direction"), ("fwd", "bwd")),
        check.text("fitted_on", meta.get("fitted_on"), 1_000),
        check.whole("tokens", meta.get("tokens"), 1, MAX_TOKENS * 1_000),
        check.text("fingerprint", meta.get("fingerprint", ""), 64))


def _float_array(target: Path, key: str, values: np.ndarray | None) -> np.ndarray:
    if values is None:
        raise ExportError(f"{target}: no {key} array, so not a complete PCA basis; {_FIX}")
    if values.dtype.kind not in "iuf":
        raise ExportError(f"{target}: {key} holds {values.dtype} values, not numbers; {_FIX}")
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise ExportError(f"{target}: {key} holds NaN or infinity; {_FIX}")
    return values
