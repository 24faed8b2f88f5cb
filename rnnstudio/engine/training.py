"""A NumPy trainer: batched forward and backward through time, Adam or SGD.

The same layer kernels as the tracer run on a batch (T, B, ...), so training is not a
Python loop over examples. Gradient-norm clipping is a training option only: it changes
the update, never the gradients the app displays (those come from ``Model.trace``).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import numpy as np

from ..errors import ConfigError, TrainingDiverged
from ..limits import (
    MAX_BATCH_SIZE,
    MAX_BATCH_VALUES,
    MAX_SEED,
    MAX_STEPS,
    check_choice,
    check_number,
    check_whole,
)
from .config import RecurrentConfig
from .layer import check_stop
from .model import Model, ModelConfig
from .optimizers import Adam, clip_by_norm
from .params import init_recurrent
from .readout import embedding_backward, head_backward
from .stack import RecurrentStack
from .tasks import Batch, Task, make_task
from .tokenizers import Tokenizer
from .workspace import Workspace

OPTIMIZERS = ("adam", "sgd")
#: Held-out data for model cards: a seed no training run draws from, and small batches so
#: each batch's own length and shape choices mix fairly (rnnstudio train, build_models).
HELD_OUT_SEED = 7_000_001
HELD_OUT_BATCH = 32


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; with the seed, it reproduces the model."""

    task: str = "recall"
    cell: str = "lstm"
    hidden_size: int = 32
    input_size: int = 16
    num_layers: int = 1
    nonlinearity: str = "tanh"
    bidirectional: bool = False
    steps: int = 1500
    batch_size: int = 32
    optimizer: str = "adam"
    #: 0.003, not 0.01: Adam moves every weight by about the learning rate per step, and
    #: at 0.01 a tanh RNN's recurrent spectral radius passes 2 within 100 steps on recall,
    #: its units saturate and it stays at chance (docs/models.md); gated cells are immune.
    learning_rate: float = 0.003
    clip_norm: float | None = 1.0
    forget_bias: float = 1.0
    curriculum: float = 0.5
    seed: int = 0
    eval_every: int = 100
    eval_size: int = 256
    #: The task's own settings (``make_task(task, **task_options)``), e.g. the recall gap
    #: range: part of the config so a card's ``train`` entry reproduces the data too.
    task_options: dict[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        """Check every field before any work (:mod:`rnnstudio.limits`): counts and
        rates, the task and its options, the model's size and a batch's memory. A
        :class:`ConfigError` names the field (``argument``); numbers are stored as plain
        ``int``/``float``."""
        for name, value in self._checked_numbers().items():
            object.__setattr__(self, name, value)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        if not isinstance(self.task_options, dict):
            raise ConfigError(f"task_options must be a dict of task settings, got "
                              f"{type(self.task_options).__name__}", argument="task_options")
        task = make_task(self.task, **self.task_options)
        width = model_config_for(self, task).values_per_token()
        for name in ("batch_size", "eval_size"):
            values = getattr(self, name) * task.longest * width
            if values > MAX_BATCH_VALUES:
                raise ConfigError(
                    f"{name} {getattr(self, name)} makes batches of {values:,} values "
                    f"({task.longest} tokens x {width:,} values a token), more than the "
                    f"{MAX_BATCH_VALUES:,} allowed; use at most "
                    f"{max(1, MAX_BATCH_VALUES // (task.longest * width))} or a smaller "
                    "model or task", argument=name)

    def _checked_numbers(self) -> dict[str, Any]:
        """The numeric fields, checked and in canonical types."""
        between = "give a value in that range"
        return {
            "steps": check_whole("steps", self.steps, 1, MAX_STEPS, between),
            "batch_size": check_whole("batch_size", self.batch_size, 1, MAX_BATCH_SIZE,
                                      between),
            "eval_size": check_whole("eval_size", self.eval_size, 1, MAX_BATCH_SIZE, between),
            "eval_every": check_whole("eval_every", self.eval_every, 1, MAX_STEPS, between),
            "seed": check_whole("seed", self.seed, 0, MAX_SEED, between),
            "learning_rate": check_number("learning_rate", self.learning_rate,
                                          "use e.g. 0.003", positive=True),
            "clip_norm": None if self.clip_norm is None else check_number(
                "clip_norm", self.clip_norm, "use e.g. 1.0, or None for no clipping",
                positive=True),
            "forget_bias": check_number("forget_bias", self.forget_bias, "use e.g. 1.0"),
            "curriculum": check_number("curriculum", self.curriculum, "use e.g. 0.5",
                                       low=0.0, high=1.0),
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TrainReport:
    """One evaluation point: held-out loss/accuracy and ||dL/dh_t|| averaged over a
    held-out batch (the gradient-through-time curve as training goes), and every step
    since the previous report: its training loss and its global gradient norm, so an
    explosion is seen growing between two evaluations."""

    step: int
    train_loss: float
    eval_loss: float
    eval_accuracy: float
    grad_norms: np.ndarray  # (T,)
    #: Wall time since the run started, evaluations included.
    seconds: float
    #: (k,) the training loss of steps ``step - k + 1 .. step``.
    step_losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: (k,) the global gradient norm of those steps, before clipping.
    step_grad_norms: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: Time spent in training steps so far, evaluations excluded: the speed of training.
    train_seconds: float = 0.0

    @property
    def steps_per_second(self) -> float:
        """Training steps a second so far (evaluations excluded)."""
        return self.step / self.train_seconds if self.train_seconds > 0 else 0.0


@dataclass(frozen=True)
class RunRecord:
    """A run up to the step it stopped at: what a diverged run leaves to explain itself.

    ``losses`` and ``grad_norms`` (S,) hold step ``s`` at index ``s - 1``; the last entry
    may be NaN or infinite (that step's overflow). ``largest_weight`` names the weight
    with the largest finite magnitude then, and that magnitude; ``train_seconds`` is the
    time of all S steps, evaluations excluded.
    """

    losses: np.ndarray
    grad_norms: np.ndarray
    largest_weight: tuple[str, float]
    train_seconds: float

    def last_finite(self, values: np.ndarray) -> tuple[int, float] | None:
        """(step, value) of the last finite entry of ``values`` (one of this record's)."""
        finite = np.flatnonzero(np.isfinite(values))
        return (int(finite[-1]) + 1, float(values[finite[-1]])) if finite.size else None


@dataclass
class TrainResult:
    model: Model
    reports: list[TrainReport] = field(default_factory=list)


def initial_params(
    model_config: ModelConfig, rng: np.random.Generator, forget_bias: float = 0.0
) -> dict[str, np.ndarray]:
    """PyTorch's defaults: N(0, 1) embedding, U(+-1/sqrt(H)) recurrent, U(+-1/sqrt(D))
    head; plus ``forget_bias`` added to an LSTM's forget-gate rows of ``bias_ih``, which
    starts the cell remembering (Jozefowicz et al., 2015) and lets it find long gaps."""
    rec = model_config.recurrent
    params = init_recurrent(rec, rng, 1.0, np.float32)
    if rec.cell == "lstm" and rec.bias:
        size = rec.hidden_size
        for name in params:
            if name.startswith("rnn.bias_ih"):
                params[name][size : 2 * size] += forget_bias
    vocab = model_config.tokenizer.vocabulary or ()
    params["embedding.weight"] = rng.standard_normal((len(vocab), rec.input_size)).astype(
        np.float32)
    width = rec.output_size * rec.num_directions
    bound = 1.0 / np.sqrt(width)
    params["head.weight"] = rng.uniform(-bound, bound, (model_config.head_size, width)).astype(
        np.float32)
    params["head.bias"] = rng.uniform(-bound, bound, model_config.head_size).astype(np.float32)
    return params


def model_config_for(config: TrainConfig, task: Task) -> ModelConfig:
    rec = RecurrentConfig(config.cell, config.input_size, config.hidden_size, config.num_layers,
                          config.nonlinearity, True, config.bidirectional)
    tokenizer = Tokenizer(task.tokenizer, task.vocabulary(),
                          subwords=getattr(task, "subwords", False))  # reviews: pieces
    return ModelConfig(rec, tokenizer, "table", task.kind,
                       task.labels, "float32")


def batch_loss(
    model_config: ModelConfig, params: dict[str, np.ndarray], batch: Batch, backward: bool,
    focus: np.ndarray | None = None, workspace: Workspace | None = None,
    grad_norms: bool = True,
) -> tuple[float, float, dict[str, np.ndarray], np.ndarray]:
    """Mean cross-entropy, accuracy, parameter gradients (if ``backward``) and the
    per-step mean ||dL/dh_t|| (T,) of the top forward layer for one batch. ``focus``
    (T, B) limits a tagger's accuracy to some words (e.g. the ambiguous ones). A run
    passes one ``workspace`` to every step so that the step reuses its arrays, and
    ``grad_norms=False`` for the steps whose norms only a report would show (an empty
    array then; 2% of an LSTM step at H = 64; README, Performance)."""
    if model_config.readout not in ("last-step", "per-step"):
        raise ConfigError(f"training reads the head at each step; the {model_config.readout} "
                          "readout is not trained here, use last-step or per-step",
                          argument="readout")
    rec = model_config.recurrent
    # One encode for the whole batch (its sequences have one length): 32 calls cost 4x.
    ids = _token_ids(model_config.tokenizer, batch)
    stack = RecurrentStack(rec, params, training=True, workspace=workspace)
    cache = stack.forward(params["embedding.weight"][ids], np.float32)
    top = cache.outputs[-1]
    scored, targets = _scored_steps(str(model_config.task), batch, ids)
    # The head reads only the scored steps (a class: the last step alone).
    logits = top[scored] @ params["head.weight"].T + params["head.bias"]
    scores, targets = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    rows = np.arange(len(targets))
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = float(-log_probs[rows, targets].mean())
    correct = log_probs.argmax(axis=1) == targets
    accuracy = float(correct.mean() if focus is None else correct[focus.reshape(-1)].mean())
    if not backward:
        return loss, accuracy, {}, np.zeros(len(top))
    d_scores = np.exp(log_probs)
    d_scores[rows, targets] -= 1.0
    d_scores /= len(rows)
    grad_states: dict[tuple[int, str, str], np.ndarray] = {}
    grads = head_backward(params["head.weight"], top[scored], d_scores.reshape(logits.shape),
                          rec, grad_states)
    for key, scored_part in grad_states.items():
        grad_states[key] = np.zeros(top.shape[:2] + scored_part.shape[2:], scored_part.dtype)
        grad_states[key][scored] = scored_part
    stack_grads = stack.backward(cache, grad_states, np.float32)
    grads.update(stack_grads.params)
    assert stack_grads.x is not None
    grads["embedding.weight"] = embedding_backward(params["embedding.weight"].shape, ids,
                                                   stack_grads.x)
    if not grad_norms:
        return loss, accuracy, grads, np.zeros(0)
    hidden = stack_grads.hidden[rec.num_layers - 1, "fwd"]
    norms = np.sqrt(np.einsum("tbh,tbh->tb", hidden, hidden)).mean(axis=1)
    return loss, accuracy, grads, norms


def _token_ids(tokenizer: Tokenizer, batch: Batch) -> np.ndarray:
    """The batch's token ids (T, B), looked up in one pass (its sequences have one
    length)."""
    count = sum(len(sequence) for sequence in batch.tokens)
    flat = tokenizer.id_array(itertools.chain.from_iterable(batch.tokens), count)
    return flat.reshape(len(batch.tokens), -1).T


def _scored_steps(task: str, batch: Batch, ids: np.ndarray) -> tuple[slice, np.ndarray]:
    """Which steps are scored against what: the class at the last step, a tag at every
    step, or the next token after every step but the last; targets (S, B)."""
    steps = len(ids)
    if task == "classify":
        return slice(steps - 1, steps), np.asarray(batch.targets)[None]
    if task == "tag":
        return slice(0, steps), np.asarray(batch.targets)
    return slice(0, steps - 1), ids[1:]


def train(
    config: TrainConfig,
    should_stop: Callable[[], bool] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    on_report: Callable[[TrainReport], None] | None = None,
) -> TrainResult:
    """Train a model on a generated task; reproducible from ``config.seed``."""
    task = make_task(config.task, **config.task_options)
    model_config = model_config_for(config, task)
    rng = np.random.default_rng(config.seed)
    params = initial_params(model_config, rng, config.forget_bias)
    eval_batch = task.sample(np.random.default_rng(config.seed + 1_000_003), config.eval_size)
    optimizer = Adam(config.learning_rate, plain=config.optimizer == "sgd")
    workspace = Workspace()
    result_reports: list[TrainReport] = []
    started = time.perf_counter()
    losses: list[float] = []
    norms: list[float] = []
    reported = 0  # steps already handed out in a report
    train_seconds = 0.0
    with np.errstate(over="ignore", invalid="ignore"):  # NaN and inf stop the run below
        for step in range(1, config.steps + 1):
            check_stop(should_stop, 0)
            step_started = time.perf_counter()
            # Curriculum: the longest sequences grow to full length over the first
            # `curriculum` fraction of the steps (0 = full length from the start).
            fraction = step / (config.curriculum * config.steps) if config.curriculum else 1.0
            batch = task.at_difficulty(fraction).sample(rng, config.batch_size)
            loss, _, grads, _ = batch_loss(model_config, params, batch, True,
                                           workspace=workspace, grad_norms=False)
            losses.append(loss)
            norms.append(clip_by_norm(grads, config.clip_norm) if math.isfinite(loss)
                         else math.nan)
            if math.isfinite(loss):
                optimizer.update(params, grads)
            train_seconds += time.perf_counter() - step_started
            if not math.isfinite(loss):
                raise diverged(config, step, "training loss", loss,
                               _record(losses, norms, params, train_seconds))
            check_finite(config, step, params,
                         partial(_record, losses, norms, params, train_seconds))
            if step % config.eval_every == 0 or step == config.steps:
                eval_loss, accuracy, _, through_time = batch_loss(
                    model_config, params, eval_batch, True, workspace=workspace)
                report = TrainReport(step, float(np.mean(losses[reported:])), eval_loss,
                                     accuracy, through_time, time.perf_counter() - started,
                                     np.array(losses[reported:]), np.array(norms[reported:]),
                                     train_seconds)
                reported = step
                result_reports.append(report)
                if on_report is not None:
                    on_report(report)
            if on_progress is not None:
                on_progress(step, config.steps)
    card = {"origin": "trained", "train": config.to_dict(), "task": task.name}
    final = Model(ModelConfig(model_config.recurrent, model_config.tokenizer, "table",
                              task.kind, task.labels, "float32", card), params,
                  source=f"trained {config.cell} on {task.name}")
    return TrainResult(final, result_reports)


def _record(losses: list[float], norms: list[float], params: dict[str, np.ndarray],
            train_seconds: float) -> RunRecord:
    """The run so far, for a :class:`TrainingDiverged` to carry."""
    with np.errstate(invalid="ignore"):
        sizes = {name: float(np.abs(value[np.isfinite(value)]).max(initial=0.0))
                 for name, value in params.items()}
    largest = max(sizes, key=sizes.__getitem__)
    return RunRecord(np.array(losses), np.array(norms), (largest, sizes[largest]),
                     train_seconds)


def check_finite(config: TrainConfig, step: int, params: dict[str, np.ndarray],
                 record: Callable[[], RunRecord] | None = None) -> None:
    """Stop at the first update that made a weight NaN or infinite (a finite loss can
    still come with an update that overflows float32); ``record()`` says how it got there."""
    for name, value in params.items():
        finite = np.isfinite(value)
        if not finite.all():
            raise diverged(config, step, f"weight {name}", float(value[~finite][0]),
                           None if record is None else record())


def diverged(config: TrainConfig, step: int, what: str, value: float,
             record: RunRecord | None = None) -> TrainingDiverged:
    """The error that stops a run whose ``what`` became ``value`` (NaN or inf) at
    ``step``: every later update would be NaN too, so training stops there, naming the
    arguments to change."""
    clipping = ("or clip the update (clip_norm, e.g. 1.0)" if config.clip_norm is None
                else f"(clip_norm is {config.clip_norm:g})")
    return TrainingDiverged(
        f"learning_rate {config.learning_rate:g}: the {what} became {value} at step "
        f"{step} of {config.steps}, so training stopped; use a smaller learning_rate "
        f"(e.g. {config.learning_rate / 10:g}) {clipping}", step, what, value, record)


def divergence_story(error: TrainingDiverged) -> str:
    """What happened, in a student's words: what overflowed at which step, and the last
    finite loss and gradient norm before it (from the error's :class:`RunRecord`).

    In float32 the forward pass usually overflows first: the weights are still finite
    but so large (e.g. 1e16) that the hidden state passes 3.4e38, and the loss is NaN
    before any weight is; the story then names the largest weight.
    """
    if error.what == "training loss":
        story = f"At step {error.step} the loss became {error.value}: the forward pass overflowed"
    else:
        story = (f"At step {error.step} the {error.what} became {error.value}, the first "
                 "weight to overflow")
    record = error.record
    if not isinstance(record, RunRecord):
        return story + "."
    if error.what == "training loss":
        name, size = record.largest_weight
        story += f" ({name} had grown to {size:.2g})"
    last_loss = record.last_finite(record.losses)
    last_norm = record.last_finite(record.grad_norms)
    if last_loss is not None:
        story += f". Last finite loss {last_loss[1]:.2g} at step {last_loss[0]}"
    if last_norm is not None:
        story += (f"; gradient norm {record.grad_norms[0]:.2g} at step 1, "
                  f"{last_norm[1]:.2g} at step {last_norm[0]}")
    return story + "."


def evaluate(
    model: Model, task: Task, examples: int, seed: int, batch_size: int = 256,
    focus: Callable[[np.ndarray], np.ndarray] | None = None,
) -> float:
    """Accuracy on freshly generated examples; ``focus(targets)`` (a tagger's (T, B) mask,
    e.g. :func:`~.tasks.span_starts`) counts only the words it selects.

    A task draws a batch's shape (gap, length, negation) once per batch, so the batch size
    decides how many shapes the measurement sees: 4096 examples in batches of 256 are
    only 16 shapes, and the figure then varies with the seed far beyond binomial noise.
    Use small batches (e.g. 32) for figures that are compared across seeds.
    """
    rng = np.random.default_rng(seed)
    params = dict(model.params)
    correct = 0.0
    done = counted = 0
    while done < examples:
        size = min(batch_size, examples - done)
        batch = task.sample(rng, size)
        mask = None if focus is None else focus(np.asarray(batch.targets))
        with np.errstate(over="ignore", invalid="ignore"):
            _, accuracy, _, _ = batch_loss(model.config, params, batch, False, mask)
        weight = size if mask is None else int(mask.sum())
        correct += accuracy * weight
        counted += weight
        done += size
    return correct / counted
