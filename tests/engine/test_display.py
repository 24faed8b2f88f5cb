"""A trace's and a model's short ``repr``: one line whatever the text's length."""

from __future__ import annotations

import numpy as np

import rnnstudio as rs

from .cases import LABELS, VOCABULARY, make_config
from .engine_side import vocab_model
from .reference import random_params

LONG_TOKENS = [f"word{index}" for index in range(200)]


def test_a_200_token_trace_repr_is_one_short_line_with_its_facts():
    model = rs.random_model("lstm", 32, num_layers=2, bidirectional=True, seed=1)
    trace = model.trace(LONG_TOKENS)
    text = repr(trace)
    assert len(text) < 300 and "\n" not in text
    assert text.startswith("<Trace LSTM, 2 layers x 32, bidirectional, float32; 200 tokens ")
    assert "['word0', 'word1', 'word2', 'word3', 'word4', ...]" in text
    assert f"loss last-output-sum = {trace.grads.loss_value:.6g}>" in text
    assert trace.layer(1, "bwd").h.shape == (200, 32)  # fields are untouched


def test_long_tokens_are_cut_and_a_trace_without_loss_says_so():
    model = rs.random_model("gru", 4, dtype="float64")
    text = repr(model.trace(["x" * 5000, "<b>"], loss=None))
    assert len(text) < 300
    assert "2 tokens ['xxxxxxxxxxx\u2026', '<b>']; loss none>" in text
    assert "GRU, 1 layer x 4, float64" in text


def test_a_model_repr_names_cell_sizes_vocabulary_and_task():
    model = rs.random_model("rnn", 8, input_size=3, proj_size=0, seed=2)
    assert repr(model) == ("<Model RNN (tanh), 1 layer x 8, input 3, vocabulary open "
                           f"(word tokens), task none (a bare cell), {model.num_parameters:,} "
                           "parameters, float32>")
    assert np.isfinite(model.params["rnn.weight_hh_l0"]).all()


def test_a_classifier_repr_counts_its_labels_and_vocabulary():
    config = make_config("gru")
    params = random_params(config, 3, vocab_size=len(VOCABULARY), classes=len(LABELS))
    model = vocab_model(config, params, "classify")
    assert f"vocabulary {len(VOCABULARY):,} (word tokens)" in repr(model)
    assert f"task classify ({len(LABELS)} labels)" in repr(model)
