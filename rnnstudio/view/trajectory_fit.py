"""The work behind the Trajectory dock, without Qt: fit the basis (on the shown text, or
on a text file read line by line), project the shown text and a second one into it.

The dock runs :func:`compute_trajectories` in a worker: fitting on a file reads every
line with the model (a 1,000-line file takes seconds), and a second text is a forward
pass of its own. Each line of a file is read from the zero state, as a text in the window
is; a line longer than the model's limit is refused with its line number.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..engine.model import Model
from ..engine.trace import Trace
from ..engine.trajectory import (
    PcaBasis,
    Trajectory,
    fit_pca,
    model_fingerprint,
    trace_states,
    trace_trajectory,
)
from ..errors import Cancelled, TextError
from ..io.json_values import read_bounded
from ..limits import MAX_TEXT_FILE_BYTES

#: Components fitted (the dock offers PC1 to PC6 on either axis, and three for 3-D).
FITTED_COMPONENTS = 6

StopCheck = Callable[[], bool]
Progress = Callable[[int, int], None]
#: Each model's fingerprint, hashed once (its weights do not change once loaded; hashing a
#: 100-million-weight model's 400 MB on every request would take seconds).
_fingerprints: weakref.WeakKeyDictionary[Model, str] = weakref.WeakKeyDictionary()


def fingerprint_of(model: Model) -> str:
    """:func:`model_fingerprint` of ``model``'s weights, remembered per model."""
    known = _fingerprints.get(model)
    if known is None:
        known = _fingerprints[model] = model_fingerprint(model.params)
    return known


@dataclass(frozen=True)
class TrajectoryRequest:
    """What to compute: ``trace``'s ``quantity`` at ``layer``/``direction``, in a basis
    fitted on ``trace`` (``fit_file`` None) or on the lines of ``fit_file``; and a second
    text (``overlay_text``, "" for none) read by ``model`` and drawn in the same basis."""

    trace: Trace
    model: Model | None
    quantity: str = "h"
    layer: int = 0
    direction: str = "fwd"
    fit_file: Path | None = None
    overlay_text: str = ""


@dataclass(frozen=True)
class TrajectoryResult:
    """The request, and the shown text's path (``main.basis`` is the basis) and the second
    text's path in it."""

    request: TrajectoryRequest
    main: Trajectory
    overlay: Trajectory | None


def compute_trajectories(request: TrajectoryRequest, should_stop: StopCheck | None = None,
                         on_progress: Progress | None = None) -> TrajectoryResult:
    """Fit and project as ``request`` says; raises :class:`Cancelled` when stopped."""
    trace, model = request.trace, request.model
    where = (request.quantity, request.layer, request.direction)
    states = trace_states(trace, *where)
    components = min(FITTED_COMPONENTS, states.shape[1])
    fingerprint = fingerprint_of(model) if model is not None else ""
    if request.fit_file is None:
        basis = fit_pca(states, components, quantity=where[0], layer=where[1],
                        direction=where[2], fingerprint=fingerprint)
    else:
        if model is None:
            raise TextError("Fitting on a text file needs the model: open it (File › Open)")
        basis = basis_from_text_file(model, request.fit_file, *where, components,
                                     should_stop, on_progress)
    main = Trajectory(basis, basis.project(states), tuple(trace.tokens))
    overlay = None
    if request.overlay_text.strip() and model is not None:
        second = model.trace(request.overlay_text, loss=None, should_stop=should_stop)
        overlay = trace_trajectory(second, basis=basis)
    return TrajectoryResult(request, main, overlay)


def basis_from_text_file(model: Model, path: Path, quantity: str = "h", layer: int = 0,
                         direction: str = "fwd", components: int = 2,
                         should_stop: StopCheck | None = None,
                         on_progress: Progress | None = None) -> PcaBasis:
    """PCA fitted on the states of every non-empty line of the UTF-8 file ``path``
    (each read from the zero state); ``fitted_on`` is the file's name."""
    lines = text_file_lines(path)
    states = []
    for done, (number, line) in enumerate(lines):
        if should_stop is not None and should_stop():
            raise Cancelled("stopped")
        try:
            trace = model.trace(line, loss=None)
        except TextError as error:
            raise TextError(f"{path}, line {number}: {error}") from error
        states.append(trace_states(trace, quantity, layer, direction))
        if on_progress is not None:
            on_progress(done + 1, len(lines))
    return fit_pca(states, components, quantity=quantity, layer=layer, direction=direction,
                   fitted_on=path.name, fingerprint=fingerprint_of(model))


def text_file_lines(path: Path) -> list[tuple[int, str]]:
    """The non-empty lines of the UTF-8 text file ``path`` with their 1-based numbers."""
    data = read_bounded(Path(path), TextError, MAX_TEXT_FILE_BYTES)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TextError(f"{path}: not UTF-8 text (byte offset {exc.start}); save it as "
                        "UTF-8") from exc
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1)
             if line.strip()]
    if not lines:
        raise TextError(f"{path}: no text to fit on (every line is empty)")
    return lines
