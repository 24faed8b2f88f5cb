"""Where the window's model comes from, as one frozen value: :class:`ModelSource`.

A model is a shipped model (by its ``task-cell`` key), a model file, a seeded random
model (:class:`RandomModelSpec`) or a model trained in the window that lives only in
memory. The session file, the settings and the window title all read this one value,
instead of five fields and a ``"shipped:KEY"`` string parsed in several places.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..engine.config import CELLS, GATE_COUNT, NONLINEARITIES
from ..engine.model import Model, random_model
from ..errors import ConfigError, ModelFileError, RnnStudioError
from ..limits import MAX_RANDOM_PARAMETERS, MAX_SEED
from ..limits import RANDOM_MAX_HIDDEN_SIZE as MAX_HIDDEN_SIZE
from ..limits import RANDOM_MAX_INPUT_SIZE as MAX_INPUT_SIZE
from ..limits import RANDOM_MAX_LAYERS as MAX_LAYERS
from ..models_index import find_model, shipped_title
from .config_sources import ConfigParts
from .json_values import Checker
from .model_files import LoadedModel, load_model, read_model
from .name_map import KeyMap, check_key_map

__all__ = ["DTYPES", "MAX_HIDDEN_SIZE", "MAX_INPUT_SIZE", "MAX_LAYERS",
           "MAX_RANDOM_PARAMETERS", "MAX_SEED", "ModelSource", "RandomModelSpec",
           "SHIPPED_KEY", "load_shipped_model"]

#: The ranges of a random-model spec (the Model dock's) are in ``rnnstudio.limits``
#: (``RANDOM_MAX_*``, ``MAX_SEED``, ``MAX_RANDOM_PARAMETERS``); the names above keep the
#: ones this module exported before.
DTYPES = ("float32", "float64")
#: What a shipped model key looks like (``task-cell``); a name, never a path.
SHIPPED_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_TITLE_CHARS = 200

SHIPPED, FILE, RANDOM, IN_MEMORY = "shipped", "file", "random", "in-memory"


@dataclass(frozen=True)
class RandomModelSpec:
    """Arguments of ``random_model`` a user sets in the Model dock.

    Constructing one does not validate (the dock and the settings build them from
    widgets and handle errors when the model is built); :meth:`check`,
    :meth:`from_dict`, :meth:`build` and ``ModelSource.random`` do.
    """

    cell: str = "lstm"
    hidden_size: int = 32
    nonlinearity: str = "tanh"
    num_layers: int = 1
    bidirectional: bool = False
    seed: int = 0
    gain: float = 1.0
    dtype: str = "float32"
    input_size: int = 16

    def describe(self) -> str:
        direction = " bidirectional" if self.bidirectional else ""
        kind = f"RNN ({self.nonlinearity})" if self.cell == "rnn" else self.cell.upper()
        return (f"random {kind} {self.num_layers}x{self.hidden_size}{direction}, "
                f"seed {self.seed}, gain {self.gain:g}")

    def check(self, where: str = "random model") -> RandomModelSpec:
        """This spec with canonical types (``int``, ``float``, ``bool``), or
        :class:`ConfigError` naming ``where``, the key and the value."""
        checker = Checker(where, ConfigError, "use a value in that range")
        checked = RandomModelSpec(
            cell=checker.choice("cell", self.cell, CELLS),
            hidden_size=checker.whole("hidden_size", self.hidden_size, 1, MAX_HIDDEN_SIZE),
            nonlinearity=checker.choice("nonlinearity", self.nonlinearity, NONLINEARITIES),
            num_layers=checker.whole("num_layers", self.num_layers, 1, MAX_LAYERS),
            bidirectional=checker.flag("bidirectional", self.bidirectional),
            seed=checker.whole("seed", self.seed, 0, MAX_SEED),
            gain=checker.number("gain", self.gain),
            dtype=checker.choice("dtype", self.dtype, DTYPES),
            input_size=checker.whole("input_size", self.input_size, 1, MAX_INPUT_SIZE))
        if checked.parameter_count() > MAX_RANDOM_PARAMETERS:
            raise ConfigError(
                f"{where}: {checked.describe()} has {checked.parameter_count():,} parameters,"
                f" more than the {MAX_RANDOM_PARAMETERS:,} allowed; use fewer units or layers")
        return checked

    def parameter_count(self) -> int:
        """Weights and biases of the stack ``random_model`` builds (hashed embedding,
        no head), counted before anything is allocated."""
        gate_rows = GATE_COUNT.get(self.cell, 1) * self.hidden_size
        directions = 2 if self.bidirectional else 1
        total = 0
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else self.hidden_size * directions
            total += directions * gate_rows * (inputs + self.hidden_size + 2)
        return total

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any, where: str = "random model") -> RandomModelSpec:
        """A checked spec from a JSON object; missing keys take the defaults, unknown
        keys are refused (a key this program ignores would build another model)."""
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: must be an object of random-model settings, "
                              f"got {type(data).__name__}")
        known = [spec_field.name for spec_field in fields(cls)]
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
                              f"known: {', '.join(known)}")
        return cls(**data).check(where)

    def build(self) -> Model:
        """The seeded random model (pure NumPy); :class:`ConfigError` if out of range."""
        spec = self.check()
        return random_model(spec.cell, hidden_size=spec.hidden_size,
                            input_size=spec.input_size, nonlinearity=spec.nonlinearity,
                            num_layers=spec.num_layers, bidirectional=spec.bidirectional,
                            seed=spec.seed, gain=spec.gain, dtype=spec.dtype)


@lru_cache(maxsize=8)
def load_shipped_model(key: str) -> Model:
    """One of the trained models in ``resources/models`` by ``task-cell`` key.

    Cached (8 models: a Compare set of 4 plus the lesson and window models): the Compare
    view and lessons open the same few models again and again, and models are never
    changed in place (a new model is a new object).
    """
    entry = find_model(key)
    with entry.as_file() as path:  # extracted for the read when installed zipped
        return load_model(path)


@dataclass(frozen=True)
class ModelSource:
    """Exactly one of: a shipped ``key``, a file ``path``, a random ``spec``, or the
    ``memory_title`` of a model trained in the window (it cannot be reopened).

    Build one with :meth:`shipped`, :meth:`file`, :meth:`random` or :meth:`in_memory`.
    Validated on construction; a file path is made absolute (against the current
    folder), so the value means the same file wherever it is used later.

    A file may carry ``overrides``: configuration fields that win over the file
    (``{"readout": "mean"}``, the keywords of ``load_model``), chosen in the window
    when they could not be written next to the file or given on the command line, and a
    ``key_map`` (``(("tok", "embedding"),)``, as ``--map tok=embedding``) naming its
    parts; session files keep both.
    """

    key: str | None = None
    path: Path | None = None
    spec: RandomModelSpec | None = None
    memory_title: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict, hash=False)
    key_map: KeyMap = ()

    def __post_init__(self) -> None:
        given = [name for name in ("key", "path", "spec", "memory_title")
                 if getattr(self, name) is not None]
        if len(given) != 1:
            raise ConfigError("a model source is exactly one of a shipped key, a file path,"
                              f" a random spec or an in-memory title, not {given or 'none'}")
        checker = Checker("model source", ConfigError, "give a valid model")
        if self.key is not None:
            checker.pattern("key", self.key, SHIPPED_KEY, "a shipped model name (task-cell)")
        elif self.path is not None:
            object.__setattr__(self, "path", _absolute(self.path))
        elif self.spec is not None:
            if not isinstance(self.spec, RandomModelSpec):
                checker.fail("spec", "a RandomModelSpec", self.spec)
            object.__setattr__(self, "spec", self.spec.check())
        else:
            checker.text("memory_title", self.memory_title, MAX_TITLE_CHARS, empty=False)
        object.__setattr__(self, "overrides", self._checked_overrides())
        if self.key_map and self.path is None:
            raise ConfigError("model source: only a model file takes a key map, not "
                              f"{self.key_map!r}")
        object.__setattr__(self, "key_map", check_key_map(dict(self.key_map)))

    def _checked_overrides(self) -> dict[str, Any]:
        """The overrides as a plain dict, their keys and values checked as a sidecar's
        (:class:`ConfigError` naming the key); only a file has any."""
        overrides = dict(self.overrides) if isinstance(self.overrides, Mapping) else None
        if overrides is None or (overrides and self.path is None):
            raise ConfigError("model source: only a model file takes configuration "
                              f"overrides, not {self.overrides!r}")
        ConfigParts().add(overrides, "model source overrides")
        return overrides

    @classmethod
    def shipped(cls, key: str) -> ModelSource:
        """A trained model of ``resources/models`` (e.g. ``sentiment-lstm``); whether the
        index lists it is found out by :meth:`load`, so a session naming a model a later
        release dropped still opens."""
        return cls(key=key)

    @classmethod
    def named(cls, word: str) -> ModelSource:
        """A file when one exists at ``word``, else the shipped model of that name
        (``recall-gru``), else the file (whose loading then says it is missing)."""
        if not Path(word).exists():
            try:
                return cls.shipped(find_model(word).key)
            except RnnStudioError:
                pass
        return cls.file(Path(word))

    @classmethod
    def file(cls, path: str | Path, overrides: Mapping[str, Any] | None = None,
             key_map: KeyMap = ()) -> ModelSource:
        """A model file (with configuration ``overrides`` and the ``key_map`` naming
        its parts); whether it exists is found out by :meth:`load`."""
        return cls(path=Path(path), overrides=dict(overrides or {}), key_map=key_map)

    def with_overrides(self, **changes: Any) -> ModelSource:
        """This file with ``changes`` laid over its overrides (a None value removes one)."""
        merged = {**self.overrides, **changes}
        return replace(self, overrides={k: v for k, v in merged.items() if v is not None})

    @classmethod
    def random(cls, spec: RandomModelSpec) -> ModelSource:
        return cls(spec=spec)

    @classmethod
    def in_memory(cls, title: str) -> ModelSource:
        """A model trained in the window and not saved: shown, never reopened."""
        return cls(memory_title=title)

    @property
    def kind(self) -> str:
        """``"shipped"``, ``"file"``, ``"random"`` or ``"in-memory"``."""
        if self.key is not None:
            return SHIPPED
        if self.path is not None:
            return FILE
        return RANDOM if self.spec is not None else IN_MEMORY

    @property
    def title(self) -> str:
        """The index's title, the file name, the spec in words, or the given title.
        A shipped key the index does not list shows as itself (never raises)."""
        if self.key is not None:
            try:
                return shipped_title(self.key)
            except RnnStudioError:
                return self.key
        if self.path is not None:
            return self.path.name
        if self.spec is not None:
            return self.spec.describe()
        return str(self.memory_title)

    def load(self) -> Model:
        """The model: shipped ones from a small cache, files read again each time (they
        may have changed), random ones rebuilt from the seed.

        Raises :class:`RnnStudioError` (unknown shipped key with the known ones, missing
        or unreadable file, in-memory model) with a one-line message.
        """
        if self.key is not None:
            return load_shipped_model(self.key)
        if self.path is not None:
            return self.read().model
        if self.spec is not None:
            return self.spec.build()
        raise ModelFileError(f"the model {self.memory_title!r} was trained in this window "
                             "and has no file to read; save it as a model file first")

    def read(self) -> LoadedModel:
        """A file's model with what reading it found (format, renamed submodules,
        conversions, guesses); :class:`ModelFileError` for any other source."""
        if self.path is None:
            raise ModelFileError(f"{self.title} is not a model file")
        return read_model(self.path, dict(self.key_map), **self.overrides)

    def sample_text(self) -> str | None:
        """The sample sentence of a shipped model's task; None for other sources and for
        a key the index does not list."""
        if self.key is None:
            return None
        try:
            return find_model(self.key).sample
        except RnnStudioError:
            return None


def _absolute(path: Any) -> Path:
    """``path`` as an absolute ``Path``; empty paths and NUL characters are refused."""
    text = str(path) if isinstance(path, (str, Path)) else ""
    if not text or text == "." or "\x00" in text:
        Checker("model source", ConfigError, "give the path of a model file").fail(
            "path", "the path of a model file", text)
    return Path(path).absolute()
