"""Which keys of a foreign state_dict are the embedding, the recurrent stack and the head.

The engine reads ``embedding.weight``, ``rnn.*`` and ``head.weight``/``head.bias``;
tutorials name their submodules freely (``self.embed``, ``self.lstm``, ``self.fc``,
``self.fc = nn.Sequential(nn.Dropout(p), nn.Linear(...))``). The common names are
recognised here, each role must have at most one candidate, and an explicit map
(``--map OLD=NEW``, Python ``key_map={OLD: NEW}``) settles what is ambiguous.

A key that no role takes is never dropped without a word. When none of those modules
can feed the recurrent stack (no output as wide as its input), they belong to a head
the engine cannot reproduce (``nn.Sequential(Linear, ReLU, Linear)``, a LayerNorm
before the Linear): the model loads as its *recurrent part only*, head left out and
named in :attr:`Renamed.left_out`, so the states are the model's own and no verdict
is claimed. A head named with ``--map`` is kept and only the others are left out. A
module that could feed the stack (a Linear or LayerNorm as wide as its input) would
change the states themselves: it is refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ParameterError
from .json_values import show

__all__ = ["EMBEDDING_NAMES", "HEAD_NAMES", "ROLES", "KeyMap", "Renamed", "check_key_map",
           "map_item", "map_names"]

#: The parts the engine reads, as ``--map`` names them.
ROLES = ("embedding", "rnn", "head")
#: Submodule names taken for an ``nn.Embedding`` (a 2-D ``weight`` and nothing else).
EMBEDDING_NAMES = ("embedding", "embed", "emb", "embeddings", "word_embeddings", "encoder")
#: Submodule names taken for the ``nn.Linear`` head, also as ``NAME.N`` of an
#: ``nn.Sequential`` whose other layers hold no parameters.
HEAD_NAMES = ("head", "fc", "out", "output", "linear", "classifier", "decoder",
              "hidden2tag", "hidden2label")
#: ``(old prefix, role)`` pairs, e.g. ``(("embed", "embedding"), ("fc.0", "head"))``.
KeyMap = tuple[tuple[str, str], ...]

#: At most 4 digits of layer index: a 5,000-digit index is no layer (and int() refuses it).
RECURRENT_KEY = re.compile(
    r"^(?P<prefix>.*?)weight_ih_l(?P<layer>\d{1,4})(?P<reverse>_reverse)?$")
#: The engine's first-layer input weight, whose width any module feeding the stack has.
_FIRST_INPUT = "weight_ih_l0"
_RECURRENT_PARAM = re.compile(r"^(weight|bias)_(ih|hh|hr)_l\d{1,4}(_reverse)?$")
_LEAVES = {"embedding": ({"weight"}, "an nn.Embedding (weight only)"),
           "head": ({"weight", "bias"}, "an nn.Linear (weight and bias)")}
CONVENTION = (
    "RNN Studio reads a bare nn.RNN/LSTM/GRU state_dict, or a module with an embedding, "
    "one RNN/LSTM/GRU and one Linear head (name them with --map OLD=embedding|rnn|head)"
)


@dataclass(frozen=True)
class Renamed:
    """A state_dict in the engine's names and what was renamed.

    Attributes
    ----------
    params : arrays by ``embedding.weight``, ``rnn.*``, ``head.*``.
    names : ``(old, new)`` for each part whose name changed, e.g. ``("lstm", "rnn")``;
        empty when the file already used the engine's names.
    left_out : keys not loaded because the engine cannot reproduce the head they form,
        e.g. ``("fc.0.bias", "fc.0.weight", "fc.2.bias", "fc.2.weight")``.
    head_left_out : the found head was left out with them: the model is its recurrent
        part only (no verdict).
    """

    params: dict[str, np.ndarray]
    names: KeyMap = ()
    left_out: tuple[str, ...] = ()
    head_left_out: bool = False

    def note(self) -> str | None:
        """What was left out, for ``info`` and the window; None when nothing was."""
        if not self.left_out:
            return None
        keys = _key_list(dict.fromkeys(self.left_out))
        if self.head_left_out:
            return (f"recurrent part only: {keys} left out (the engine reads one Linear "
                    "head), so the states are the model's own and there is no verdict; "
                    "if one Linear is the whole head, name it with --map NAME=head")
        return f"left out {keys}: not on the path of the head you named"


def map_item(text: str) -> tuple[str, str]:
    """``"fc.0=head"`` -> ``("fc.0", "head")``; :class:`ConfigError` naming the item."""
    old, equals, new = text.partition("=")
    old, new = old.strip(), new.strip()
    if not equals or not old or old.endswith(".") or new not in ROLES:
        raise ConfigError(
            f"key_map {show(text)}: expected OLD=NEW with OLD a key prefix (fc.0) and NEW "
            f"one of {', '.join(ROLES)}", argument="key_map")
    return old, new


def check_key_map(key_map: Mapping[str, str] | Iterable[str] | None) -> KeyMap:
    """A checked map from ``{OLD: NEW}`` or ``["OLD=NEW", ...]``; each OLD and each
    role at most once (checked before any file is read)."""
    if key_map is None:
        return ()
    texts = ([f"{old}={new}" for old, new in key_map.items()]
             if isinstance(key_map, Mapping) else [str(text) for text in key_map])
    pairs = tuple(map_item(text) for text in texts)
    for position in (0, 1):
        seen = [pair[position] for pair in pairs]
        twice = sorted({value for value in seen if seen.count(value) > 1})
        if twice:
            raise ConfigError(f"key_map names {show(twice[0])} twice; give each key prefix "
                              "and each part once", argument="key_map")
    return pairs


def map_names(params: Mapping[str, np.ndarray], path: Path, key_map: KeyMap = (),
              found: KeyMap = ()) -> Renamed:
    """Rename keys to ``embedding.weight``, ``rnn.*``, ``head.*``.

    The recurrent stack is the prefix of ``weight_ih_l0`` (none for a bare ``nn.LSTM``;
    ``module.``/``model.`` wrappers around it are the root of the other parts). The
    embedding and the head are found by :data:`EMBEDDING_NAMES` and :data:`HEAD_NAMES`
    under that root, unless ``key_map`` names them. ``found`` are parts a caller found
    by their type (a live module's one Linear): used like ``key_map``, but a head found
    so is no head the user vouched for, so leftovers leave it out too. Raises
    :class:`ParameterError` for a role with two candidates and for keys that may feed
    the stack.
    """
    named_head = any(role == "head" for _, role in key_map)
    key_map += found
    explicit = {old: role for old, role in key_map if role != "rnn"}
    recurrent = _recurrent_prefix(
        params, path, next((old for old, role in key_map if role == "rnn"), None))
    root = recurrent.rsplit(".", 2)[0] + "." if recurrent.count(".") >= 2 else ""
    stack = {key for key in params if key.startswith(recurrent)
             and _RECURRENT_PARAM.match(key[len(recurrent):])}
    renamed = {"rnn." + key[len(recurrent):]: params[key] for key in stack}
    modules = _modules({key: value for key, value in params.items() if key not in stack})
    parts = _explicit_parts(explicit, modules, path)
    for role in ("embedding", "head"):
        if role not in parts:
            candidates = _candidates(role, modules, root, set(parts.values()))
            if len(candidates) > 1:
                raise ParameterError(
                    f"{path}: {len(candidates)} submodules could be the {role} "
                    f"({', '.join(map(show, candidates))}); pass --map NAME={role} for the "
                    f"one to use (Python: key_map={{NAME: {role!r}}})")
            if candidates:
                parts[role] = candidates[0]
    for role, module in parts.items():
        leaves = modules[module]
        for leaf in _LEAVES[role][0] & set(leaves):  # any other leaf is refused below
            renamed[f"{role}.{leaf}"] = leaves.pop(leaf)
    strays = {module: modules[module] for module in parts.values() if modules[module]}
    if strays:  # an Embedding or Linear holding more than its weight and bias
        _refuse(strays, path, "")
    left_out = _leftover_keys(modules)
    head_left_out = bool(left_out) and not named_head
    if left_out:
        _refuse_feeders(modules, renamed[f"rnn.{_FIRST_INPUT}"], path)
    if head_left_out and "head" in parts:
        head = parts.pop("head")
        left_out += tuple(f"{head}.{leaf}" for leaf in ("bias", "weight")
                          if renamed.pop(f"head.{leaf}", None) is not None)
    names: KeyMap = ((recurrent[:-1], "rnn"),) if recurrent not in ("", "rnn.") else ()
    names += tuple((module, role) for role, module in parts.items() if module != role)
    return Renamed(renamed, tuple(sorted(names, key=lambda pair: ROLES.index(pair[1]))),
                   tuple(sorted(left_out)), head_left_out)


def _recurrent_prefix(params: Mapping[str, np.ndarray], path: Path, given: str | None
                      ) -> str:
    """``"lstm."`` for ``lstm.weight_ih_l0``, ``""`` for a bare ``nn.LSTM``."""
    if given is not None:
        if given + ".weight_ih_l0" not in params:
            raise ParameterError(f"{path}: key_map {given}=rnn: no key "
                                 f"{show(given + '.weight_ih_l0')} in the file")
        return given + "."
    prefixes = {match["prefix"] for key in params
                if (match := RECURRENT_KEY.match(key)) is not None}
    if not prefixes:
        raise ParameterError(
            f"{path}: missing key weight_ih_l0 (or rnn.weight_ih_l0): no recurrent weights "
            f"found among {_key_list(params)}; {CONVENTION}")
    if len(prefixes) > 1:
        stacks = ", ".join(sorted(show(prefix) if prefix else "(top level)"
                                  for prefix in prefixes))
        raise ParameterError(
            f"{path}: more than one recurrent stack ({stacks}); save only the one to view, "
            "or pick it with --map NAME=rnn")
    return prefixes.pop()


def _modules(params: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """``{"fc.0": {"weight": ..., "bias": ...}}``: keys grouped by their submodule."""
    modules: dict[str, dict[str, np.ndarray]] = {}
    for key, value in params.items():
        module, _, leaf = key.rpartition(".")
        modules.setdefault(module, {})[leaf] = value
    return modules


def _explicit_parts(explicit: Mapping[str, str], modules: Mapping[str, dict], path: Path
                    ) -> dict[str, str]:
    """role -> submodule for the map's embedding and head entries, their keys checked."""
    parts = {}
    for old, role in explicit.items():
        if old not in modules:
            raise ParameterError(f"{path}: key_map {old}={role}: no key "
                                 f"{show(old + '.weight')} in the file")
        allowed, kind = _LEAVES[role]
        leaves = set(modules[old])
        if "weight" not in leaves or not leaves <= allowed:
            raise ParameterError(f"{path}: key_map {old}={role}: {show(old)} holds "
                                 f"{', '.join(map(show, sorted(leaves)))}, not {kind}")
        parts[role] = old
    return parts


def _candidates(role: str, modules: Mapping[str, dict[str, np.ndarray]], root: str,
                taken: set[str]) -> list[str]:
    """Submodules under ``root`` whose name and keys fit ``role``. The engine's own name
    (``head``) is taken whatever it holds: the shape check names a wrong shape, and
    :func:`_refuse_feeders` or the left-out note a key other than weight and bias."""
    found = []
    for module, leaves in modules.items():
        if module in taken or not module.startswith(root):
            continue
        name = module[len(root):]
        if name == role or _fits(role, name, leaves, modules, root):
            found.append(module)
    return sorted(found)


def _fits(role: str, name: str, leaves: Mapping[str, np.ndarray], modules: Iterable[str],
          root: str) -> bool:
    """An Embedding's keys under an embedding name; a Linear's under a head name."""
    weight = leaves.get("weight")
    if weight is None or weight.ndim != 2:
        return False
    if role == "embedding":
        return name in EMBEDDING_NAMES and len(leaves) == 1
    return set(leaves) <= {"weight", "bias"} and _head_name(name, modules, root)


def _head_name(name: str, modules: Iterable[str], root: str) -> bool:
    """A head name, or ``NAME.N`` of a Sequential whose only parameters are layer N's."""
    if name in HEAD_NAMES:
        return True
    outer, _, index = name.rpartition(".")
    siblings = [module for module in modules if module.startswith(root + outer + ".")]
    return outer in HEAD_NAMES and index.isdigit() and siblings == [root + name]


def _leftover_keys(modules: Mapping[str, dict[str, np.ndarray]]) -> tuple[str, ...]:
    return tuple(sorted(f"{module}.{leaf}" if module else leaf
                        for module, leaves in modules.items() for leaf in leaves))


def _refuse_feeders(modules: Mapping[str, dict[str, np.ndarray]], first_input: np.ndarray,
                    path: Path) -> None:
    """Refuse leftovers that could sit before the stack: any array whose first dimension
    is the stack's input width (a Linear's output rows, a LayerNorm's scale) might
    produce its input, and leaving it out would change the states themselves."""
    width = first_input.shape[-1] if first_input.ndim == 2 else None
    feeders = sorted(f"{module}.{leaf}" if module else leaf
                     for module, leaves in modules.items() for leaf, array in leaves.items()
                     if array.ndim == 0 or width is None or array.shape[0] == width)
    if feeders:
        _refuse(modules, path, f", and {show(feeders[0])} is as wide as the RNN's input, so "
                "it may change what the RNN reads")


def _refuse(modules: Mapping[str, dict[str, np.ndarray]], path: Path, why: str) -> None:
    keys = _leftover_keys(modules)
    several = len(keys) > 1
    raise ParameterError(
        f"{path}: unexpected key{'s' * several} {_key_list(dict.fromkeys(keys))}: the "
        f"engine reads one embedding, one RNN/LSTM/GRU and one Linear head{why}; delete "
        f"{'them' if several else 'it'} from the state_dict to load the rest, or name the "
        "parts with --map OLD=embedding|rnn|head")


def _key_list(params: Mapping[str, object], most: int = 6) -> str:
    keys = sorted(params)
    shown = ", ".join(show(key) for key in keys[:most])
    more = f" ... ({len(keys)} keys)" if len(keys) > most else ""
    return shown + more if shown else "(no keys)"
