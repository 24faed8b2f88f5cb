"""Session files (``.rnnstudio``): the window as it was, as JSON (docs/formats.md).

The smallest valid file::

    {"format": "rnnstudio-session", "version": 1, "model": "sentiment-lstm",
     "text": "the camera was not good", "cursor": 3}

Reading checks every key before anything is built and raises a one-line
:class:`SessionFileError` naming the file, the key, the value and the fix. A model file
that has gone missing is *not* an error here: the session opens with its text, and
``ModelSource.load()`` reports the missing file. Unknown top-level keys (from a newer
writer) are kept in ``SessionFile.extra`` and written back. The version changes only
when a key's meaning changes: older files are migrated step by step through
``_MIGRATIONS``, newer ones are refused with "update RNN Studio".
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..engine.config import GATES
from ..engine.interventions import OPERATIONS, Intervention, parse_intervention
from ..engine.losses import parse_loss
from ..errors import ExportError, RnnStudioError, SessionFileError
from ..limits import MAX_HIDDEN_SIZE
from ..models_index import MAX_COMPARED
from .atomic import write_text_atomic
from .json_values import Checker, read_json_file, show
from .messages import first_line
from .model_source import SHIPPED_KEY, ModelSource, RandomModelSpec
from .name_map import check_key_map

__all__ = ["MAX_SESSION_BYTES", "MAX_TEXT_CHARS", "SESSION_FORMAT", "SESSION_SUFFIX",
           "SESSION_VERSION", "SessionFile", "is_session_file", "load_session",
           "model_from_json", "model_to_json", "save_session", "session_from_dict",
           "session_to_dict"]

SESSION_FORMAT = "rnnstudio-session"
SESSION_VERSION = 1
SESSION_SUFFIX = ".rnnstudio"
#: A file larger than this is refused before it is read.
MAX_SESSION_BYTES = 16 * 2**20
#: Fifty times the 20,000 tokens a model traces: a session keeps text that no longer fits.
MAX_TEXT_CHARS = 1_000_000
#: The session's own keys nest 3 deep; kept keys of a newer writer may nest a little more.
MAX_JSON_DEPTH = 64
#: Steps, layers and units go into Qt widgets, whose ints are 32-bit.
MAX_INDEX = 2**31 - 1
MAX_LOSS_CHARS = 200
MAX_NAME_CHARS = 200
MAX_DOCKS_CHARS = 1_000_000
MIN_SPEED, MAX_SPEED = 0.5, 60.0
#: Edits a session keeps: more than a hand makes, few enough to list in the dock.
MAX_INTERVENTIONS = 256
#: The fields of one edit in a session file (``Intervention.to_dict``).
_EDIT_FIELDS = ("quantity", "op", "value", "layer", "direction", "units", "start", "stop")
#: h, c and every cell's gates (the model checks which of them it has).
_QUANTITIES = ("h", "c", *sorted({gate for gates in GATES.values() for gate in gates}))
#: Linux's PATH_MAX: a longer model path is no path.
MAX_PATH_CHARS = 4096
_SNIFF_BYTES = 4096
_SNIFF = re.compile(rb'^(\xef\xbb\xbf)?\s*\{.*"format"\s*:\s*"rnnstudio-session"', re.DOTALL)
_FIX = "correct it in the file or save the session again"
_MODEL_FORMS = ('a shipped model name (e.g. "sentiment-lstm"), {"file": PATH} (with '
                '"config": {...} overrides and a "map" of its parts) or {"random": {...}}')

#: The heatmaps' colour-scale modes (``view.colours.SCALE_MODES`` is this tuple): chosen
#: per window, kept with the session, checked here before anything is drawn.
COLOUR_SCALES = ("auto", "linear", "symlog")

#: What the token strip is coloured by (``view.attribution.STRIP_ATTRIBUTIONS`` is this
#: tuple): nothing, the trace's ||dL/dx_t||, or an engine attribution method.
STRIP_ATTRIBUTIONS = ("off", "dL/dx", "gradient-x-input", "occlusion",
                      "integrated-gradients")

#: version N -> function turning a version-N dict into a version-(N + 1) dict.
_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


@dataclass(frozen=True)
class SessionFile:
    """Everything needed to reopen the window as it was; checked on construction.

    ``cursor`` is a step (the GUI clamps it to the trace), ``layer``/``direction``/
    ``unit`` what the unit views show, ``colour_scale`` the heatmaps' mode (one of
    :data:`COLOUR_SCALES`), ``loss`` the engine's loss string form (None: the
    model's own task loss), ``lesson`` a lesson name and part index, ``compare`` 0-4
    shipped keys (empty: the default set), ``docks`` Qt's ``saveState`` as base64,
    ``interventions`` the edits (at most :data:`MAX_INTERVENTIONS`) and
    ``interventions_on`` whether the trace replays them, ``corpus`` the corpus index
    folder open in the Corpus dock (None: none; like a model file, a folder that has
    gone is reported when it is opened, not here), ``extra`` the unknown keys of a newer
    writer (read-only, written back as read).
    """

    model: ModelSource
    text: str
    cursor: int = 0
    layer: int = 0
    direction: str = "fwd"
    unit: int = 0
    loss: str | None = None
    saliency: bool = False
    attribution: str | None = None
    colour_scale: str = "auto"
    playback_speed: float = 4.0
    lesson: tuple[str, int] | None = None
    compare: tuple[str, ...] = ()
    docks: str | None = None
    interventions: tuple[Intervention, ...] = ()
    interventions_on: bool = True
    corpus: Path | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        check = Checker("", SessionFileError, _FIX)
        if not isinstance(self.model, ModelSource):
            check.fail("model", _MODEL_FORMS, self.model)
        values = {
            "text": check.text("text", self.text, MAX_TEXT_CHARS),
            "cursor": check.whole("cursor", self.cursor, 0, MAX_INDEX),
            "layer": check.whole("layer", self.layer, 0, MAX_INDEX),
            "direction": check.choice("direction", self.direction, ("fwd", "bwd")),
            "unit": check.whole("unit", self.unit, 0, MAX_INDEX),
            "loss": None if self.loss is None else _loss(check, self.loss),
            "saliency": check.flag("saliency", self.saliency),
            "attribution": None if self.attribution is None else check.choice(
                "attribution", self.attribution, STRIP_ATTRIBUTIONS),
            "colour_scale": check.choice("colour_scale", self.colour_scale, COLOUR_SCALES),
            "playback_speed": check.number("playback_speed", self.playback_speed,
                                           MIN_SPEED, MAX_SPEED),
            "lesson": None if self.lesson is None else _lesson(check, self.lesson),
            "compare": _compare(check, self.compare),
            "docks": None if self.docks is None else _docks(check, self.docks),
            "interventions": _interventions(check, self.interventions),
            "interventions_on": check.flag("interventions_on", self.interventions_on),
            "corpus": None if self.corpus is None else _corpus(check, self.corpus),
            "extra": _extra(check, self.extra),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)


def _loss(check: Checker, loss: Any) -> str:
    """The loss string, parsed by the engine (its grammar lives there only)."""
    check.text("loss", loss, MAX_LOSS_CHARS, empty=False)
    try:
        parse_loss(loss)
    except RnnStudioError as exc:
        check.fail("loss", f"a loss the engine knows ({first_line(exc)})", loss)
    return str(loss)


def _lesson(check: Checker, lesson: Any) -> tuple[str, int]:
    if not isinstance(lesson, tuple) or len(lesson) != 2:
        check.fail("lesson", "a lesson name and part", lesson)
    return (check.text("lesson.name", lesson[0], MAX_NAME_CHARS, empty=False),
            check.whole("lesson.part", lesson[1], 0, MAX_INDEX))


def _compare(check: Checker, keys: Any) -> tuple[str, ...]:
    if not isinstance(keys, tuple) or len(keys) > MAX_COMPARED:
        check.fail("compare", f"a list of 0 to {MAX_COMPARED} shipped model names", keys)
    return tuple(check.pattern("compare", key, SHIPPED_KEY, "shipped model names")
                 for key in keys)


def _corpus(check: Checker, folder: Any) -> Path:
    if not isinstance(folder, Path):
        check.fail("corpus", "null or the path of a corpus index folder", folder)
    check.text("corpus", str(folder), MAX_PATH_CHARS, empty=False)
    return folder


def _interventions(check: Checker, edits: Any) -> tuple[Intervention, ...]:
    if not isinstance(edits, tuple) or len(edits) > MAX_INTERVENTIONS or not all(
            isinstance(edit, Intervention) for edit in edits):
        check.fail("interventions", f"a list of at most {MAX_INTERVENTIONS} edits", edits)
    return edits


def _edit_from_json(check: Checker, index: int, value: Any) -> Intervention:
    """One edit of the file: its spec (``"f=1@l0.fwd:steps=5-"``) or its fields, each
    checked for its JSON type (``Intervention`` checks what the values mean)."""
    key = f"interventions[{index}]"
    if isinstance(value, str):
        return parse_intervention(check.text(key, value, MAX_LOSS_CHARS, empty=False))
    if not isinstance(value, dict) or not set(value) <= set(_EDIT_FIELDS) or not {
            "quantity", "op", "value"} <= set(value):
        check.fail(key, "a spec or an object with quantity, op, value (and layer, "
                   "direction, units, start, stop)", value)
    units, stop = value.get("units"), value.get("stop")
    if units is not None and (not isinstance(units, list) or len(units) > MAX_HIDDEN_SIZE):
        check.fail(f"{key}.units", "null (every unit) or a list of unit numbers", units)
    return Intervention(
        quantity=check.choice(f"{key}.quantity", value["quantity"], _QUANTITIES),
        op=check.choice(f"{key}.op", value["op"], tuple(OPERATIONS.values())),
        value=check.number(f"{key}.value", value["value"]),
        layer=check.whole(f"{key}.layer", value.get("layer", 0), 0, MAX_INDEX),
        direction=check.choice(f"{key}.direction", value.get("direction", "fwd"),
                               ("fwd", "bwd")),
        units=None if units is None else tuple(
            check.whole(f"{key}.units", unit, 0, MAX_INDEX) for unit in units),
        start=check.whole(f"{key}.start", value.get("start", 0), 0, MAX_INDEX),
        stop=None if stop is None else check.whole(f"{key}.stop", stop, 1, MAX_INDEX))


def _docks(check: Checker, docks: Any) -> str:
    check.text("docks", docks, MAX_DOCKS_CHARS)
    try:
        base64.b64decode(docks, validate=True)
    except (binascii.Error, ValueError):
        check.fail("docks", "base64 text (Qt's saved window state)", docks)
    return str(docks)


def _extra(check: Checker, extra: Any) -> Mapping[str, Any]:
    if not isinstance(extra, Mapping):
        check.fail("extra", "a mapping of kept keys", extra)
    clashes = sorted(set(extra) & {*_FIELD_NAMES, "format", "version"})
    if clashes:
        check.fail("extra", "keys this version does not know", clashes)
    return MappingProxyType(dict(extra))


_FIELD_NAMES = tuple(session_field.name for session_field in fields(SessionFile)
                     if session_field.name != "extra")


def model_to_json(source: ModelSource, base_dir: Path | None = None) -> Any:
    """The JSON form of ``source``: a shipped key, ``{"file": PATH}`` (relative to
    ``base_dir`` when the file is inside it, with ``/``; ``"config"`` holds the
    source's configuration overrides, e.g. ``{"readout": "mean"}``) or
    ``{"random": {...}}``."""
    if source.key is not None:
        return source.key
    if source.path is not None:
        overrides = {"config": dict(source.overrides)} if source.overrides else {}
        names = {"map": dict(source.key_map)} if source.key_map else {}
        return {"file": _portable_path(source.path, base_dir), **overrides, **names}
    if source.spec is not None:
        return {"random": source.spec.to_dict()}
    raise SessionFileError(f"the model {source.title!r} was trained in this window and "
                           "has no file: save the model first, then the session")


def model_from_json(value: Any, base_dir: Path | None = None,
                    where: str = "session") -> ModelSource:
    """The :class:`ModelSource` of a JSON ``model`` value; a relative file path is
    read against ``base_dir`` (the session file's folder). The file is not opened."""
    check = Checker(where, SessionFileError, _FIX)
    with _naming(where):
        if isinstance(value, str):
            return ModelSource.shipped(check.pattern("model", value, SHIPPED_KEY, _MODEL_FORMS))
        if isinstance(value, dict) and "file" in value and set(value) <= {"file", "config",
                                                                          "map"}:
            text = check.text("model.file", value["file"], MAX_PATH_CHARS, empty=False)
            overrides, names = value.get("config", {}), value.get("map", {})
            if not isinstance(overrides, dict):
                check.fail("model.config", "an object of configuration fields", overrides)
            if not isinstance(names, dict):
                check.fail("model.map", 'an object {"OLD": "embedding|rnn|head"}', names)
            return ModelSource.file(Path(base_dir or ".") / text, overrides,
                                    check_key_map(names))
        if isinstance(value, dict) and len(value) == 1 and "random" in value:
            return ModelSource.random(RandomModelSpec.from_dict(value["random"],
                                                                f"{where}: model.random"))
    check.fail("model", _MODEL_FORMS, value)


def session_from_dict(data: Any, base_dir: Path | None = None,
                      where: str = "session") -> SessionFile:
    """A :class:`SessionFile` from a parsed JSON object, migrated to this version.

    ``base_dir`` is the folder relative model paths are read against; ``where`` names
    the file in messages. Raises :class:`SessionFileError`.
    """
    if not isinstance(data, dict):
        raise SessionFileError(f"{where}: not a session file (the top level is a JSON "
                               f"{_json_type(data)}, not an object)")
    if data.get("format") != SESSION_FORMAT:
        raise SessionFileError(f'{where}: not an RNN Studio session (no "format": '
                               f'"{SESSION_FORMAT}"; found {show(data.get("format"))})')
    _require(data, ("version",), where)
    data = _migrated(data, where)
    _require(data, ("model", "text"), where)
    check = Checker(where, SessionFileError, _FIX)
    values = {key: data[key] for key in _FIELD_NAMES if key in data}
    values["model"] = model_from_json(data["model"], base_dir, where)
    if data.get("lesson") is not None:
        lesson = data["lesson"]
        if not isinstance(lesson, dict) or set(lesson) != {"name", "part"}:
            check.fail("lesson", 'null or {"name": NAME, "part": INDEX}', lesson)
        values["lesson"] = (lesson["name"], lesson["part"])
    if "compare" in data:
        if not isinstance(data["compare"], list):
            check.fail("compare", f"a list of 0 to {MAX_COMPARED} shipped model names",
                       data["compare"])
        values["compare"] = tuple(data["compare"])
    if "interventions" in data:
        edits = data["interventions"]
        if not isinstance(edits, list) or len(edits) > MAX_INTERVENTIONS:
            check.fail("interventions", f"a list of at most {MAX_INTERVENTIONS} edits", edits)
        with _naming(where):
            values["interventions"] = tuple(_edit_from_json(check, index, edit)
                                            for index, edit in enumerate(edits))
    if data.get("corpus") is not None:
        text = check.text("corpus", data["corpus"], MAX_PATH_CHARS, empty=False)
        values["corpus"] = Path(base_dir or ".") / text
    extra = {key: value for key, value in data.items()
             if key not in (*_FIELD_NAMES, "format", "version")}
    with _naming(where):
        return SessionFile(**values, extra=extra)


def session_to_dict(session: SessionFile, base_dir: Path | None = None) -> dict[str, Any]:
    """The JSON object of ``session``, ``format`` and ``version`` first, kept keys last."""
    data: dict[str, Any] = {"format": SESSION_FORMAT, "version": SESSION_VERSION,
                            "model": model_to_json(session.model, base_dir)}
    for name in _FIELD_NAMES[1:]:
        data[name] = getattr(session, name)
    if session.lesson is not None:
        data["lesson"] = {"name": session.lesson[0], "part": session.lesson[1]}
    data["compare"] = list(session.compare)
    data["interventions"] = [edit.to_dict() for edit in session.interventions]
    data["corpus"] = (None if session.corpus is None
                      else _portable_path(session.corpus, base_dir))
    data.update(session.extra)
    return data


def load_session(path: str | Path) -> SessionFile:
    """Read a ``.rnnstudio`` file (at most ``MAX_SESSION_BYTES``); relative model paths
    are read against the file's folder. Raises :class:`SessionFileError`."""
    path = Path(path)
    data = read_json_file(path, SessionFileError, max_bytes=MAX_SESSION_BYTES,
                          max_depth=MAX_JSON_DEPTH, fix=_FIX)
    return session_from_dict(data, path.parent, str(path))


def save_session(session: SessionFile, path: str | Path) -> Path:
    """Write ``session`` atomically as pretty UTF-8 JSON; returns the path written.

    Raises :class:`SessionFileError` for a model trained in the window (save it first)
    or kept keys that are not JSON, :class:`ExportError` for a name not ending in
    ``.rnnstudio`` or a folder that cannot be written. An existing file is replaced
    only once the new one is complete.
    """
    path = Path(path)
    if path.suffix.lower() != SESSION_SUFFIX:
        raise ExportError(f"cannot write {path}: session files end in {SESSION_SUFFIX}")
    try:
        data = session_to_dict(session, path.absolute().parent)
        text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        size = len(text.encode("utf-8"))
    except (SessionFileError, TypeError, ValueError) as exc:
        # a model only in memory; kept keys a caller gave that are not JSON
        raise SessionFileError(f"cannot write {path}: {first_line(exc)}") from exc
    if size > MAX_SESSION_BYTES:
        raise SessionFileError(f"cannot write {path}: {size:,} bytes, more than the "
                               f"{MAX_SESSION_BYTES:,} a session may hold; shorten the text")
    return write_text_atomic(path, text)


def is_session_file(path: str | Path) -> bool:
    """True when ``path`` starts like a session: a JSON object with ``"format":
    "rnnstudio-session"`` in its first 4 KB (the writer puts it first). Never raises."""
    try:
        with Path(path).open("rb") as stream:
            head = stream.read(_SNIFF_BYTES)
    except (OSError, ValueError):
        return False
    return _SNIFF.match(head) is not None


def _migrated(data: dict[str, Any], where: str) -> dict[str, Any]:
    """``data`` brought to ``SESSION_VERSION`` through ``_MIGRATIONS``, one step each."""
    version = Checker(where, SessionFileError, _FIX).whole("version", data["version"], 0,
                                                           MAX_INDEX)
    if version > SESSION_VERSION:
        raise SessionFileError(f"{where}: session format version {version} is newer than "
                               f"this RNN Studio reads ({SESSION_VERSION}); update RNN Studio")
    while version < SESSION_VERSION:
        if version not in _MIGRATIONS:
            raise SessionFileError(f"{where}: session format version {version} is not one "
                                   f"RNN Studio ever wrote (1 to {SESSION_VERSION}); {_FIX}")
        data = {**_MIGRATIONS[version](dict(data)), "version": version + 1}
        version += 1
    return data


def _require(data: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [key for key in keys if key not in data]
    if missing:
        raise SessionFileError(f'{where}: missing key "{missing[0]}"; add it (the keys are'
                               " listed in docs/formats.md)")


def _portable_path(path: Path, base_dir: Path | None) -> str:
    """``path`` relative to ``base_dir`` with ``/`` when it lies inside it, else absolute."""
    if base_dir is not None:
        with contextlib.suppress(ValueError):  # not inside (or on another drive)
            return path.relative_to(base_dir.absolute()).as_posix()
    return str(path)


@contextlib.contextmanager
def _naming(where: str) -> Iterator[None]:
    """Any other :class:`RnnStudioError` becomes a :class:`SessionFileError` naming
    ``where`` (the engine's and the spec's messages do not know the file)."""
    try:
        yield
    except RnnStudioError as exc:
        message = first_line(exc)
        if not message.startswith(where):
            message = f"{where}: {message}"
        raise SessionFileError(message) from exc


def _json_type(value: Any) -> str:
    names = {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}
    return names.get(type(value), "null" if value is None else type(value).__name__)

