"""A small stand-in for the real app, to build and smoke-test a bundle before the GUI lands.

It uses the same stack as the app (PySide6 widgets, a pyqtgraph heatmap, the NumPy engine)
and wires every ``rnnstudio.gui.desktop`` piece exactly as ``rnnstudio/gui/app.py`` should,
so it also serves as the worked example of that wiring. Build it with
``packaging/build.sh --minimal``; run it with ``python packaging/minimal_app.py``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLineEdit, QMainWindow, QVBoxLayout, QWidget

if not getattr(sys, "frozen", False):  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rnnstudio import app_info  # noqa: E402
from rnnstudio.engine import random_model  # noqa: E402
from rnnstudio.gui.desktop.about import show_about  # noqa: E402
from rnnstudio.gui.desktop.crash import install_crash_handler  # noqa: E402
from rnnstudio.gui.desktop.identity import apply_identity  # noqa: E402
from rnnstudio.gui.desktop.logs import install_log_file  # noqa: E402
from rnnstudio.gui.desktop.palette import follow_system_scheme  # noqa: E402
from rnnstudio.gui.desktop.qt_logging import install_qt_message_handler  # noqa: E402
from rnnstudio.gui.desktop.shortcuts import shortcuts_from_actions, show_shortcuts  # noqa: E402
from rnnstudio.gui.desktop.smoke import SMOKE_TEXT, run_smoke_test, wait_for_signal  # noqa: E402


class MiniWindow(QMainWindow):
    """A text box and the forget gate of an LSTM as a (units, T) heatmap."""

    traced = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle(app_info.APP_NAME)
        self.model = random_model("lstm", hidden_size=32, seed=0)
        self.editor = QLineEdit("the cat sat on the mat")
        self.plot = pg.PlotWidget()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.editor)
        layout.addWidget(self.plot)
        self.setCentralWidget(body)
        self.editor.textChanged.connect(self.trace)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&Keyboard shortcuts", "Ctrl+?", lambda: show_shortcuts(
            shortcuts_from_actions(self.findChildren(QAction)), self))
        help_menu.addAction("&About RNN Studio", lambda: show_about(self))
        self.trace(self.editor.text())

    def trace(self, text: str) -> None:
        trace = self.model.trace(text or "empty", loss="last-output-sum")
        forget = np.ascontiguousarray(trace.layer(0).gates["f"].T, dtype=np.float32)
        self.image.setImage(forget, levels=(0.0, 1.0))
        self.traced.emit(trace)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=app_info.EXECUTABLE)
    parser.add_argument("--version", action="version", version=app_info.version_line())
    parser.add_argument("--smoke-test", action="store_true")
    options, qt_args = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    app = QApplication([sys.argv[0], *qt_args])
    apply_identity(app)                       # before anything reads QSettings/QStandardPaths
    install_log_file()
    install_qt_message_handler()
    crash = install_crash_handler(show_dialog=not options.smoke_test)
    follow_system_scheme(app)                 # before plots are built: sets pyqtgraph colours
    window = MiniWindow()
    crash.parent = window
    window.resize(900, 500)
    window.show()
    if options.smoke_test:
        return run_smoke_test(
            window,
            lambda: wait_for_signal(window.traced, lambda: window.editor.setText(SMOKE_TEXT)),
            exception_count=lambda: crash.exception_count,
        )
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
