"""Gradients through time on a log axis, with the loss selector and what each curve means."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...view.gradients import (
    EXPLODED_FACTOR,
    STEPS_WITH_DOTS,
    VANISHED_FRACTION,
    GradientAlarm,
    describe_nonfinite,
    describe_step,
    gradient_explanation,
    log_safe,
    reference_step,
)
from ...view.losses import LossEntry, entry_key, loss_entries, loss_note
from ...view.readout import shown_token
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
from .hover import follow_steps, hover_label
from .log_axis import PowerAxis
from .token_axis import TokenAxis

if TYPE_CHECKING:
    from ...engine.trace import NonFinite

#: Screens at least this tall (px) show the curves' explanation from the start.
_TALL_SCREEN = 900
#: The alarm's colour: the line, and the exploded markers.
_ALARM_COLOR = "#b00020"


class GradientPanel(QWidget):
    """``curves[name].yData`` hold exactly the engine's per-step norms."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.norms: dict[str, np.ndarray] = {}
        self._entries: dict[str, LossEntry] = {}
        self.loss_box = QComboBox()
        self.loss_box.setToolTip("Which scalar the gradients are taken of")
        self.loss_box.activated.connect(self._on_loss_chosen)
        # Upright labels would take half of a 120 px plot; the heatmaps above, on the
        # same steps, label every column.
        self.token_axis = TokenAxis("bottom", may_rotate=False)
        self.plot_widget = pg.PlotWidget(axisItems={"bottom": self.token_axis,
                                                    "left": PowerAxis("left")})
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLogMode(x=False, y=True)
        self.decade_lines: list[pg.InfiniteLine] = []  # cheaper than the axis grid (9 ms)
        self.plot.setLabel("left", "gradient norm (log)")
        self.plot.setLabel("bottom", "step (token read)")
        self.plot.getAxis("left").setWidth(64)
        self.plot.getViewBox().setMouseEnabled(x=True, y=False)
        # The legend under the plot, never over the data: inside the plot it hid the
        # only curve there was at 10^0 (||dh_T/dh_t|| of the recall GRU, steps 4-35). In
        # the plot's own layout it is exported with it.
        # Three columns, fixed: six in a row cut the last entry off beside a lesson at
        # 720p. Not legends.legend_under: with its columns refitted to this plot, the test
        # suite segfaulted painting it (QPainter::restore), reproducibly when
        # test_figure.py ran before test_gradient_axes.py; fixed columns do not.
        self.legend = pg.LegendItem(labelTextSize="8pt", colCount=3, brush=legend_brush())
        self.plot.layout.addItem(self.legend, 4, 1)
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False, pen=cursor_pen())
        self.plot.addItem(self.cursor_line, ignoreBounds=True)
        # Says why the plot has no curve when the loss is not finite, in the plot.
        self.undefined_text = pg.TextItem(color=_ALARM_COLOR, anchor=(0.5, 0.5))
        self.plot.addItem(self.undefined_text, ignoreBounds=True)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.vanished = self.plot.plot(pen=None, symbol="x", symbolSize=10,
                                       symbolPen=pg.mkPen(text_color(), width=1.5),
                                       name="vanished")
        self.exploded = self.plot.plot(pen=None, symbol="t1", symbolSize=10,
                                       symbolPen=pg.mkPen(_ALARM_COLOR, width=1.5),
                                       symbolBrush=None, name="exploded")
        for marker, label in ((self.vanished, "vanished"), (self.exploded, "exploded")):
            tag(marker, MARKER)
            self.legend.addItem(marker, label)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        # One alarm line: a non-finite value first, else a curve that vanished or
        # exploded by more than six decades; its button moves the cursor to that step.
        self.warning = QLabel()
        self.warning.setStyleSheet(f"color: {_ALARM_COLOR}; font-weight: bold")
        self.warning.setWordWrap(True)
        self.go_button = QPushButton()
        self.go_button.setToolTip("Move the cursor to the step the line names")
        self.go_button.clicked.connect(self._go_to_alarm)
        self._alarm_step: int | None = None
        # After an overflow the loss is NaN: one click takes it before the overflow.
        self.probe_button = QPushButton()
        self.probe_button.setToolTip("Make the loss a probe of the selected unit's h at "
                                     "the last step before the overflow")
        self.probe_button.clicked.connect(self._probe_before_overflow)
        self.probe_button.hide()
        alarm = QHBoxLayout()
        alarm.addWidget(self.warning, 1)
        alarm.addWidget(self.go_button)
        alarm.addWidget(self.probe_button)
        self.alarm_row = QWidget()
        self.alarm_row.setLayout(alarm)
        alarm.setContentsMargins(0, 0, 0, 0)
        self.alarm_row.hide()
        self.jacobian_button = QPushButton()
        self.jacobian_button.setToolTip("The Jacobian products cost O(T H^3): started by "
                                        "hand for long texts and large models")
        self.jacobian_button.clicked.connect(self._on_jacobian_clicked)
        self.jacobian_button.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("Loss"))
        top.addWidget(self.loss_box, 1)
        self.loss_label = QLabel()
        # Wrapped: on one line "cross-entropy of the tag “literal” for “under” (step 3)"
        # made the panel 628 px wide and the window 1290 px on a 1280 px screen.
        self.loss_label.setWordWrap(True)
        top.addWidget(self.loss_label, 1)
        top.addWidget(self.jacobian_button)
        # What each curve means, shown on demand: on a 720p screen the explanation was
        # taller than the plot it explains.
        self.explain_button = QToolButton()
        self.explain_button.setText("What do the curves mean?")
        self.explain_button.setCheckable(True)
        self.explain_button.setToolTip("Show or hide one line on each curve and marker")
        screen = QGuiApplication.primaryScreen()
        tall = screen is None or screen.availableGeometry().height() >= _TALL_SCREEN
        self.explain_button.setChecked(tall)
        self.explain_button.toggled.connect(self.explanation.setVisible)
        top.addWidget(self.explain_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.alarm_row)
        layout.addWidget(self.plot_widget, 1)
        self.hover_label = hover_label("Hover the plot for the norms at a step")
        self.hover = follow_steps(self.plot_widget, self.hover_label, self.describe_step)
        layout.addWidget(self.hover_label)
        layout.addWidget(self.explanation)
        self.explanation.setVisible(self.explain_button.isChecked())
        session.trace_changed.connect(self._on_trace_changed)
        session.gradients_changed.connect(self.refresh)
        session.layer_changed.connect(self.refresh)
        session.cursor_changed.connect(self.cursor_line.setPos)
        session.loss_changed.connect(self._sync_loss_box)
        if session.view is not None:
            self._on_trace_changed()

    def _on_trace_changed(self) -> None:
        """The loss entries of the trace's model (they differ by task), then the curves."""
        view = self.session.view
        if view is None:
            return
        entries = loss_entries(view.trace.config) if self.session.model is not None else []
        if [entry.key for entry in entries] != list(self._entries):
            self._entries = {entry.key: entry for entry in entries}
            self.loss_box.clear()
            for entry in entries:
                self.loss_box.addItem(entry.text, entry.key)
        self.loss_box.setEnabled(bool(entries))
        self.refresh()  # selects the loss in force too

    def _sync_loss_box(self) -> None:
        """Select the loss in force; name what the box cannot (a step, a token, a loss it
        does not list)."""
        loss, view = self.session.loss, self.session.view
        if loss is None:
            self.loss_label.setText("" if view is None or view.trace.grads is None
                                    else view.layer.gradients.loss_name)
            return
        index = self.loss_box.findData(entry_key(loss))
        if index >= 0:
            self.loss_box.setCurrentIndex(index)
        tokens = view.trace.tokens if view is not None else []
        self.loss_label.setText(loss_note(loss, tokens, listed=index >= 0))

    def _on_loss_chosen(self, index: int) -> None:
        entry = self._entries.get(self.loss_box.itemData(index))
        if entry is not None:
            self.session.choose_loss(entry)

    def refresh(self) -> None:
        """Redraw the curves from the session's view (its layer and direction)."""
        view = self.session.view
        if view is None:
            return
        curves = view.layer.gradients
        self.norms = curves.norms
        steps = np.arange(view.steps, dtype=np.float64)
        entries = set(self.curves)
        for name in list(self.curves):
            if name not in self.norms:
                self.legend.removeItem(self.curves[name])
                self.plot.removeItem(self.curves.pop(name))
        for name, norm in self.norms.items():
            curve = self.curves.get(name)
            if curve is None:
                curve = self.plot.plot(connect="finite",
                                       pen=pg.mkPen(SERIES_COLORS[name], width=2),
                                       symbol="o", symbolSize=4,
                                       symbolBrush=SERIES_COLORS[name], symbolPen=None)
                self.curves[name] = curve
                self.legend.addItem(curve, name)
                    # Dots help on short texts; on long ones they only cost time (4 ms at T = 200).
            curve.setSymbol("o" if norm.size <= STEPS_WITH_DOTS else None)
            curve.opts["antialias"] = smooth_curves(norm.size)
            curve.setData(steps, log_safe(norm))
        if set(self.curves) != entries:
            # A new legend row (||dh_T/dh_t|| arrives later) must be laid out before the
            # next paint: left to the next event, one frame drew the legend over the data.
            self.plot.layout.activate()
        # Long texts get small markers: at 600 steps 10-px crosses merged into a band.
        size = 10 if view.steps <= STEPS_WITH_DOTS else 5
        for item, kind in ((self.vanished, "vanished"), (self.exploded, "exploded")):
            at, values = curves.marked(kind)
            item.setSymbolSize(size)
            item.setData(at.astype(np.float64), values)
        self.token_axis.set_tokens(view.trace.tokens)
        self.plot.setXRange(-0.5, view.steps - 0.5, padding=0)
        self._fit_decades()
        self.cursor_line.setPos(self.session.cursor)
        self._sync_loss_box()  # the tokens a step names may have changed
        self._offer_jacobian()
        self.plot.setTitle(curves.title, size="9pt")
        self._show_undefined(view.steps)
        self._explain()
        self.hover.refresh()

    def _fit_decades(self) -> None:
        """The view's decade range, with a line on each labelled decade."""
        view = self.session.view
        if view is None:
            return
        curves = view.layer.gradients
        if curves.decades is None:
            return
        self.plot.setYRange(*curves.decades, padding=0.02)
        decades = curves.decade_lines
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
        view = self.session.view
        return None if view is None else describe_step(view.trace, view.layer.gradients, step)

    def _offer_jacobian(self) -> None:
        session = self.session
        if session.jacobian_deferred:
            self.jacobian_button.setText(
                f"Compute ||dh_T/dh_t|| (about {session.jacobian_estimate:.0f} s)")
        self.jacobian_button.setVisible(session.jacobian_deferred)

    def _on_jacobian_clicked(self) -> None:
        self.jacobian_button.hide()
        self.session.compute_jacobian()

    def _explain(self) -> None:
        """One line per curve, two per row, so the plot keeps its height; then the
        markers' reference, and the alarm line."""
        view = self.session.view
        assert view is not None
        trace, curves = view.trace, view.layer.gradients
        cells = [f"<span style='color:{SERIES_COLORS[name]}'>■</span> "
                 f"{gradient_explanation(name, view.layer.direction)}" for name in self.norms]
        if trace.grads is None:
            cells = ["No gradients: the trace was computed without a loss."]
        else:
            step = reference_step(trace, "dL/dh", view.layer.direction)
            cells.append(f"× vanished below {VANISHED_FRACTION:g}, "
                         f"<span style='color:{_ALARM_COLOR}'>△</span> exploded above "
                         f"{EXPLODED_FACTOR:g} times the curve's value at the loss's step "
                         f"{step} (“{escape(shown_token(trace.tokens[step]))}”; "
                         "||dh_T/dh_t||: at T)")
            if curves.zeros and not curves.undefined:
                cells.append("a gap: exactly 0, the loss does not depend on that step")
            if curves.undefined_detail:
                cells.append(escape(curves.undefined_detail))
            cells += [f"a gap: ||{name}|| is not finite (inf or NaN) at {steps.size} "
                      f"step{'s' if steps.size > 1 else ''} from step {steps[0]}"
                      for name, steps in curves.nonfinite.items()]
        rows = ["<tr>" + "".join(f"<td style='padding-right:14px'>{cell}</td>"
                                 for cell in cells[index:index + 2]) + "</tr>"
                for index in range(0, len(cells), 2)]
        self.explanation.setText(f"<table>{''.join(rows)}</table>")
        self._raise_alarm(trace.nonfinite, curves.alarm)

    def _raise_alarm(self, nonfinite: NonFinite | None, alarm: GradientAlarm | None) -> None:
        if nonfinite is not None:
            message, step = describe_nonfinite(nonfinite), nonfinite.step
        elif alarm is not None:
            message, step = f"Warning: {alarm.text}", alarm.step
        else:
            message, step = "", None
        self._alarm_step = step
        self.warning.setText(message)
        self.go_button.setText("" if step is None else f"Go to step {step}")
        self.alarm_row.setVisible(bool(message))

    def _show_undefined(self, steps: int) -> None:
        """The headline of ``curves.undefined`` in the middle of the plot (its detail is
        in the explanation), and the button that probes before the overflow."""
        view = self.session.view
        assert view is not None
        curves = view.layer.gradients
        self.undefined_text.setText(curves.undefined)
        self.undefined_text.setVisible(bool(curves.undefined))
        low, high = curves.decades or (0.0, 1.0)
        self.undefined_text.setPos((steps - 1) / 2, (low + high) / 2)
        probe = curves.probe_step
        self.probe_button.setVisible(probe is not None)
        if probe is not None:
            self.probe_button.setText(f"Gradients up to step {probe}")

    def _probe_before_overflow(self) -> None:
        view = self.session.view
        if view is not None and view.layer.gradients.probe_step is not None:
            self.session.probe_unit(view.layer.gradients.probe_step, self.session.unit, "h")

    def _go_to_alarm(self) -> None:
        if self._alarm_step is not None:
            self.session.set_cursor(self._alarm_step)
