"""Open a shipped trained model, build a seeded random model or open a model file; the
current model's summary and, for a trained model, its card."""

from __future__ import annotations

import math
from dataclasses import replace
from html import escape
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...errors import RnnStudioError
from ...models_index import ShippedModel, shipped_models
from ..session import Session
from .model_reading import ModelReading

if TYPE_CHECKING:
    from ...io.model_source import RandomModelSpec

_CELL_CHOICES = (("LSTM", "lstm", "tanh"), ("GRU", "gru", "tanh"),
                 ("RNN (tanh)", "rnn", "tanh"), ("RNN (relu)", "rnn", "relu"))


def model_summary(session: Session) -> str:
    """Cell, sizes, parameter count, vocabulary and where the model came from (a file by
    its name: the full path is the tooltip)."""
    source = session.source
    origin = f"file: {source.path.name}" if source.path is not None else \
        f"source: {source.title}"
    if session.model is None:
        return f"a saved trace, without its model\n{origin}"
    return f"{session.model.summary()}\n{origin}"


#: Longest card value shown (a 10 MB string in a card once filled the dock), and most
#: gaps listed.
_CARD_TEXT_CHARS = 160
_CARD_GAPS = 12


def _card_text(value: object, fallback: str = "") -> str:
    """A card value as escaped, bounded HTML text: strings and numbers as they are (cut
    to 160 characters, control characters shown as escapes such as ``\\x1b``); any other
    type as ``fallback``, never its repr (a nested list may be huge or deep)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return escape(fallback)
    text = value if isinstance(value, str) else _number_text(value)
    if len(text) > _CARD_TEXT_CHARS:
        text = text[:_CARD_TEXT_CHARS] + "…"
    visible = "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)
    return escape(visible)


def _number_text(value: int | float) -> str:
    number = _card_number(value)
    return "?" if number is None else f"{number:g}"


def _card_number(value: object) -> float | None:
    """A finite number from a card value (numbers written as short strings too), or
    None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    if isinstance(value, str) and len(value) > 32:
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _accuracy_line(card: dict[Any, Any]) -> str | None:
    accuracy = _card_number(card.get("held_out_accuracy"))
    if accuracy is None or not 0.0 <= accuracy <= 1.0:
        return None
    metric = _card_text(card.get("metric", "accuracy"), "accuracy")
    evaluation = card.get("eval")
    examples = _card_number(evaluation.get("examples")) if isinstance(evaluation, dict) else None
    on = f" on {examples:.0f} new examples" if examples and examples >= 1 else ""
    return f"held-out accuracy: <b>{accuracy:.1%}</b>{on} ({metric})"


def _gaps_line(card: dict[Any, Any]) -> str | None:
    by_gap = card.get("held_out_by_gap")
    if not isinstance(by_gap, dict):
        return None
    gaps = []
    for gap, value in by_gap.items():
        gap_number, score = _card_number(gap), _card_number(value)
        if gap_number is not None and score is not None:
            gaps.append((gap_number, score))
    if not gaps:
        return None
    shown = sorted(gaps)[:_CARD_GAPS]
    more = " …" if len(gaps) > _CARD_GAPS else ""
    return "by gap: " + ", ".join(f"{gap:g}: {score:.2f}" for gap, score in shown) + more


def model_card_html(card: object) -> str:
    """Task, held-out accuracy (by gap for recall, at the ambiguous words for idioms) and
    the command that rebuilds the model: what a trained model's numbers rest on. Empty for
    a model without card.

    A card comes from a file: any value may have any type or size. Each is shown only if
    it is what it should be, escaped and cut; this never raises.
    """
    if not isinstance(card, dict) or card.get("origin") != "trained":
        return ""
    title = card.get("title") or card.get("task")
    lines = [f"<b>{_card_text(title, 'trained model')}</b>"]
    if "task" in card:
        lines.append(f"task: {_card_text(card['task'], '?')}")
    lines.extend(line for line in (_accuracy_line(card), _gaps_line(card)) if line)
    at_start = _card_number(card.get("held_out_at_phrase_start"))
    if at_start is not None:
        lines.append(f"at the first word of a phrase: {at_start:.2f} (forward-only: 0.50)")
    command = _card_text(card.get("command"))
    if command:
        lines.append(f"rebuild: <code>{command}</code>")
    return "<br>".join(lines)


