"""The session's trace job when it opens a model file: read it, keep how it was read.

A plain function of ``(request, should_stop, on_progress)`` run by the session's job
runner (no Qt). A model file is read with :meth:`ModelSource.read`, so the Model dock
can show what reading it found (renamed submodules, conversions, guessed fields); a
file that cannot open for want of what only its user knows (a vocabulary, an RNN's
nonlinearity) comes back as :class:`DetailsNeeded` for the window to ask, not as an
error.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import RnnStudioError
from ..io.model_files import LoadedModel
from ..io.model_source import ModelSource
from ..io.name_map import KeyMap
from ..io.sidecar_write import model_facts
from ..view.tracing import Progress, StopCheck, TraceOutcome, TraceRequest, compute_trace


@dataclass(frozen=True)
class Opened:
    """A trace with the model file it was read from (``loaded`` None for other sources
    and for a model already loaded)."""

    outcome: TraceOutcome
    loaded: LoadedModel | None


@dataclass(frozen=True)
class DetailsNeeded:
    """``path`` lacks ``missing`` (``"vocabulary"``, ``"nonlinearity"``); ``message``
    is the reader's."""

    path: Path
    message: str
    missing: tuple[str, ...]
    #: The source that did not open: its overrides and key map pre-fill the dialog.
    source: ModelSource


def open_and_trace(request: TraceRequest, should_stop: StopCheck | None = None,
                   on_progress: Progress | None = None) -> Opened | DetailsNeeded:
    """Read ``request``'s model file when it has no model yet, then trace its text."""
    source, loaded = request.source, None
    if request.model is None and source.path is not None:
        try:
            loaded = source.read()
        except RnnStudioError as error:
            missing = _missing(source.path, source.key_map)
            if not missing:
                raise
            return DetailsNeeded(source.path, str(error), missing, source)
        request = replace(request, model=loaded.model)
    return Opened(compute_trace(request, should_stop, on_progress), loaded)


def _missing(path: Path, key_map: KeyMap) -> tuple[str, ...]:
    """What ``path`` lacks, or nothing when that cannot be told (the read's own error
    then stands)."""
    try:
        return model_facts(path, key_map).missing
    except RnnStudioError:
        return ()
