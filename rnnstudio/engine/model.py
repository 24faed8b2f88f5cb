"""A model = tokenizer + embedding + recurrent stack + optional readout head.

Parameters use PyTorch's names (``embedding.weight``, ``rnn.weight_ih_l0``,
``head.weight``), so a module with submodules ``embedding``, ``rnn`` and ``head`` maps
onto it one-to-one.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ConfigError, ParameterError, TextError, shown
from ..limits import (
    MAX_GAIN,
    MAX_LABELS,
    MAX_PARAMETERS,
    MAX_RANDOM_PARAMETERS,
    MAX_SEED,
    MAX_TEXT_CHARS,
    MAX_TOKENS,
    MAX_TRACE_VALUES,
    check_choice,
    check_number,
    check_texts,
    check_whole,
)
from .attribution import DEFAULT_STEPS
from .config import RecurrentConfig
from .edits import LayerEdits, layer_edits
from .interventions import Intervention, as_interventions, check_interventions
from .losses import Loss, parse_loss
from .params import RNN_PREFIX, check_params, init_recurrent, recurrent_shapes
from .readout import POOLED_READOUTS, check_readout, readout_vector
from .stack import RecurrentStack
from .tokenizers import HashedEmbedding, Tokenizer, Tokens

if TYPE_CHECKING:
    from .attribution import Attribution
    from .stepper import Stepper
    from .trace import Trace

__all__ = ["DTYPES", "MAX_TOKENS", "Model", "ModelConfig", "random_model"]

EMBEDDINGS = ("table", "hashed")
TASKS = (None, "classify", "tag", "next-token")
DTYPES = ("float32", "float64")


@dataclass(frozen=True)
class ModelConfig:
    """Everything about a model except its weights; JSON-safe via ``to_dict``."""

    recurrent: RecurrentConfig
    tokenizer: Tokenizer = field(default_factory=Tokenizer)
    embedding: str = "hashed"
    task: str | None = None
    labels: tuple[str, ...] = ()
    dtype: str = "float32"
    card: dict[str, Any] = field(default_factory=dict, compare=False)
    #: Which top-layer vector the head reads (:data:`READOUTS`); pooled ones classify only.
    readout: str = "last-step"

    def __post_init__(self) -> None:
        if self.embedding not in EMBEDDINGS:
            raise ConfigError(f"unknown embedding {self.embedding!r}: use 'table' or 'hashed'")
        if self.task not in TASKS:
            raise ConfigError(f"unknown task {self.task!r}: use classify, tag or next-token")
        if self.dtype not in DTYPES:
            raise ConfigError(f"unknown dtype {self.dtype!r}: use float32 or float64")
        if self.embedding == "table" and self.tokenizer.open:
            raise ConfigError("an embedding table needs a tokenizer with a vocabulary")
        if self.task in ("classify", "tag") and not self.labels:
            raise ConfigError(f"a {'classifier' if self.task == 'classify' else 'tagger'} "
                              "needs its labels")
        if self.task == "next-token" and self.tokenizer.open:
            raise ConfigError("a next-token model needs a tokenizer with a vocabulary")
        check_readout(self.readout)
        if self.task in ("tag", "next-token") and self.readout == "last-step":
            # The same computation; a model that answers at every step reads per-step,
            # and "last-step" would tell a tagger's user it reads the last token only.
            object.__setattr__(self, "readout", "per-step")
        if self.readout in POOLED_READOUTS and self.task != "classify":
            raise ConfigError(f"the {self.readout} readout gives one verdict per text, for a "
                              "classifier; use last-step or per-step for this model",
                              argument="readout")
        object.__setattr__(self, "labels", check_texts(
            "labels", self.labels, MAX_LABELS, "labels", "is this a next-token model?"))
        total = sum(math.prod(shape) for shape in self.expected_shapes().values())
        if total > MAX_PARAMETERS:
            raise ConfigError(f"this model would have {total:,} parameters, more than the "
                              f"{MAX_PARAMETERS:,} allowed; use a smaller model, vocabulary "
                              "or label set")

    def values_per_token(self) -> int:
        """How many numbers a trace records per token: the input vector, then per layer
        and direction h, c (LSTM) and every gate, then the logits. A trace of T tokens
        holds T times this (plus as many gradients), bounded by ``MAX_TRACE_VALUES``."""
        rec = self.recurrent
        per_layer = rec.output_size + rec.hidden_size * (len(rec.gates) + (rec.cell == "lstm"))
        return rec.input_size + rec.num_layers * rec.num_directions * per_layer + self.head_size

    def max_tokens(self) -> int:
        """The longest text a trace of this model reads: ``MAX_TOKENS``, or fewer when
        a token's values are many (``MAX_TRACE_VALUES``)."""
        return max(1, min(MAX_TOKENS, MAX_TRACE_VALUES // self.values_per_token()))

    @property
    def head_size(self) -> int:
        if self.task in ("classify", "tag"):
            return len(self.labels)
        if self.task == "next-token":
            assert self.tokenizer.vocabulary is not None
            return len(self.tokenizer.vocabulary)
        return 0

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        rec = self.recurrent
        shapes = {RNN_PREFIX + k: v for k, v in recurrent_shapes(rec).items()}
        if self.embedding == "table":
            assert self.tokenizer.vocabulary is not None
            shapes = {"embedding.weight": (len(self.tokenizer.vocabulary), rec.input_size),
                      **shapes}
        if self.task is not None:
            width = rec.output_size * rec.num_directions
            shapes["head.weight"] = (self.head_size, width)
            shapes["head.bias"] = (self.head_size,)
        return shapes

    def to_dict(self) -> dict[str, Any]:
        return {
            "recurrent": self.recurrent.to_dict(),
            "tokenizer": self.tokenizer.to_dict(),
            "embedding": self.embedding,
            "task": self.task,
            "labels": list(self.labels),
            "dtype": self.dtype,
            "readout": self.readout,
            "card": dict(self.card),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelConfig:
        try:
            return cls(
                recurrent=RecurrentConfig.from_dict(dict(data["recurrent"])),
                tokenizer=Tokenizer.from_dict(dict(data.get("tokenizer") or {})),
                embedding=data.get("embedding", "hashed"),
                task=data.get("task"),
                labels=data.get("labels") or (),
                dtype=data.get("dtype", "float32"),
                card=dict(data.get("card") or {}),
                readout=data.get("readout", "last-step"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"model config is incomplete or malformed: {exc}") from exc


def _float_dtype(argument: str, value: Any) -> np.dtype:
    """float32 or float64 from a name or dtype; :class:`ConfigError` for anything else."""
    name = value.name if isinstance(value, np.dtype) else value
    if isinstance(value, type) and issubclass(value, np.floating):
        name = np.dtype(value).name
    return np.dtype(check_choice(argument, name, DTYPES))


class Model:
    """A validated, immutable model: weights are copied, cast to ``config.dtype`` and
    made read-only, so traces computed from it stay reproducible."""

    def __init__(
        self, config: ModelConfig, params: Mapping[str, np.ndarray], source: str = "model"
    ) -> None:
        arrays = {name: np.asarray(value) for name, value in params.items()}
        check_params(config.expected_shapes(), arrays, source)
        self.config = config
        self.source = source
        self.dtype = np.dtype(config.dtype)
        self._params = {}
        for name, value in arrays.items():
            with np.errstate(over="ignore"):  # checked on the next line
                copy = np.array(value, dtype=self.dtype, order="C")
            if not np.isfinite(copy).all():
                raise ParameterError(f"{source}: parameter {name!r} holds values beyond "
                                     f"{self.dtype}'s range (+-{np.finfo(self.dtype).max:.3g});"
                                     " use dtype float64 or scale the weights down")
            copy.flags.writeable = False
            self._params[name] = copy
        self.stack = RecurrentStack(config.recurrent, self._params)
        self._hashed = HashedEmbedding(config.recurrent.input_size)

    def __repr__(self) -> str:
        """One line: cell, layers, input size, vocabulary, task, parameters, dtype."""
        from .display import model_repr

        return model_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter: a table of the facts (see :mod:`rnnstudio.notebook`)."""
        from ..notebook import model_html

        return model_html(self)

    @property
    def tokenizer(self) -> Tokenizer:
        return self.config.tokenizer

    @property
    def params(self) -> Mapping[str, np.ndarray]:
        """Read-only views of the weights (PyTorch names)."""
        return self._params

    def state_dict(self) -> dict[str, np.ndarray]:
        """A writable copy of the weights under PyTorch's names."""
        return {name: value.copy() for name, value in self._params.items()}

    @property
    def num_parameters(self) -> int:
        return int(sum(v.size for v in self._params.values()))

    def tokenize(self, text: str | Iterable[str]) -> Tokens:
        """Text (or a list of ready tokens) to ids; refuses empty and overlong input
        (more than ``MAX_TEXT_CHARS`` characters or :meth:`ModelConfig.max_tokens`
        tokens) with :class:`TextError`."""
        limit = self.config.max_tokens()
        if isinstance(text, str):
            if len(text) > MAX_TEXT_CHARS:
                raise TextError(f"the text has {len(text):,} characters; RNN Studio reads at "
                                f"most {MAX_TEXT_CHARS:,} at once: shorten it or split it "
                                "into parts")
            tokens = self.tokenizer.split(text)
        elif isinstance(text, Iterable) and not isinstance(text, (bytes, bytearray)):
            # one past the limit is read, never a whole (perhaps endless) generator
            tokens = [str(token) for token in itertools.islice(text, limit + 1)]
        else:
            raise TypeError(f"text must be a string or a list of tokens, got {shown(text)}")
        for position, token in enumerate(tokens):
            try:
                token.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise TextError(
                    f"token {position} ({token!r}) is not valid Unicode text (a lone "
                    "surrogate): re-save the text as UTF-8"
                ) from exc
        if not tokens:
            raise TextError("the text is empty: type a sentence (at least one token)")
        if len(tokens) > limit:
            counted = str(len(tokens)) if isinstance(text, str) else f"more than {limit}"
            raise TextError(self._too_long(counted, limit))
        return self.tokenizer.encode(tokens)

    def _too_long(self, counted: str, limit: int) -> str:
        """The message for a text of ``counted`` tokens, more than ``limit``."""
        if limit == MAX_TOKENS:
            return (f"the text has {counted} tokens; RNN Studio traces at most "
                    f"{MAX_TOKENS} at once: shorten it or split it into parts")
        return (f"the text has {counted} tokens; a trace of this model keeps "
                f"{self.config.values_per_token():,} values a token and at most "
                f"{MAX_TRACE_VALUES:,} in all, so it reads at most {limit:,} tokens: "
                "shorten the text or use a smaller model")

    def embed(self, ids: np.ndarray) -> np.ndarray:
        """Input vectors (T, I) for token ids, in the model's dtype."""
        if self.config.embedding == "table":
            return self._params["embedding.weight"][ids]
        return self._hashed(ids).astype(self.dtype)

    def head(self, outputs: np.ndarray) -> np.ndarray | None:
        """Logits (T, B, C) from top-layer outputs (T, B, D), or None without a head. A
        pooled readout's one verdict fills every row (see :mod:`.readout`)."""
        if self.config.task is None:
            return None
        weight, bias = self._params["head.weight"], self._params["head.bias"]
        readout = self.config.readout
        if readout not in POOLED_READOUTS:
            return outputs @ weight.T + bias
        vector = readout_vector(outputs, readout, self.config.recurrent.num_directions)
        return np.broadcast_to(vector @ weight.T + bias, outputs.shape[:2] + bias.shape).copy()

    def initial_states(
        self, h0: np.ndarray | None, c0: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Validated initial states with a batch axis: (L*D, 1, H_out) and (L*D, 1, H);
        zeros where not given. Refuses any other shape with a message naming it."""
        rec = self.config.recurrent
        count = rec.num_layers * rec.num_directions
        given = {}
        for name, value, width in (("h0", h0, rec.output_size), ("c0", c0, rec.hidden_size)):
            if value is None:
                continue
            array = np.asarray(value)
            if array.shape != (count, width):
                raise ConfigError(
                    f"initial state {name} has shape {array.shape}; this model needs "
                    f"({count}, {width}) = (layers x directions, "
                    f"{'output' if name == 'h0' else 'hidden'} size)"
                )
            if not np.isfinite(array).all():
                raise ConfigError(f"initial state {name} holds NaN or infinite values")
            given[name] = array[:, None, :]
        return self.stack.initial_states(1, self.dtype, given.get("h0"), given.get("c0"))

    def default_loss(self) -> Loss:
        """The task's own loss (a bare cell: ``last-output-sum``): what a new model's
        gradients show until the user picks another."""
        return parse_loss({None: "last-output-sum", "classify": "class", "tag": "tag",
                           "next-token": "next-token"}[self.config.task])

    def trace(
        self,
        text: str | Iterable[str] | Tokens,
        loss: str | Loss | None = "default",
        grad_dtype: str | np.dtype = "float64",
        jacobian: bool = True,
        h0: np.ndarray | None = None,
        c0: np.ndarray | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        interventions: Sequence[Intervention | str] = (),
    ) -> Trace:
        """Read a text: every state and gate, and (unless ``loss`` is None) gradients of
        the loss through time. ``h0`` (L*D, H_out) and ``c0`` (L*D, H) set initial states.
        ``text`` may be :class:`Tokens` from :meth:`tokenize`, so a caller that needed the
        token count first does not tokenize twice.

        ``interventions`` (:class:`~rnnstudio.engine.interventions.Intervention` objects
        or their specs, e.g. ``"f=1@l0.fwd:units=3,7:steps=5-"``) are checked against the
        model before anything is computed, then the sequence is computed with them in
        place and BPTT (and the Jacobian norms) run through the edited computation: a set
        quantity passes no gradient to what made it, a scaled one passes the constant
        times it. The trace records them (``trace.interventions``)."""
        from .tracer import run_trace

        edits = self.check_interventions(interventions)
        if isinstance(loss, str):  # a typo fails here, not after the forward pass
            loss = self.default_loss() if loss == "default" else parse_loss(loss)
        elif loss is not None and not callable(getattr(loss, "seeds", None)):
            raise TypeError(f"loss must be a loss object, its name or None, got {shown(loss)}")
        tokens = text if isinstance(text, Tokens) else self.tokenize(text)
        if len(tokens.tokens) > self.config.max_tokens():
            raise TextError(self._too_long(str(len(tokens.tokens)), self.config.max_tokens()))
        return run_trace(self, tokens, loss, _float_dtype("grad_dtype", grad_dtype), jacobian,
                         h0, c0, should_stop, on_progress, edits)

    def check_interventions(
        self, interventions: Intervention | str | Iterable[Intervention | str],
    ) -> tuple[Intervention, ...]:
        """Interventions (objects or specs) parsed and checked against this model's cell,
        layers, directions and sizes; a :class:`ConfigError` names the spec at fault and
        what the model has. What :meth:`trace` does first, for a caller (the window, the
        command line) that wants to refuse an edit before it starts any work."""
        rec = self.config.recurrent
        checked = check_interventions(as_interventions(interventions), rec.cell,
                                      rec.num_layers, rec.bidirectional, rec.hidden_size,
                                      rec.output_size)
        largest = float(np.finfo(self.dtype).max)
        for edit in checked:
            if abs(edit.value) > largest:
                raise ConfigError(f"intervention {edit.spec()}: {edit.value:g} is beyond "
                                  f"this {self.dtype} model's range (+-{largest:.3g})")
        return checked

    def attribute(
        self,
        text: str | Iterable[str] | Tokens,
        method: str = "gradient-x-input",
        target: int | str | None = None,
        step: int | None = None,
        steps: int = DEFAULT_STEPS,
        baseline: str | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        score: str | None = None,
    ) -> Attribution:
        """One score per token of ``text`` (``scores`` (T,) aligned with ``tokens``) for a
        stated number s: a classifier's log-probability of its predicted class (or
        ``target``), a tagger's or language model's at ``step``; ``score="log-odds"``:
        its log-odds instead, which does not saturate near p = 1. ``method``:
        gradient-norm, gradient-x-input, occlusion or integrated-gradients (``steps``,
        ``baseline``); see :func:`rnnstudio.engine.attribution.attribute`."""
        from .attribution import attribute

        return attribute(self, text, method, target, step, steps, baseline, should_stop,
                         on_progress, score)

    def jacobian_norms(
        self, trace: Trace, grad_dtype: str | np.dtype = "float64",
        should_stop: Callable[[], bool] | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> dict[tuple[int, str], np.ndarray]:
        """||dh_T/dh_t|| (T,) per (layer, direction) for a trace made with
        ``jacobian=False``: the costly part (O(T H^3)) run as separate work, so a view can
        show states and gradients first. Re-runs the cheap forward pass from ``trace.x``;
        ``on_progress(done, total)`` counts the backward steps over all layers and
        directions (see :meth:`RecurrentStack.jacobian_norms`). A trace made with
        interventions gets the norms of its edited computation."""
        dtype = _float_dtype("grad_dtype", grad_dtype)
        initial_h, initial_c = self.initial_states(trace.h0, trace.c0)
        with np.errstate(all="ignore"):
            cache = self.stack.forward(trace.x[:, None, :], self.dtype, initial_h, initial_c,
                                       should_stop, edits=self.layer_edits(
                                           trace.interventions, trace.steps))
            return self.stack.jacobian_norms(cache, dtype, should_stop, on_progress)

    def layer_edits(
        self, interventions: Iterable[Intervention], steps: int
    ) -> dict[tuple[int, str], LayerEdits]:
        """Checked interventions as the per-step arrays the stack's forward pass reads
        (:mod:`.edits`), for a text of ``steps`` tokens, in this model's dtype."""
        rec = self.config.recurrent
        return layer_edits(interventions, rec.num_layers, rec.directions, rec.hidden_size,
                           rec.output_size, steps, self.dtype)

    def stepper(self, h0: np.ndarray | None = None, c0: np.ndarray | None = None) -> Stepper:
        """Feed tokens one at a time (unidirectional models only)."""
        from .stepper import Stepper

        return Stepper(self, h0, c0)

    def summary(self) -> str:
        rec, cfg = self.config.recurrent, self.config
        parts = [f"{rec.kind}", f"hidden {rec.hidden_size}"]
        if rec.proj_size:
            parts.append(f"proj {rec.proj_size}")
        parts += [f"{rec.num_layers} layer{'s' * (rec.num_layers > 1)}"]
        if rec.bidirectional:
            parts.append("bidirectional")
        vocab = "open" if cfg.tokenizer.open else str(len(cfg.tokenizer.vocabulary or ()))
        parts += [f"input {rec.input_size}", f"{cfg.tokenizer.kind} tokens (vocabulary {vocab})"]
        if cfg.task is not None:  # what the head reads decides the verdict (Model dock, info)
            parts.append(f"readout {cfg.readout}")
        parts += [f"{self.num_parameters:,} parameters", cfg.dtype]
        return ", ".join(parts)


def random_model(
    cell: str = "lstm",
    hidden_size: int = 32,
    *,
    input_size: int = 16,
    num_layers: int = 1,
    nonlinearity: str = "tanh",
    bidirectional: bool = False,
    proj_size: int = 0,
    bias: bool = True,
    seed: int = 0,
    gain: float = 1.0,
    dtype: str = "float32",
    tokenizer: Tokenizer | None = None,
    readout: str = "last-step",
    reset_after: bool = True,
) -> Model:
    """A model with PyTorch's default initialisation, reproducible from ``seed``;
    ``gain`` scales the recurrent weights (below 1 gradients vanish, above they explode).
    Uses a hashed embedding, so every token is known.

    Every argument is checked before anything is allocated: sizes against
    :mod:`rnnstudio.limits` (at most ``MAX_RANDOM_PARAMETERS`` weights), ``seed`` from 0
    to ``MAX_SEED``, ``gain`` finite; a :class:`ConfigError` names the argument.
    ``readout`` is stored in the config (a bare stack has no head, so the pooled readouts,
    which need a classifier, are refused). ``reset_after=False`` makes a reset-before GRU
    (Keras ``reset_after=False``, ONNX ``linear_before_reset=0``).
    """
    recurrent = RecurrentConfig(cell, input_size, hidden_size, num_layers, nonlinearity,
                                bias, bidirectional, proj_size, reset_after)
    if recurrent.parameter_count > MAX_RANDOM_PARAMETERS:
        raise ConfigError(
            f"hidden_size {recurrent.hidden_size} with {recurrent.num_layers} layer(s) makes "
            f"{recurrent.parameter_count:,} parameters, more than the "
            f"{MAX_RANDOM_PARAMETERS:,} a random model may have; use fewer units or layers",
            argument="hidden_size")
    gain = check_number("gain", gain, "use e.g. 0.5 (vanishing) or 2 (exploding)",
                        low=-MAX_GAIN, high=MAX_GAIN)
    seed = check_whole("seed", seed, 0, MAX_SEED, "give a seed in that range")
    dtype = check_choice("dtype", dtype, DTYPES)
    if tokenizer is not None and not isinstance(tokenizer, Tokenizer):
        raise TypeError(f"tokenizer must be a Tokenizer or None, got {shown(tokenizer)}")
    params = init_recurrent(recurrent, np.random.default_rng(seed), gain, np.float64)
    card = {"origin": "random", "seed": seed, "gain": gain}
    config = ModelConfig(recurrent, tokenizer or Tokenizer("word"), "hashed", dtype=dtype,
                         card=card, readout=readout)
    return Model(config, params, source=f"random {recurrent.kind}")