def shipped_label(entry: ShippedModel) -> str:
    """How a shipped model is named in menus: cell and held-out accuracy."""
    return f"{entry.cell.upper()} — {entry.accuracy:.1%} held-out"


class ModelPanel(QWidget):
    """Edits the session's random-model spec; ``open_requested`` asks the window for a
    file."""

    open_requested = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.cell_box = QComboBox()
        self.cell_box.addItems([text for text, _, _ in _CELL_CHOICES])
        self.cell_box.setToolTip("The recurrent cell: plain RNN (tanh or relu), LSTM or GRU")
        self.hidden_box = self._spin(1, 1024, "Units per layer (hidden_size)")
        self.layers_box = self._spin(1, 8, "Stacked layers (num_layers)")
        self.bidirectional_box = QCheckBox("bidirectional")
        self.bidirectional_box.setToolTip("A second direction reads the text from the end")
        self.seed_box = self._spin(0, 2**31 - 1, "Random seed: same seed, same weights")
        self.gain_box = QDoubleSpinBox()
        self.gain_box.setRange(0.0, 20.0)
        self.gain_box.setSingleStep(0.25)
        self.gain_box.setToolTip("Recurrent weights are multiplied by this: below 1 gradients"
                                 " vanish faster, above 1 they may explode")
        self.dtype_box = QComboBox()
        self.dtype_box.addItems(["float32", "float64"])
        self.dtype_box.setToolTip("Precision of the weights and of every computed value")
        self.apply_button = QPushButton("New random model")
        self.apply_button.setToolTip("Build a random model with these settings")
        self.apply_button.clicked.connect(self.apply)
        self.open_button = QPushButton("Open model file…")
        self.open_button.clicked.connect(self.open_requested)
        self.open_button.setToolTip("Open a model file (.safetensors, .npz, PyTorch .pt); "
                                    "a model folder: File › Open folder…")
        self.reading = ModelReading(session)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        # What was checked against PyTorch for this model, and when (never a claim about
        # another model: session.parity keeps a report only for the model it checked).
        self.parity_badge = QLabel()
        self.parity_badge.setObjectName("parity_badge")
        self.parity_badge.setWordWrap(True)
        self.card = QLabel()
        self.card.setWordWrap(True)
        self.card.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.trained_box = QComboBox()
        self.trained_box.setToolTip("Models trained by RNN Studio's own trainer, by task "
                                    "and cell; each opens with a sentence of its task")
        self.trained_box.activated.connect(self._on_trained_chosen)
        self.trained_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.trained_box.setMinimumContentsLength(16)
        self._fill_trained_box()
        sources = QFormLayout()
        sources.addRow("Trained", self.trained_box)
        sources.addRow("", self.open_button)
        # Seed, gain and dtype describe the random model to build, not the open one: in
        # their own box they no longer read as a trained model's settings.
        random_box = QGroupBox("Random model")
        form = QFormLayout(random_box)
        form.addRow("Cell", self.cell_box)
        form.addRow("Hidden size", self.hidden_box)
        form.addRow("Layers", self.layers_box)
        form.addRow("", self.bidirectional_box)
        form.addRow("Seed", self.seed_box)
        form.addRow("Recurrent gain", self.gain_box)
        form.addRow("dtype", self.dtype_box)
        form.addRow("", self.apply_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        # The open model first (what it is, how it was read and its head is read: at
        # 1280x720 the dock shows about 150 px, and below the pickers this was hidden),
        # then where to open another, then the random one.
        layout.addWidget(self.summary)
        layout.addWidget(self.parity_badge)
        layout.addWidget(self.reading)
        layout.addLayout(sources)
        layout.addWidget(self.card)
        layout.addWidget(random_box)
        layout.addStretch(1)
        self.show_spec(session.random_spec)
        session.model_changed.connect(self._on_model_changed)
        session.parity.changed.connect(self._show_parity)
        if session.trace is not None:
            self._on_model_changed()
        self._show_parity()

    @staticmethod
    def _spin(low: int, high: int, tip: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(low, high)
        box.setToolTip(tip)
        return box

    def spec(self) -> RandomModelSpec:
        """The session's spec with this form's values (the session validates it)."""
        _, cell, nonlinearity = _CELL_CHOICES[max(self.cell_box.currentIndex(), 0)]
        return replace(
            self.session.random_spec, cell=cell, nonlinearity=nonlinearity,
            hidden_size=self.hidden_box.value(),
            num_layers=self.layers_box.value(),
            bidirectional=self.bidirectional_box.isChecked(), seed=self.seed_box.value(),
            gain=self.gain_box.value(), dtype=self.dtype_box.currentText())

    def show_spec(self, spec: RandomModelSpec) -> None:
        wanted = (spec.cell, spec.nonlinearity if spec.cell == "rnn" else "tanh")
        # (findData cannot compare tuples: PySide stores them as lists)
        for index, (_, cell, nonlinearity) in enumerate(_CELL_CHOICES):
            if (cell, nonlinearity) == wanted:
                self.cell_box.setCurrentIndex(index)
        self.hidden_box.setValue(spec.hidden_size)
        self.layers_box.setValue(spec.num_layers)
        self.bidirectional_box.setChecked(spec.bidirectional)
        self.seed_box.setValue(spec.seed)
        self.gain_box.setValue(spec.gain)
        self.dtype_box.setCurrentText(spec.dtype)

    def apply(self) -> None:
        self.session.set_random_model(self.spec())

    def _fill_trained_box(self) -> None:
        """Task headers (not selectable) with their RNN, LSTM and GRU below."""
        self.trained_box.addItem("Open a trained model…", None)
        try:
            entries = shipped_models()
        except RnnStudioError as error:
            self.trained_box.setToolTip(str(error))
            entries = []
        # A combo box's own model is a QStandardItemModel (Qt's stubs say only "abstract").
        items = cast(QStandardItemModel, self.trained_box.model())
        task = None
        for entry in entries:
            if entry.task != task:
                task = entry.task
                self.trained_box.addItem(entry.task_title, None)
                items.item(self.trained_box.count() - 1).setEnabled(False)
            # Indented under its task; the task is repeated so the closed box says it too.
            self.trained_box.addItem(f"    {entry.task}: {shipped_label(entry)}", entry.key)
        self.trained_box.setEnabled(bool(entries))

    def _on_trained_chosen(self, index: int) -> None:
        key = self.trained_box.itemData(index)
        if key:
            self.session.open_shipped_model(key)

    def _sync_trained_box(self) -> None:
        key = self.session.source.key
        index = self.trained_box.findData(key) if key else 0
        self.trained_box.setCurrentIndex(max(index, 0))

    def _on_model_changed(self) -> None:
        session = self.session
        self._sync_trained_box()
        config = session.trace.config if session.trace is not None else None
        self.card.setText(model_card_html(config.card) if config is not None else "")
        if session.source.kind == "random" or config is None:
            self.show_spec(session.random_spec)
        else:  # a trained model: show its shape, so "New random model" makes a random twin
            recurrent = config.recurrent
            self.show_spec(replace(self.spec(), cell=recurrent.cell,
                                   nonlinearity=recurrent.nonlinearity,
                                   hidden_size=recurrent.hidden_size,
                                   num_layers=recurrent.num_layers,
                                   bidirectional=recurrent.bidirectional))
        self.summary.setText(model_summary(session))
        self.summary.setToolTip(str(session.source.path or ""))

    def _show_parity(self) -> None:
        parity = self.session.parity
        self.parity_badge.setText(parity.badge())
        self.parity_badge.setToolTip(parity.error or parity.verdict())
