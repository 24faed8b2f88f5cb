"""The title lines every exported figure carries, without Qt."""

from __future__ import annotations

from rnnstudio.engine.model import random_model
from rnnstudio.view.figure_context import architecture, figure_context, figure_title, text_excerpt


def test_title_names_model_text_step_token_layer_direction_and_loss() -> None:
    trace = random_model("gru", hidden_size=4, num_layers=2, bidirectional=True,
                         seed=3).trace("the cat sat on the mat")
    context = figure_context(trace, "sentiment-gru", "the cat sat on the mat", 2, 1, "bwd")
    line, detail = figure_title(context, "step")
    assert line == "This step · sentiment-gru · “the cat sat on the mat”"
    assert detail.startswith("step 2 “sat” · layer 1 of 2, backward · loss ")
    assert f"= {trace.grads.loss_value:.4g}" in detail
    assert figure_context(trace, "m", "", 99, 0, "fwd").step == 5  # clamped, text = tokens
    assert architecture(trace) == "GRU, 2 layers × 4 units, bidirectional"


def test_excerpt_cuts_at_a_word_and_says_so() -> None:
    text = "alice is allergic to nuts . so she cannot eat the cake her friend baked"
    excerpt = text_excerpt(text, 30)
    assert excerpt == "alice is allergic to nuts .…" and len(excerpt) <= 30  # no "s…"
    assert text_excerpt("a\nb  c") == "a b c"
    assert text_excerpt("x" * 60, 10) == "x" * 9 + "…"


def test_a_trace_without_gradients_says_so() -> None:
    trace = random_model("rnn", hidden_size=3, seed=1).trace("a b", loss=None)
    _, detail = figure_title(figure_context(trace, "m", "a b", 1, 0, "fwd"), "heatmaps")
    assert detail.endswith("no loss (no gradients)") and "layer 0 of 1 ·" in detail
