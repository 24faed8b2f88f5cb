"""Screenshots of the whole screen, as a user of that screen sees the window: a first start
(no saved session), a lesson, Compare and Training, at one screen size.

The window covers the screen's available area, as a maximised window does (Xvfb has no
window manager to maximise it). Run once per screen under a virtual display of that size::

    xvfb-run -a -s "-screen 0 1280x720x24" python packaging/screens.py 1280x720 OUT_DIR
    xvfb-run -a -s "-screen 0 1600x1000x24" python packaging/screens.py 1600x1000 OUT_DIR
    QT_SCALE_FACTOR=2 xvfb-run -a -s "-screen 0 3840x2160x24" \\
        python packaging/screens.py 3840x2160 OUT_DIR

Writes ``OUT_DIR/<screen>-{default,lesson,compare,training}.png``: pictures of the X
screen itself (so a floating Compare window shows where it opened), not of one widget.
Settings go to a temporary folder, so the pictures neither depend on nor change the
user's saved layout.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

# The docs' screenshot script (beside this one) puts the repository on sys.path and
# knows how to wait for the window.
from screenshots import MainWindow, Session, Settings, settle, start, train_briefly

#: The lesson shown: the LSTM's gates, the one a first lecture on LSTMs opens.
LESSON = "07-lstm-highway"


def shoot(app: QApplication, path: Path) -> None:
    """The whole X screen, at its device pixels (3840 wide at scale 2)."""
    settle(app)
    screen = app.primaryScreen()
    screen.grabWindow(0).save(str(path))
    print(f"{path}: {screen.size().width()}x{screen.size().height()} logical px, "
          f"scale {screen.devicePixelRatio():g}")


def open_on_screen() -> tuple[QApplication, Session, MainWindow]:
    """The app as a first start shows it, covering the screen's available area, with its
    settings in a temporary folder."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                      tempfile.mkdtemp(prefix="rnnstudio-screens-"))
    app = QApplication(sys.argv[:1])
    session = Session()
    window = start(session, Settings())
    window.setGeometry(app.primaryScreen().availableGeometry())
    window.show()
    settle(app, 1.5)
    return app, session, window


def main(screen_name: str, out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    app, session, window = open_on_screen()
    shoot(app, out_dir / f"{screen_name}-default.png")
    window.named_actions[f"lesson_{LESSON}"].trigger()
    settle(app, 1.5)
    shoot(app, out_dir / f"{screen_name}-lesson.png")
    window.reset_layout()
    window.show_panel("compare")
    settle(app, 2.0)
    shoot(app, out_dir / f"{screen_name}-compare.png")
    window.docks["compare"].hide()
    train_briefly(app, window, session)
    shoot(app, out_dir / f"{screen_name}-training.png")
    window.close()
    session.shutdown()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python packaging/screens.py WIDTHxHEIGHT OUT_DIR")
    raise SystemExit(main(sys.argv[1], Path(sys.argv[2])))
