"""Figures and traces written from the window: sizes, SVG text, atomicity, errors."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest
from PySide6.QtGui import QImage

from rnnstudio.gui import export

SVG = "{http://www.w3.org/2000/svg}"


def _svg_texts(path) -> list[str]:  # type: ignore[no-untyped-def]
    root = ElementTree.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return ["".join(element.itertext()).strip() for element in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("panel", ["heatmaps", "gradients", "this step", "unit inspector"])
def test_every_panel_exports_png_at_the_requested_width(window, tmp_path, panel) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "figure.png"
    assert window.export_panel(panel, path, width=1234)
    image = QImage(str(path))
    assert image.width() == 1234 and image.height() > 50


@pytest.mark.parametrize(("panel", "labels"), [
    ("heatmaps", ["step (token read)", "f forget", "h hidden"]),
    ("gradients", ["gradient norm (log)", "step (token read)"]),
    ("unit inspector", ["value", "step (token read)"]),
])
def test_svg_is_well_formed_with_axis_labels(window, tmp_path, panel, labels) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "figure.svg"
    assert window.export_panel(panel, path)
    texts = _svg_texts(path)
    for label in labels:
        assert label in texts, f"{label!r} missing from {texts[:30]}"
    assert "cat" in texts  # tokens label the time axis


def test_whole_window_png(window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "window.png"
    assert window.export_window(path, width=800)
    assert QImage(str(path)).width() == 800


def test_failed_export_is_shown_and_nothing_crashes(window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "no such folder" / "figure.png"
    assert not window.export_panel("heatmaps", missing, width=400)
    assert window.message_bar.isVisible() and "figure.png" in window.message_bar.text
    assert not window.export_panel("heatmaps", tmp_path / "figure.bmp", width=400)
    assert ".bmp" in window.message_bar.text
    assert window.session.trace is not None


def test_failed_export_keeps_the_old_file(window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Figures go through io's one atomic writer: an export that fails, before or while
    writing, leaves the old file as it was and no temporary file behind."""
    import os

    from rnnstudio.errors import ExportError

    target = tmp_path / "figure.png"
    target.write_bytes(b"old")
    item = export.plot_items_of(window.heatmaps)
    with pytest.raises(ExportError, match="PNG width"):
        export.export_png(item, target, 3)
    os.chmod(tmp_path, 0o500)  # the folder refuses the temporary file
    try:
        if not os.access(tmp_path, os.W_OK):  # root writes anyway
            with pytest.raises(ExportError, match=f"cannot write {target}"):
                export.export_png(item, target, 200)
    finally:
        os.chmod(tmp_path, 0o700)
    assert target.read_bytes() == b"old"
    export.export_png(item, target, 200)
    assert QImage(str(target)).width() == 200
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []


def test_trace_export_runs_in_a_worker_through_io(qtbot, window, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    session = window.session
    for suffix in (".npz", ".csv", ".json"):
        path = tmp_path / f"trace{suffix}"
        with qtbot.waitSignal(session.saved, timeout=10_000) as blocker:
            assert window.export_trace(path), window.message_bar.text
        assert blocker.args[0] == str(path)
        assert path.stat().st_size > 0
    with np.load(tmp_path / "trace.npz", allow_pickle=False) as data:
        np.testing.assert_array_equal(data["l0.fwd.h"], session.trace.layer(0).h)
    assert not window.export_trace(tmp_path / "trace.txt")
    assert ".txt" in window.message_bar.text
    with qtbot.waitSignal(session.error_raised, timeout=10_000):
        assert window.export_trace(tmp_path / "missing folder" / "trace.npz")
    assert "missing folder" in window.message_bar.text
