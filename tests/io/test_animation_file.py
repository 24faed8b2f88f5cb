"""GIF and MP4 written from frames: read back frame by frame, atomic, cancellable."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

from rnnstudio.errors import Cancelled, ExportError
from rnnstudio.io import animation_file
from rnnstudio.io.animation_file import gif_delays, missing_encoder, save_animation

Image = pytest.importorskip("PIL.Image")


def _frames(count: int, height: int = 36, width: int = 64) -> list[np.ndarray]:
    """Frame k: white, a dark column at x = 4k (a cursor moving right), a colour band."""
    frames = []
    for index in range(count):
        frame = np.full((height, width, 3), 255, np.uint8)
        frame[:8, :, :] = (0, 114, 178)
        frame[8:, 4 * index: 4 * index + 2, :] = (200, 30, 40)
        frames.append(frame)
    return frames


def _leftovers(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


def test_a_gif_has_every_frame_its_size_duration_and_loops(tmp_path: Path) -> None:
    frames = _frames(7)
    path = save_animation(tmp_path / "a.gif", iter(frames), fps=4)
    with Image.open(path) as gif:
        assert gif.n_frames == 7 and gif.size == (64, 36)
        assert gif.info["loop"] == 0  # forever
        for index in range(7):
            gif.seek(index)
            assert gif.info["duration"] == 250
            # few colours, all in the palette: every pixel comes back exactly
            np.testing.assert_array_equal(np.asarray(gif.convert("RGB")), frames[index])
    assert _leftovers(tmp_path) == []


def test_gif_frame_duration_follows_the_rate(tmp_path: Path) -> None:
    path = save_animation(tmp_path / "a.gif", _frames(3), fps=12.5)
    with Image.open(path) as gif:
        assert gif.info["duration"] == 80


def test_gif_delays_keep_the_rate_to_the_hundredth() -> None:
    assert gif_delays(4, 3) == [250, 250, 250]
    assert gif_delays(3, 6) == [330, 340, 330, 330, 340, 330]  # 1 s every 3 frames
    assert sum(gif_delays(7, 70)) == 10_000


def test_progress_is_reported_per_frame(tmp_path: Path) -> None:
    done: list[int] = []
    save_animation(tmp_path / "a.gif", _frames(5), 4, on_frame=done.append)
    assert done == [1, 2, 3, 4, 5]


def test_a_cancelled_export_leaves_no_file_and_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "a.gif"
    target.write_bytes(b"the old animation")
    asked = iter([False, False, True])
    with pytest.raises(Cancelled):
        save_animation(target, _frames(5), 4, should_stop=lambda: next(asked))
    assert target.read_bytes() == b"the old animation"
    assert _leftovers(tmp_path) == []
    with pytest.raises(Cancelled):
        save_animation(tmp_path / "new.gif", _frames(5), 4, should_stop=lambda: True)
    assert not (tmp_path / "new.gif").exists() and _leftovers(tmp_path) == []


def test_frames_of_another_size_or_none_are_refused(tmp_path: Path) -> None:
    frames = _frames(2) + _frames(1, height=20)
    with pytest.raises(ExportError, match="frame 3"):
        save_animation(tmp_path / "a.gif", frames, 4)
    with pytest.raises(ExportError, match="at least one frame"):
        save_animation(tmp_path / "b.gif", [], 4)
    assert os.listdir(tmp_path) == []


def test_a_missing_encoder_says_what_to_install(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(animation_file.importlib.util, "find_spec",
                        lambda name: None if name == "imageio_ffmpeg" else real(name))
    message = missing_encoder("talk.mp4")
    assert message is not None and 'pip install "rnnstudio[video]"' in message
    assert "imageio-ffmpeg" in message and "\n" not in message
    with pytest.raises(ExportError, match=r"rnnstudio\[video\]"):
        save_animation(tmp_path / "talk.mp4", _frames(2), 4)
    assert missing_encoder("talk.gif") is None


@pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None,
                    reason="the MP4 encoder (imageio-ffmpeg, the video extra) is not installed")
def test_an_mp4_has_every_frame_at_its_size_and_rate(tmp_path: Path) -> None:
    import imageio_ffmpeg

    target = tmp_path / "a.mp4"
    target.write_bytes(b"old")
    frames = _frames(9)
    save_animation(target, frames, fps=3)
    reader = imageio_ffmpeg.read_frames(str(target))
    meta = next(reader)
    decoded = [np.frombuffer(data, np.uint8).reshape(36, 64, 3) for data in reader]
    assert meta["size"] == (64, 36) and meta["fps"] == 3.0 and meta["codec"] == "h264"
    assert "yuv420p" in meta["pix_fmt"]
    assert len(decoded) == 9
    # lossy, but the cursor column is where it was drawn in each frame
    for index, frame in enumerate(decoded):
        darkest = int(np.argmin(frame[20:, :, 1].mean(axis=0)))
        assert 4 * index <= darkest <= 4 * index + 1
    assert _leftovers(tmp_path) == []
