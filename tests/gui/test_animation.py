"""Animations drawn from a session: frames of the asked size that change where the cursor
moved, ``rnnstudio animate`` end to end, and the window's export with progress and cancel."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from conftest import ready
from PySide6.QtCore import QRectF

from rnnstudio import cli
from rnnstudio.gui.animation import FrameRenderer
from rnnstudio.gui.animation_dialog import AnimationDialog, start_animation_export
from rnnstudio.view.animation import check_animation

Image = pytest.importorskip("PIL.Image")
SENTENCE = "the food was not good at all"


def _changed_columns(before: np.ndarray, after: np.ndarray, rows: QRectF) -> np.ndarray:
    """x of every pixel column that differs inside ``rows``'s y range."""
    top, bottom = int(rows.top()) + 1, int(rows.bottom()) - 1
    changed = np.any(before[top:bottom] != after[top:bottom], axis=(0, 2))
    return np.flatnonzero(changed)


@pytest.mark.parametrize("panel", ["heatmaps", "figure", "strip"])
def test_a_cursor_move_changes_only_the_two_columns_it_touches(session, panel) -> None:  # type: ignore[no-untyped-def]
    ready(session, SENTENCE)
    renderer = FrameRenderer(session, check_animation("a.gif", panel, 1280, 720, 4))
    try:
        frames = [renderer.render(step) for step in (2, 3)]
        assert all(frame.shape == (720, 1280, 3) for frame in frames)
        old, new = renderer.step_column(2, row=1), renderer.step_column(3, row=1)
        columns = _changed_columns(*frames, old)
        # the cursor line left column 2 and column 3 lost its "unread" wash; no other
        # cell of the heatmaps changed
        assert columns.size > 0
        assert columns.min() >= old.left() - 2 and columns.max() <= new.right() + 2
        inside_new = (columns >= new.left() + 2) & (columns <= new.right() - 2)
        assert inside_new.sum() >= new.width() - 6
    finally:
        renderer.close()
    assert session.cursor == session.step_count - 1  # put back where the window had it


@pytest.mark.parametrize("panel", ["gradients", "step", "unit"])
def test_widget_panels_fill_the_frame_and_follow_the_cursor(session, panel) -> None:  # type: ignore[no-untyped-def]
    ready(session, SENTENCE)
    renderer = FrameRenderer(session, check_animation("a.mp4", panel, 960, 540, 4))
    try:
        first, second = renderer.render(1), renderer.render(4)
    finally:
        renderer.close()
    assert first.shape == (540, 960, 3)
    below_title = slice(80, 540)
    assert np.any(first[below_title] != second[below_title])
    assert (first[below_title] < 200).any()  # something is drawn, not a blank page


