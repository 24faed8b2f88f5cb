"""Gradients through time on a log axis, with the loss selector and what each curve means."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..engine_bridge import LossChoice, jacobian_cost_seconds
from ..scheme import GRID, MARKER, tag
from ..session import Session
from ..theme import (
    SERIES_COLORS,
    configure_pyqtgraph,
    cursor_pen,
    grid_color,
    legend_brush,
    smooth_curves,
    text_color,
)
from ..trace_view import (
    GRADIENT_EXPLANATIONS,
    VANISHED_FRACTION,
    describe_nonfinite,
    gradient_norms,
    vanished_steps,
)
from .hover import follow_steps, hover_label
from .token_axis import TokenAxis

_PROBE_HINT = "probe: click a cell of the h or c heatmap"
_PROBE = "probe"
#: In a loss box kind, stands for the cursor's step when the choice is made.
_CURSOR = "{cursor}"
_MAX_STEPS_WITH_DOTS = 60


def _loss_choices(model: Any) -> list[tuple[str, str]]:
    """The Loss box's (shown text, loss kind) pairs for ``model``, its task loss first."""
    config = model.config
    task = getattr(config, "task", None)
    labels = tuple(getattr(config, "labels", ()) or ())
    head: list[tuple[str, str]] = []
    if task == "next-token":
        head = [("next-token", "next-token")]
    elif task == "classify":
        # "class" alone is the predicted class: the usual choice for saliency.
        head = [(kind, kind) for kind in ["class"] + [f"class:{label}" for label in labels]]
    elif task == "tag":
        head = [("tag (every word, predicted tags)", "tag"),
                ("tag at the cursor", f"tag:{_CURSOR}")]
        head += [(f"tag at the cursor: {label}", f"tag:{_CURSOR}:{label}") for label in labels]
    return head + [("last-output-sum", "last-output-sum"), (_PROBE_HINT, _PROBE)]


def _box_kind(loss: LossChoice) -> str:
    """The box entry's kind for ``loss``: ``tag:3:literal`` is "tag at the cursor: literal"."""
    parts = loss.tag_parts()
    if parts is None or parts[0] is None:
        return loss.kind
    return ":".join(["tag", _CURSOR] + ([parts[1]] if parts[1] else []))


def _names_a_step(loss: LossChoice) -> bool:
    """Losses fixed to one step, which the box alone does not show (probes, a tag)."""
    return loss.kind == _PROBE or _box_kind(loss) != loss.kind


def log_safe(values: np.ndarray) -> np.ndarray:
    """Zeros and non-finite values become NaN so the log plot leaves a gap, not -inf."""
    safe = np.array(values, dtype=np.float64)
    safe[~np.isfinite(safe) | (safe <= 0)] = np.nan
    return safe


