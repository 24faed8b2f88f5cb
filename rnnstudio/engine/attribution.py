"""Token attribution: one score per token for one stated number s the model computes.

The explained number s
    A model with a head: ``s = log p(target)`` at one step, the log-softmax of the head's
    scores (a classifier's verdict after the last token, or its pooled verdict; a
    tagger's tag at ``step``; a language model's next token after ``step``). The target
    is the class the model predicts for the text, unless the caller names one. The
    log-probability, not the raw logit: a shift added to every logit changes a logit
    but not the verdict, and log p is the negative of the class cross-entropy the trace
    shows, so ``gradient-norm`` here is the window's ||dL/dx_t|| for the class loss.
    ``score="log-odds"`` explains ``log p - log(1 - p) = z_t - logsumexp_{k != t} z_k``
    instead (z the head's scores), computed in that stable form. Why: log p saturates.
    A verdict at p = 0.999 has log p = -0.001, so every token's effect on it is at most
    0.001 however much the model relies on it; the log-odds there is 6.9 and moves as
    much at p = 0.999 as at p = 0.5. Its gradient wrt z is 1 at t and minus the softmax
    of the other scores elsewhere (log p's is 1 - p at t and -p elsewhere, which
    vanishes as p -> 1).
    A bare stack (no head): ``s = sum of the top layer's output at step`` (PyTorch
    ``output[step].sum()``), the ``last-output-sum`` probe at the last step.

Methods (x_t is token t's input vector, b_t what replaces it, ``g_t = ds/dx_t``)
    gradient-norm          ||g_t||                                   (unsigned)
    gradient-x-input       sum_k x_t[k] g_t[k]                       (signed)
    occlusion              s(x) - s(x with token t replaced by b_t), or removed
    integrated-gradients   sum_k (x_t[k] - b_t[k]) * mean_j g_t[k](b + a_j (x - b)),
                           a_j = (j + 1/2) / steps (the midpoint rule)

Positive signed scores push s up (towards the target). The baseline ``unk`` is the
``<unk>`` row: what the model reads for a word it does not know, so s(baseline) is the
score of a text the user can type (every word unknown) and occlusion and IG with it ask
the same question, "what if this word were unknown". A word the model already reads as
``<unk>`` scores exactly 0 under both: the model cannot see it. An open vocabulary (a
hashed embedding) has no ``<unk>``, so its default baseline is the zero vector.

IG's completeness: the scores sum to s(x) - s(baseline) up to the midpoint rule's error,
which falls as 1/steps^2; :attr:`Attribution.completeness_gap` reports it. Every pass
runs in float64 (a float32 model's weights are exact in float64), so the gap measures
the integration, not float32 rounding. Passes are batched (the stack reads many inputs
at once), in chunks bounded in memory; the engine's own BPTT gives every gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Cancelled, ConfigError, TextError
from ..limits import MAX_ATTRIBUTION_READS, MAX_ATTRIBUTION_STEPS, check_choice, check_whole
from .jsonable import to_jsonable
from .losses import log_softmax, step_name
from .readout import head_backward
from .tokenizers import Tokens
from .trace import row_norms

if TYPE_CHECKING:
    from .model import Model

__all__ = ["BASELINES", "DEFAULT_STEPS", "METHODS", "SCORES", "SIGNED_METHODS", "Attribution",
           "attribute"]

METHODS = ("gradient-norm", "gradient-x-input", "occlusion", "integrated-gradients")
#: Methods whose scores have a sign (positive: the token raises s).
SIGNED_METHODS = METHODS[1:]
#: What replaces a token: the ``<unk>`` row, the padding row, zeros, or (occlusion only)
#: nothing, the token removed.
BASELINES = ("unk", "pad", "zeros", "delete")
DEFAULT_STEPS = 64
#: The number s a model with a head explains: log p(target), or its log-odds.
SCORES = ("log-p", "log-odds")
#: What :attr:`Attribution.score_kind` says for a bare stack, which has no head.
OUTPUT_SUM = "output-sum"
#: Values held at once by one chunk of a batched pass (peak memory about 40 bytes each).
_CHUNK_VALUES = 2_000_000

StopCheck = Callable[[], bool]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Attribution:
    """One score per token, and everything needed to read it.

    Attributes
    ----------
    tokens : the tokens, as the model split the text (T,).
    scores : (T,) float64, aligned with ``tokens``.
    method : one of :data:`METHODS`.
    target : the explained class, tag or next token ("" for a bare stack).
    step : the step whose output s reads (forward time).
    definition : s in words.
    score : s(x), the explained number on the text itself.
    baseline : what replaced a token (:data:`BASELINES`); None for the gradient methods.
    baseline_score : s(baseline) for integrated-gradients, else None.
    steps : IG's integration steps, else None.
    completeness_gap : IG's ``scores.sum() - (score - baseline_score)``, else None.
    score_kind : which s: one of :data:`SCORES`, or ``output-sum`` for a bare stack.
    """

    tokens: tuple[str, ...]
    scores: np.ndarray
    method: str
    target: str
    step: int
    definition: str
    score: float
    baseline: str | None = None
    baseline_score: float | None = None
    steps: int | None = None
    completeness_gap: float | None = None
    score_kind: str = SCORES[0]

    @property
    def signed(self) -> bool:
        """Whether a score's sign means something (every method but gradient-norm)."""
        return self.method in SIGNED_METHODS

    def to_dict(self) -> dict[str, Any]:
        """Standard JSON: every field, ``scores`` as a list beside ``tokens`` (NaN as
        the string "NaN", see :func:`~rnnstudio.engine.jsonable.to_jsonable`)."""
        return to_jsonable({field.name: getattr(self, field.name) for field in fields(self)})


