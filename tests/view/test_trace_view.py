"""One view per trace, shared by the panels: built once, rebuilt only where it changed."""

from __future__ import annotations

import numpy as np

from rnnstudio.engine.model import random_model
from rnnstudio.io.model_source import ModelSource
from rnnstudio.view.heatmaps import heatmaps
from rnnstudio.view.trace_view import trace_view, with_layer, with_new_gradients


def test_the_view_holds_the_layers_arrays_as_the_heatmaps_want_them() -> None:
    model = random_model("lstm", hidden_size=6, num_layers=2, bidirectional=True, seed=3)
    trace = model.trace("a b c d e", jacobian=False)
    view = trace_view(trace, 1, "bwd")
    assert [item.name for item in view.layer.heatmaps] == ["h", "c", "i", "f", "g", "o"]
    forget = view.layer.heatmap("f")
    assert forget is not None and forget.values.flags.c_contiguous
    assert forget.values.dtype == np.float32 and forget.values.shape == (6, 5)
    expected = trace.layer(1, "bwd").gates["f"].T.astype(np.float32)
    np.testing.assert_array_equal(forget.values, expected)
    assert forget.levels == (0.0, 1.0) and view.layer.reads_backward
    assert view.task is None and view.tags is None and "dL/dx" in view.layer.gradients.norms


def test_another_layer_rebuilds_only_the_layer() -> None:
    trace = random_model("gru", hidden_size=4, num_layers=2, seed=1).trace("x y z")
    view = trace_view(trace, 0, "fwd")
    other = with_layer(view, 1, "fwd")
    assert other.trace is trace and other.tags is view.tags
    expected = heatmaps(trace, 1, "fwd")[0].values
    np.testing.assert_array_equal(other.layer.heatmaps[0].values, expected)


def test_new_gradients_keep_the_heatmaps() -> None:
    model = random_model("lstm", hidden_size=5, seed=2)
    trace = model.trace("one two three four", jacobian=False)
    view = trace_view(trace, 0, "fwd")
    assert "dh_T/dh_t" not in view.layer.gradients.norms
    assert trace.grads is not None
    trace.grads.jacobian.update(model.jacobian_norms(trace))
    updated = with_new_gradients(view)
    assert updated.layer.heatmaps is view.layer.heatmaps
    np.testing.assert_array_equal(updated.layer.gradients.norms["dh_T/dh_t"],
                                  trace.grads.jacobian[0, "fwd"])


def test_a_tagger_view_has_every_tokens_predicted_tag() -> None:
    model = ModelSource.shipped("idioms-lstm").load()
    trace = model.trace("she was feeling under the weather today")
    view = trace_view(trace, 0, "fwd")
    assert view.task == "tag" and view.tags is not None and len(view.tags) == trace.steps
    labels = model.config.labels
    assert view.tag_labels == labels
    assert list(view.tags) == [labels[index] for index in trace.logits.argmax(axis=-1)]
