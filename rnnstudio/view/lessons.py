"""Guided lessons: data files in ``resources/lessons/*.json``, read without Qt or NumPy.

A lesson is data, not code, so adding one is writing a JSON file (schema in docs/gui.md).
Each lesson has one or more stages; a stage is the lesson's top-level fields with the
stage's own fields on top, so a two-step lesson repeats only what changes. The model and
the loss are read into their real values here, once, so a broken lesson file is refused
when lessons load, naming the file, not when a student opens it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from importlib.abc import Traversable
from typing import Any

from ..engine.losses import Loss, parse_loss
from ..engine.training import TrainConfig
from ..errors import RnnStudioError
from ..io.model_source import ModelSource, RandomModelSpec
from .resources import resource_folder

#: Fields a stage may set; anything else in a file is refused, naming the file.
STAGE_FIELDS = ("title", "text", "model", "sentence", "loss", "step", "layer",
                "direction", "unit", "panels", "compare", "notice", "training")
LESSON_FIELDS = (*STAGE_FIELDS, "order", "stages")


@dataclass(frozen=True)
class LessonStage:
    """What one stage sets: model (shipped key or random spec), text, loss, view, panels."""

    title: str
    text: str
    source: ModelSource
    #: The random model's settings, when the stage builds one (``source`` says so too).
    random: RandomModelSpec | None = None
    sentence: str | None = None
    loss: Loss | None = None
    step: int | str | None = None
    layer: int | None = None
    direction: str | None = None
    unit: int | None = None
    panels: tuple[str, ...] = ()
    compare: tuple[str, ...] = ()
    notice: tuple[str, ...] = ()
    #: Settings for the Training dock (shown in its form, not started), checked on load.
    training: TrainConfig | None = None


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    order: int
    stages: tuple[LessonStage, ...] = field(default_factory=tuple)


def lessons_folder() -> Traversable:
    """``resources/lessons`` of the installed package, else of this source checkout."""
    return resource_folder("lessons")


def load_lessons(folder: Traversable | None = None) -> list[Lesson]:
    """Every ``*.json`` lesson in ``folder``, by ``order`` then title."""
    folder = lessons_folder() if folder is None else folder
    if not folder.is_dir():
        return []
    lessons = []
    for item in folder.iterdir():
        if item.name.endswith(".json"):
            try:
                data = json.loads(item.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise RnnStudioError(f"lesson {item.name}: not readable JSON ({error})") from error
            lessons.append(parse_lesson(data, item.name.removesuffix(".json")))
    return sorted(lessons, key=lambda lesson: (lesson.order, lesson.title))


def parse_lesson(data: Any, name: str) -> Lesson:
    """A lesson from its JSON object; errors name the file and the field."""
    if not isinstance(data, dict):
        raise RnnStudioError(f"lesson {name}: the file must hold one JSON object")
    unknown = sorted(set(data) - set(LESSON_FIELDS))
    if unknown:
        raise RnnStudioError(f"lesson {name}: unknown field(s) {', '.join(unknown)}; "
                             f"known: {', '.join(LESSON_FIELDS)}")
    base = {key: value for key, value in data.items() if key not in ("order", "stages")}
    raw_stages = data.get("stages") or [{}]
    if not isinstance(raw_stages, list):
        raise RnnStudioError(f"lesson {name}: 'stages' must be a list of objects")
    stages = tuple(_stage({**base, **stage}, name, index)
                   for index, stage in enumerate(raw_stages))
    return Lesson(name, str(data.get("title", name)), int(data.get("order", 100)), stages)


def _stage(values: dict[str, Any], name: str, index: int) -> LessonStage:
    where = f"lesson {name}, stage {index + 1}"
    unknown = sorted(set(values) - set(STAGE_FIELDS))
    if unknown:
        raise RnnStudioError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for required in ("title", "text", "model"):
        if required not in values:
            raise RnnStudioError(f"{where}: '{required}' is missing")
    source, random = _model_of(values["model"], where)
    loss = None
    if values.get("loss"):
        try:
            loss = parse_loss(str(values["loss"]))
        except RnnStudioError as error:
            raise RnnStudioError(f"{where}: {error}") from error
    notice = values.get("notice", [])
    if isinstance(notice, str):
        notice = [notice]
    return LessonStage(
        title=str(values["title"]), text=str(values["text"]), source=source,
        random=random, sentence=values.get("sentence"), loss=loss,
        step=values.get("step"), layer=values.get("layer"), direction=values.get("direction"),
        unit=values.get("unit"), panels=tuple(values.get("panels", ())),
        compare=tuple(values.get("compare", ())), notice=tuple(str(line) for line in notice),
        training=_training_of(values.get("training"), where))


def _training_of(settings: Any, where: str) -> TrainConfig | None:
    """A stage's ``training``: an object of TrainConfig fields, checked by TrainConfig
    now, so a lesson cannot offer a run the dock would refuse."""
    if settings is None:
        return None
    known = [spec.name for spec in fields(TrainConfig)]
    if not isinstance(settings, dict):
        raise RnnStudioError(f"{where}: 'training' is an object of training settings, "
                             f"e.g. {{\"optimizer\": \"sgd\", \"learning_rate\": 3}}")
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise RnnStudioError(f"{where}: training: unknown field(s) {', '.join(unknown)}; "
                             f"known: {', '.join(known)}")
    try:
        return TrainConfig(**settings)
    except RnnStudioError as error:
        raise RnnStudioError(f"{where}: training: {error}") from error


def _model_of(model: Any, where: str) -> tuple[ModelSource, RandomModelSpec | None]:
    """A stage's ``model``: a shipped model's name, or ``{"random": {...}}``."""
    if isinstance(model, str):
        return ModelSource.shipped(model), None
    if isinstance(model, dict) and isinstance(model.get("random"), dict):
        spec = RandomModelSpec.from_dict(model["random"], where)
        return ModelSource.random(spec), spec
    raise RnnStudioError(f"{where}: 'model' is a shipped model name (e.g. recall-lstm) "
                         "or {\"random\": {\"cell\": ..., \"gain\": ...}}")
