"""The window's file dialogs, kept apart from its layout so both stay short.

Only these methods ask the user anything; the methods they call (``open_model``,
``export_panel`` ...) take paths, so tests and scripts drive the window without dialogs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QInputDialog

if TYPE_CHECKING:
    from .settings import Settings


class WindowDialogs:
    """Mixed into ``MainWindow``; relies on its ``settings`` and export methods."""

    settings: Settings
    actions: Any

    def _start_folder(self) -> str:
        recent = self.settings.recent_files
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    def choose_file_to_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a model, a session or a trace", self._start_folder(),
            "Models, sessions and traces (*.safetensors *.npz *.pt *.pth *.bin *.rnnstudio "
            "*.json);;All files (*)")
        if path:
            self.open_file(path)

    def choose_session_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save session", str(Path(self._start_folder()) / "session.rnnstudio"),
            "RNN Studio session (*.rnnstudio)")
        if path:
            self.save_session(path)

    def update_recent_menu(self) -> None:
        menu = self.actions.recent_menu if getattr(self, "actions", None) else None
        if menu is None:
            return
        menu.clear()
        for path in self.settings.recent_files:
            action = QAction(Path(path).name, menu)
            action.setStatusTip(path)
            action.triggered.connect(lambda *_, path=path: self.open_file(path))
            menu.addAction(action)
        menu.setEnabled(bool(self.settings.recent_files))

    def _ask_width(self) -> int | None:
        width, accepted = QInputDialog.getInt(self, "PNG width", "Width in pixels:",
                                              self.settings.export_width, 16, 20_000, 100)
        if not accepted:
            return None
        self.settings.export_width = width
        return width

    def choose_figure_path(self, panel: str, kind: str) -> None:
        name = panel.replace(" ", "_")
        filters = "PNG image (*.png)" if kind == "png" else "SVG drawing (*.svg)"
        path, _ = QFileDialog.getSaveFileName(
            self, f"Save {panel} as {kind.upper()}",
            str(Path(self._start_folder()) / f"{name}.{kind}"), filters)
        if not path:
            return
        width = self._ask_width() if kind == "png" else None
        if kind == "png" and width is None:
            return
        self.export_panel(panel, path, width)

    def choose_window_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save window as PNG",
                                              str(Path(self._start_folder()) / "window.png"),
                                              "PNG image (*.png)")
        if path:
            self.export_window(path)

    def choose_trace_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save trace", str(Path(self._start_folder()) / "trace.npz"),
            "NumPy archive (*.npz);;CSV, long format (*.csv);;JSON (*.json)")
        if path:
            self.export_trace(path)
