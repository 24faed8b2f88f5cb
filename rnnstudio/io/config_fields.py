"""Check each configuration field from a file, a sidecar or the caller, before the
engine sees it.

A file is free to say ``"hidden_size": "8"``, ``"vocabulary": 5`` or a card string of
10 MB; the engine would fail on them somewhere inside (``'<' not supported between 'str'
and 'int'``). Here each field gets its type and range checked and comes back in its
canonical Python type, or a :class:`ConfigError` names the source, the key, the value
and the fix. The ranges only stop absurd values: the weight shapes decide the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..engine.config import CELLS, NONLINEARITIES
from ..engine.model import DTYPES, EMBEDDINGS, TASKS
from ..engine.readout import READOUTS
from ..engine.tokenizers import KINDS, tokens_by_index
from ..errors import ConfigError
from .json_values import Checker, show

__all__ = [
    "MAX_CARD_CHARS", "MAX_CONFIG_DEPTH", "MAX_LAYERS", "MAX_TOKEN_CHARS", "MAX_VOCABULARY",
    "MAX_WIDTH", "check_model_fields", "check_recurrent_fields",
]

#: Widest layer or input accepted (the widest published LSTM layers have 8,192 units).
MAX_WIDTH = 65_536
#: Most layers accepted (deep RNN stacks in the literature have 8 to 16).
MAX_LAYERS = 100
#: Most vocabulary entries, and most labels (large word-level LMs use 800,000 words).
MAX_VOCABULARY = 1_000_000
#: Longest token or label: tokens are words or characters, labels are class names.
MAX_TOKEN_CHARS = 10_000
#: Longest string in a model card (a description, a citation): 100,000 characters.
MAX_CARD_CHARS = 100_000
#: Deepest nesting of configuration JSON: ``ModelConfig.to_dict()`` nests 3 levels, a
#: card's evaluation results a few more; the same bound as a trace's meta.
MAX_CONFIG_DEPTH = 32
_FIX = "fix or remove the key"
_TOKENIZER_KEYS = ("kind", "vocabulary", "lowercase", "unk", "pad", "subwords")

Check = Callable[[Checker, str, Any], Any]
RECURRENT_CHECKS: dict[str, Check] = {
    "cell": lambda check, key, value: check.choice(key, value, CELLS),
    "input_size": lambda check, key, value: check.whole(key, value, 1, MAX_WIDTH),
    "hidden_size": lambda check, key, value: check.whole(key, value, 1, MAX_WIDTH),
    "num_layers": lambda check, key, value: check.whole(key, value, 1, MAX_LAYERS),
    "nonlinearity": lambda check, key, value: check.choice(key, value, NONLINEARITIES),
    "bias": lambda check, key, value: check.flag(key, value),
    "bidirectional": lambda check, key, value: check.flag(key, value),
    "proj_size": lambda check, key, value: check.whole(key, value, 0, MAX_WIDTH),
    "reset_after": lambda check, key, value: check.flag(key, value),
}


def check_recurrent_fields(fields: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``fields`` (keys of ``RecurrentConfig``) checked and in canonical types."""
    check = Checker(source, ConfigError, _FIX)
    return {key: RECURRENT_CHECKS[key](check, key, value) for key, value in fields.items()}