@dataclass(frozen=True)
class _Score:
    """Which number s is: log p(class ``target``) at step ``index`` (-1: the last), or its
    log-odds (``kind``), or for a bare stack (``target`` None) the sum of the top layer's
    output there."""

    index: int
    target: int | None
    target_name: str
    definition: str
    kind: str


def attribute(
    model: Model,
    text: str | Iterable[str] | Tokens,
    method: str = "gradient-x-input",
    target: int | str | None = None,
    step: int | None = None,
    steps: int = DEFAULT_STEPS,
    baseline: str | None = None,
    should_stop: StopCheck | None = None,
    on_progress: Progress | None = None,
    score: str | None = None,
) -> Attribution:
    """Score every token of ``text`` by ``method`` (see the module docstring).

    Parameters
    ----------
    model : any model; with a head, s is the log-probability of ``target``.
    text : a string, a list of tokens, or :class:`Tokens` from ``model.tokenize``.
    method : one of :data:`METHODS`.
    target : a label (name or index), a tagger's tag, a language model's next token;
        None: what the model predicts for this text. A bare stack takes none.
    step : the step s reads for a tagger, a language model or a bare stack (negative
        counts from the end); None: the last. A classifier reads its verdict.
    steps : integration steps of ``integrated-gradients``, 1 to ``MAX_ATTRIBUTION_STEPS``.
    baseline : ``unk``, ``pad``, ``zeros`` or (occlusion) ``delete``; None: ``unk`` with a
        closed vocabulary, ``zeros`` with an open one. Only occlusion and IG take one.
    should_stop, on_progress : asked between passes (``Cancelled`` when it says stop);
        ``on_progress(passes done, passes)``.
    score : ``log-p`` (None: the default) or ``log-odds``, for a model with a head; a
        bare stack takes none.

    Returns
    -------
    Attribution
        ``scores`` (T,) aligned with ``tokens``.
    """
    method = check_choice("method", method, METHODS)
    steps = check_whole("steps", steps, 1, MAX_ATTRIBUTION_STEPS, "use e.g. 64 (the default)")
    baseline = _check_baseline(model, method, baseline)
    tokens = text if isinstance(text, Tokens) else model.tokenize(text)
    length = len(tokens.tokens)
    if baseline == "delete" and length < 2:
        raise TextError("occlusion by deletion needs at least two tokens: removing the only "
                        "one leaves no text; use baseline unk or zeros")
    passes = {"occlusion": length + 1, "integrated-gradients": steps + 2}.get(method, 1)
    if passes * length > MAX_ATTRIBUTION_READS:
        raise TextError(f"{method} of {length:,} tokens reads {passes * length:,} tokens in "
                        f"all, more than the {MAX_ATTRIBUTION_READS:,} allowed: shorten the "
                        "text" + (" or use fewer steps" if method == "integrated-gradients"
                                  else " or use gradient-x-input"))
    x = model.embed(tokens.ids).astype(np.float64)
    explained = _resolve_score(model, tokens, x, target, step, baseline, score)
    run = _Run(model, explained, should_stop, on_progress, passes)
    result = Attribution(tuple(tokens.tokens), np.zeros(0), method, explained.target_name,
                         explained.index % length, explained.definition, 0.0, baseline,
                         score_kind=explained.kind)
    if method == "occlusion":
        assert baseline is not None
        return _occlusion(run, x, baseline, result)
    if method == "integrated-gradients":
        assert baseline is not None
        return _integrated(run, x, baseline, steps, result)
    value, grad = run.batched(lambda rows: x[:, None], 1, backward=True)
    per_token = (row_norms(grad) if method == "gradient-norm" else (x * grad).sum(axis=-1))
    return replace(result, scores=per_token, score=float(value[0]))


