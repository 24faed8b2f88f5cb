"""Help › Check against PyTorch: what was compared, the largest difference per quantity,
the tolerance and the verdict, for the open model (non-modal: it follows the session)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..view.parity import (
    FLOAT32_TOLERANCE,
    FLOAT64_TOLERANCE,
    REFERENCES,
    ParityReport,
    QuantityDiff,
    quantity_words,
    verdict_text,
)
from .parity_job import NO_TORCH
from .session import Session

INTRO = ("The engine's numbers against PyTorch's own (nn.RNN/LSTM/GRU and autograd, "
         "float64): every state, gate, logit and gradient, step by step. The engine runs "
         "in float64 (the equations) and as the model is opened (what the window shows). "
         "A tolerance grows with the quantity's largest value when that is above 1.")
COLUMNS = ("Quantity", "Shape", "Largest |Δ|\nfloat64", "Largest |Δ|\nas opened",
           "Tolerance\nfloat64 / opened", "")


class ParityDialog(QDialog):
    """Shows ``session.parity``'s report and starts checks; never computes itself."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("parity_dialog")
        self.setWindowTitle("Check against PyTorch")
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.facts = QFormLayout()
        self.fact_labels: dict[str, QLabel] = {}
        for name in ("Model", "Compared with", "Text", "Steps", "Loss", "Checked"):
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fact_labels[name] = label
            self.facts.addRow(f"{name}:", label)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.verdict = QLabel()
        self.verdict.setObjectName("parity_verdict")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.references_button = QPushButton("Check stored references")
        self.references_button.setToolTip("Recompute the shipped model's reference text "
                                          "with the engine and compare (milliseconds)")
        self.references_button.clicked.connect(session.parity.check_references)
        self.live_button = QPushButton("Recompute with PyTorch now")
        self.live_button.setToolTip("PyTorch reads the current text with the open model "
                                    "and the current loss; the engine is compared with it")
        self.live_button.clicked.connect(session.parity.check_live)
        self.cancel_button = QPushButton("Cancel check")
        self.cancel_button.clicked.connect(session.parity.cancel)
        self.live_reason = QLabel()
        self.live_reason.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.references_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.live_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(self.facts)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.verdict)
        layout.addWidget(self.live_reason)
        layout.addWidget(buttons)
        self.resize(820, 560)
        session.parity.changed.connect(self.refresh)
        session.parity.progressed.connect(self._show_progress)
        session.model_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Show the open model's state: its last report, a running check or an error."""
        parity, session = self.session.parity, self.session
        has_model = session.model is not None and session.trace is not None
        self.references_button.setEnabled(parity.shipped_key is not None and not parity.running)
        self.references_button.setVisible(parity.shipped_key is not None)
        torch_ok = parity.torch_installed
        self.live_button.setEnabled(torch_ok and has_model and not parity.running)
        self.live_reason.setText("" if torch_ok else NO_TORCH)
        self.live_reason.setVisible(not torch_ok)
        self.cancel_button.setVisible(bool(parity.running))
        self._show_report(parity.report)
        if parity.running:
            self.verdict.setText("Checking against PyTorch…")
        elif parity.error:
            self.verdict.setText(f"The check could not run: {parity.error}")
        elif parity.report is None:
            self.verdict.setText(self._not_checked())

    def _show_progress(self, done: int, total: int) -> None:
        if self.session.parity.running and total:
            self.verdict.setText(f"Checking against PyTorch… step {done:,} of {total:,}")

    def _not_checked(self) -> str:
        if self.session.model is None:
            return "No model is open (a saved trace): there is nothing to recompute."
        return ("Not checked yet for this model: Recompute with PyTorch now compares the "
                "current text.")

    def _show_report(self, report: ParityReport | None) -> None:
        facts = _facts(report, self.session.source.title)
        for name, text in facts.items():
            self.fact_labels[name].setText(text)
        rows = report.rows if report is not None else ()
        dtype = f" ({report.model_dtype})" if report is not None else ""
        self.table.setHorizontalHeaderItem(3, QTableWidgetItem(f"{COLUMNS[3]}{dtype}"))
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            for column, text in enumerate(_cells(row)):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(row.key)
                self.table.setItem(index, column, item)
        if report is not None:
            self.verdict.setText(f"<b>{verdict_text(report)}</b>")


def _facts(report: ParityReport | None, title: str) -> dict[str, str]:
    """The header lines: what was compared with what, on which text, when."""
    if report is None:
        return {"Model": title, "Compared with": "—", "Text": "—", "Steps": "—",
                "Loss": "—", "Checked": "not yet"}
    text = ("the reference text: " if report.kind == REFERENCES else "the current text: ")
    shown = report.text if len(report.text) <= 160 else report.text[:160] + "…"
    return {"Model": f"{report.model_title} ({report.model_dtype})",
            "Compared with": report.against, "Text": f"{text}“{shown}”",
            "Steps": f"{report.steps} tokens, every unit of every layer and direction",
            "Loss": f"{report.loss} (its gradients are compared)",
            "Checked": report.checked_at.strftime("%Y-%m-%d %H:%M:%S")
            + ("" if not report.note else f" — {report.note}")}


def _cells(row: QuantityDiff) -> tuple[str, ...]:
    """One table row: words, shape, the two differences, the tolerances, ✓ or ✗."""
    shape = " × ".join(str(size) for size in row.shape) or "scalar"
    opened = "same run" if row.diff_as_opened is None else f"{row.diff_as_opened:.1e}"
    tolerance = f"{FLOAT64_TOLERANCE * row.scale:.0e}"
    if row.diff_as_opened is not None:
        tolerance += f" / {FLOAT32_TOLERANCE * row.scale:.0e}"
    return (quantity_words(row.key), shape, f"{row.diff_float64:.1e}", opened, tolerance,
            "✓" if row.passed else "✗ differs")
