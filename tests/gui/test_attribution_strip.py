"""The token strip coloured by the chosen attribution: the values are the engine's, the
hues follow the sign, the switch and the menu follow the session, session files keep it."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import wait_for_trace
from PySide6.QtGui import QColor

from rnnstudio.gui.session_files import restore, snapshot
from rnnstudio.gui.widgets.token_strip import TokenStrip
from rnnstudio.io.session_file import SessionFile
from rnnstudio.view.attribution import NEGATIVE_RGB, POSITIVE_RGB

REVIEW = "not very good , but the camera is great"


@pytest.fixture
def strip(qtbot, session):  # type: ignore[no-untyped-def]
    widget = TokenStrip(session)
    qtbot.addWidget(widget)
    widget.resize(700, 120)
    widget.show()
    wait_for_trace(qtbot, session, lambda: session.open_shipped_model("sentiment-gru", REVIEW))
    return widget


def choose(qtbot, session, choice: str) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(session.attribution_job.changed, timeout=10_000,
                          check_params_cb=lambda: session.attribution_job.result is not None):
        session.set_attribution(choice)
    session.attribution_job.wait()


def chip_colour(strip: TokenStrip, index: int) -> QColor:
    """The fill of chip ``index`` as painted, a few pixels inside its left edge."""
    image = strip.canvas.grab().toImage()
    rect = strip.canvas.chip_rects[index]
    return image.pixelColor(rect.left() + 3, rect.center().y())


def hue_of(colour: QColor) -> tuple[int, int, int]:
    return colour.red(), colour.green(), colour.blue()


@pytest.mark.parametrize("method", ["gradient-x-input", "occlusion", "integrated-gradients"])
def test_the_strip_shows_the_engines_signed_scores_in_two_hues(qtbot, session, strip, method):  # type: ignore[no-untyped-def]
    choose(qtbot, session, method)
    result = session.attribution_job.result
    assert result.method == method and result.tokens == tuple(session.trace.tokens)
    expected = session.model.attribute(REVIEW, method, steps=result.steps or 64,
                                         score="log-odds")
    np.testing.assert_array_equal(strip.shading.values, expected.scores)
    assert strip.shading.signed and result.definition in strip.toolTip()
    positive = int(np.argmax(result.scores))
    negative = int(np.argmin(result.scores))
    assert result.scores[positive] > 0 > result.scores[negative]
    white = np.array([255, 255, 255])
    for index, rgb in ((positive, POSITIVE_RGB), (negative, NEGATIVE_RGB)):
        painted = np.array(hue_of(chip_colour(strip, index)))
        # blended over the light base: closer to its own hue than to the other one
        other = NEGATIVE_RGB if rgb == POSITIVE_RGB else POSITIVE_RGB
        assert np.abs(painted - rgb).sum() < np.abs(painted - other).sum()
        assert np.abs(painted - white).sum() > 60
    value = result.scores[negative]
    assert f"{value:+.3g} (lowers s;" in strip.tooltip(negative)


def test_the_loss_gradient_choice_is_unsigned_and_off_clears(qtbot, session, strip):  # type: ignore[no-untyped-def]
    session.set_attribution("dL/dx")
    norms = np.linalg.norm(session.trace.grads.x, axis=1)
    np.testing.assert_allclose(strip.shading.values, norms, rtol=1e-12)
    assert not strip.shading.signed and "saliency" in strip.toolTip()
    session.set_attribution("off")
    assert strip.shading is None and session.attribution_job.result is None
    assert hue_of(chip_colour(strip, 0)) == hue_of(strip.palette().base().color())


def test_a_new_text_never_shows_the_old_texts_colours(qtbot, session, strip):  # type: ignore[no-untyped-def]
    choose(qtbot, session, "occlusion")
    with qtbot.waitSignal(session.attribution_job.changed, timeout=10_000,
                          check_params_cb=lambda: session.attribution_job.result is not None):
        wait_for_trace(qtbot, session, lambda: session.open_shipped_model(
            "sentiment-gru", "a great camera"))
    session.attribution_job.wait()
    assert strip.shading.values.shape == (3,)
    assert session.attribution_job.result.tokens == ("a", "great", "camera")


def test_session_files_keep_the_choice_and_read_the_old_switch(qtbot, session, strip):  # type: ignore[no-untyped-def]
    choose(qtbot, session, "integrated-gradients")
    state = snapshot(session)
    assert (state.attribution, state.saliency) == ("integrated-gradients", True)
    session.set_attribution("off")
    restore(session, SessionFile(model=state.model, text=REVIEW, attribution=state.attribution),
            [], synchronous=True)
    assert session.options.attribution == "integrated-gradients"
    restore(session, SessionFile(model=state.model, text=REVIEW, saliency=True), [],
            synchronous=True)
    assert session.options.attribution == "dL/dx"  # a file from before the choice


def test_the_switch_and_the_menu_follow_the_session(qtbot, window):  # type: ignore[no-untyped-def]
    session = window.session
    box = window.attribution_box
    box.setCurrentIndex(box.findData("occlusion"))
    assert session.options.attribution == "occlusion"
    assert window.named_actions["colour_tokens_occlusion"].isChecked()
    window.named_actions["colour_tokens_dLdx"].trigger()
    assert session.options.attribution == "dL/dx" and box.currentData() == "dL/dx"
    session.attribution_job.wait()


def test_the_window_saves_the_shown_attribution(qtbot, window, tmp_path):  # type: ignore[no-untyped-def]
    import json

    session = window.session
    target = tmp_path / "scores.json"
    assert not window.export_attribution(target)  # nothing computed yet: says so
    choose(qtbot, session, "occlusion")
    assert window.export_attribution(target)
    data = json.loads(target.read_text("utf-8"))
    assert data["scores"] == session.attribution_job.result.scores.tolist()
    assert data["tokens"] == list(session.trace.tokens)


def test_this_step_says_the_cursors_token_score_as_the_strip_colours_it(  # type: ignore[no-untyped-def]
        qtbot, session, strip) -> None:
    """The readout, besides the strip: the token at the cursor, its signed score and
    what it does to s; off, and while a computed method runs, it is hidden."""
    from rnnstudio.gui.widgets.step_view import StepView

    view = StepView(session)
    qtbot.addWidget(view)
    view.show()
    assert view.attribution.isHidden()  # the colouring is off
    choose(qtbot, session, "occlusion")
    result = session.attribution_job.result
    for step in (0, int(np.argmax(result.scores))):
        session.set_cursor(step)
        line = view.attribution.text()
        assert line.startswith(f"“{result.tokens[step]}”: occlusion")
        assert f"{result.scores[step]:+.3g}" in line and not view.attribution.isHidden()
    assert result.definition in view.attribution.toolTip()
    session.set_attribution("off")
    assert view.attribution.isHidden()
