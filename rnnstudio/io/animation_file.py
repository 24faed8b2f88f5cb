"""Write an animation's frames as GIF (Pillow) or MP4 (H.264 through imageio-ffmpeg),
atomically: a cancelled or failed export leaves no file, and an old one as it was.

Both encoders are well-kept libraries of the optional ``video`` extra
(``pip install "rnnstudio[video]"``), imported only when an animation is written:

* GIF: Pillow, looping forever, at ``fps`` to the hundredth of a second GIF counts in.
  Every frame is mapped, undithered, onto one adaptive palette of the first and last
  frames (the text unread and wholly read): the heatmaps' colours keep their index from
  frame to frame, so Pillow stores only the rectangle that changed (the cursor's columns
  and the title), and nothing flickers. Dithering would change pixels everywhere.
  Measured on 40 tokens of the sentiment LSTM's heatmaps + gradients at 1280 x 720:
  1.3 MB in 0.5 s; a palette per frame (Pillow's default) made 2.6 MB in 5.1 s.
* MP4: imageio-ffmpeg's ``write_frames`` (the engine of imageio's FFMPEG plugin, which
  refuses a file name not ending in .mp4, as the temporary file's does), libx264,
  yuv420p (what every player and slide program reads), even sizes only.

Frames are (H, W, 3) uint8 RGB arrays, consumed as they come: the window renders them on
its thread while a worker encodes.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import Cancelled, ExportError
from ..limits import MAX_ANIMATION_FRAMES
from .atomic import check_writable, write_atomic, write_atomic_path

#: What each format needs, by suffix: (modules, the line that says how to get them).
_NEEDS = {".gif": ("PIL",), ".mp4": ("imageio_ffmpeg",)}
INSTALL_HINT = 'pip install "rnnstudio[video]"'


def missing_encoder(path: str | Path) -> str | None:
    """One line saying what to install to write ``path``'s format, or None when it can be
    written (checked before any frame is drawn)."""
    suffix = Path(path).suffix.lower()
    missing = [name for name in _NEEDS.get(suffix, ()) if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    package = {"PIL": "Pillow", "imageio_ffmpeg": "imageio-ffmpeg"}[missing[0]]
    return (f"writing {suffix} needs {package}, which is not installed: "
            f"{INSTALL_HINT}")


def check_animation_file(path: str | Path) -> Path:
    """Refuse, before any work, a format whose encoder is missing or a path that cannot
    be written."""
    missing = missing_encoder(path)
    if missing is not None:
        raise ExportError(missing)
    return check_writable(path)


def _checked(frames: Iterable[np.ndarray], should_stop: Callable[[], bool] | None,
             on_frame: Callable[[int], None] | None) -> Iterator[np.ndarray]:
    """``frames`` with their shape checked, stopping with :class:`Cancelled` when asked."""
    shape = None
    for count, frame in enumerate(frames, start=1):
        if should_stop is not None and should_stop():
            raise Cancelled("the animation export was cancelled")
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3 or (
                shape is not None and frame.shape != shape):
            raise ExportError(f"frame {count} is {frame.shape} {frame.dtype}, not "
                              f"{shape or '(H, W, 3)'} uint8")
        shape = frame.shape
        yield frame
        if on_frame is not None:
            on_frame(count)
    if shape is None:
        raise ExportError("an animation needs at least one frame")


def _gif_frames(frames: Iterator[np.ndarray],
                palette_from: np.ndarray | None) -> tuple[Any, Iterator[Any]]:
    """The first frame and the rest as palette images on one adaptive palette of the
    first frame and ``palette_from``."""
    from PIL import Image

    first = next(frames)
    pictures = [first] if palette_from is None else [first, palette_from]
    # Fast octree: 1.5 grey levels of mean error on a 1280 x 720 LSTM figure and every
    # legend swatch exact, in 0.1 s; median cut erred 2.7 and merged two curve colours.
    palette = Image.fromarray(np.concatenate(pictures)).quantize(
        256, method=Image.Quantize.FASTOCTREE)

    def mapped(picture: np.ndarray) -> Any:
        return Image.fromarray(picture).quantize(palette=palette, dither=Image.Dither.NONE)

    return mapped(first), (mapped(frame) for frame in frames)


def gif_delays(fps: float, count: int = MAX_ANIMATION_FRAMES) -> list[int]:
    """Each frame's delay in ms, in the GIF's hundredths of a second, so that frame k
    starts at k/fps to the nearest hundredth: 8 fps alternates 120 and 130 ms (a fixed
    120 would play at 8.3 fps)."""
    starts = [round(100 * index / fps) for index in range(count + 1)]
    return [10 * (end - start) for start, end in zip(starts, starts[1:], strict=False)]


def write_gif(stream: IO[bytes], frames: Iterable[np.ndarray], fps: float,
              palette_from: np.ndarray | None = None) -> None:
    """Frames as a GIF that loops forever at ``fps`` (:func:`gif_delays`), on the palette
    of the first frame and ``palette_from`` (H, W', 3), e.g. the last one."""
    first, rest = _gif_frames(iter(frames), palette_from)
    first.save(stream, format="GIF", save_all=True, append_images=rest, loop=0,
               duration=gif_delays(fps), optimize=False)


def write_mp4(path: Path, frames: Iterable[np.ndarray], fps: float) -> None:
    """Frames as H.264 in yuv420p at ``fps`` (every frame kept, none dropped or doubled)."""
    import imageio_ffmpeg

    frames = iter(frames)
    first = next(frames)
    height, width = first.shape[:2]
    writer = imageio_ffmpeg.write_frames(
        str(path), (width, height), fps=fps, codec="libx264", pix_fmt_in="rgb24",
        pix_fmt_out="yuv420p", macro_block_size=2, ffmpeg_log_level="error",
        # One encoder thread: x264's default of 1.5 a core took the GUI thread's core
        # too while the window drew the next frames.
        output_params=["-f", "mp4", "-movflags", "+faststart", "-threads", "1"])
    writer.send(None)  # start ffmpeg
    try:
        writer.send(np.ascontiguousarray(first))
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
    finally:
        writer.close()


def save_animation(path: str | Path, frames: Iterable[np.ndarray], fps: float,
                   should_stop: Callable[[], bool] | None = None,
                   on_frame: Callable[[int], None] | None = None,
                   palette_from: np.ndarray | None = None) -> Path:
    """Write ``frames`` ((H, W, 3) uint8 each, all one size) to ``path`` (.gif or .mp4)
    at ``fps``; ``on_frame(n)`` after the n-th frame is encoded; a GIF's palette is made
    of the first frame and ``palette_from`` (the last frame: every colour shown).

    Raises
    ------
    Cancelled
        ``should_stop()`` became True: no file was written (an old one is kept).
    ExportError
        The encoder is missing, the path cannot be written, or a frame is malformed.
    """
    target = check_animation_file(path)
    checked = _checked(frames, should_stop, on_frame)
    if target.suffix.lower() == ".gif":
        return write_atomic(target, lambda stream: write_gif(stream, checked, fps,
                                                                palette_from))
    return write_atomic_path(target, lambda temp: write_mp4(temp, checked, fps))
