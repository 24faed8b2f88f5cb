"""Token attribution (engine/attribution.py) against independent computations: central
differences of the textbook reference for the gradients, IG's completeness, occlusion
against traces of the occluded texts themselves."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnnstudio.engine.attribution import attribute
from rnnstudio.engine.losses import ClassCrossEntropy, LastOutputSum, TagCrossEntropy
from rnnstudio.engine.model import Model
from rnnstudio.errors import Cancelled, ConfigError, TextError

from .cases import LABELS, VOCABULARY, make_config
from .engine_side import vocab_model, zero_states
from .reference import LossSpec, Problem, central_difference, cross_entropy, random_params

#: Six different words, so each position has its own embedding row.
DISTINCT = "the cat sat on mat dog"
KINDS = ("rnn-tanh", "lstm", "lstm-proj", "gru", "gru-before")


def model_for(kind: str, task: str | None, layers: int = 1, bidirectional: bool = False,
              seed: int = 3) -> tuple[Model, dict]:
    cfg = make_config(kind, layers, bidirectional)
    classes = {None: 0, "next-token": len(VOCABULARY)}.get(task, len(LABELS))
    params = random_params(cfg, seed, scale=0.9, vocab_size=len(VOCABULARY), classes=classes)
    return vocab_model(cfg, params, task), params


def reference_log_odds(logits: np.ndarray, target: int) -> np.ndarray:
    """log p - log(1 - p) from a reference's logits (B, C), through p itself: fine where
    p is not within ~1e-10 of 1 (the random models here)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    return np.log(p[:, target]) - np.log1p(-p[:, target])


def reference_score(model: Model, params: dict, text: str, step: int, target: int | None,
                    kind: str = "log-p"):
    """s(x) for a batch of inputs (B, T, I) by the textbook reference: log p(target) at
    ``step``, or its log-odds (``kind``), or the top output's sum there without a head."""
    cfg = model.config.recurrent
    h0, c0 = zero_states(cfg)
    ids = model.tokenize(text).ids
    problem = Problem(cfg, params, params["embedding.weight"][ids], h0, c0,
                      LossSpec("last-output-sum"), ids)

    def score(batch: np.ndarray) -> np.ndarray:
        result = problem.forward(x=batch)
        if target is None:
            return result.output[:, step].sum(axis=-1)
        if kind == "log-odds":
            return reference_log_odds(result.logits[:, step], target)
        return -cross_entropy(result.logits[:, step], np.full(len(batch), target))

    return score, problem.x


CASES = [(kind, task, layers, bi) for kind in KINDS
         for task, layers, bi in ((None, 1, False), ("classify", 2, True), ("tag", 1, True),
                                  ("next-token", 2, False))]


@pytest.mark.parametrize(("kind", "task", "layers", "bidirectional"), CASES,
                         ids=[f"{k}-{t}-L{n}-{'bi' if b else 'uni'}" for k, t, n, b in CASES])
