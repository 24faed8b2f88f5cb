"""File > Export > Animation…: ask what to animate, then export it with a progress dialog
the user can cancel (the window stays responsive: :mod:`.animation_export`).

The dialog checks its fields as ``rnnstudio animate`` checks its flags
(:func:`rnnstudio.view.animation.check_animation`) and says in one line what is wrong;
without the ``video`` extra it says what to install and exports nothing. The format is
the file's extension (.gif or .mp4).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..errors import RnnStudioError
from ..io.animation_file import missing_encoder
from ..limits import ANIMATION_FPS, ANIMATION_HEIGHTS, ANIMATION_WIDTHS, MAX_SUBSTEPS
from ..view.animation import ANIMATION_PANELS, AnimationSpec, check_animation, check_frames
from .animation_export import AnimationExport

if TYPE_CHECKING:
    from .main_window import MainWindow


def _spin(low: int, high: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(value)
    return box


class AnimationDialog(QDialog):
    """The panel, frame size, rate, sub-steps and file of an animation; ``spec()`` and
    ``path()`` once accepted."""

    def __init__(self, steps: int, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.steps = steps
        self.panel = QComboBox()
        for name, text in ANIMATION_PANELS.items():
            self.panel.addItem(f"{name}: {text}", name)
        self.panel.setCurrentIndex(list(ANIMATION_PANELS).index("figure"))
        self.width_box = _spin(*ANIMATION_WIDTHS, 1280)
        self.height_box = _spin(*ANIMATION_HEIGHTS, 720)
        self.fps = QDoubleSpinBox()
        self.fps.setRange(*ANIMATION_FPS)
        self.fps.setValue(4.0)
        self.substeps = _spin(1, MAX_SUBSTEPS, 1)
        self.file = QLineEdit(str(folder / "animation.gif"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        size = QHBoxLayout()
        for widget in (self.width_box, QLabel("×"), self.height_box, QLabel("pixels")):
            size.addWidget(widget)
        size.addStretch(1)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file, 1)
        file_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Show", self.panel)
        form.addRow("Frame size", size)
        form.addRow("Frames a second", self.fps)
        form.addRow("Frames per token", self.substeps)
        form.addRow("File (.gif or .mp4)", file_row)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        for box in (self.width_box, self.height_box, self.substeps):
            box.valueChanged.connect(self._check)
        self.fps.valueChanged.connect(self._check)
        self.panel.currentIndexChanged.connect(self._check)
        self.file.textChanged.connect(self._check)
        self._check()

    def path(self) -> Path:
        return Path(self.file.text().strip()).expanduser()

    def spec(self) -> AnimationSpec:
        """The fields as a checked request; ``RnnStudioError`` says what is wrong."""
        return check_animation(self.path(), self.panel.currentData(), self.width_box.value(),
                               self.height_box.value(), self.fps.value(),
                               self.substeps.value())

    def _check(self) -> None:
        """One line: how many frames and seconds, or what is wrong (and Export off)."""
        try:
            spec = self.spec()
            check_frames(spec, self.steps, self.path().suffix)
            problem = missing_encoder(self.path())
        except RnnStudioError as error:
            spec, problem = None, str(error)
        if spec is not None and problem is None:
            frames = spec.frame_count(self.steps)
            loops = ", looping" if self.path().suffix.lower() == ".gif" else ""
            self.summary.setText(f"{frames} frames ({self.steps} tokens × {spec.substeps}), "
                                 f"{frames / spec.fps:.1f} s{loops}")
        else:
            self.summary.setText(f"<span style='color:#b00020'>{problem}</span>")
        self.export_button.setEnabled(problem is None)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save animation", str(self.path()),
            "GIF, plays everywhere (*.gif);;MP4 video, H.264 (*.mp4)")
        if path:
            self.file.setText(path)


class ExportProgress(QDialog):
    """Window-modal: what is being written, a bar of frames encoded, Cancel. Not a
    QProgressDialog: its setValue runs the event loop when modal, so frames were drawn
    inside it and progress arrived out of order."""

    def __init__(self, name: str, total: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.bar = QProgressBar()
        self.bar.setRange(0, total)
        self.bar.setFormat(f"%v of {total} frames")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Drawing and encoding {name}…"))
        layout.addWidget(self.bar)
        layout.addWidget(buttons)


def start_animation_export(window: MainWindow, spec: AnimationSpec,
                           path: str | Path) -> AnimationExport | None:
    """Export ``spec`` of the window's session to ``path`` behind a window-modal progress
    dialog with Cancel; the status bar says when it is written, the message bar why not.
    Returns the running export (None when it could not start)."""
    try:
        export = AnimationExport(window.session, spec, path, window)
    except RnnStudioError as error:
        window.show_error(str(error))
        return None
    progress = ExportProgress(Path(path).name, export.total, window)
    progress.rejected.connect(export.cancel)  # Cancel, Esc or closing it
    export.progressed.connect(lambda done, total: progress.bar.setValue(done))

    def finished(written: str) -> None:
        progress.accept()
        window.statusBar().showMessage(f"Saved the animation to {written}", 8000)

    def failed(message: str) -> None:
        progress.accept()
        window.show_error(f"{Path(path).name}: {message}")

    def cancelled() -> None:
        progress.accept()
        window.statusBar().showMessage("Animation export cancelled; nothing was written", 8000)

    export.finished.connect(finished)
    export.failed.connect(failed)
    export.cancelled.connect(cancelled)
    progress.open()
    export.start()
    return export
