"""The Gradient paths dock: hidden at start, tabbed with the gradients when shown from
the View menu, computing only while shown, and drawing the current trace's arrays for
the session's layer and direction."""

from __future__ import annotations

import numpy as np
from conftest import ready, wait_for_trace

from rnnstudio.engine.decomposition import decompose
from rnnstudio.gui.widgets.gradient_paths import GradientPathsPanel
from rnnstudio.view.decomposition import FULL_C, HIGHWAY_F, SPECTRAL, STEP_MAX


def shown_result(qtbot, session):  # type: ignore[no-untyped-def]
    """Wait until the job shows a decomposition of the session's trace and view."""
    job = session.decomposition_job
    qtbot.waitUntil(lambda: job.result is not None and job.trace is session.trace
                    and (job.result.layer, job.result.direction)
                    == (session.layer, session.direction), timeout=10_000)
    job.wait()
    return job.result


def test_the_panel_draws_the_engine_arrays_of_the_shown_layer(qtbot, session):  # type: ignore[no-untyped-def]
    ready(session, "the cat sat on the mat", bidirectional=True, num_layers=2)
    panel = GradientPathsPanel(session)
    qtbot.addWidget(panel)
    assert session.decomposition_job.result is None  # nothing computed for a hidden panel
    panel.resize(700, 400)
    panel.show()
    found = shown_result(qtbot, session)
    expected = decompose(session.model, session.trace, 0, "fwd")
    np.testing.assert_array_equal(panel.image.image, expected.log10_retention.T.astype(np.float32))
    np.testing.assert_array_equal(panel.curves[FULL_C].yData, expected.log10_full_norm)
    np.testing.assert_array_equal(panel.curves[HIGHWAY_F].yData, expected.log10_retention_norm)
    assert found.direction == "fwd"
    session.set_view(1, "bwd")
    found = shown_result(qtbot, session)
    expected = decompose(session.model, session.trace, 1, "bwd")
    assert (found.layer, found.direction) == (1, "bwd")
    np.testing.assert_array_equal(panel.curves[FULL_C].yData, expected.log10_full_norm)
    assert "layer 1 bwd" in panel.title.text()
    session.set_cursor(2)
    assert panel.cursor_lines[0].value() == 2 and "step 2 “sat”" in panel.readout.text()


def test_an_rnn_shows_singular_values_and_a_new_trace_replaces_them(qtbot, session):  # type: ignore[no-untyped-def]
    ready(session, "the cat sat", cell="rnn")
    panel = GradientPathsPanel(session)
    qtbot.addWidget(panel)
    panel.show()
    found = shown_result(qtbot, session)
    np.testing.assert_array_equal(panel.curves[STEP_MAX].yData, found.log10_step_sv_max)
    np.testing.assert_array_equal(panel.curves[SPECTRAL].yData,
                                  found.log10_full_spectral)
    assert not panel.image.isVisible()
    wait_for_trace(qtbot, session, lambda: session.set_text("a dog ran far away"))
    found = shown_result(qtbot, session)
    assert len(panel.curves[SPECTRAL].yData) == 5 == len(found.log10_full_spectral)


def test_view_menu_tabs_it_with_the_gradients(qtbot, window):  # type: ignore[no-untyped-def]
    dock = window.docks["paths"]
    assert dock.isHidden()
    window.named_actions.by_name["gradient_paths"].trigger()
    assert not dock.isHidden()
    assert dock in window.tabifiedDockWidgets(window.docks["gradients"])
    assert window.named_actions.by_name["gradient_paths"].isChecked()
    found = shown_result(qtbot, window.session)
    assert found.cell == "lstm"
    np.testing.assert_array_equal(window.gradient_paths.image.image,
                                  found.log10_retention.T.astype(np.float32))
    window.named_actions.by_name["gradient_paths"].trigger()
    assert dock.isHidden() and not window.session.decomposition_job.wanted
