"""Interventions in the window: the session reads the text with the edits and keeps the
original, the dock and the heatmaps show what the edits are and what they changed, and
session files bring them back."""

from __future__ import annotations

import numpy as np
from conftest import ready, wait_for_trace

from rnnstudio.engine.interventions import Intervention, parse_intervention
from rnnstudio.gui.session_files import restore, snapshot
from rnnstudio.gui.widgets.heatmaps import HeatmapPanel
from rnnstudio.gui.widgets.interventions_panel import InterventionsPanel
from rnnstudio.io.session_file import load_session, save_session
from rnnstudio.view.interventions import edited_blocks

TEXT = "the cat sat on the mat and the dog ran off"
START = 4
FREEZE = (f"f=1@l0.fwd:steps={START}-", f"i=0@l0.fwd:steps={START}-")


def _freeze(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session, TEXT)
    wait_for_trace(qtbot, session, lambda: session.set_interventions(FREEZE))


def test_f_one_and_i_zero_freeze_c_and_removing_them_restores_the_original(
        qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session, TEXT)
    original = session.trace
    _freeze(qtbot, session)
    cell = session.trace.layer(0).c
    for step in range(START, session.step_count):
        np.testing.assert_array_equal(cell[step], cell[START - 1])
    assert not np.array_equal(cell[-1], original.layer(0).c[-1])  # it did change something
    assert session.edits.interventions == tuple(parse_intervention(s) for s in FREEZE)
    assert session.edits.original.tokens == original.tokens
    np.testing.assert_array_equal(session.edits.original.layer(0).c, original.layer(0).c)
    diff = session.edits.diff
    np.testing.assert_allclose(diff.cell, np.linalg.norm(cell - original.layer(0).c, axis=1),
                               rtol=1e-6)
    assert not diff.cell[:START].any() and diff.edited.tolist() == [False] * START + [
        True] * (session.step_count - START)
    kept = session.edits.original
    wait_for_trace(qtbot, session, lambda: session.set_interventions(()))
    assert session.trace is kept  # the original comes back as it was, not read again
    assert session.edits.diff is None and session.edits.original is None
    np.testing.assert_array_equal(session.trace.layer(0).c, original.layer(0).c)