def _check_baseline(model: Model, method: str, baseline: str | None) -> str | None:
    """The baseline ``method`` uses: None for the gradient methods (which refuse one),
    else ``baseline`` checked against the model's vocabulary, or the default."""
    if method in ("gradient-norm", "gradient-x-input"):
        if baseline is not None:
            raise ConfigError(f"baseline {baseline!r} is for occlusion and integrated-"
                              f"gradients; {method} takes none", argument="baseline")
        return None
    tokenizer = model.tokenizer
    if baseline is None:
        return "zeros" if tokenizer.open else "unk"
    baseline = check_choice("baseline", baseline,
                            BASELINES if method == "occlusion" else BASELINES[:3])
    if baseline == "unk" and tokenizer.open:
        raise ConfigError("baseline unk needs a vocabulary with <unk>; this model's is open "
                          "(every word has its own vector): use zeros", argument="baseline")
    if baseline == "pad" and tokenizer.pad is None:
        raise ConfigError("baseline pad: this model's vocabulary has no padding token; use "
                          "unk or zeros", argument="baseline")
    if baseline == "delete" and model.config.task not in (None, "classify"):
        raise ConfigError(f"occlusion by deletion moves the step a {model.config.task} model "
                          "is explained at; use baseline unk or zeros", argument="baseline")
    return baseline


def _resolve_score(model: Model, tokens: Tokens, x: np.ndarray, target: int | str | None,
                   step: int | None, baseline: str | None, kind: str | None) -> _Score:
    """s for this text: the step it reads and the target, predicted when not given, and
    which score (``kind``) of it."""
    task, length = model.config.task, len(tokens.tokens)
    if task == "classify" and step is not None:
        raise ConfigError("a classifier's score is its verdict on the whole text; leave "
                          "step out", argument="step")
    index = -1 if step is None else check_whole("step", step, -length, length - 1,
                                                 "count tokens from 0 (or -1 for the last)")
    if baseline == "delete" and index % length != length - 1:
        raise ConfigError("occlusion by deletion explains the last step only; use baseline "
                          "unk or zeros for an earlier step", argument="baseline")
    where = step_name(index % length, tokens.tokens)
    if task is None:
        for name, value in (("target", target), ("score", kind)):
            if value is not None:
                raise ConfigError(f"{name} {value!r}: a model without a head explains the "
                                  f"sum of its top layer's output and takes no {name}",
                                  argument=name)
        return _Score(index, None, "", f"sum of the top layer's output at {where} (PyTorch "
                                       f"output[{index % length}].sum())", OUTPUT_SUM)
    kind = SCORES[0] if kind is None else check_choice("score", kind, SCORES)
    names = (model.config.labels if task != "next-token"
             else tuple(model.tokenizer.vocabulary or ()))
    if target is None:
        with np.errstate(all="ignore"):  # an overflowing model: NaN scores, not warnings
            logits = model.head(model.stack.forward(x[:, None], np.float64).outputs[-1])
        assert logits is not None
        chosen = int(np.argmax(logits[index, 0]))
    else:
        chosen = _target_index(target, names, task)
    return _Score(index, chosen, names[chosen], _definition(model, names[chosen], where, kind),
                  kind)


