"""The window's file dialogs, kept apart from its layout so both stay short.

Only these methods ask the user anything; the window methods they call (``open_file``,
``export_panel`` ...) take paths, so tests and scripts drive the window without dialogs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog

from ..errors import RnnStudioError
from ..io.sidecar_write import DetailsApplied, model_facts
from ..limits import MAX_PNG_WIDTH, MIN_PNG_WIDTH
from .animation_dialog import AnimationDialog, start_animation_export
from .animation_export import AnimationExport
from .corpus_index_dialog import CorpusIndexDialog
from .model_details_dialog import ModelDetailsDialog, applied_message
from .parity_dialog import ParityDialog

if TYPE_CHECKING:
    from .main_window import MainWindow


class WindowDialogs:
    """Asks for a path (and a PNG width), then calls the window with it.

    Owned by the window (``window.dialogs``), parented to it, starting in the folder of
    the most recent file.
    """

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        #: The open Model details dialog (tests fill it), None when closed.
        self.details_dialog: ModelDetailsDialog | None = None
        #: Help › Check against PyTorch (made once, non-modal: it follows the open model).
        self.parity_dialog: ParityDialog | None = None
        #: Models › Index a corpus… (made once; its ``indexed(path)`` opens the corpus).
        self.corpus_index_dialog: CorpusIndexDialog | None = None
        #: The latest animation export (it runs on after its dialog closes).
        self.animation_export: AnimationExport | None = None

    def show_parity(self) -> ParityDialog:
        """Help › Check against PyTorch: show (or raise) the parity dialog."""
        if self.parity_dialog is None:
            self.parity_dialog = ParityDialog(self.window.session, self.window)
        return _present(self.parity_dialog)

    def show_corpus_index(self) -> CorpusIndexDialog:
        """Models › Index a corpus…: show (or raise) the corpus index dialog."""
        if self.corpus_index_dialog is None:
            self.corpus_index_dialog = CorpusIndexDialog(self.window.session, self.window)
            self.corpus_index_dialog.indexed.connect(self._open_indexed)
        return _present(self.corpus_index_dialog)

    def _open_indexed(self, path: str) -> None:
        """A finished index opens in the Corpus dock, ready to search."""
        self.window.corpus_panel.open_path(Path(path))
        self.window.show_panel("corpus")

    def _start_folder(self) -> str:
        recent = self.window.settings.recent_files
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def choose_file_to_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open a model, a session or a trace", self._start_folder(),
            "Models, sessions and traces (*.safetensors *.npz *.pt *.pth *.bin *.keras *.h5 "
            "*.hdf5 *.onnx *.rnnstudio *.json);;All files (*)")
        if path:
            self.window.open_file(path)

    def choose_folder_to_open(self) -> None:
        """A Hugging Face style model folder (model.safetensors, config.json, vocab)."""
        path = QFileDialog.getExistingDirectory(
            self.window, "Open a model folder (model.safetensors + config.json + vocab)",
            self._start_folder())
        if path:
            self.window.open_file(path)

    def ask_model_details(self, path: str | Path | None = None, reason: str = "") -> None:
        """Models › Model details… (``path`` None: the open model file), or a file that
        did not open for want of them (``reason`` says so). Window-modal, not blocking:
        the answers open the model once accepted."""
        session = self.window.session
        target = Path(path).absolute() if path is not None else session.source.path
        if target is None:
            self.window.show_error("Model details are asked for a model opened from a "
                                   "file: open one first (File › Open).")
            return
        # The open model's, or the one that just failed: its overrides and --map stay.
        source = next((candidate for candidate in (session.source, session.details_source)
                       if candidate is not None and candidate.path is not None
                       and candidate.path.absolute() == target), None)
        overrides = source.overrides if source is not None else {}
        try:
            facts = model_facts(target, source.key_map if source is not None else ())
        except RnnStudioError as error:
            self.window.show_error(str(error))
            return
        dialog = ModelDetailsDialog(facts, overrides, reason, self.window)
        dialog.applied.connect(self._details_applied)
        dialog.finished.connect(lambda _: setattr(self, "details_dialog", None))
        self.details_dialog = dialog
        dialog.open()

    def _details_applied(self, applied: DetailsApplied) -> None:
        """Reopen the model with the answers. Saved next to it, the Model dock says so
        ("settings from: sidecar ..."); held for this session only, the message bar
        says why, once the model shows (a new trace hides the bar)."""
        window = self.window
        if applied.sidecar is None:
            message = applied_message(applied)
            window.session.trace_changed.connect(
                lambda: window.message_bar.show_message(message, "notice"),
                Qt.ConnectionType.SingleShotConnection)
        window.open_file(applied.loaded.path, applied.overrides, applied.key_map)

    def choose_session_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save session", str(Path(self._start_folder()) / "session.rnnstudio"),
            "RNN Studio session (*.rnnstudio)")
        if path:
            self.window.save_session(path)

    def _ask_width(self) -> int | None:
        settings = self.window.settings
        width, accepted = QInputDialog.getInt(self.window, "Figure width", "Width in pixels:",
                                              settings.export_width, MIN_PNG_WIDTH,
                                              MAX_PNG_WIDTH, 100)
        if not accepted:
            return None
        settings.export_width = width
        return width

    def choose_figure_path(self, panel: str, kind: str) -> None:
        name = panel.replace(" ", "_")
        filters = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)",
                   "pdf": "PDF document (*.pdf)"}[kind]
        path, _ = QFileDialog.getSaveFileName(
            self.window, f"Save {panel} as {kind.upper()}",
            str(Path(self._start_folder()) / f"{name}.{kind}"), filters)
        if not path:
            return
        # A PDF page is the width at 0.75 pt per pixel, so it is asked for as for a PNG.
        width = self._ask_width() if kind in ("png", "pdf") else None
        if kind in ("png", "pdf") and width is None:
            return
        self.window.export_panel(panel, path, width)

    def choose_animation(self) -> None:
        """File › Export › Animation…: the panel, size, rate and file, then the export
        behind a progress dialog with Cancel."""
        session = self.window.session
        if session.trace is None:
            self.window.show_error("There is no text to animate yet: read a sentence first.")
            return
        dialog = AnimationDialog(session.step_count, Path(self._start_folder()), self.window)
        if dialog.exec() == AnimationDialog.DialogCode.Accepted:
            self.animation_export = start_animation_export(self.window, dialog.spec(),
                                                           dialog.path())

    def choose_window_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self.window, "Save window as PNG",
                                              str(Path(self._start_folder()) / "window.png"),
                                              "PNG image (*.png)")
        if path:
            self.window.export_window(path)

    def choose_attribution_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save the tokens' attribution",
            str(Path(self._start_folder()) / "attribution.csv"),
            "CSV, a row a token (*.csv);;JSON (*.json)")
        if path:
            self.window.export_attribution(path)

    def choose_trace_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save trace", str(Path(self._start_folder()) / "trace.npz"),
            "NumPy archive (*.npz);;CSV, long format (*.csv);;JSON (*.json)")
        if path:
            self.window.export_trace(path)


_Shown = TypeVar("_Shown", bound=QDialog)


def _present(dialog: _Shown) -> _Shown:
    """Show a non-modal dialog made once, in front and focused."""
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
