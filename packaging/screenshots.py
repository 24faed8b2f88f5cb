"""Start the real app, let it read a sentence step by step, and save screenshots.

Run under a virtual display so the window is painted by a real X server::

    xvfb-run -s "-screen 0 1920x1200x24" python packaging/screenshots.py [OUT_DIR]

Writes ``docs/screenshots/*.png`` (or OUT_DIR). Settings go to a temporary folder, so the
pictures do not depend on (or change) the user's saved layout.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnnstudio.engine.losses import LastOutputSum  # noqa: E402
from rnnstudio.gui.app import start  # noqa: E402
from rnnstudio.gui.main_window import MainWindow  # noqa: E402
from rnnstudio.gui.session import Session  # noqa: E402
from rnnstudio.gui.settings import Settings  # noqa: E402
from rnnstudio.io.model_source import ModelSource, RandomModelSpec  # noqa: E402
from rnnstudio.io.session_file import SessionFile, save_session  # noqa: E402

SENTENCE = "alice is allergic to nuts so she cannot eat the peanut butter cookies"


def settle(app: QApplication, seconds: float = 0.3) -> None:
    """Let queued results arrive and the window repaint."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.01)


def _trained_model_shot(app: QApplication, window: MainWindow, session: Session,
                        out_dir: Path) -> None:
    """A small LSTM trained (about 3 s, seeded) to tell balanced brackets from unbalanced
    ones, opened from a file like a user would, reading a balanced string."""
    from rnnstudio import io as rnn_io
    from rnnstudio.engine.training import TrainConfig, train

    result = train(TrainConfig(task="brackets", cell="lstm", hidden_size=24, steps=600,
                               seed=0, eval_every=600))
    model_path = Path(tempfile.mkdtemp(prefix="rnnstudio-shots-")) / "brackets.safetensors"
    rnn_io.save_model(result.model, model_path)
    window.open_file(model_path)
    settle(app, 1.0)
    window.text_input.editor.setPlainText("((()())())")
    window.text_input.commit()
    settle(app, 1.5)
    session.set_cursor(6)
    session.select_unit(3)
    settle(app)
    window.grab().save(str(out_dir / "brackets.png"))


def _compare_shot(app: QApplication, window: MainWindow, session: Session, out_dir: Path) -> None:
    """The recall RNN, LSTM and GRU read the index's long-gap sentence; cursor on "nuts"."""
    session.open_shipped_model("recall-lstm")
    settle(app, 1.0)
    window.show_panel("compare")
    settle(app, 1.5)
    session.set_cursor(4)
    settle(app)
    window.compare.grab().save(str(out_dir / "compare.png"))
    window.docks["compare"].hide()


def _lesson_and_training_shots(app: QApplication, window: MainWindow, session: Session,
                               out_dir: Path) -> None:
    """The LSTM-highway and idioms lessons opened from the Lessons menu; then a short
    training run (recall, LSTM, 300 steps) with its curves, in the Training dock."""
    window.named_actions["lesson_07-lstm-highway"].trigger()
    settle(app, 1.5)
    window.grab().save(str(out_dir / "lesson.png"))
    # "feeling under the weather": the idiom tagger's backward direction at "under".
    window.named_actions["lesson_09-bidirectional"].trigger()
    settle(app, 1.5)
    session.set_view(0, "bwd")
    settle(app)
    window.grab().save(str(out_dir / "bidirectional.png"))
    window.docks["lessons"].hide()
    train_briefly(app, window, session)
    settle(app)
    window.grab().save(str(out_dir / "training.png"))


def train_briefly(app: QApplication, window: MainWindow, session: Session) -> None:
    """A short seeded run (recall, LSTM, 300 steps) in the Training dock, so its plots
    have curves."""
    window.show_panel("training")
    panel = window.training
    panel.task_box.setCurrentText("recall")
    panel.steps_box.setValue(300)
    panel.start()
    deadline = time.perf_counter() + 90
    while session.training.running and time.perf_counter() < deadline:
        settle(app, 0.2)


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    settings_dir = tempfile.mkdtemp(prefix="rnnstudio-settings-")
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, settings_dir)
    app = QApplication(sys.argv[:1])
    session = Session()
    settings = Settings()
    # The first pictures show a random LSTM reading: the session a user would reopen.
    save_session(SessionFile(model=ModelSource.random(RandomModelSpec()), text=SENTENCE),
                 settings.last_session_path)
    window = start(session, settings)
    window.resize(1800, 1100)
    window.show()
    settle(app, 1.0)
    session.select_unit(5)
    session.set_cursor(0)
    for step in range(7):  # the cell reads "alice is allergic to nuts so she"
        session.set_cursor(step)
        settle(app, 0.05)
    settle(app)
    window.grab().save(str(out_dir / "reading.png"))
    window.session.step_by(100)
    settle(app)
    window.grab().save(str(out_dir / "overview.png"))
    window.export_panel("heatmaps", out_dir / "heatmaps.png", 1600)

    # A plain tanh RNN with small recurrent weights: the gradient vanishes within a few
    # words, and the panel marks those steps.
    session.set_random_model(RandomModelSpec(cell="rnn", hidden_size=64, gain=0.5, seed=1))
    settle(app, 1.0)
    session.set_loss(LastOutputSum())
    window.export_panel("gradients", out_dir / "gradients_vanishing.png", 1400)
    session.set_random_model(RandomModelSpec(cell="gru", hidden_size=48, seed=3, gain=1.5))
    settle(app, 1.0)
    session.set_cursor(8)
    session.select_unit(11)
    settle(app)
    window.grab().save(str(out_dir / "gru.png"))
    _trained_model_shot(app, window, session, out_dir)
    _compare_shot(app, window, session, out_dir)
    _lesson_and_training_shots(app, window, session, out_dir)
    window.close()
    session.shutdown()
    print(f"screenshots in {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" /
                          "screenshots"))