def _definition(model: Model, name: str, where: str, kind: str) -> str:
    """s in words for a model with a head: whose log-probability (or log-odds), read
    where."""
    if model.config.task == "classify":
        readout = model.config.readout
        how = "after the last token" if readout == "last-step" else f"readout {readout}"
        what = (f"log p(“{name}”), the verdict's log-probability" if kind == "log-p" else
                f"log-odds of “{name}”, log p - log(1 - p), the verdict's log-odds")
        return f"{what} ({how})"
    subject = f"tag “{name}”" if model.config.task == "tag" else f"next token “{name}”"
    place = f"for {where}" if model.config.task == "tag" else f"after {where}"
    if kind == "log-p":
        return f"log p({subject}) {place}"
    return f"log-odds of {subject}, log p - log(1 - p), {place}"


def _target_index(target: int | str, names: tuple[str, ...], task: str) -> int:
    """A target's index from its name (a label, tag or vocabulary token) or index."""
    what = {"classify": "label", "tag": "tag", "next-token": "token"}[task]
    if isinstance(target, str):
        if target in names:
            return names.index(target)
        listed = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
        raise ConfigError(f"unknown target {target!r}: the model's {what}s are {listed}",
                          argument="target")
    return check_whole("target", target, 0, len(names) - 1, f"give a {what} by name or index")


def _baseline_vector(model: Model, baseline: str) -> np.ndarray:
    """The input vector (I,) that replaces a token: the ``<unk>``/padding row, or zeros."""
    tokenizer = model.tokenizer
    if baseline == "zeros" or tokenizer.vocabulary is None:
        return np.zeros(model.config.recurrent.input_size)
    spelling = tokenizer.unk if baseline == "unk" else tokenizer.pad
    row = model.embed(np.array([tokenizer.vocabulary.index(spelling)]))
    return np.asarray(row[0], np.float64)


def _occlusion(run: _Run, x: np.ndarray, baseline: str, result: Attribution) -> Attribution:
    """s(x) - s(x with token t replaced by the baseline row, or removed), for every t."""
    length = len(x)
    value, _ = run.batched(lambda rows: x[:, None], 1, backward=False)
    if baseline == "delete":
        kept = ~np.eye(length, dtype=bool)  # row t: every position but t

        def variants(rows: np.ndarray) -> np.ndarray:
            return np.stack([x[kept[t]] for t in rows], axis=1)  # (T-1, B, I)
    else:
        fill = _baseline_vector(run.model, baseline)

        def variants(rows: np.ndarray) -> np.ndarray:
            batch = np.repeat(x[:, None], len(rows), axis=1)
            batch[rows, np.arange(len(rows))] = fill
            return batch
    occluded, _ = run.batched(variants, length, backward=False)
    return replace(result, scores=value[0] - occluded, score=float(value[0]))


def _integrated(run: _Run, x: np.ndarray, baseline: str, steps: int,
                result: Attribution) -> Attribution:
    """Integrated Gradients from the baseline to x by the midpoint rule, with the gap
    between the scores' sum and s(x) - s(baseline)."""
    base = np.broadcast_to(_baseline_vector(run.model, baseline), x.shape)
    ends, _ = run.batched(lambda rows: np.stack([x, base], axis=1)[:, rows], 2, backward=False)
    alphas = (np.arange(steps) + 0.5) / steps
    difference = x - base
    _, grad_sum = run.batched(
        lambda rows: base[:, None] + alphas[rows][None, :, None] * difference[:, None],
        steps, backward=True)
    scores = (difference * grad_sum / steps).sum(axis=-1)
    gap = float(scores.sum() - (ends[0] - ends[1]))
    return replace(result, scores=scores, score=float(ends[0]), baseline_score=float(ends[1]),
                   steps=steps, completeness_gap=gap)


