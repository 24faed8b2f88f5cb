"""The session: traces in the worker, validates, keeps the old state on errors, emits
each signal once and only after every field of a change is assigned."""

from __future__ import annotations

import numpy as np
from conftest import ready, wait_for_trace

from rnnstudio.engine.losses import LastOutputSum, Probe, TagCrossEntropy
from rnnstudio.engine.model import random_model
from rnnstudio.io.model_source import ModelSource, RandomModelSpec
from rnnstudio.view.losses import loss_entries


def test_startup_trace_is_immediate(session) -> None:  # type: ignore[no-untyped-def]
    ready(session)
    assert session.trace.tokens == ["the", "cat", "sat"]
    assert session.cursor == 2 and session.view.trace is session.trace
    assert "3 tokens" in session.status and "ms" in session.status


def test_set_text_traces_in_the_worker(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session)
    wait_for_trace(qtbot, session, lambda: session.set_text("a b c d e"))
    expected = session.model.trace("a b c d e").layer(0).h
    np.testing.assert_array_equal(session.trace.layer(0).h, expected)
    assert session.cursor == 4  # the cursor followed the end


def test_bad_text_keeps_the_previous_trace_and_the_text(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session)
    old_trace = session.trace
    with qtbot.waitSignal(session.error_raised, timeout=3000) as blocker:
        session.set_text("   ")
    session.wait()
    assert "empty" in blocker.args[0].lower()
    assert session.trace is old_trace and session.text == "   "