def check_model_fields(fields: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``fields`` (``tokenizer``, ``vocabulary``, ``embedding``, ``task``, ``labels``,
    ``dtype``, ``card``, ``readout``) checked and in canonical types."""
    check = Checker(source, ConfigError, _FIX)
    return {key: MODEL_CHECKS[key](check, key, value) for key, value in fields.items()}


def _texts(check: Checker, key: str, value: Any) -> list[str]:
    """A list of at most ``MAX_VOCABULARY`` strings of at most ``MAX_TOKEN_CHARS``."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        check.fail(key, "a list of text", value)
    if len(value) > MAX_VOCABULARY:
        check.fail(key, f"a list of at most {MAX_VOCABULARY:,} entries (it has "
                        f"{len(value):,})", value)
    _all_text(check, key, value, MAX_TOKEN_CHARS)
    return list(value)


def _vocabulary(check: Checker, key: str, value: Any) -> list[str]:
    """A list of tokens, or a ``{token: index}`` object read by its indices (torchtext's
    ``stoi``, Keras's ``word_index``)."""
    if isinstance(value, Mapping):
        value = tokens_by_index(value, f"{check.where}: {key}")
    return _texts(check, key, value)


def _all_text(check: Checker, key: str, strings: list[str] | tuple[str, ...],
              max_chars: int) -> None:
    """Each string at most ``max_chars`` long and encodable as UTF-8: one pass over all
    of them (a million tokens in 0.1 s), then one by one to name a culprit."""
    try:
        fine = max(map(len, strings), default=0) <= max_chars
        "\n".join(strings).encode("utf-8")
    except UnicodeEncodeError:
        fine = False
    if not fine:
        for index, item in enumerate(strings):
            check.text(f"{key}[{index}]", item, max_chars)


def _tokenizer(check: Checker, key: str, value: Any) -> str | dict[str, Any]:
    """A kind (``"word"``, ``"char"``, ``"whitespace"``) or ``{"kind": ..., "vocabulary":
    [...] | null, "lowercase": ..., "unk": ..., "pad": ..., "subwords": ...}``."""
    if isinstance(value, str):
        return check.choice(key, value, KINDS)
    if not isinstance(value, Mapping):
        check.fail(key, '"word", "char" or "whitespace", or an object', value)
    unknown = [show(name) for name in value if name not in _TOKENIZER_KEYS]
    if unknown:
        raise ConfigError(f"{check.where}: unknown tokenizer key {unknown[0]}; known keys: "
                          f"{', '.join(_TOKENIZER_KEYS)}")
    checked: dict[str, Any] = {}
    if "kind" in value:
        checked["kind"] = check.choice(f"{key}.kind", value["kind"], KINDS)
    if value.get("vocabulary") is not None:
        checked["vocabulary"] = _vocabulary(check, f"{key}.vocabulary", value["vocabulary"])
    for flag in ("lowercase", "subwords"):
        if flag in value:
            checked[flag] = check.flag(f"{key}.{flag}", value[flag])
    for name in ("unk", "pad"):
        if value.get(name) is not None:
            checked[name] = _token(check, f"{key}.{name}", value[name])
    return checked


def _token(check: Checker, key: str, value: Any) -> str:
    """One token: the unknown or padding token's spelling."""
    return check.text(key, value, MAX_TOKEN_CHARS, empty=False)


def _card(check: Checker, key: str, value: Any) -> dict[str, Any]:
    """An object whose strings (keys too) hold at most ``MAX_CARD_CHARS`` characters,
    nested at most ``MAX_CONFIG_DEPTH`` levels (a card from Python may even be cyclic).

    Walked with a stack of iterators, one per open container, so a card of a million
    strings costs no million path names: a path is spelled out only for a message.
    """
    if not isinstance(value, Mapping):
        check.fail(key, "an object", value)
    stack: list[tuple[str, Iterator[tuple[Any, Any]]]] = [(key, iter(value.items()))]
    while stack:
        where, items = stack[-1]
        step = next(items, None)
        if step is None:
            stack.pop()
            continue
        name, item = step
        if isinstance(name, str):  # an object's key; a list gives its index
            check.text(f"{where} key", name, MAX_CARD_CHARS)
        if isinstance(item, str):
            check.text(_path(where, name), item, MAX_CARD_CHARS)
        elif isinstance(item, (list, tuple)) and all(isinstance(e, str) for e in item):
            _all_text(check, _path(where, name), item, MAX_CARD_CHARS)
        elif isinstance(item, (Mapping, list, tuple)):
            if len(stack) >= MAX_CONFIG_DEPTH:
                check.fail(_path(where, name), f"nested at most {MAX_CONFIG_DEPTH} levels "
                                               "deep", "a deeper object")
            inner = item.items() if isinstance(item, Mapping) else enumerate(item)
            stack.append((_path(where, name), iter(inner)))
    return dict(value)


def _path(where: str, name: Any) -> str:
    """``card.results[3]`` or ``card.results.top``; keys escaped and cut for a message."""
    return f"{where}[{name}]" if isinstance(name, int) else f"{where}.{show(name)[1:-1]}"


MODEL_CHECKS: dict[str, Check] = {
    "tokenizer": _tokenizer,
    "vocabulary": _vocabulary,
    "embedding": lambda check, key, value: check.choice(key, value, EMBEDDINGS),
    "task": lambda check, key, value: check.choice(key, value, [t for t in TASKS if t]),
    "labels": _texts,
    "dtype": lambda check, key, value: check.choice(key, value, DTYPES),
    "card": _card,
    "readout": lambda check, key, value: check.choice(key, value, READOUTS),
    "lowercase": lambda check, key, value: check.flag(key, value),
    "unk": _token,
    "pad": _token,
}