@dataclass
class _Run:
    """One attribution's passes: the model, s, and the stop and progress callbacks."""

    model: Model
    score: _Score
    should_stop: StopCheck | None
    on_progress: Progress | None
    total: int
    done: int = 0

    def batched(self, inputs: Callable[[np.ndarray], np.ndarray], count: int,
                backward: bool) -> tuple[np.ndarray, np.ndarray]:
        """s of ``count`` inputs (``inputs(rows)`` gives (T, len(rows), I)) in chunks
        bounded in memory; with ``backward`` also the sum of their ds/dx (T, I), else
        zeros. The sum of one input's gradient is that gradient."""
        first = inputs(np.arange(1))
        chunk = max(1, _CHUNK_VALUES // (len(first) * self.model.config.values_per_token()))
        values = np.empty(count)
        grad_sum = np.zeros((first.shape[0], first.shape[2]))
        for start in range(0, count, chunk):
            if self.should_stop is not None and self.should_stop():
                raise Cancelled("stopped before the attribution finished")
            rows = np.arange(start, min(count, start + chunk))
            values[rows], grad = self._pass(inputs(rows), backward)
            if grad is not None:
                grad_sum += grad.sum(axis=1)
            self.done += len(rows)
            if self.on_progress is not None:
                self.on_progress(min(self.done, self.total), self.total)
        return values, grad_sum

    def _pass(self, inputs: np.ndarray, backward: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """s (B,) of inputs (T, B, I) and, with ``backward``, ds/dx (T, B, I), float64."""
        model, score = self.model, self.score
        recurrent = model.config.recurrent
        with np.errstate(all="ignore"):  # an overflowing model gives NaN scores, not errors
            cache = model.stack.forward(inputs, np.float64, should_stop=self.should_stop)
            top = cache.outputs[-1]
            grad_states: dict[tuple[int, str, str], np.ndarray] = {}
            if score.target is None:
                values = top[score.index].sum(axis=-1)
                grad_top = np.zeros_like(top)
                grad_top[score.index] = 1.0
                width = recurrent.output_size
                for j, direction in enumerate(recurrent.directions):
                    grad_states[recurrent.num_layers - 1, direction, "h"] = (
                        grad_top[..., j * width:(j + 1) * width])
            else:
                logits = model.head(top)
                assert logits is not None
                grad_logits = np.zeros_like(logits)
                values, grad_logits[score.index] = _head_score(
                    logits[score.index], score.target, score.kind)
                head_backward(model.params["head.weight"], top, grad_logits, recurrent,
                              grad_states, model.config.readout)
            if not backward:
                return values, None
            grads = model.stack.backward(cache, grad_states, np.float64, self.should_stop)
        assert grads.x is not None
        return values, grads.x


def _head_score(logits: np.ndarray, target: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """s (B,) of a head's scores ``logits`` (B, C) and ds/dlogits (B, C).

    log-p: ``log_softmax(z)[t]``, gradient ``onehot(t) - softmax(z)``. log-odds:
    ``z_t - logsumexp_{k != t} z_k``, gradient 1 at t and minus the softmax of the other
    scores elsewhere; both terms are computed without forming 1 - p, which rounds to 0
    when p is near 1.
    """
    if kind == "log-p":
        log_probs = log_softmax(logits)
        grad = -np.exp(log_probs)
        grad[:, target] += 1.0
        return log_probs[:, target], grad
    others = logits.copy()
    others[:, target] = -np.inf
    log_others = log_softmax(others)  # the others' softmax; -inf at t
    grad = -np.exp(log_others)
    grad[:, target] = 1.0
    largest = others.max(axis=1, keepdims=True)
    rest = largest[:, 0] + np.log(np.exp(others - largest).sum(axis=1))
    return logits[:, target] - rest, grad