def test_corrupt_model_file_keeps_the_old_model(qtbot, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ready(session)
    old_model, old_trace, old_source = session.model, session.trace, session.source
    corrupt = tmp_path / "broken.safetensors"
    corrupt.write_bytes(b"\x00\x01 not a model at all")
    with qtbot.waitSignal(session.error_raised, timeout=5000) as blocker:
        session.open_model_file(corrupt)
    session.wait()
    assert "broken.safetensors" in blocker.args[0]
    assert session.model is old_model and session.trace is old_trace
    assert session.source == old_source


def test_signals_fire_only_on_real_change(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session)
    seen: list[int] = []
    session.cursor_changed.connect(seen.append)
    session.set_cursor(1)
    session.set_cursor(1)
    session.set_cursor(99)  # clamped to the last step
    session.step_by(-5)  # clamped to 0
    assert seen == [1, 2, 0]


def test_a_new_model_is_announced_after_everything_it_brings(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    """model_changed fires once the trace, view, loss and source are all the new
    model's: a panel reading any of them in its slot sees one consistent state."""
    ready(session)
    seen: list[tuple[object, ...]] = []
    session.model_changed.connect(lambda: seen.append((
        session.model.config.recurrent.cell, session.trace.config.recurrent.cell,
        session.view.trace is session.trace, session.loss, session.source.kind)))
    order: list[str] = []
    for name in ("model_changed", "text_changed", "loss_changed", "trace_changed"):
        getattr(session, name).connect(lambda *_, name=name: order.append(name))
    wait_for_trace(qtbot, session, lambda: session.open_shipped_model("idioms-gru"))
    assert seen == [("gru", "gru", True, TagCrossEntropy(), "shipped")]
    assert order == ["model_changed", "text_changed", "loss_changed", "trace_changed"]


def test_probe_loss_and_random_model(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session)
    wait_for_trace(qtbot, session, lambda: session.probe_unit(1, 3))
    assert session.loss == Probe(1, 3, "h", 0, "fwd") and session.probing
    grads = session.trace.grads
    assert np.all(grads.h[0, "fwd"][2] == 0)  # nothing after the probed step matters
    spec = RandomModelSpec(cell="gru", hidden_size=5, seed=3)
    wait_for_trace(qtbot, session, lambda: session.set_random_model(spec))
    assert session.model.config.recurrent.cell == "gru" and session.source.spec == spec
    assert session.loss == LastOutputSum()  # probes do not carry over to new models
    reference = random_model("gru", hidden_size=5, seed=3).trace("the cat sat")
    np.testing.assert_array_equal(session.trace.layer(0).h, reference.layer(0).h)


def test_an_impossible_random_model_is_refused_before_building(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session)
    model = session.model
    with qtbot.waitSignal(session.error_raised, timeout=1000) as blocker:
        session.set_random_model(RandomModelSpec(hidden_size=1024, num_layers=8,
                                                 bidirectional=True))
    assert "Cannot build that model" in blocker.args[0] and session.model is model


def test_loss_box_entries_are_made_where_the_user_is(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    wait_for_trace(qtbot, session, lambda: session.open_shipped_model("idioms-lstm"))
    session.set_cursor(2)
    entries = {entry.key: entry for entry in loss_entries(session.model.config)}
    wait_for_trace(qtbot, session, lambda: session.choose_loss(entries["tag@cursor:literal"]))
    assert session.loss == TagCrossEntropy(2, "literal")
    assert session.trace.grads.loss_name == "tag:2:literal"


def test_jacobian_follows_the_trace_or_waits_for_a_click(qtbot, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    ready(session)
    if not session.trace.grads.jacobian:
        with qtbot.waitSignal(session.gradients_changed, timeout=5000):
            pass
    reference = session.model.trace("the cat sat", jacobian=True).grads.jacobian[0, "fwd"]
    np.testing.assert_allclose(session.trace.grads.jacobian[0, "fwd"], reference, rtol=1e-10)
    np.testing.assert_array_equal(session.view.layer.gradients.norms["dh_T/dh_t"],
                                  session.trace.grads.jacobian[0, "fwd"])
    assert "||dh_T/dh_t|| in" in session.status

    from rnnstudio.gui import session as session_module

    monkeypatch.setattr(session_module, "AUTO_JACOBIAN_SECONDS", 0.0)  # "too big"
    wait_for_trace(qtbot, session, lambda: session.set_text("a b c d"))
    assert session.jacobian_deferred and not session.trace.grads.jacobian
    expected = session.clock.estimate(session.model, 4)
    assert session.jacobian_estimate == expected > 0
    progress: list[tuple[str, int, int]] = []
    session.progress_changed.connect(lambda *args: progress.append(args))
    with qtbot.waitSignal(session.gradients_changed, timeout=5000):
        session.compute_jacobian()
    qtbot.waitUntil(lambda: (0, "fwd") in session.trace.grads.jacobian, timeout=5000)
    assert not session.jacobian_deferred
    assert ("jacobian", 0, 0) in progress  # the start is announced with its label


def test_a_shorter_text_drops_a_loss_tied_to_a_step_it_no_longer_has(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session)
    wait_for_trace(qtbot, session, lambda: session.probe_unit(2, 3))
    wait_for_trace(qtbot, session, lambda: session.set_text("the cat sat on it"))
    assert session.loss == Probe(2, 3, "h", 0, "fwd")  # step 2 still there
    wait_for_trace(qtbot, session, lambda: session.set_text("the cat"))
    assert session.trace.tokens == ["the", "cat"]
    assert session.loss == LastOutputSum()  # the model's task loss took over
    assert session.trace.grads.loss_name == "last-output-sum"
    wait_for_trace(qtbot, session, lambda: session.open_shipped_model("idioms-gru"))
    wait_for_trace(qtbot, session, lambda: session.set_loss(TagCrossEntropy(5, "literal")))
    assert session.trace.grads.loss_name == "tag:5:literal"
    wait_for_trace(qtbot, session, lambda: session.set_text("we must spill"))
    assert session.loss == TagCrossEntropy() and session.trace.grads.loss_name == "tag"


def test_the_jacobian_starts_after_the_view_and_only_for_the_shown_trace(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    """||dh_T/dh_t|| waits until the new trace has been drawn, and a trace replaced
    meanwhile never starts one."""
    ready(session)
    wait_for_trace(qtbot, session, lambda: session.set_text("a b c d"))
    assert not session.busy and not session.trace.grads.jacobian  # not started yet
    with qtbot.waitSignal(session.gradients_changed, timeout=5000):
        pass
    assert (0, "fwd") in session.trace.grads.jacobian
    shown = session.trace
    wait_for_trace(qtbot, session, lambda: session.set_text("x y z"))
    session._jacobian_if_current(shown)  # the timer of a trace no longer shown
    assert not session.busy


def test_playback_steps_to_the_end_and_stops(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    ready(session, "a b c d")
    playback = session.playback
    playback.set_speed(60)
    playback.set_speed(1000)
    assert playback.speed == 60.0  # clamped
    playback.toggle()  # at the end: replay from the start
    assert session.cursor == 0 and playback.playing
    qtbot.waitUntil(lambda: not playback.playing, timeout=3000)
    assert session.cursor == 3


def test_a_trace_opened_without_its_model_cannot_read_new_text(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    trace = random_model("lstm", hidden_size=4).trace("one two")
    session.show_trace(trace, "trace.npz")
    assert session.model is None and session.trace is trace and session.view.steps == 2
    with qtbot.waitSignal(session.error_raised, timeout=1000) as blocker:
        session.set_text("three four")
    assert "without its model" in blocker.args[0] and session.text == "three four"
    assert session.trace is trace


def test_the_source_is_one_value(qtbot, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    wait_for_trace(qtbot, session, lambda: session.open_shipped_model("recall-gru"))
    assert session.source == ModelSource.shipped("recall-gru")
    assert session.source.title == "Recall across a gap (GRU)"
