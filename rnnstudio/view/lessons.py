"""Guided lessons: data files in ``resources/lessons/*.json`` (or a course's own folder),
read without Qt or NumPy.

A lesson is data, not code, so adding one is writing a JSON file (docs/lessons.md). Each
lesson has one or more stages; a stage is the lesson's top-level fields with the stage's
own fields on top, so a two-step lesson repeats only what changes. The model, the loss
and a question are read into their real values here, once, so a broken lesson file is
refused when lessons load, naming the file and the field, not when a student opens it.
A file is read only up to :data:`~rnnstudio.limits.MAX_LESSON_BYTES` and only as JSON:
nothing in it is executed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from ..engine.losses import Loss, parse_loss
from ..engine.training import TrainConfig
from ..errors import RnnStudioError
from ..io.json_values import parse_json_bytes
from ..io.model_source import ModelSource, RandomModelSpec
from ..limits import MAX_LESSON_BYTES, MAX_LESSON_FILES
from .resources import resource_folder

#: Fields a stage may set; anything else in a file is refused, naming the file.
STAGE_FIELDS = ("title", "text", "model", "sentence", "loss", "step", "layer",
                "direction", "unit", "panels", "compare", "notice", "question", "strip",
                "training")
#: Fields of the lesson as a whole (the index shows ``claim`` and ``summary``).
LESSON_FIELDS = (*STAGE_FIELDS, "order", "claim", "summary", "stages")
#: Dock keys a stage's ``panels`` may name (the window's docks).
PANELS = ("input", "model", "step", "gradients", "unit", "compare", "training")
#: How a stage colours the token strip: "off", or the attribution it shows. A lesson's
#: word on the left; the session's choice (``view.attribution.STRIP_ATTRIBUTIONS``) on the
#: right ("saliency" is ||dL/dx_t||, the strip's first method, kept for older lessons).
STRIP_METHODS = {"off": "off", "saliency": "dL/dx", "gradient-norm": "dL/dx",
                 "gradient-x-input": "gradient-x-input", "occlusion": "occlusion",
                 "integrated-gradients": "integrated-gradients"}
QUESTION_FIELDS = ("ask", "choices", "answer", "why", "at")
#: A question offers this many choices: one is a guess, six are a quiz page.
CHOICE_COUNTS = (2, 5)
#: A lesson nests 5 deep (stages, a question's choices, a random model's spec): deeper is
#: not a lesson, and is refused before ``json.loads`` could recurse on it.
MAX_LESSON_DEPTH = 16
_FIX = "docs/lessons.md shows the format"
#: Where lessons come from when they are not a user's folder.
SHIPPED = ""


@dataclass(frozen=True)
class Question:
    """"Predict before you step": asked before a stage's notice (and its next part) shows.

    ``answer`` indexes ``choices``; ``at`` (a step number, negative from the end, or a
    token: its first occurrence) is the step the cursor may not reach before an answer.
    """

    ask: str
    choices: tuple[str, ...]
    answer: int
    why: str
    at: int | str | None = None

    def last_free_step(self, tokens: list[str] | tuple[str, ...]) -> int | None:
        """The last step the cursor may stand on before an answer, in a trace of
        ``tokens``; None when nothing is held (no ``at``, or its token is not there)."""
        if self.at is None:
            return None
        if isinstance(self.at, str):
            return tokens.index(self.at) - 1 if self.at in tokens else None
        step = self.at + len(tokens) if self.at < 0 else self.at
        return max(0, min(step, len(tokens)) - 1)


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
    question: Question | None = None
    #: A :data:`STRIP_METHODS` value, or None: the strip stays as the student left it.
    strip: str | None = None


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    order: int
    stages: tuple[LessonStage, ...] = field(default_factory=tuple)
    #: The primer's claim the lesson shows, and one line on what it teaches (the index).
    claim: str = ""
    summary: str = ""
    #: The user's folder it came from; :data:`SHIPPED` for the package's own.
    folder: str = SHIPPED


@dataclass(frozen=True)
class LessonFolder:
    """What one folder held: the lessons that load, and one line per file that did not."""

    lessons: tuple[Lesson, ...]
    problems: tuple[str, ...]


def lessons_folder() -> Traversable:
    """``resources/lessons`` of the installed package, else of this source checkout."""
    return resource_folder("lessons")


def load_lessons(folder: Traversable | None = None) -> list[Lesson]:
    """Every ``*.json`` lesson in ``folder`` (default: the package's), by ``order`` then
    title; the first broken file raises :class:`RnnStudioError` naming it."""
    read = read_lesson_folder(lessons_folder() if folder is None else folder)
    if read.problems:
        raise RnnStudioError(read.problems[0])
    return list(read.lessons)


def read_lesson_folder(folder: Traversable | Path, label: str = SHIPPED) -> LessonFolder:
    """The lessons of ``folder`` (at most :data:`MAX_LESSON_FILES` files, by name), each
    marked with ``label``; a broken file is one line in ``problems`` and the others load."""
    if not folder.is_dir():
        return LessonFolder((), (f"{folder}: not a folder of lessons",))
    items = sorted((item for item in folder.iterdir() if item.name.endswith(".json")),
                   key=lambda item: item.name)
    problems = []
    if len(items) > MAX_LESSON_FILES:
        problems.append(f"{folder}: {len(items)} lesson files, more than "
                        f"{MAX_LESSON_FILES}; the first {MAX_LESSON_FILES} by name are read")
    lessons = []
    for item in items[:MAX_LESSON_FILES]:
        try:
            lessons.append(_read_lesson(item, label))
        except RnnStudioError as error:
            problems.append(str(error))
    lessons.sort(key=lambda lesson: (lesson.order, lesson.title))
    return LessonFolder(tuple(lessons), tuple(problems))


def _read_lesson(item: Traversable | Path, label: str) -> Lesson:
    """One file, read up to the size limit and parsed as JSON only."""
    try:
        with item.open("rb") as stream:
            raw = stream.read(MAX_LESSON_BYTES + 1)
    except OSError as error:
        raise RnnStudioError(f"lesson {item.name}: not readable ({error.strerror})") from error
    if len(raw) > MAX_LESSON_BYTES:
        raise RnnStudioError(f"lesson {item.name}: larger than {MAX_LESSON_BYTES:,} bytes; "
                             "a lesson is a few kilobytes of text")
    data = parse_json_bytes(raw, f"lesson {item.name}", RnnStudioError,
                            max_depth=MAX_LESSON_DEPTH, fix=_FIX)
    return parse_lesson(data, item.name.removesuffix(".json"), label, item.name)


def parse_lesson(data: Any, name: str, folder: str = SHIPPED,
                 file_name: str | None = None) -> Lesson:
    """A lesson from its JSON object; errors name the file (``file_name``, else
    ``name``) and the field."""
    where = f"lesson {file_name or name}"
    if not isinstance(data, dict):
        raise RnnStudioError(f"{where}: the file must hold one JSON object")
    _check_fields(data, LESSON_FIELDS, (), where)
    whole = ("order", "stages", "claim", "summary")
    base = {key: value for key, value in data.items() if key not in whole}
    raw_stages = data.get("stages") or [{}]
    if not isinstance(raw_stages, list) or not all(isinstance(s, dict) for s in raw_stages):
        raise RnnStudioError(f"{where}: 'stages' must be a list of objects")
    stages = tuple(_stage({**base, **stage}, f"{where}, stage {index + 1}")
                   for index, stage in enumerate(raw_stages))
    order = data.get("order", 100)
    if not isinstance(order, int) or isinstance(order, bool):
        raise RnnStudioError(f"{where}: 'order' must be a whole number, not {order!r}")
    return Lesson(name, _text(data.get("title", name), where, "title"), order, stages,
                  _text(data.get("claim", ""), where, "claim"),
                  _text(data.get("summary", ""), where, "summary"), folder)


def _check_fields(values: dict[str, Any], known: tuple[str, ...],
                  required: tuple[str, ...], where: str) -> None:
    """Refuse a field not in ``known`` (a typo must not silently do nothing) and a
    ``required`` one left out."""
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise RnnStudioError(f"{where}: unknown field(s) {', '.join(unknown)}; "
                             f"known: {', '.join(known)}")
    for name in required:
        if name not in values:
            raise RnnStudioError(f"{where}: '{name}' is missing")


def _stage(values: dict[str, Any], where: str) -> LessonStage:
    _check_fields(values, STAGE_FIELDS, ("title", "text", "model"), where)
    source, random = _model_of(values["model"], where)
    loss = None
    if values.get("loss"):
        try:
            loss = parse_loss(str(values["loss"]))
        except RnnStudioError as error:
            raise RnnStudioError(f"{where}: {error}") from error
    return LessonStage(
        title=_text(values["title"], where, "title"), text=_text(values["text"], where, "text"),
        source=source, random=random, sentence=values.get("sentence"), loss=loss,
        step=_step(values.get("step"), where, "step"), layer=values.get("layer"),
        direction=values.get("direction"), unit=values.get("unit"),
        panels=_panels(values.get("panels", []), where),
        compare=_lines(values.get("compare", []), where, "compare"),
        notice=_lines(values.get("notice", []), where, "notice"),
        question=_question(values.get("question"), where), strip=_strip(values, where),
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


def _text(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str):
        raise RnnStudioError(f"{where}: '{name}' must be text, not {type(value).__name__}")
    return value


def _lines(value: Any, where: str, name: str) -> tuple[str, ...]:
    """A string or a list of strings, as a tuple."""
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(line, str) for line in value):
        raise RnnStudioError(f"{where}: '{name}' must be a list of texts")
    return tuple(value)


def _step(value: Any, where: str, name: str) -> int | str | None:
    if value is None or isinstance(value, str) or (
            isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise RnnStudioError(f"{where}: '{name}' is a step number or a token, not {value!r}")


def _panels(value: Any, where: str) -> tuple[str, ...]:
    panels = _lines(value, where, "panels")
    unknown = [panel for panel in panels if panel not in PANELS]
    if unknown:
        raise RnnStudioError(f"{where}: 'panels' has {unknown[0]!r}; known: {', '.join(PANELS)}")
    return panels


def _strip(values: dict[str, Any], where: str) -> str | None:
    strip = values.get("strip")
    if strip is None:
        return None
    if strip not in STRIP_METHODS:
        raise RnnStudioError(f"{where}: 'strip' is {strip!r}; known: {', '.join(STRIP_METHODS)}")
    return STRIP_METHODS[strip]


def _question(value: Any, where: str) -> Question | None:
    """A stage's ``question``: ask, 2-5 distinct choices, the right one, why; ``at``."""
    if value is None:
        return None
    where = f"{where}, question"
    if not isinstance(value, dict):
        raise RnnStudioError(f"{where}: must be an object with {', '.join(QUESTION_FIELDS)}")
    _check_fields(value, QUESTION_FIELDS, QUESTION_FIELDS[:4], where)
    choices = _lines(value["choices"], where, "choices")
    low, high = CHOICE_COUNTS
    if not low <= len(choices) <= high or len(set(choices)) != len(choices):
        raise RnnStudioError(f"{where}: 'choices' must be {low} to {high} different texts, "
                             f"not {len(choices)}")
    if value["answer"] not in choices:
        raise RnnStudioError(f"{where}: 'answer' {value['answer']!r} is not one of the "
                             "choices; copy the right choice's text")
    return Question(_text(value["ask"], where, "ask"), choices,
                    choices.index(value["answer"]), _text(value["why"], where, "why"),
                    _step(value.get("at"), where, "at"))


def _model_of(model: Any, where: str) -> tuple[ModelSource, RandomModelSpec | None]:
    """A stage's ``model``: a shipped model's name, or ``{"random": {...}}``."""
    if isinstance(model, str):
        return ModelSource.shipped(model), None
    if isinstance(model, dict) and isinstance(model.get("random"), dict):
        spec = RandomModelSpec.from_dict(model["random"], where)
        return ModelSource.random(spec), spec
    raise RnnStudioError(f"{where}: 'model' is a shipped model name (e.g. recall-lstm) "
                         "or {\"random\": {\"cell\": ..., \"gain\": ...}}")


def index_title(lesson: Lesson, number: int) -> str:
    """The lesson as the index lists it: "3. Title", with a user folder's name after."""
    where = f" ({Path(lesson.folder).name})" if lesson.folder != SHIPPED else ""
    return f"{number}. {lesson.title}{where}"


def index_tip(lesson: Lesson) -> str:
    """The index's tooltip: what the lesson teaches, the claim, where the file is."""
    lines = [lesson.summary or lesson.stages[0].text.split("\n")[0][:160]]
    if lesson.claim:
        lines.append(f"Claim: {lesson.claim}")
    if lesson.folder != SHIPPED:
        lines.append(f"From {lesson.folder}")
    return "\n".join(lines)