def test_gradient_methods_match_central_differences(kind, task, layers, bidirectional):
    model, params = model_for(kind, task, layers, bidirectional)
    step = None if task == "classify" else 2
    norm = attribute(model, DISTINCT, "gradient-norm", step=step)
    times_input = attribute(model, DISTINCT, "gradient-x-input", step=step)
    names = VOCABULARY if task == "next-token" else LABELS
    target = None if task is None else names.index(norm.target)
    score, x = reference_score(model, params, DISTINCT, norm.step, target)
    gradient = central_difference(score, x, eps=1e-6)  # (T, I)
    np.testing.assert_allclose(norm.scores, np.linalg.norm(gradient, axis=1), rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_allclose(times_input.scores, (gradient * x).sum(axis=1), rtol=1e-6,
                               atol=1e-9)
    assert norm.score == pytest.approx(score(x[None])[0], abs=1e-12)
    assert norm.step == (5 if task == "classify" else 2)


def test_the_predicted_class_is_explained_by_default_and_a_named_one_on_request():
    model, _ = model_for("lstm", "classify")
    trace = model.trace(DISTINCT)
    predicted = LABELS[int(np.argmax(trace.logits[-1]))]
    result = attribute(model, DISTINCT, "gradient-norm")
    assert result.target == predicted
    assert result.score == pytest.approx(-trace.grads.loss_value, abs=1e-12)
    other = next(label for label in LABELS if label != predicted)
    named = attribute(model, DISTINCT, "gradient-norm", target=other)
    by_index = attribute(model, DISTINCT, "gradient-norm", target=LABELS.index(other))
    np.testing.assert_array_equal(named.scores, by_index.scores)
    assert named.target == other and f"“{other}”" in named.definition


@pytest.mark.parametrize("readout", ["last-step", "mean", "max", "final-states"])
def test_gradient_norm_is_the_windows_saliency_of_the_class_loss(readout):
    """||ds/dx_t|| with s = log p(class) is ||dL/dx_t|| of the class cross-entropy: the
    same gradient, negated; pooled readouts too (their backward is gradchecked)."""
    model, params = model_for("gru", "classify", 2, True)
    model = Model(replace(model.config, readout=readout), params)
    trace = model.trace(DISTINCT, loss=ClassCrossEntropy())
    result = attribute(model, DISTINCT, "gradient-norm")
    np.testing.assert_allclose(result.scores, np.linalg.norm(trace.grads.x, axis=1),
                               rtol=1e-12)
    assert result.score == pytest.approx(-trace.grads.loss_value, rel=1e-12)


@pytest.mark.parametrize(("kind", "task"), [("lstm", "classify"), ("gru", "tag"),
                                            ("rnn-tanh", None), ("lstm-proj", "classify")])
def test_integrated_gradients_is_complete_and_its_gap_shrinks_with_steps(kind, task):
    model, _ = model_for(kind, task, 2, True)
    baseline = "zeros" if task is None else "unk"
    gaps = []
    for steps in (4, 16, 64, 2048):
        result = attribute(model, DISTINCT, "integrated-gradients", steps=steps,
                           baseline=baseline)
        assert result.completeness_gap == pytest.approx(
            result.scores.sum() - (result.score - result.baseline_score), abs=1e-12)
        gaps.append(abs(result.completeness_gap))
    assert gaps[0] > gaps[1] > gaps[2] > gaps[3]
    assert gaps[3] <= 1e-6
    # the midpoint rule's error falls as 1/steps^2: 4x the steps, about 16x smaller
    assert 8 < gaps[1] / gaps[2] < 32


def test_integrated_gradients_baseline_score_is_the_all_unknown_text():
    model, _ = model_for("lstm", "classify")
    result = attribute(model, DISTINCT, "integrated-gradients", steps=8)
    assert result.baseline == "unk"
    unknown = model.trace(["zzz"] * 6, loss=ClassCrossEntropy(result.target))
    assert result.baseline_score == pytest.approx(-unknown.grads.loss_value, abs=1e-12)


def direct_scores(model: Model, texts: list[list[str]], result) -> np.ndarray:
    """s of each text by a trace of that text (the window's own path)."""
    if model.config.task is None:
        return np.array([model.trace(text, loss=LastOutputSum()).grads.loss_value
                         for text in texts])
    if model.config.task == "tag":
        loss = TagCrossEntropy(result.step, result.target)
    else:
        loss = ClassCrossEntropy(result.target)
    return np.array([-model.trace(text, loss=loss).grads.loss_value for text in texts])


@pytest.mark.parametrize(("kind", "task", "baseline"), [
    ("lstm", "classify", "unk"), ("gru", "classify", "delete"), ("rnn-tanh", None, "delete"),
    ("gru", "tag", "unk"), ("lstm", None, "zeros")])
def test_occlusion_is_a_direct_recompute_of_the_occluded_texts(kind, task, baseline):
    model, params = model_for(kind, task, 2, True)
    tokens = DISTINCT.split()
    result = attribute(model, DISTINCT, "occlusion", baseline=baseline)
    if baseline == "zeros":  # no word reads as zeros: a model whose <unk> row is zero
        table = params["embedding.weight"].copy()
        table[VOCABULARY.index("<unk>")] = 0.0
        model = Model(model.config, {**params, "embedding.weight": table})
    if baseline == "delete":
        texts = [tokens[:t] + tokens[t + 1:] for t in range(len(tokens))]
    else:
        texts = [tokens[:t] + ["zzz"] + tokens[t + 1:] for t in range(len(tokens))]
    whole = direct_scores(model, [tokens], result)[0]
    expected = whole - direct_scores(model, texts, result)
    np.testing.assert_allclose(result.scores, expected, rtol=1e-10, atol=1e-12)
    assert result.score == pytest.approx(whole, abs=1e-12)
    assert result.baseline == baseline and result.signed


def test_an_unknown_word_scores_zero_against_the_unknown_baseline():
    model, _ = model_for("lstm", "classify")
    text = "the cat sat on the rug"  # "rug" is <unk>
    for method in ("occlusion", "integrated-gradients"):
        result = attribute(model, text, method, steps=8)
        assert result.scores[5] == 0.0 and np.all(result.scores[:5] != 0.0)


def test_float32_models_are_explained_in_float64():
    model, params = model_for("lstm", "classify", 1, True)
    single = Model(replace(model.config, dtype="float32"), params)
    rounded = Model(model.config, {k: v.astype(np.float32) for k, v in params.items()})
    for method in ("gradient-x-input", "integrated-gradients"):
        ours = attribute(single, DISTINCT, method, steps=32)
        exact = attribute(rounded, DISTINCT, method, steps=32)
        assert ours.scores.dtype == np.float64
        np.testing.assert_allclose(ours.scores, exact.scores, rtol=1e-12, atol=1e-15)


def test_many_passes_split_into_chunks_give_the_same_scores(monkeypatch):
    import rnnstudio.engine.attribution as module

    model, _ = model_for("gru", "classify", 1, True)
    whole = attribute(model, DISTINCT, "integrated-gradients", steps=10)
    monkeypatch.setattr(module, "_CHUNK_VALUES", 1)  # one input a chunk
    seen = []
    chunked = attribute(model, DISTINCT, "integrated-gradients", steps=10,
                        on_progress=lambda done, total: seen.append((done, total)))
    np.testing.assert_allclose(chunked.scores, whole.scores, rtol=1e-12)
    assert seen[-1] == (12, 12) and len(seen) == 12


def test_a_stop_request_cancels_between_passes():
    model, _ = model_for("lstm", "classify")
    with pytest.raises(Cancelled):
        attribute(model, DISTINCT, "occlusion", should_stop=lambda: True)


@pytest.mark.parametrize(("options", "named"), [
    ({"method": "saliency"}, "'saliency'"),
    ({"method": "integrated-gradients", "steps": 0}, "steps"),
    ({"method": "integrated-gradients", "steps": 2.5}, "2.5"),
    ({"method": "integrated-gradients", "baseline": "delete"}, "'delete'"),
    ({"method": "gradient-x-input", "baseline": "unk"}, "'unk'"),
    ({"method": "occlusion", "baseline": "pad"}, "padding"),
    ({"target": "sarcastic"}, "'sarcastic'"),
    ({"target": 7}, "7"),
    ({"step": 2}, "step"),
])
def test_bad_options_fail_before_any_work_with_one_line(options, named):
    model, _ = model_for("lstm", "classify")
    with pytest.raises(ConfigError) as caught:
        attribute(model, DISTINCT, **options)
    message = str(caught.value)
    assert named in message and "\n" not in message


def test_texts_it_cannot_explain_are_refused():
    model, _ = model_for("lstm", "classify")
    with pytest.raises(TextError, match="empty"):
        attribute(model, "", "occlusion")
    with pytest.raises(TextError, match="at least two tokens"):
        attribute(model, "cat", "occlusion", baseline="delete")
    bare, _ = model_for("lstm", None)
    with pytest.raises(ConfigError, match="no target"):
        attribute(bare, DISTINCT, target=0)
    with pytest.raises(ConfigError, match="last step only"):
        attribute(bare, DISTINCT, "occlusion", step=2, baseline="delete")
    tagger, _ = model_for("gru", "tag")
    with pytest.raises(ConfigError, match="deletion moves the step"):
        attribute(tagger, DISTINCT, "occlusion", baseline="delete")


def test_the_model_method_and_the_package_export_are_the_engine_function():
    import rnnstudio as rs

    model, _ = model_for("gru", "classify")
    by_method = model.attribute(DISTINCT, "occlusion", target="positive")
    assert isinstance(by_method, rs.Attribution) and "Attribution" in rs.__all__
    by_function = attribute(model, DISTINCT, "occlusion", target="positive")
    np.testing.assert_array_equal(by_method.scores, by_function.scores)
    assert by_method.tokens == tuple(DISTINCT.split()) and by_method.scores.shape == (6,)
