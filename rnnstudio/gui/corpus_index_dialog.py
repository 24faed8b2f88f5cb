"""Models › Index a corpus…: read a text file or folder with the open model into a
``.rscorpus`` index, with progress (tokens/s, ETA) and Cancel (finished shards are kept,
and Index again with the same choices continues after them).

The dialog only gathers choices and shows the session's :class:`CorpusIndexJob`; on
success it emits ``indexed(path)`` (the corpus panels open it).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
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

from ..io.corpus_index import IndexReport, default_jobs
from ..io.corpus_settings import CorpusSettings, default_out
from ..limits import MAX_CORPUS_JOBS
from .session import Session

INTRO = ("Every token of the text (a file, or every text file of a folder) is read by the "
         "open model, one paragraph at a time, and its hidden state h (and on request c "
         "and the gates) is stored in float16 for searching the corpus. Each paragraph is "
         "read from the zero state, so its numbers are those of opening it alone.")
#: The state rule in the window's words (``STATE_RULE`` in the manifest and the CLI).
READ_ALONE = ("Each document (a paragraph, or a piece of a long one) was read from the zero "
              "state: its numbers are those of opening it alone.")
#: Quantity choices: (shown, the setting).
QUANTITIES = (("h (hidden state)", "h"), ("h and c (LSTM cell state)", "h,c"),
              ("h, c and every gate", "all"))


class CorpusIndexDialog(QDialog):
    """Choose source, output and quantities; Index, watch, Cancel."""

    indexed = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.job = session.corpus_index
        self.setObjectName("corpus_index_dialog")
        self.setWindowTitle("Index a corpus")
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.source_edit = QLineEdit()
        self.source_edit.setPlaceholderText("a UTF-8 text file or a folder of them")
        self.source_edit.textEdited.connect(self._suggest_out)
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText("NAME.rscorpus")
        self.quantities = QComboBox()
        for shown, _setting in QUANTITIES:
            self.quantities.addItem(shown)
        form = QFormLayout()
        form.addRow("Text:", _row(self.source_edit, _button("File…", self._choose_file),
                                  _button("Folder…", self._choose_folder)))
        form.addRow("Index:", _row(self.out_edit, _button("Browse…", self._choose_out)))
        form.addRow("Store:", self.quantities)
        self.jobs = QSpinBox()
        self.jobs.setRange(1, MAX_CORPUS_JOBS)
        self.jobs.setValue(default_jobs())
        self.jobs.setToolTip("Shards indexed at once, each on its own core (default: the "
                             "cores, at most 4); the index written is the same")
        form.addRow("Threads:", self.jobs)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.status = QLabel("")
        self.status.setObjectName("corpus_index_status")
        self.status.setWordWrap(True)
        self.index_button = _button("Index", self.start)
        self.cancel_button = _button("Cancel", self.cancel)
        self.close_button = _button("Close", self.close)
        buttons = _row(self.index_button, self.cancel_button, self.close_button)
        layout = QVBoxLayout(self)
        for widget in (intro, _form_widget(form), self.bar, self.status, buttons):
            layout.addWidget(widget)
        self.job.progressed.connect(self._show_progress)
        self.job.finished.connect(self._on_finished)
        self.job.failed.connect(self._on_failed)
        self._set_running(self.job.running)
        self.resize(640, self.sizeHint().height())

    def settings(self) -> CorpusSettings:
        return CorpusSettings(QUANTITIES[self.quantities.currentIndex()][1])

    def start(self) -> None:
        """Index with the open model (the paths as typed; checked by the indexer)."""
        source, out = self.source_edit.text().strip(), self.out_edit.text().strip()
        if not source:
            self.status.setText("Choose a text file or a folder first.")
            return
        out = out or default_out(source)
        self.out_edit.setText(out)
        if not self.job.start(source, out, self.settings(), self.jobs.value()):
            self.status.setText("Open a model first: the corpus is read with the open model.")
            return
        self.bar.setValue(0)
        self.status.setText("Starting…")
        self._set_running(True)

    def cancel(self) -> None:
        self.job.cancel()
        self._set_running(False)
        self.status.setText("Stopped. The finished shards are kept (those being read are "
                            "not): Index again with the same text, index and choices to "
                            "continue after them.")

    def _show_progress(self) -> None:
        progress = self.job.progress
        if progress.total_bytes:
            self.bar.setValue(round(1000 * progress.bytes_read / progress.total_bytes))
        eta = progress.eta_seconds()
        left = "" if eta is None else f", about {_duration(eta)} left"
        self.status.setText(f"{progress.tokens:,} tokens indexed, "
                            f"{progress.rate():,.0f} tokens/s{left}")

    def _on_finished(self, report: IndexReport) -> None:
        self._set_running(False)
        if not report.complete:
            return
        self.bar.setValue(1000)
        resumed = (f" (continued after {report.resumed_shards} finished shards)"
                   if report.resumed_shards else "")
        self.status.setText(f"Indexed {report.documents:,} documents, {report.tokens:,} "
                            f"tokens into {report.path}{resumed}. {READ_ALONE}")
        self.indexed.emit(str(report.path))

    def _on_failed(self, message: str) -> None:
        self._set_running(False)
        self.status.setText(message)

    def _set_running(self, running: bool) -> None:
        self.index_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for widget in (self.source_edit, self.out_edit, self.quantities, self.jobs):
            widget.setEnabled(not running)

    def _suggest_out(self, source: str) -> None:
        self.out_edit.setText(default_out(source.strip()) if source.strip() else "")

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Text file to index", "",
                                              "Text files (*.txt);;All files (*)")
        self._set_source(path)

    def _choose_folder(self) -> None:
        self._set_source(QFileDialog.getExistingDirectory(self, "Folder of text files"))

    def _choose_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Corpus index", self.out_edit.text(),
                                              "Corpus index (*.rscorpus)")
        if path:
            self.out_edit.setText(path if path.endswith(".rscorpus") else path + ".rscorpus")

    def _set_source(self, path: str) -> None:
        if path:
            self.source_edit.setText(path)
            self._suggest_out(path)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _button(text: str, slot: object) -> QPushButton:
    button = QPushButton(text)
    button.clicked.connect(slot)
    return button


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, stretch=1 if isinstance(widget, QLineEdit) else 0)
    return holder


def _form_widget(form: QFormLayout) -> QWidget:
    holder = QWidget()
    holder.setLayout(form)
    return holder