def test_animate_writes_a_gif_with_a_frame_per_token_and_substep(tmp_path: Path,
                                                                 capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "a.gif"
    assert cli.main(["animate", "sentiment-gru", "--text", SENTENCE, "--out", str(out),
                     "--panel", "heatmaps", "--size", "640x360", "--fps", "8",
                     "--substeps", "2"]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {out} (14 frames of 640x360")
    with Image.open(out) as gif:
        assert gif.n_frames == 7 * 2 and gif.size == (640, 360)
        assert gif.info["loop"] == 0
        pictures, delays = [], []
        for index in range(gif.n_frames):
            gif.seek(index)
            pictures.append(np.asarray(gif.convert("RGB")).copy())
            delays.append(gif.info["duration"])
    # 8 fps in hundredths of a second: 0.12 and 0.13 s in turn, 14 frames in 1.75 s
    assert set(delays) == {120, 130} and sum(delays) == 1750
    assert all(np.any(a != b) for a, b in zip(pictures, pictures[1:], strict=False))
    # a token's dissolve frame already has the token's title (one step number, not two)
    for token in range(1, 7):
        dissolving, settled = pictures[2 * token], pictures[2 * token + 1]
        np.testing.assert_array_equal(dissolving[:50], settled[:50])
        assert np.any(dissolving[50:] != settled[50:])
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


@pytest.mark.parametrize(("options", "words"), [
    (["--size", "1281x720", "--out", "a.mp4"], "even width and height"),
    (["--size", "huge", "--out", "a.gif"], "--size must be WIDTHxHEIGHT"),
    (["--fps", "0", "--out", "a.gif"], "--fps must be"),
    (["--substeps", "20", "--out", "a.gif"], "--substeps must be"),
    (["--panel", "everything", "--out", "a.gif"], "--panel 'everything' is not a panel"),
    (["--out", "a.webm"], "use .gif or .mp4"),
])
def test_bad_options_are_refused_before_the_model_is_read(tmp_path: Path, capsys,
                                                          monkeypatch, options, words) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    # the model does not exist: the option's error comes first, so nothing was read
    assert cli.main(["animate", "missing.safetensors", "--text", "a b", *options]) == 2
    err = capsys.readouterr().err
    assert err.startswith("rnnstudio: error: ") and words in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert os.listdir(tmp_path) == []


def test_animate_without_the_video_extra_says_what_to_install(tmp_path, capsys,
                                                              monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.io import animation_file

    monkeypatch.setattr(animation_file.importlib.util, "find_spec", lambda name: None)
    assert cli.main(["animate", "sentiment-gru", "--text", "a b",
                     "--out", str(tmp_path / "a.gif")]) == 2
    assert 'pip install "rnnstudio[video]"' in capsys.readouterr().err


def test_the_window_exports_with_progress_and_puts_the_cursor_back(qtbot, window,
                                                                   tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    assert window.named_actions["export_animation"].text() == "&Animation (GIF / MP4)…"
    session.set_cursor(2)
    steps = session.step_count
    seen: list[int] = []
    out = tmp_path / "talk.gif"
    export = start_animation_export(window, check_animation(out, "figure", 640, 360, 4, 2),
                                    out)
    assert export is not None
    export.progressed.connect(lambda done, total: seen.append(done))
    with qtbot.waitSignal(export.finished, timeout=60_000) as finished:
        pass
    assert finished.args == [str(out)]
    export.wait()
    with Image.open(out) as gif:
        assert gif.n_frames == 2 * steps and gif.size == (640, 360)
    assert seen and max(seen) == 2 * steps
    assert session.cursor == 2
    assert "Saved the animation" in window.statusBar().currentMessage()


def test_a_cancelled_window_export_writes_nothing(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "talk.gif"
    export = start_animation_export(window, check_animation(out, "heatmaps", 640, 360, 4, 3),
                                    out)
    assert export is not None and export.running
    with qtbot.waitSignal(export.progressed, timeout=30_000):
        pass  # the encoder has started writing the file
    with qtbot.waitSignal(export.cancelled, timeout=5000):
        export.cancel()
    export.wait()
    assert not export.running
    assert [name for name in os.listdir(tmp_path) if name != "settings"] == []
    assert not window.message_bar.isVisible()  # a cancel is not an error
    assert "cancelled" in window.statusBar().currentMessage()


def test_the_dialog_refuses_what_cannot_be_written(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    dialog = AnimationDialog(40, tmp_path)
    qtbot.addWidget(dialog)
    assert dialog.export_button.isEnabled()
    assert dialog.summary.text().startswith("40 frames (40 tokens × 1), 10.0 s")
    dialog.file.setText(str(tmp_path / "a.mp4"))
    dialog.width_box.setValue(1281)
    assert not dialog.export_button.isEnabled() and "even width" in dialog.summary.text()
    dialog.width_box.setValue(1280)
    dialog.file.setText(str(tmp_path / "a.png"))
    assert not dialog.export_button.isEnabled() and ".gif or .mp4" in dialog.summary.text()
    dialog.file.setText(str(tmp_path / "a.gif"))
    dialog.substeps.setValue(3)
    assert dialog.export_button.isEnabled()
    assert dialog.spec() == check_animation(tmp_path / "a.gif", "figure", 1280, 720, 4, 3)


def test_a_full_queue_at_the_end_still_finishes(qtbot, window, tmp_path,
                                                monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rnnstudio.gui import animation_export

    monkeypatch.setattr(animation_export, "QUEUED_TOKENS", 1)  # drawing waits on the encoder
    out = tmp_path / "talk.gif"
    export = start_animation_export(window, check_animation(out, "heatmaps", 640, 360, 4, 2),
                                    out)
    assert export is not None
    with qtbot.waitSignal(export.finished, timeout=60_000):
        pass
    export.wait()
    with Image.open(out) as gif:
        assert gif.n_frames == 2 * window.session.step_count


def test_a_new_trace_during_the_export_stops_it_without_a_file(qtbot, window,
                                                               tmp_path) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    out = tmp_path / "talk.gif"
    export = start_animation_export(window, check_animation(out, "figure", 640, 360, 4, 3),
                                    out)
    assert export is not None
    with qtbot.waitSignal(export.failed, timeout=5000) as failed:
        session.show_trace(session.trace, "another trace")  # committed at once
    export.wait()
    assert "changed during the animation export" in failed.args[0]
    assert not out.exists()
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []
    assert "talk.gif" in window.message_bar.text