class GradientPanel(QWidget):
    """``curves[name].yData`` hold exactly the engine's per-step norms."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.norms: dict[str, np.ndarray] = {}
        self.loss_box = QComboBox()
        self.loss_box.setToolTip("Which scalar the gradients are taken of")
        self.loss_box.activated.connect(self._on_loss_chosen)
        self.token_axis = TokenAxis("bottom")
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": self.token_axis})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLogMode(x=False, y=True)
        self.decade_lines: list[pg.InfiniteLine] = []  # cheaper than the axis grid (9 ms)
        self.plot.setLabel("left", "gradient norm (log)")
        self.plot.setLabel("bottom", "step (token read)")
        self.plot.getAxis("left").setWidth(64)
        # Labels on decades only: minor log labels (0.2 0.3 0.4 ...) overlap on a short plot.
        self.plot.getAxis("left").setStyle(maxTextLevel=0)
        self.plot.getViewBox().setMouseEnabled(x=True, y=False)
        self.legend = self.plot.addLegend(offset=(10, 5), labelTextSize="8pt", colCount=5,
                                          brush=legend_brush())
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False, pen=cursor_pen())
        self.plot.addItem(self.cursor_line, ignoreBounds=True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.vanished = self.plot.plot(pen=None, symbol="x", symbolSize=10,
                                       symbolPen=pg.mkPen(text_color(), width=1.5),
                                       name="vanished")
        tag(self.vanished, MARKER)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setStyleSheet("color: #b00020; font-weight: bold")
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.jacobian_button = QPushButton()
        self.jacobian_button.setToolTip("The Jacobian products cost O(T H^3): started by "
                                        "hand for long texts and large models")
        self.jacobian_button.clicked.connect(self._on_jacobian_clicked)
        self.jacobian_button.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("Loss"))
        top.addWidget(self.loss_box, 1)
        self.loss_label = QLabel()
        top.addWidget(self.loss_label, 1)
        top.addWidget(self.jacobian_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.warning)
        layout.addWidget(self.plot_widget, 1)
        self.hover_label = hover_label("Hover the plot for the norms at a step")
        follow_steps(self.plot_widget, self.hover_label, self.describe_step)
        layout.addWidget(self.hover_label)
        layout.addWidget(self.explanation)
        session.model_changed.connect(self._on_model_changed)
        session.trace_changed.connect(self.refresh)
        session.gradients_changed.connect(self.refresh)
        session.view_changed.connect(lambda *_: self.refresh())
        session.cursor_changed.connect(self.cursor_line.setPos)
        session.loss_changed.connect(self._sync_loss_box)
        if session.model is not None:
            self._on_model_changed(session.model)
        if session.trace is not None:
            self.refresh()

    def _on_model_changed(self, model: Any) -> None:
        self.loss_box.clear()
        for text, kind in _loss_choices(model):
            self.loss_box.addItem(text, kind)
        self._sync_loss_box(self.session.loss)

    def _sync_loss_box(self, loss: LossChoice) -> None:
        index = self.loss_box.findData(_box_kind(loss))
        if index >= 0:
            self.loss_box.setCurrentIndex(index)
        self._describe_loss()

    def _describe_loss(self) -> None:
        """Name what the box cannot: the step (and token) of a probe or a tag loss, or a
        loss the box does not list."""
        loss, trace = self.session.loss, self.session.trace
        shown = self.loss_box.currentData() == _box_kind(loss) and not _names_a_step(loss)
        tokens = list(trace.tokens) if trace is not None else []
        self.loss_label.setText("" if shown else loss.describe(tokens))

    def _on_loss_chosen(self, index: int) -> None:
        kind = self.loss_box.itemData(index)
        session = self.session
        if kind == _PROBE:
            session.set_loss(LossChoice("probe", session.cursor, session.unit,
                                        session.layer, session.direction, "h"))
        elif kind:
            session.set_loss(LossChoice(kind.replace(_CURSOR, str(session.cursor))))

    def refresh(self) -> None:
        """Redraw the curves for the session's trace, layer and direction."""
        trace = self.session.trace
        if trace is None:
            return
        self.norms = gradient_norms(trace, self.session.layer, self.session.direction)
        steps = np.arange(len(trace.tokens), dtype=np.float64)
        for name in list(self.curves):
            if name not in self.norms:
                self.legend.removeItem(self.curves[name])
                self.plot.removeItem(self.curves.pop(name))
        vanished_x: list[np.ndarray] = []
        vanished_y: list[np.ndarray] = []
        for name, norm in self.norms.items():
            curve = self.curves.get(name)
            if curve is None:
                curve = self.plot.plot(name=name, connect="finite",
                                       pen=pg.mkPen(SERIES_COLORS[name], width=2),
                                       symbol="o", symbolSize=4,
                                       symbolBrush=SERIES_COLORS[name], symbolPen=None)
                self.curves[name] = curve
            # Dots help on short texts; on long ones they only cost time (4 ms at T = 200).
            curve.setSymbol("o" if norm.size <= _MAX_STEPS_WITH_DOTS else None)
            curve.opts["antialias"] = smooth_curves(norm.size)
            curve.setData(steps, log_safe(norm))
            gone = vanished_steps(norm)
            # Exact zeros have no place on a log axis: mark them at the vanishing threshold.
            floor = VANISHED_FRACTION * np.nanmax(np.where(np.isfinite(norm), norm, np.nan))
            vanished_x.append(steps[gone])
            vanished_y.append(np.where(norm[gone] > 0, norm[gone], floor))
        if vanished_x:
            self.vanished.setData(np.concatenate(vanished_x), np.concatenate(vanished_y))
        else:
            self.vanished.setData([], [])
        self.token_axis.set_tokens(trace.tokens)
        self.plot.setXRange(-0.5, len(trace.tokens) - 0.5, padding=0)
        self._fit_decades()
        self.cursor_line.setPos(self.session.cursor)
        self._describe_loss()  # the tokens a step names may have changed
        self._offer_jacobian()
        if trace.grads is not None:
            self.plot.setTitle(f"gradients of L = {trace.grads.loss_name} "
                               f"({trace.grads.loss_value:.4g}) · layer {self.session.layer} "
                               f"{self.session.direction}", size="9pt")
        self._explain(trace)

    def _fit_decades(self) -> None:
        """Y range from the decade below the smallest value to the one above the largest,
        so at least two labelled decades are always in view."""
        values = [norm[np.isfinite(norm) & (norm > 0)] for norm in self.norms.values()]
        values = [part for part in values if part.size]
        if not values:
            return
        every = np.concatenate(values)
        low, high = np.floor(np.log10(every.min())), np.ceil(np.log10(every.max()))
        high = max(high, low + 1)
        self.plot.setYRange(low, high, padding=0.02)
        step = max(1, int((high - low) // 8))  # at most about eight lines
        decades = list(np.arange(low, high + 1, step))
        # Lines are reused: adding and removing items re-lays out the plot (4 ms an edit).
        while len(self.decade_lines) < len(decades):
            line = pg.InfiniteLine(angle=0, pen=pg.mkPen(grid_color()))
            tag(line, GRID)
            line.setZValue(-10)
            self.plot.addItem(line, ignoreBounds=True)
            self.decade_lines.append(line)
        for index, line in enumerate(self.decade_lines):
            line.setVisible(index < len(decades))
            if index < len(decades):
                line.setPos(decades[index])

    def describe_step(self, step: int) -> str | None:
        """Token, step and each norm there, for the hover label."""
        trace = self.session.trace
        if trace is None or not 0 <= step < len(trace.tokens) or not self.norms:
            return None
        values = " · ".join(f"||{name}|| = {norm[step]:.3g}" for name, norm in self.norms.items())
        return f"step {step} “{trace.tokens[step]}” · {values}"

    def _offer_jacobian(self) -> None:
        session = self.session
        if session.jacobian_deferred:
            seconds = jacobian_cost_seconds(session.model, session.step_count)
            self.jacobian_button.setText(f"Compute ||dh_T/dh_t|| (about {seconds:.0f} s)")
        self.jacobian_button.setVisible(session.jacobian_deferred)

    def _on_jacobian_clicked(self) -> None:
        self.jacobian_button.hide()
        self.session.compute_jacobian()

    def _explain(self, trace: Any) -> None:
        """One line per curve, two per row, so the plot keeps its height."""
        cells = [f"<span style='color:{SERIES_COLORS[name]}'>■</span> "
                 f"{GRADIENT_EXPLANATIONS[name]}" for name in self.norms]
        if trace.grads is None:
            cells = ["No gradients: the trace was computed without a loss."]
        else:
            cells.append("× vanished: below 1e-6 of that curve's largest value")
        rows = ["<tr>" + "".join(f"<td style='padding-right:14px'>{cell}</td>"
                                 for cell in cells[index:index + 2]) + "</tr>"
                for index in range(0, len(cells), 2)]
        self.explanation.setText(f"<table>{''.join(rows)}</table>")
        message = describe_nonfinite(trace.nonfinite)
        self.warning.setText(message)
        self.warning.setVisible(bool(message))
