"""The session: traces in the worker, validates, keeps the old state on errors."""

from __future__ import annotations

import numpy as np
from conftest import wait_for_trace

from rnnstudio.engine.model import random_model
from rnnstudio.gui.engine_bridge import LossChoice, RandomModelSpec
from rnnstudio.gui.session import Session


def _ready(session: Session) -> Session:
    session.random_spec = RandomModelSpec(hidden_size=8)
    session.text = "the cat sat"
    session.set_initial_model()
    return session


def test_startup_trace_is_immediate(session) -> None:  # type: ignore[no-untyped-def]
    _ready(session)
    assert session.trace.tokens == ["the", "cat", "sat"]
    assert session.cursor == 2
    assert "3 tokens" in session.status and "ms" in session.status


def test_set_text_traces_in_the_worker(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    _ready(session)
    wait_for_trace(qtbot, session, lambda: session.set_text("a b c d e"))
    expected = session.model.trace("a b c d e").layer(0).h
    np.testing.assert_array_equal(session.trace.layer(0).h, expected)
    assert session.cursor == 4  # the cursor followed the end


def test_bad_text_keeps_the_previous_trace(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    _ready(session)
    old_trace = session.trace
    with qtbot.waitSignal(session.error_raised, timeout=3000) as blocker:
        session.set_text("   ")
    session.wait()
    assert "empty" in blocker.args[0].lower()
    assert session.trace is old_trace and session.text == "   "


def test_corrupt_model_file_keeps_the_old_model(qtbot, session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _ready(session)
    old_model, old_trace = session.model, session.trace
    corrupt = tmp_path / "broken.safetensors"
    corrupt.write_bytes(b"\x00\x01 not a model at all")
    with qtbot.waitSignal(session.error_raised, timeout=5000) as blocker:
        session.open_model_file(corrupt)
    session.wait()
    assert blocker.args[0]
    assert session.model is old_model and session.trace is old_trace


def test_signals_fire_only_on_real_change(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    _ready(session)
    seen: list[int] = []
    session.cursor_changed.connect(seen.append)
    session.set_cursor(1)
    session.set_cursor(1)
    session.set_cursor(99)  # clamped to the last step
    session.step_by(-5)  # clamped to 0
    assert seen == [1, 2, 0]


def test_probe_loss_and_random_model(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    _ready(session)
    wait_for_trace(qtbot, session, lambda: session.probe_unit(1, 3))
    assert session.loss == LossChoice("probe", 1, 3, 0, "fwd", "h")
    grads = session.trace.grads
    assert np.all(grads.h[0, "fwd"][2] == 0)  # nothing after the probed step matters
    spec = RandomModelSpec(cell="gru", hidden_size=5, seed=3)
    wait_for_trace(qtbot, session, lambda: session.set_random_model(spec))
    assert session.model.config.recurrent.cell == "gru"
    assert session.loss.kind == "last-output-sum"  # probes do not carry over to new models
    reference = random_model("gru", hidden_size=5, seed=3).trace("the cat sat")
    np.testing.assert_array_equal(session.trace.layer(0).h, reference.layer(0).h)


def test_jacobian_follows_the_trace_or_waits_for_a_click(qtbot, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _ready(session)
    if not session.trace.grads.jacobian:
        with qtbot.waitSignal(session.gradients_changed, timeout=5000):
            pass
    reference = session.model.trace("the cat sat", jacobian=True).grads.jacobian[0, "fwd"]
    np.testing.assert_allclose(session.trace.grads.jacobian[0, "fwd"], reference, rtol=1e-10)
    assert "||dh_T/dh_t|| in" in session.status

    from rnnstudio.gui import session as session_module

    monkeypatch.setattr(session_module, "AUTO_JACOBIAN_SECONDS", 0.0)  # "too big"
    wait_for_trace(qtbot, session, lambda: session.set_text("a b c d"))
    assert session.jacobian_deferred and not session.trace.grads.jacobian
    with qtbot.waitSignal(session.gradients_changed, timeout=5000):
        session.compute_jacobian()
    assert not session.jacobian_deferred and (0, "fwd") in session.trace.grads.jacobian


def test_a_shorter_text_drops_a_loss_tied_to_a_step_it_no_longer_has(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    _ready(session)
    wait_for_trace(qtbot, session, lambda: session.probe_unit(2, 3))
    wait_for_trace(qtbot, session, lambda: session.set_text("the cat sat on it"))
    assert session.loss == LossChoice("probe", 2, 3, 0, "fwd", "h")  # step 2 still there
    wait_for_trace(qtbot, session, lambda: session.set_text("the cat"))
    assert session.trace.tokens == ["the", "cat"]
    assert session.loss.kind == "last-output-sum"  # the model's task loss took over
    assert session.trace.grads.loss_name == "last-output-sum"
    wait_for_trace(qtbot, session, lambda: session.open_shipped_model("idioms-gru"))
    wait_for_trace(qtbot, session, lambda: session.set_loss(LossChoice("tag:5:literal")))
    assert session.trace.grads.loss_name == "tag:5:literal"
    wait_for_trace(qtbot, session, lambda: session.set_text("we must spill"))
    assert session.loss.kind == "tag" and session.trace.grads.loss_name == "tag"


def test_the_jacobian_starts_after_the_view_and_only_for_the_shown_trace(qtbot, session) -> None:  # type: ignore[no-untyped-def]
    """||dh_T/dh_t|| waits until the new trace has been drawn (its BLAS threads took both
    cores from the paint), and a trace replaced meanwhile never starts one."""
    _ready(session)
    wait_for_trace(qtbot, session, lambda: session.set_text("a b c d"))
    assert not session.busy and not session.trace.grads.jacobian  # not started yet
    with qtbot.waitSignal(session.gradients_changed, timeout=5000):
        pass
    assert (0, "fwd") in session.trace.grads.jacobian
    shown = session.trace
    wait_for_trace(qtbot, session, lambda: session.set_text("x y z"))
    session._jacobian_if_current(shown)  # the timer of a trace no longer shown
    assert not session.busy
