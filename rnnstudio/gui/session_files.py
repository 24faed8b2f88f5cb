"""A window's session to and from a ``.rnnstudio`` file (the format is io's).

Kept beside the :class:`Session`, not in it: the session owns the state; this maps it to
the file's fields and back, through the session's own setters.
"""

from __future__ import annotations

from pathlib import Path

from ..engine.losses import parse_loss
from ..errors import RnnStudioError
from ..io.corpus_reader import open_corpus
from ..io.session_file import SessionFile
from ..view.lessons import Lesson
from ..view.tracing import Placement
from .session import Session


def snapshot(session: Session, docks: str | None = None) -> SessionFile:
    """Everything needed to reopen the window as it is (``docks``: Qt's layout)."""
    lesson = session.lesson
    return SessionFile(
        model=session.source, text=session.text, cursor=session.cursor,
        layer=session.layer, direction=session.direction, unit=session.unit,
        loss=None if session.loss is None else session.loss.name,
        saliency=session.options.saliency, attribution=session.options.attribution,
        colour_scale=session.options.colour_scale,
        playback_speed=session.playback.speed,
        lesson=None if lesson is None else (lesson.name, session.lesson_stage),
        compare=session.compare.keys, docks=docks,
        interventions=session.edits.interventions, interventions_on=session.edits.enabled,
        corpus=session.corpus_queries.path)


def restore(session: Session, state: SessionFile, lessons: list[Lesson],
            synchronous: bool = False) -> bool:
    """Reopen ``state``: options, Compare set, the lesson's text, then the model reading
    the text with the loss, edits, cursor, layer, direction and unit it had. ``synchronous``
    traces on this thread (start-up, headless plots) and returns whether that worked;
    otherwise the worker reports through the session's signals. A lesson this release
    does not ship is left out (the rest opens), and so is a corpus that cannot be read
    (the session says why)."""
    if state.attribution is None:  # a file from before the choice: the old switch
        session.set_saliency_shown(state.saliency)
    else:
        session.set_attribution(state.attribution)
    session.set_colour_scale(state.colour_scale)
    session.playback.set_speed(state.playback_speed)
    if state.compare:
        session.compare.set_keys(state.compare)
    if state.model.spec is not None:
        session.random_spec = state.model.spec
    if state.corpus is not None:
        _open_corpus(session, state.corpus)
    if state.lesson is not None:
        name, stage = state.lesson
        lesson = next((item for item in lessons if item.name == name), None)
        if lesson is not None:
            session.show_lesson(lesson, stage)
    loss = None if state.loss is None else parse_loss(state.loss)
    placement = Placement(step=state.cursor, layer=state.layer, direction=state.direction,
                          unit=state.unit)
    edits = (state.interventions, state.interventions_on)
    if synchronous:
        return session.first_trace(state.model, state.text, placement, loss, None, *edits)
    session.open_source(state.model, state.text, loss, placement, None, *edits)
    return True


def _open_corpus(session: Session, folder: Path) -> None:
    """The session's corpus in the Corpus dock, or the reason it cannot be."""
    try:
        source = open_corpus(folder)
    except RnnStudioError as error:
        session.error_raised.emit(f"The session's corpus was not opened: {error}")
        return
    session.open_corpus(source, folder.name, folder)
