"""Compare: the session's sentence read by two to four models at once.

One hidden-state heatmap per model on one time axis with the session's cursor, and their
gradients through time overlaid on one log axis, one colour per model. Above them, which
models and why (the set follows the open model unless chosen in the Task box), and one
line per model the text lies outside the training of. The session's Compare set computes
the traces, and only while this panel is visible.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ...errors import RnnStudioError
from ...models_index import shipped_models
from ...view.compare import (
    COMPARE_MEASURES,
    MODEL_COLORS,
    ComparedModel,
    answer_text,
    compare_curve,
    describe_answers,
    describe_notes,
)
from ...view.gradients import log_safe
from ..session import Session
from ..theme import configure_pyqtgraph, cursor_pen, legend_brush
from .heatmap_row import HeatmapRow, share_x_range
from .hover import hover_label
from .log_axis import PowerAxis
from .token_axis import TokenAxis

_CUSTOM = "(chosen by a lesson)"
_FOLLOW = "follow"
#: The notes on text outside a model's training: noticeable, not an error.
_NOTE_STYLE = "color: #8a5a00"


class ComparePanel(QWidget):
    """``rows`` are the heatmaps (one per model), ``curves[key].yData`` the plotted norms."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.models: list[ComparedModel] = []
        self.rows: list[HeatmapRow] = []
        self._titles: dict[str, str] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        bar = self._make_boxes()
        self.statement, self.answers = _wrapped_label(), _wrapped_label()
        self.notes = _wrapped_label()
        self.notes.setStyleSheet(_NOTE_STYLE)
        self.notes.setToolTip(
            "Where the text lies outside a model's training: tokens its vocabulary does not "
            "know (over 20% of them), more tokens than its longest training sequence, or "
            "another task than the open model's. Its answer then means little.")
        self.notes.hide()
        self.explanation = _wrapped_label()
        self.hover_label = hover_label("Hover a heatmap for token, step, unit and value")
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setSpacing(4)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.statement)
        layout.addWidget(self.answers)
        layout.addWidget(self.notes)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.hover_label)
        layout.addWidget(self.explanation)
        session.compare.keys_changed.connect(self._on_keys_changed)
        session.compare.ready.connect(self._on_ready)
        session.cursor_changed.connect(self._on_cursor_changed)
        self._on_keys_changed()

    def _make_boxes(self) -> QHBoxLayout:
        """The Task and Curve boxes and the relative check box, in one row."""
        self.task_box = QComboBox()
        self.task_box.setToolTip(
            "Which models read the text: the open model's task (its RNN, LSTM and GRU; a "
            "model of your own beside the shipped models of its task, or beside random "
            "models of its sizes), or the three cells trained on another task")
        self.task_box.addItem("The open model's task", _FOLLOW)
        # The longest task name must not set the panel's width: it made the minimum
        # 583 px, more than a lesson's Compare beside the heatmaps gets at 1280 x 720.
        self.task_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.task_box.setMinimumContentsLength(8)
        self._tasks = self._fill_tasks()
        self.task_box.activated.connect(self._on_task_chosen)
        self.measure_box = QComboBox()
        self.measure_box.setToolTip("Which gradient through time the lower plot overlays, "
                                    "one curve per model")
        for name, meaning in COMPARE_MEASURES.items():
            self.measure_box.addItem(f"||{name}||" if "/" in name else name, name)
            self.measure_box.setItemData(self.measure_box.count() - 1, meaning,
                                         Qt.ItemDataRole.ToolTipRole)
        self.measure_box.activated.connect(lambda *_: self._draw_curves())
        self.relative_box = QCheckBox("relative to the last step")
        self.relative_box.setToolTip("Divide each curve by its value at the last step, so "
                                     "models whose losses differ in size line up")
        self.relative_box.setChecked(True)
        self.relative_box.toggled.connect(lambda *_: self._draw_curves())
        bar = QHBoxLayout()
        for widget in (QLabel("Task"), self.task_box, QLabel("Curve"), self.measure_box,
                       self.relative_box):
            bar.addWidget(widget)
        bar.addStretch(1)
        return bar

    # --- requests ----------------------------------------------------------------------

    def _fill_tasks(self) -> dict[str, tuple[str, ...]]:
        try:
            entries = shipped_models()
        except RnnStudioError:
            entries = []
        tasks: dict[str, tuple[str, ...]] = {}
        for entry in entries:
            tasks[entry.task] = (*tasks.get(entry.task, ()), entry.key)
        for task, keys in tasks.items():
            title = next(entry.task_title for entry in entries if entry.task == task)
            # (joined: findData cannot compare tuples, PySide stores them as lists)
            self.task_box.addItem(title, ",".join(keys))
        return tasks

    def _on_task_chosen(self, index: int) -> None:
        keys = self.task_box.itemData(index)
        if keys == _FOLLOW:
            self.session.compare.follow()
        elif keys:
            self.session.compare.set_keys(tuple(keys.split(",")))

    def _on_keys_changed(self) -> None:
        compare = self.session.compare
        self.statement.setText(compare.choice.statement)
        index = self.task_box.findData(",".join(compare.keys) or _FOLLOW)
        if index < 0:
            if self.task_box.findText(_CUSTOM) < 0:
                self.task_box.addItem(_CUSTOM, None)
            index = self.task_box.findText(_CUSTOM)
        self.task_box.setCurrentIndex(index)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.session.compare.set_active(True)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().hideEvent(event)
        self.session.compare.set_active(False)

    def _on_ready(self) -> None:
        compare = self.session.compare
        if compare.error:
            self.answers.setText(f"<span style='color:#b00020'>{compare.error}</span>")
            self.answers.show()
            return
        self.models = compare.rows
        notes = describe_notes(self.models)
        self.notes.setText(notes)
        self.notes.setVisible(bool(notes))
        self._build_rows()
        self._draw_heatmaps()
        self._draw_curves()
        self._on_cursor_changed(self.session.cursor)

    # --- drawing -----------------------------------------------------------------------

    def _build_rows(self) -> None:
        if len(self.rows) == len(self.models):
            return
        self.graphics.ci.clear()
        self.rows = [HeatmapRow(self.graphics.ci, index, False, color_bar=False)
                     for index in range(len(self.models))]
        self.color_bar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap="CET-CBD1", width=14,
                                         interactive=False, label="h")
        self.color_bar.setImageItem([row.image for row in self.rows])
        self.graphics.ci.addItem(self.color_bar, row=0, col=1, rowspan=len(self.rows))
        self.token_axis = TokenAxis("bottom")
        self.grad_plot = self.graphics.ci.addPlot(row=len(self.rows), col=0, axisItems={
            "bottom": self.token_axis, "left": PowerAxis("left")})
        self.grad_plot.setLogMode(x=False, y=True)
        self.grad_plot.hideButtons()
        self.grad_plot.getAxis("left").setWidth(64)
        self.grad_plot.setLabel("bottom", "step (token read)")
        self.grad_plot.getViewBox().setMouseEnabled(x=True, y=False)
        self.legend = pg.LegendItem(labelTextSize="9pt", brush=legend_brush())
        self.graphics.ci.addItem(self.legend, row=len(self.rows), col=1)
        self.grad_cursor = pg.InfiniteLine(angle=90, movable=False, pen=cursor_pen())
        self.grad_plot.addItem(self.grad_cursor, ignoreBounds=True)
        self.curves = {}
        views = [row.plot.getViewBox() for row in self.rows]
        share_x_range([*views, self.grad_plot.getViewBox()])
        for row in self.rows:
            row.cursor.sigPositionChanged.connect(
                lambda line: self.session.set_cursor(round(line.value())))
        grid = self.graphics.ci.layout
        grid.setRowStretchFactor(len(self.rows), 2)
        for index in range(len(self.rows)):
            grid.setRowStretchFactor(index, 1)
        # The plots take the width; the bar and the legend only what they need.
        grid.setColumnStretchFactor(0, 1)
        grid.setColumnStretchFactor(1, 0)
        self.legend.setMaximumWidth(130)  # "RNN (random)" whole at 9 pt
        self.legend.setMaximumHeight(100)

    def _draw_heatmaps(self) -> None:
        longest = max(len(model.trace.tokens) for model in self.models)
        for row, model in zip(self.rows, self.models, strict=True):
            row.show(model.hidden)
            row.plot.setLabel("left", f"{model.label} h", **{"font-size": "9pt"})
            row.plot.getViewBox().setLimits(xMin=-0.5, xMax=longest - 0.5)
        self._titles = {}
        self._show_answers(self.session.cursor)
        self.token_axis.set_tokens(self.models[0].trace.tokens)

    def _draw_curves(self) -> None:
        if not self.models:
            return
        measure = self.measure_box.currentData()
        relative = self.relative_box.isChecked()
        self.legend.clear()
        for curve in self.curves.values():
            self.grad_plot.removeItem(curve)
        self.curves = {}
        every = []
        for index, model in enumerate(self.models):
            norms = compare_curve(model, measure, relative)
            color = MODEL_COLORS[index % len(MODEL_COLORS)]
            curve = self.grad_plot.plot(np.arange(norms.size, dtype=np.float64),
                                        log_safe(norms), connect="finite",
                                        pen=pg.mkPen(color, width=2.5))
            self.legend.addItem(curve, model.label)
            self.curves[model.key] = curve
            every.append(norms[np.isfinite(norms) & (norms > 0)])
        values = np.concatenate(every) if every else np.zeros(0)
        if values.size:
            low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
            self.grad_plot.setYRange(low, max(high, low + 1), padding=0.02)
        steps = max(len(model.trace.tokens) for model in self.models)
        self.grad_plot.setXRange(-0.5, steps - 0.5, padding=0)
        # Short: on a 720-px screen the plot is ~140 px tall and a longer label ran over
        # the heatmap labels above it; the explanation line says the rest.
        scale = " ÷ last" if relative else ""
        self.grad_plot.setLabel("left", f"{'||' + measure + '||' if '/' in measure else measure}"
                                f"{scale}", **{"font-size": "9pt"})
        losses = ", ".join(f"{model.label}: {model.trace.grads.loss_name}"
                           for model in self.models if model.trace.grads is not None)
        self.explanation.setText(f"{COMPARE_MEASURES[measure]}. Each model's own task loss "
                                 f"({losses}). Cursor and text are the window's.")

    def _on_cursor_changed(self, step: int) -> None:
        for row, model in zip(self.rows, self.models, strict=False):
            row.set_cursor(min(step, len(model.trace.tokens) - 1))
        if self.models:
            self.grad_cursor.setPos(step)
            self._show_answers(step)

    def _show_answers(self, step: int) -> None:
        """Titles and the answers line: a tagger's tag follows the cursor. A title is set
        only when it changes (each setTitle lays the plot out again). With an answer the
        title names the model by its short label: "Recall across a gap (RNN): answers
        “omelette” (p = 0.50)" ran past a 475 px Compare beside a lesson at 1280 x 720,
        and the plot clipped it and its colour bar."""
        for row, model in zip(self.rows, self.models, strict=False):
            answer = answer_text(model, step)
            title = model.title if answer is None else f"{model.label}: {answer}"
            if self._titles.get(model.key) != title:
                self._titles[model.key] = title
                row.set_title(title)
        answers = describe_answers(self.models, step)
        self.answers.setText(answers)
        self.answers.setVisible(bool(answers))  # random models answer nothing

    def _on_mouse_moved(self, scene_pos: Any) -> None:
        for row, model in zip(self.rows, self.models, strict=False):
            view = row.plot.getViewBox()
            if not view.sceneBoundingRect().contains(scene_pos):
                continue
            point = view.mapSceneToView(scene_pos)
            step, unit = round(point.x()), round(point.y())
            value = row.value_at(step, unit)
            if value is not None:
                self.hover_label.setText(f"{model.label} · step {step} · "
                                         f"“{model.trace.tokens[step]}” · unit {unit} · "
                                         f"h = {value:.4f}")
            return


def _wrapped_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    return label
