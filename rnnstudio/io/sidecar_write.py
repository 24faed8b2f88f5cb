"""Write what a user tells about a model file into its sidecar ``<stem>.json``.

A PyTorch state_dict holds weights only: its vocabulary, labels, task, an RNN's
nonlinearity and the readout its head was built on are written nowhere. The window asks
for them once (:class:`ModelDetails`), checks them by opening the model with them exactly
as :func:`~.model_files.read_model` will, and writes them into the sidecar that
:func:`~.config_sources.read_sidecar` reads, so the file opens by itself from then on
(also in ``rnnstudio trace`` and ``rs.load_model``). Where the sidecar cannot be written
(a read-only folder), or must not be (a model folder: its files are the user's, and
RNN Studio never edits them), the answers come back as overrides for the window's model
source instead, which a saved session keeps.

The sidecar is flat (``{"nonlinearity": "relu", "readout": "final-states", ...}``), keeps
the keys it had that the dialog does not ask about, and never repeats a field the
model file's own metadata fixes (the metadata wins over a sidecar, so it would be read
and ignored).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import ExportError
from .atomic import write_text_atomic
from .config_sources import (
    RECURRENT_FIELDS,
    ConfigParts,
    read_sidecar,
    sidecar_path,
    split_config,
)
from .messages import first_line, naming
from .model_files import READERS, LoadedModel, read_model
from .name_map import KeyMap, map_names
from .sniff import model_format
from .state_dict import infer_recurrent
from .vocab_files import read_vocabulary_file
from .vocab_options import read_labels as read_labels_option

__all__ = ["DETAIL_KEYS", "FOLDER_UNTOUCHED", "DetailsApplied", "ModelDetails", "ModelFacts",
           "apply_details", "model_facts", "read_labels", "sidecar_config", "write_sidecar"]

#: The fields the dialog asks for, as config keys (the vocabulary is ``tokenizer``'s).
DETAIL_KEYS = ("labels", "task", "nonlinearity", "readout")
#: Why a model folder's answers are not written anywhere.
FOLDER_UNTOUCHED = "RNN Studio leaves a model folder's files as they are"
#: Vocabulary files looked for next to a model without one, to pre-fill the dialog.
VOCABULARY_NAMES = ("{stem}.vocab.json", "{stem}_vocab.json", "{stem}.vocab.txt",
                    "{stem}_vocab.txt", "vocab.json", "vocab.txt")


@dataclass(frozen=True)
class ModelDetails:
    """What a user says about a model file; None leaves a field to the file or the guess
    (and removes it from the sidecar)."""

    #: A JSON list, a JSON ``{token: index}`` object or ``vocab.txt`` (one token a line);
    #: None keeps the vocabulary the model has.
    vocabulary_file: Path | None = None
    labels: tuple[str, ...] | None = None
    task: str | None = None
    nonlinearity: str | None = None
    readout: str | None = None


@dataclass(frozen=True)
class ModelFacts:
    """What a model file says about itself, read without building the model.

    ``file_fields`` are the configuration fields its own metadata (or a model folder's
    ``config.json``) fixes, flat; ``sidecar_fields`` those of its sidecar, flat.
    ``vocabulary_rows`` / ``head_rows`` are the embedding table's and head's rows;
    ``key_map`` the parts the user named (``--map``), kept when the model reopens.
    """

    path: Path
    cell: str
    bidirectional: bool
    vocabulary_rows: int | None
    head_rows: int | None
    file_fields: Mapping[str, Any] = field(default_factory=dict)
    sidecar_fields: Mapping[str, Any] = field(default_factory=dict)
    key_map: KeyMap = ()

    def with_answers(self, answers: Mapping[str, Any]) -> ModelFacts:
        """These facts with ``answers`` the window holds for the file (session overrides,
        flat) laid over its sidecar's: a dialog opened again starts from them and keeps
        what it does not change (a model folder's vocabulary given last time)."""
        return replace(self, sidecar_fields={**self.sidecar_fields, **answers})

    def known(self, key: str) -> Any:
        """A field's written value (metadata over sidecar), or None."""
        return self.file_fields.get(key, self.sidecar_fields.get(key))

    @property
    def vocabulary_fixed(self) -> bool:
        """The file's own metadata (a folder's vocabulary file) gives the vocabulary:
        a sidecar or an answer cannot replace it."""
        return _vocabulary_of(self.file_fields) is not None

    @property
    def has_vocabulary(self) -> bool:
        return any(_vocabulary_of(fields) is not None
                   for fields in (self.file_fields, self.sidecar_fields))

    @property
    def missing(self) -> tuple[str, ...]:
        """What the model cannot open without: ``"vocabulary"``, ``"nonlinearity"``."""
        lacks_vocabulary = self.vocabulary_rows is not None and not self.has_vocabulary
        lacks_nonlinearity = self.cell == "rnn" and self.known("nonlinearity") is None
        return ("vocabulary",) * lacks_vocabulary + ("nonlinearity",) * lacks_nonlinearity

    def vocabulary_candidate(self) -> Path | None:
        """A vocabulary file lying next to the model (``vocab.json`` ...), if any."""
        if self.path.is_dir():
            return None
        folder, stem = self.path.parent, self.path.stem
        return next((folder / name.format(stem=stem) for name in VOCABULARY_NAMES
                     if (folder / name.format(stem=stem)).is_file()), None)


@dataclass(frozen=True)
class DetailsApplied:
    """The model opened with the answers; ``sidecar`` where they were written, or None
    with ``overrides`` for the model source and ``reason`` why nothing was written."""

    loaded: LoadedModel
    sidecar: Path | None
    overrides: Mapping[str, Any]
    reason: str = ""
    #: The parts named with ``--map``, for the model source that reopens the file.
    key_map: KeyMap = ()


def model_facts(path: str | Path, key_map: KeyMap = ()) -> ModelFacts:
    """Read ``path``'s weights, metadata and sidecar (not its model): what the dialog
    pre-fills and whether the model lacks something; ``key_map`` names its parts as
    ``--map`` did. Raises what the readers raise."""
    path = Path(path)
    contents = READERS[model_format(path)](path)
    sidecar = _flat(read_sidecar(path) or {}, f"sidecar {sidecar_path(path)}")
    metadata = _flat(contents.config or {}, f"{path} metadata")
    with naming(path):
        params = map_names(contents.params, path, key_map).params
        given = {**_recurrent(sidecar), **_recurrent(metadata)}
        # An RNN's nonlinearity is not in its weights: any value lets the shapes be read.
        recurrent = infer_recurrent(params, {"nonlinearity": "tanh", **given}, path)
    rows = {name: int(params[name].shape[0]) if name in params and params[name].ndim else None
            for name in ("embedding.weight", "head.weight")}
    return ModelFacts(path, str(recurrent["cell"]), bool(recurrent["bidirectional"]),
                      rows["embedding.weight"], rows["head.weight"], metadata, sidecar,
                      key_map)


def sidecar_config(details: ModelDetails, facts: ModelFacts) -> dict[str, Any]:
    """The new sidecar: the old one's fields, the answers laid over them, and no field
    the file's metadata fixes. Raises :class:`ConfigError` for an unreadable
    vocabulary file (naming it and the token)."""
    config = dict(facts.sidecar_fields)
    if details.vocabulary_file is not None:
        read = read_vocabulary_file(Path(details.vocabulary_file))
        tokenizer = _tokenizer_dict(config.pop("tokenizer", None))
        config.pop("vocabulary", None)
        config["tokenizer"] = {"kind": "word", **tokenizer, **read.fields}
    for key in DETAIL_KEYS:
        value = getattr(details, key)
        config[key] = list(value) if isinstance(value, tuple) else value
    return _unfixed(config, facts.file_fields)


def _unfixed(config: Mapping[str, Any], fixed: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` without what the file's own fields ``fixed`` set (in a sidecar it would
    be ignored, as an override it would overrule the file). A tokenizer is fixed field by
    field: a folder's config.json naming its kind but no vocabulary still takes one."""
    kept = {key: value for key, value in config.items()
            if value is not None and key not in fixed}
    tokenizer = _tokenizer_dict(config.get("tokenizer"))
    if "tokenizer" in fixed and _vocabulary_of(fixed) is None and "vocabulary" in tokenizer:
        file_tokenizer = _tokenizer_dict(fixed["tokenizer"])
        kept["tokenizer"] = {key: value for key, value in tokenizer.items()
                             if key not in file_tokenizer}
    return kept


def write_sidecar(model_path: str | Path, config: Mapping[str, Any]) -> Path:
    """Check ``config`` as a sidecar is checked when read, then write ``<stem>.json``
    atomically; returns its path. :class:`ConfigError` for a bad field (naming it),
    :class:`ExportError` when it cannot be written (a read-only folder; a model folder,
    whose settings live in its ``config.json``)."""
    model_path = Path(model_path)
    target = sidecar_path(model_path)
    if model_path.is_dir():
        raise ExportError(f"{model_path} is a model folder: its settings belong in "
                          "its config.json, not in a sidecar")
    ConfigParts().add(config, f"sidecar {target}")
    text = json.dumps(dict(config), indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    try:
        return write_text_atomic(target, text)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc


def apply_details(path: str | Path, details: ModelDetails,
                  facts: ModelFacts | None = None) -> DetailsApplied:
    """Open ``path`` with ``details`` as it will open from now on, then write the
    sidecar. Nothing is written when the model does not open (the error is the one
    ``read_model`` raises), nor ever into a model folder; when the sidecar is not
    written the answers come back as overrides (``DetailsApplied.reason`` says why)."""
    path = Path(path)
    facts = facts or model_facts(path)
    config = sidecar_config(details, facts)
    loaded = read_model(path, dict(facts.key_map), **config)
    if path.is_dir():
        return DetailsApplied(loaded, None, config, FOLDER_UNTOUCHED, facts.key_map)
    try:
        return DetailsApplied(loaded, write_sidecar(path, config), {}, key_map=facts.key_map)
    except ExportError as exc:
        return DetailsApplied(loaded, None, config, first_line(exc), facts.key_map)


def read_labels(text: str) -> tuple[str, ...] | None:
    """Labels from the dialog's field: a labels file (as ``--labels`` reads it) when
    ``text`` names one, else comma-separated names; None when empty."""
    text = text.strip()
    if not text:
        return None
    if Path(text).is_file() or "," in text:
        return tuple(read_labels_option(text))
    return (text,)


def _flat(config: Mapping[str, Any], source: str) -> dict[str, Any]:
    """A config (nested ``recurrent`` or not) as one flat dict, checked."""
    recurrent, model = split_config(config, source)
    ConfigParts().add(config, source)
    return {**recurrent, **model}


def _recurrent(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key in RECURRENT_FIELDS}


def _tokenizer_dict(tokenizer: Any) -> dict[str, Any]:
    """A config's ``tokenizer`` (a kind, a dict or nothing) as a dict."""
    return {"kind": tokenizer} if isinstance(tokenizer, str) else dict(tokenizer or {})


def _vocabulary_of(fields: Mapping[str, Any]) -> Any:
    tokenizer = fields.get("tokenizer")
    nested = tokenizer.get("vocabulary") if isinstance(tokenizer, Mapping) else None
    return fields.get("vocabulary", nested)
