"""An animation's options checked before drawing, its frame count, and the dissolve."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.errors import ConfigError, ExportError
from rnnstudio.view.animation import (
    AnimationSpec,
    check_animation,
    check_frames,
    eased,
    parse_size,
    substep_frames,
)


def test_a_good_request_is_kept_as_given() -> None:
    spec = check_animation("talk.MP4", "heatmaps", 1920, 1080, 30, 3)
    assert spec == AnimationSpec("heatmaps", 1920, 1080, 30.0, 3)
    assert spec.frame_count(40) == 120
    # text drawn 1.4x at 720p, 2.1x at 1080p (the same slide, sharper); never below 1
    assert check_animation("a.gif", "figure", 1280, 720, 4).text_zoom == pytest.approx(1.4)
    assert spec.text_zoom == pytest.approx(2.1)
    assert check_animation("a.gif", "figure", 320, 180, 4).text_zoom == 1.0


@pytest.mark.parametrize(("path", "options", "error", "words"), [
    ("a.avi", ("figure", 1280, 720, 4, 1), ExportError, "use .gif or .mp4"),
    ("a", ("figure", 1280, 720, 4, 1), ExportError, "without suffix"),
    ("a.gif", ("nothing", 1280, 720, 4, 1), ConfigError, "is not a panel"),
    ("a.gif", ("figure", 100, 720, 4, 1), ConfigError, "width must be a whole number"),
    ("a.gif", ("figure", 1280, 5000, 4, 1), ConfigError, "height must be"),
    ("a.mp4", ("figure", 1281, 720, 4, 1), ConfigError, "even width and height"),
    ("a.gif", ("figure", 1280, 720, 0, 1), ConfigError, "fps must be"),
    ("a.gif", ("figure", 1280, 720, 55, 1), ConfigError, "write .mp4 for more"),
    ("a.gif", ("figure", 1280, 720, 4, 0), ConfigError, "substeps must be"),
    ("a.gif", ("figure", 1280, 720, 4, 2.5), ConfigError, "substeps must be"),
])
def test_bad_options_are_one_line_errors(path, options, error, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=words) as raised:
        check_animation(path, *options)
    assert "\n" not in str(raised.value)


def test_an_mp4_may_play_faster_than_a_gif() -> None:
    assert check_animation("a.mp4", "figure", 1280, 720, 60).fps == 60.0


def test_errors_name_the_command_line_flags() -> None:
    with pytest.raises(ConfigError, match="^--fps must"):
        check_animation("a.gif", "figure", 1280, 720, -1, names={"fps": "--fps"})


def test_sizes_parse_or_say_the_form() -> None:
    assert parse_size("1280x720") == (1280, 720)
    assert parse_size(" 640 × 360 ") == (640, 360)
    for text in ("1280", "1280x", "big", "-1x5", "1.5x2"):
        with pytest.raises(ConfigError, match="WIDTHxHEIGHT"):
            parse_size(text)


def test_frame_limits_are_checked_once_the_text_is_known() -> None:
    spec = AnimationSpec("figure", 1280, 720, 4.0, 12)
    assert check_frames(spec, 40, ".gif") == 480
    with pytest.raises(ConfigError, match="frames, more than"):
        check_frames(spec, 300, ".mp4")
    # a GIF keeps every frame in memory until it is written; an MP4 streams them
    big = AnimationSpec("figure", 3840, 2160, 4.0, 1)
    with pytest.raises(ConfigError, match="write .mp4"):
        check_frames(big, 100, ".gif")
    assert check_frames(big, 100, ".mp4") == 100


def test_one_substep_is_the_picture_itself() -> None:
    picture = np.zeros((2, 3, 3), np.uint8)
    frames = list(substep_frames(None, picture, 1))
    assert len(frames) == 1 and frames[0] is picture


def test_substeps_dissolve_from_the_previous_picture_eased() -> None:
    previous = np.zeros((2, 3, 3), np.uint8)
    current = np.full((2, 3, 3), 200, np.uint8)
    frames = list(substep_frames(previous, current, 4))
    assert len(frames) == 4 and frames[-1] is current
    levels = [int(frame[0, 0, 0]) for frame in frames]
    # smoothstep at 1/4, 2/4, 3/4 of the way: 0.15625, 0.5, 0.84375 of 200
    assert levels == [31, 100, 169, 200]
    assert all(frame.dtype == np.uint8 and frame.shape == current.shape for frame in frames)
    assert eased(0.0) == 0.0 and eased(1.0) == 1.0 and eased(0.5) == 0.5


def test_the_first_token_fades_in_from_white_so_no_two_frames_are_equal() -> None:
    current = np.zeros((1, 1, 3), np.uint8)
    frames = list(substep_frames(None, current, 3))
    levels = [int(frame[0, 0, 0]) for frame in frames]
    assert levels == [round(255 * (1 - eased(1 / 3))), round(255 * (1 - eased(2 / 3))), 0]
    assert len(set(levels)) == 3


def test_the_title_rows_switch_at_once() -> None:
    previous = np.zeros((4, 2, 3), np.uint8)
    current = np.full((4, 2, 3), 100, np.uint8)
    for frame in substep_frames(previous, current, 3, title_rows=1):
        assert (frame[:1] == 100).all()  # the new step's title from the first frame
    middle = list(substep_frames(previous, current, 3, title_rows=1))[0]
    assert (middle[1:] == round(100 * eased(1 / 3))).all()
