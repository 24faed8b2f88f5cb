"""What a model file does not say, guessed, and said to be guessed.

A PyTorch state_dict stores weights only. Its shapes give the architecture
(:func:`.state_dict.infer_recurrent`; an RNN's nonlinearity cannot be seen and is asked
for, never guessed), but not how the model was used. Filled in here when no source
(options, metadata, sidecar, model folder) gives them, each named in
``LoadedModel.guessed`` so ``rnnstudio info`` and ``trace`` can say so:

* ``task``: a head with one row per vocabulary token is a language model
  (``next-token``), a head known to read every step (``readout`` per-step, as an ONNX
  graph shows) a tagger, any other head a classifier; a state_dict's tagger looks
  exactly like a classifier.
* ``labels``: ``"0"``, ``"1"``, ... for a classifier's or tagger's head rows.
* ``readout``: a bidirectional classifier reads ``final-states`` (the tutorial's
  ``fc(torch.cat((hidden[-2], hidden[-1]), dim=1))``); a unidirectional one
  ``last-step``, the same verdict as ``final-states``. Pooled heads (mean, max) cannot be
  told from their weights.
* ``tokenizer`` (the kind) and ``lowercase``, for a vocabulary given without them:
  ``char`` when every ordinary token is one character, else ``word``; lowercase unless an
  ordinary token holds a capital. Special tokens (``<unk>``, ``[CLS]``) are not ordinary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..engine.model import ModelConfig
from ..limits import MAX_SHOWN_ITEMS

__all__ = ["GUESSED_FIELDS", "fill_guesses", "guess_line", "guess_reason", "guessed_value"]

GUESSED_FIELDS = ("task", "labels", "readout", "tokenizer", "lowercase")


def fill_guesses(fields: dict[str, Any], params: Mapping[str, np.ndarray],
                 bidirectional: bool) -> tuple[str, ...]:
    """Fill what ``fields`` (model fields, ``tokenizer`` a dict) lack in place; the
    names of the fields guessed, in :data:`GUESSED_FIELDS` order."""
    guessed: list[str] = []
    tokenizer = fields.setdefault("tokenizer", {})
    vocabulary = tokenizer.get("vocabulary")
    if vocabulary is not None:
        ordinary = [token for token in vocabulary if not _special(token)]
        if "kind" not in tokenizer:
            single = bool(ordinary) and all(len(token) == 1 for token in ordinary)
            tokenizer["kind"] = "char" if single else "word"
            guessed.append("tokenizer")
        if "lowercase" not in tokenizer:
            joined = "".join(ordinary)
            tokenizer["lowercase"] = joined == joined.lower()
            guessed.append("lowercase")
    head = params.get("head.weight")
    rows = None if head is None or head.ndim == 0 else int(head.shape[0])
    if rows is None:
        return _ordered(guessed)
    if "task" not in fields:
        per_token = not fields.get("labels") and vocabulary is not None and \
            len(vocabulary) == rows
        every_step = fields.get("readout") == "per-step"  # a graph's head said so (ONNX)
        fields["task"] = "next-token" if per_token else "tag" if every_step else "classify"
        guessed.append("task")
    if fields["task"] in ("classify", "tag") and not fields.get("labels"):
        fields["labels"] = [str(index) for index in range(rows)]
        guessed.append("labels")
    if fields["task"] == "classify" and "readout" not in fields:
        fields["readout"] = "final-states" if bidirectional else "last-step"
        guessed.append("readout")
    return _ordered(guessed)


def guess_reason(name: str, config: ModelConfig) -> str:
    """Why ``name`` was guessed as it is in ``config``, and the flag that overrides it:
    ``"the file does not say; --readout mean|max|last-step if the model pools"``."""
    tokenizer = config.tokenizer
    reasons = {
        "task": {"next-token": "the head has one row per vocabulary token; --task "
                               "classify|tag if not",
                 "tag": "the head reads every step; --task next-token if it predicts the "
                        "next token"}.get(str(config.task),
                                          "the file does not say; --task tag if the model "
                                          "labels every token"),
        "labels": "the file does not name them; --labels FILE|a,b,c",
        "readout": "the file does not say; --readout mean|max|last-step if the model pools"
        if config.readout == "final-states" else
        "the file does not say; --readout mean|max if the model pools",
        "tokenizer": "every token is one character; --tokenizer word|whitespace"
        if tokenizer.kind == "char" else
        "the file does not say; --tokenizer whitespace|char",
        "lowercase": "the vocabulary has no capitals; --no-lowercase"
        if tokenizer.lowercase else "the vocabulary has capitals; --lowercase",
    }
    return reasons[name]


def guessed_value(name: str, config: ModelConfig) -> str:
    """A guessed field's value in words: ``"final-states"``, ``"0, 1"``, ``"yes"``. Every
    guessed value is RNN Studio's own (labels ``"0"``, ``"1"`` ...), never a file's
    text, so nothing needs escaping; a long label list is cut after 20."""
    labels = list(config.labels or ())
    listed = ", ".join(labels[:MAX_SHOWN_ITEMS]) + (
        f" and {len(labels) - MAX_SHOWN_ITEMS:,} more" if len(labels) > MAX_SHOWN_ITEMS else "")
    values = {"task": str(config.task), "labels": listed, "readout": config.readout,
              "tokenizer": config.tokenizer.kind,
              "lowercase": "yes" if config.tokenizer.lowercase else "no"}
    return values[name]


def guess_line(name: str, config: ModelConfig) -> str:
    """``readout: final-states (guessed: the file does not say; --readout mean|max|
    last-step if the model pools)``: the one wording ``rnnstudio info`` prints and the
    window's Model dock shows."""
    return f"{name}: {guessed_value(name, config)} (guessed: {guess_reason(name, config)})"


def _special(token: str) -> bool:
    """``<unk>``, ``[CLS]``, ``UNK``: marks, not words of the text."""
    return token in ("UNK", "") or (token[:1] in "<[" and token[-1:] in ">]" and
                                    len(token) > 2)


def _ordered(names: list[str]) -> tuple[str, ...]:
    return tuple(name for name in GUESSED_FIELDS if name in names)
