"""Heatmaps of one layer: h, c and every gate, sharing one time axis and one cursor."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ...view.colours import SCALE_MODES
from ...view.heatmaps import HeatmapData
from ...view.interventions import edited_blocks, unit_edit
from ..session import Session
from ..theme import configure_pyqtgraph
from .heatmap_row import HeatmapRow, share_x_range
from .hover import hover_label

_TITLE_POINTS = 9  # what HeatmapRow sets
#: Below this panel height (px) token labels never stand upright: a rotated word takes
#: ~65 px, a third of the ~200 px the rows get above Training at 720p.
ROTATE_MIN_HEIGHT = 300


def fit_row_titles(rows: list[HeatmapRow]) -> None:
    """Each row's rotated title ("g candidate") when every title fits its row's height,
    else every row just its letter: on short rows the titles ran into each other."""
    titled = [(row, row.data) for row in rows if row.data is not None]
    font = QFont()
    font.setPointSizeF(_TITLE_POINTS)
    metrics = QFontMetrics(font)
    fits = all(metrics.horizontalAdvance(data.title) <= row.plot.getViewBox().height()
               for row, data in titled)
    for row, data in titled:
        title = data.title if fits else data.name
        if row.plot.getAxis("left").labelText != title:
            row.plot.setLabel("left", title, **{"font-size": f"{_TITLE_POINTS}pt"})


class HeatmapPanel(QWidget):
    """Observes the session; clicking a cell selects its unit (and probes it, in probe mode)."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.session = session
        self.rows: list[HeatmapRow] = []
        self._names: tuple[str, ...] = ()
        self.layer_box = QComboBox()
        self.layer_box.setToolTip("Which layer of the stack the heatmaps show")
        self.direction_box = QComboBox()
        self.direction_box.setToolTip("Forward or backward direction (bidirectional models)")
        self.scale_box = QComboBox()
        self.scale_box.addItems(list(SCALE_MODES))
        self.scale_box.setToolTip(
            "Colour scale of values no squashing function bounds (c, a ReLU RNN's h): "
            "auto is symmetric-log when they span more than three decades; "
            "inf/NaN cells are magenta")
        self.delta_box = QCheckBox("Δ")
        self.delta_box.setToolTip("Show edited − original (Interventions) instead of the "
                                  "values; edited cells are outlined")
        self.delta_box.clicked.connect(lambda on: session.set_delta_shown(bool(on)))
        self._hover_hint = "Hover a heatmap for token, step, unit and value"
        self.hover_label = hover_label(self._hover_hint)
        self._hovered: tuple[str, int, int] | None = None
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.setSpacing(6)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Layer"))
        bar.addWidget(self.layer_box)
        bar.addWidget(QLabel("Direction"))
        bar.addWidget(self.direction_box)
        bar.addWidget(QLabel("Colours"))
        bar.addWidget(self.scale_box)
        bar.addWidget(self.delta_box)
        bar.addSpacing(12)
        bar.addWidget(self.hover_label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.graphics, 1)
        self.layer_box.activated.connect(self._on_view_chosen)
        self.direction_box.activated.connect(self._on_view_chosen)
        self.scale_box.activated.connect(
            lambda: session.set_colour_scale(self.scale_box.currentText()))
        scene = self.graphics.scene()
        scene.sigMouseMoved.connect(self._on_mouse_moved)
        scene.sigMouseClicked.connect(self._on_mouse_clicked)
        session.trace_changed.connect(self._on_trace_changed)
        session.layer_changed.connect(self.refresh)
        session.cursor_changed.connect(self._on_cursor_changed)
        session.options_changed.connect(self.refresh)
        self.clamp_action, self.zero_action = self._edit_actions()
        self._name_edit_actions()
        if session.view is not None:
            self._on_trace_changed()

    # --- session -> view ---------------------------------------------------------------

    def _on_trace_changed(self) -> None:
        """Selectors for the trace's layers and directions, then the images."""
        view = self.session.view
        if view is None:
            return
        recurrent = view.trace.config.recurrent
        layers = [f"layer {k}" for k in range(recurrent.num_layers)]
        if [self.layer_box.itemText(k) for k in range(self.layer_box.count())] != layers:
            self.layer_box.clear()
            self.layer_box.addItems(layers)
            self.direction_box.clear()
            self.direction_box.addItems(list(recurrent.directions))
        self.direction_box.setEnabled(recurrent.bidirectional)
        self.refresh()

    def refresh(self) -> None:
        """Redraw every heatmap from the session's view (its layer and direction)."""
        view = self.session.view
        if view is None:
            return
        self.layer_box.setCurrentIndex(view.layer.layer)
        self.direction_box.setCurrentText(view.layer.direction)
        data = self.shown_heatmaps()
        names = tuple(item.name for item in data)
        if names != self._names:
            self._build_rows(len(data))
            self._names = names
        mode = self.session.options.colour_scale
        self.scale_box.setCurrentText(mode)
        for row, item in zip(self.rows, data, strict=True):
            row.show(item, mode)
        self._mark_edited_cells()
        fit_row_titles(self.rows)
        if self.rows and self.rows[-1].token_axis is not None:
            self.rows[-1].token_axis.set_tokens(view.trace.tokens)
        self._on_cursor_changed(self.session.cursor)
        self._refresh_hover()

    @property
    def showing_delta(self) -> bool:
        """Whether the rows show edited − original (asked for, and edits are on)."""
        return self.session.options.delta and self.session.edits.diff is not None

    def shown_heatmaps(self) -> tuple[HeatmapData, ...]:
        """The shown layer's heatmaps, or their differences from the original trace."""
        view, diff = self.session.view, self.session.edits.diff
        if view is None:
            return ()
        if self.showing_delta and diff is not None:
            return diff.heatmaps
        return view.layer.heatmaps

    def _mark_edited_cells(self) -> None:
        session = self.session
        self.delta_box.setVisible(session.edits.diff is not None)
        self.delta_box.setChecked(self.showing_delta)
        for row in self.rows:
            units, steps = row.data.values.shape if row.data is not None else (0, 0)
            row.mark_cells(edited_blocks(session.edits.active, row.name, session.layer,
                                         session.direction, units, steps))

    def _edit_actions(self) -> tuple[QAction, QAction]:
        """The quick edits of the cell under the mouse: in every row's context menu, and
        on C (clamp, finished in the Interventions form) and Z (zero) over the heatmaps."""
        clamp, zero = QAction(self), QAction(self)
        for action, key in ((clamp, "C"), (zero, "Z")):
            action.setShortcut(key)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        clamp.triggered.connect(self.propose_clamp)
        zero.triggered.connect(self.zero_unit)
        return clamp, zero

    def _name_edit_actions(self) -> None:
        """Name the quick edits after the hovered cell ("Zero h of unit 17")."""
        hovered = self._hovered
        for action in (self.clamp_action, self.zero_action):
            action.setEnabled(hovered is not None and self.session.model is not None)
        name, step, unit = hovered if hovered is not None else ("a quantity", 0, 0)
        self.clamp_action.setText(f"Clamp {name} of unit {unit} from step {step}…")
        self.zero_action.setText(f"Zero {name} of unit {unit}")

    def _hovered_value(self) -> float:
        """The hovered cell's value in the trace (not its Δ)."""
        view, hovered = self.session.view, self._hovered
        data = None if view is None or hovered is None else view.layer.heatmap(hovered[0])
        if data is None or hovered is None:
            return 0.0
        return float(data.values[hovered[2], hovered[1]])

    def propose_clamp(self) -> None:
        """Offer the hovered cell's unit, clamped from its step to its value, to the form."""
        if self._hovered is not None:
            name, step, unit = self._hovered
            session = self.session
            session.propose_intervention(unit_edit(name, session.layer, session.direction,
                                                   unit, step, self._hovered_value()))

    def zero_unit(self) -> None:
        """Add an edit zeroing the hovered unit's quantity at every step."""
        if self._hovered is not None:
            name, _step, unit = self._hovered
            session = self.session
            edit = unit_edit(name, session.layer, session.direction, unit)
            if edit not in session.edits.interventions:
                session.set_interventions((*session.edits.interventions, edit))

    def _build_rows(self, count: int) -> None:
        self.graphics.ci.clear()
        self.rows = [HeatmapRow(self.graphics.ci, index, index == count - 1)
                     for index in range(count)]
        share_x_range([row.plot.getViewBox() for row in self.rows])
        for row in self.rows:
            menu = row.plot.getViewBox().menu
            first = menu.actions()[0] if menu.actions() else None
            menu.insertActions(first, [self.clamp_action, self.zero_action])
            menu.insertSeparator(first)
            row.cursor.sigPositionChanged.connect(self._on_cursor_dragged)
            row.plot.getViewBox().sigResized.connect(lambda _view: fit_row_titles(self.rows))
            row.plot.getViewBox().sigResized.connect(lambda _view, row=row: row.fit_ticks())
        self.rows[-1].plot.getViewBox().sigResized.connect(self._fit_token_axis)

    def _fit_token_axis(self, *_: object) -> None:
        """Upright token labels only on a panel tall enough to spare them the height."""
        axis = self.rows[-1].token_axis if self.rows else None
        may_rotate = self.graphics.height() >= ROTATE_MIN_HEIGHT
        if axis is not None and axis.may_rotate != may_rotate:
            axis.may_rotate = may_rotate
            axis.picture = None
            axis.update()

    def _on_cursor_changed(self, step: int) -> None:
        reverse = self.session.direction == "bwd"
        for row in self.rows:
            row.set_cursor(step, reverse)

    # --- view -> session ---------------------------------------------------------------

    def _on_view_chosen(self) -> None:
        direction = self.direction_box.currentText() or "fwd"
        self.session.set_view(max(self.layer_box.currentIndex(), 0), direction)

    def _on_cursor_dragged(self, line: pg.InfiniteLine) -> None:
        self.session.set_cursor(round(line.value()))

    def cell_at(self, scene_pos: QPointF) -> tuple[HeatmapRow, int, int] | None:
        """The row, step and unit under a scene position, or None."""
        for row in self.rows:
            view = row.plot.getViewBox()
            if view.sceneBoundingRect().contains(scene_pos):
                point = view.mapSceneToView(scene_pos)
                return row, round(point.x()), round(point.y())
        return None

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        hit = self.cell_at(scene_pos)
        if hit is None:
            return
        row, step, unit = hit
        text = self._describe_cell(row.name, step, unit)
        if text is not None:
            self._hovered = (row.name, step, unit)
            self.hover_label.setText(text)
            self._name_edit_actions()

    def _describe_cell(self, name: str, step: int, unit: int) -> str | None:
        view = self.session.view
        row = next((row for row in self.rows if row.name == name), None)
        value = None if row is None else row.value_at(step, unit)
        if view is None or value is None:
            return None
        shown = f"Δ{name} (edited − original)" if self.showing_delta else name
        return f"step {step} · “{view.trace.tokens[step]}” · unit {unit} · {shown} = {value:.4f}"

    def _refresh_hover(self) -> None:
        """A new trace under a still mouse: the same cell's new value, or the hint."""
        if self._hovered is None:
            return
        text = self._describe_cell(*self._hovered)
        if text is None:
            self._hovered = None
        self.hover_label.setText(text or self._hover_hint)

    def _on_mouse_clicked(self, event: Any) -> None:
        """Click: inspect that unit (and probe it, in probe mode); double-click: go there."""
        if event.button() != Qt.MouseButton.LeftButton:
            return
        hit = self.cell_at(event.scenePos())
        if hit is None:
            return
        row, step, unit = hit
        if row.value_at(step, unit) is None:
            return
        self.session.select_unit(unit)
        if event.double():
            self.session.set_cursor(step)
        elif self.session.probing and row.name in ("h", "c"):
            self.session.probe_unit(step, unit, row.name)