def test_only_the_edits_changing_reuses_the_original(qtbot, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _freeze(qtbot, session)
    original = session.edits.original
    wait_for_trace(qtbot, session,
                   lambda: session.set_interventions(("h*0@l0.fwd:units=2",)))
    assert session.edits.original is original
    np.testing.assert_array_equal(session.trace.layer(0).h[:, 2], 0)
    wait_for_trace(qtbot, session, lambda: session.set_text("the dog sat"))
    assert session.edits.original is not original  # a new text: read again
    assert session.edits.original.tokens == ["the", "dog", "sat"]
    np.testing.assert_array_equal(session.trace.layer(0).h[:, 2], 0)


def test_edits_off_keeps_them_and_shows_the_original(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    _freeze(qtbot, session)
    edits, original = session.edits.interventions, session.edits.original
    wait_for_trace(qtbot, session, lambda: session.set_interventions(edits, enabled=False))
    assert session.edits.interventions == edits and session.edits.active == ()
    assert session.trace is original and session.edits.diff is None


def test_an_edit_the_model_cannot_take_is_one_line_and_keeps_the_trace(
        qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session, TEXT)
    trace = session.trace
    with qtbot.waitSignal(session.error_raised, timeout=1000) as blocker:
        session.set_interventions(["z=1@l0.fwd"])
    assert "has no 'z'" in blocker.args[0] and "\n" not in blocker.args[0]
    with qtbot.waitSignal(session.error_raised, timeout=1000) as blocker:
        session.set_interventions(["f=1:units=99"])
    assert "unit 99" in blocker.args[0]
    assert session.trace is trace and session.edits.interventions == () and not session.busy


def test_the_heatmaps_outline_exactly_the_edited_cells(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    panel = HeatmapPanel(session)
    qtbot.addWidget(panel)
    ready(session, TEXT)
    wait_for_trace(qtbot, session, lambda: session.set_interventions(
        ("f=1@l0.fwd:units=1,2,5:steps=3-", "h*0@l0.fwd:units=7:steps=2-4")))
    steps = session.step_count
    for row in panel.rows:
        painted = np.zeros((8, steps), dtype=bool)
        for step, unit, count, units in row.marked:
            painted[unit : unit + units, step : step + count] = True
        direct = np.zeros((8, steps), dtype=bool)
        if row.name == "f":
            direct[[1, 2, 5], 3:] = True
        if row.name == "h":
            direct[7, 2:5] = True
        np.testing.assert_array_equal(painted, direct, err_msg=row.name)
        assert len(row.edit_marks) == 2 * len(row.marked)
    session.set_delta_shown(True)
    delta = {row.name: row.data.values for row in panel.rows}
    for name, values in session.trace.layer(0).quantities().items():
        direct = (values - session.edits.original.layer(0).quantities()[name]).T
        np.testing.assert_allclose(delta[name], direct, atol=1e-6)
    assert delta["h"][7, 2:5].tolist() == (-session.edits.original.layer(0).h[2:5, 7]).astype(
        np.float32).tolist()


def test_the_heatmap_offers_clamp_and_zero_for_the_cell_under_the_mouse(
        qtbot, session) -> None:  # type: ignore[no-untyped-def]
    panel = HeatmapPanel(session)
    qtbot.addWidget(panel)
    ready(session, TEXT)
    panel._hovered = ("f", 5, 3)  # what a mouse move over that cell records
    panel._name_edit_actions()
    assert panel.clamp_action.text() == "Clamp f of unit 3 from step 5…"
    assert panel.zero_action.text() == "Zero f of unit 3"
    assert panel.clamp_action in panel.rows[0].plot.getViewBox().menu.actions()
    with qtbot.waitSignal(session.intervention_proposed, timeout=1000) as blocker:
        panel.clamp_action.trigger()
    value = round(float(session.trace.layer(0).gates["f"][5, 3]), 3)
    assert blocker.args[0] == Intervention("f", "set", value, 0, "fwd", (3,), 5)
    wait_for_trace(qtbot, session, panel.zero_action.trigger)
    assert session.edits.interventions == (Intervention("f", "set", 0.0, 0, "fwd", (3,)),)
    np.testing.assert_array_equal(session.trace.layer(0).gates["f"][:, 3], 0)


def test_the_dock_lists_builds_and_removes_edits(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    panel = InterventionsPanel(session)
    qtbot.addWidget(panel)
    ready(session, TEXT)
    form = panel.form
    assert [form.quantity.itemText(k) for k in range(form.quantity.count())] == [
        "h", "c", "i", "f", "g", "o"]
    form.spec.setText("z=1")
    form.spec.textEdited.emit("z=1")
    assert form.edit is None and "has no 'z'" in form.message.text()
    assert not panel.add_button.isEnabled()
    form.quantity.setCurrentText("f")
    form.value.setValue(1.0)
    form.units.setText("3,7")
    form.steps.setText("5-")
    form.steps.textEdited.emit("5-")
    assert form.spec.text() == "f=1@l0.fwd:units=3,7:steps=5-"
    assert form.message.text() == "f clamped to 1.00 on units 3, 7 from step 5 (layer 0 fwd)"
    wait_for_trace(qtbot, session, panel.add_button.click)
    assert panel.edit_list.count() == 1 and panel.edit_list.item(0).text() == (
        "f=1@l0.fwd:units=3,7:steps=5-  —  f clamped to 1.00 on units 3, 7 from step 5 "
        "(layer 0 fwd)")
    assert panel.tabs.tabText(0) == "Edits (1)" and panel.delta_box.isEnabled()
    assert "largest ||Δh||" in panel.diff_plot.summary.text()
    shaded = [band.getRegion() for plot, band in panel.diff_plot.bands
              if plot is panel.diff_plot.norms]
    assert shaded == [(4.5, session.step_count - 0.5)]
    panel.edit_list.setCurrentRow(0)
    wait_for_trace(qtbot, session, panel.remove_button.click)
    assert panel.edit_list.count() == 0 and session.edits.interventions == ()
    assert panel.diff_plot.bands == [] and session.edits.diff is None


def test_the_edits_go_into_the_session_file_and_come_back(qtbot, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _freeze(qtbot, session)
    path = save_session(snapshot(session), tmp_path / "frozen.rnnstudio")
    state = load_session(path)
    assert state.interventions == session.edits.interventions and state.interventions_on
    ready(session, "a b")
    wait_for_trace(qtbot, session, lambda: restore(session, state, []))
    assert session.edits.interventions == state.interventions and session.text == TEXT
    cell = session.trace.layer(0).c
    np.testing.assert_array_equal(cell[-1], cell[START - 1])


def test_this_step_says_when_the_step_is_edited(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.gui.widgets.step_view import StepView

    view = StepView(session)
    qtbot.addWidget(view)
    _freeze(qtbot, session)
    session.set_cursor(START + 1)
    session.select_unit(2)
    before = session.edits.original.layer(0).gates["f"][START + 1, 2]
    assert view.edit_note.text().startswith("edited here: f, i · unit 2: ")
    assert f"f 1.000 (was {before:.3f})" in view.edit_note.text()
    assert "Edited at this step: f set to 1.00, i set to 0.00" in view.equations.text()
    # The equations are the recorded step: f and i end in their edits, and c adds up
    # from them to the c the trace holds (c = 1.00 * c_prev + 0.00 * g).
    c_now = session.trace.layer(0).c[START + 1, 2]
    c_prev = session.trace.layer(0).c[START, 2]
    assert "→ 1.00 (edited)" in view.equations.text()
    assert f"= 1.00 * {c_prev:.2f} + 0.00 * " in view.equations.text()
    assert f"= {c_now:.2f}" in view.equations.text()
    session.set_cursor(1)
    assert view.edit_note.text().startswith("not edited here")
    assert "Edited at this step" not in view.equations.text()
    assert edited_blocks(session.edits.active, "f", 0, "fwd", 8, session.step_count) == [
        (START, 0, session.step_count - START, 8)]


def test_the_dock_is_hidden_at_start_and_joins_the_gradients(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    dock, gradients = window.docks["interventions"], window.docks["gradients"]
    assert dock.isHidden() and dock.objectName() == "dock_interventions"
    action = window.named_actions.by_name["interventions"]
    assert action.shortcut().toString() == "Ctrl+Shift+I"
    action.trigger()
    assert dock.isVisible() and dock in window.tabifiedDockWidgets(gradients)
    dock.hide()
    session = window.session
    window.heatmaps._hovered = ("c", 2, 4)
    with qtbot.waitSignal(session.intervention_proposed, timeout=1000):
        window.heatmaps.propose_clamp()
    assert dock.isVisible() and window.interventions.tabs.currentIndex() == 0
    assert window.interventions.form.spec.text().startswith("c=")
    assert window.interventions.form.spec.text().endswith("@l0.fwd:units=4:steps=2-")
