"""Which models Compare reads the text with: the open model's task, or a set chosen by hand.

Issue 11: Compare opened from the sentiment LSTM used to compare the *recall* models on a
camera review (the index's first task). Now, unless the user (or a lesson) chose a set,
Compare follows the open model:

* a shipped model: the three cells trained on its task;
* a user's file, a random model or a model trained in the window: that model beside the
  shipped models of the same task when its tokenizer, vocabulary and task are theirs
  (a model trained in the Training dock on "sentiment" is), otherwise beside random models
  of its own sizes (one per cell), which read every token through a hashed embedding.

Qt-free: the session's Compare set calls :func:`follow_choice` when the model changes and
runs :func:`rnnstudio.view.compare.compare_models` on the contenders in a worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

from ..engine.config import CELLS
from ..engine.model import Model, random_model
from ..engine.tokenizers import Tokenizer
from ..errors import RnnStudioError
from ..io.model_files import load_model
from ..io.model_source import ModelSource, RandomModelSpec, load_shipped_model
from ..models_index import MAX_COMPARED, ShippedModel, shipped_models, shipped_title

__all__ = ["CompareChoice", "Contender", "follow_choice", "hand_choice", "shipped_task_of"]


@dataclass(frozen=True)
class Contender:
    """One model of the Compare set. ``key`` is unique in the set (a shipped key, ``open``
    or ``random-CELL``), ``label`` names it in the legend, ``load`` gives the model (run
    in the worker: shipped models come from their cache, random ones are built there)."""

    key: str
    label: str
    title: str
    load: Callable[[], Model] = field(compare=False, repr=False)

    @classmethod
    def shipped(cls, key: str) -> Contender:
        """A shipped model by ``task-cell`` key, labelled by its cell (``LSTM``)."""
        return cls(key, key.rsplit("-", 1)[-1].upper(), shipped_title(key),
                   partial(load_shipped_model, key))


@dataclass(frozen=True)
class CompareChoice:
    """The compared models and one sentence saying why these (shown above the plots)."""

    contenders: tuple[Contender, ...]
    statement: str


def hand_choice(keys: Sequence[str]) -> CompareChoice:
    """Shipped models chosen in the Task box, by a lesson or a restored session; when
    they come from several tasks each is labelled by its key (two "GRU" would clash)."""
    contenders = [Contender.shipped(key) for key in keys]
    if len({key.rsplit("-", 1)[0] for key in keys}) > 1:
        contenders = [replace(contender, label=contender.key) for contender in contenders]
    return CompareChoice(tuple(contenders), "Chosen by hand (Task box, lesson or session): "
                                            + ", ".join(keys) + ".")


def follow_choice(source: ModelSource, model: Model | None) -> CompareChoice:
    """What Compare shows for the open ``model`` (from ``source``); see the module."""
    if model is None:
        return CompareChoice((), "Open a model: Compare reads its text with the cells "
                                 "of its task.")
    if source.key is not None:
        family = _family(_task_of_key(source.key))
        if family:
            return CompareChoice(
                tuple(Contender.shipped(entry.key) for entry in family),
                f"The RNN, LSTM and GRU trained on “{family[0].task_title}”, the open "
                "model's task, read the window's text.")
    cell = model.config.recurrent.cell.upper()
    own = Contender("open", f"{cell} (open)", f"Open model: {source.title}",
                    lambda: model)
    task = shipped_task_of(model)
    if task is not None:
        family = _family(task)[:MAX_COMPARED - 1]
        return CompareChoice(
            (own, *(Contender.shipped(entry.key) for entry in family)),
            f"The open model beside the shipped “{family[0].task_title}” models: same "
            "task and vocabulary.")
    peers = _random_peers(source, model)
    sizes = _sizes(model)
    if not peers:
        return CompareChoice((own,), f"The open model alone: no shipped model shares its "
                                     f"task and vocabulary, and random models of its sizes "
                                     f"({sizes}) are over the random-model limits.")
    if source.spec is not None:
        return CompareChoice((own, *peers), "The open random model beside the other cells "
                                            f"with its sizes ({sizes}), seed and gain: random"
                                            " models have no task to share with the shipped "
                                            "ones.")
    return CompareChoice((own, *peers), f"The open model beside random models of its sizes "
                                        f"({sizes}): no shipped model shares its task and "
                                        "vocabulary.")


def shipped_task_of(model: Model) -> str | None:
    """The shipped task whose models read ``model``'s tokens and answer its question:
    same tokenizer (kind, vocabulary, case) and the same task and labels (or no head).
    The task the model's card names is tried first (one small file read, ~2 ms); a
    hashed embedding (a random model) reads no shipped vocabulary, so nothing is read."""
    if model.config.tokenizer.open:
        return None
    try:
        entries = shipped_models()
    except RnnStudioError:
        return None
    firsts: dict[str, ShippedModel] = {}
    for entry in entries:
        firsts.setdefault(entry.task, entry)
    named = model.config.card.get("task")
    order = sorted(firsts, key=lambda task: task != named)
    config = model.config
    for task in order:
        try:
            with firsts[task].as_file() as path:
                shipped = load_model(path).config
        except RnnStudioError:
            continue
        same_head = config.task is None or (config.task, config.labels) == (
            shipped.task, shipped.labels)
        if config.tokenizer == shipped.tokenizer and same_head:
            return task
    return None


def _task_of_key(key: str) -> str | None:
    try:
        return next(entry.task for entry in shipped_models() if entry.key == key)
    except (RnnStudioError, StopIteration):
        return None


def _family(task: str | None) -> list[ShippedModel]:
    """The shipped cells of ``task`` in index order (at most ``MAX_COMPARED``)."""
    try:
        entries = shipped_models()
    except RnnStudioError:
        return []
    return [entry for entry in entries if entry.task == task][:MAX_COMPARED]


def _sizes(model: Model) -> str:
    recurrent = model.config.recurrent
    both = " bidirectional" if recurrent.bidirectional else ""
    return f"{recurrent.num_layers} x {recurrent.hidden_size}{both}, input {recurrent.input_size}"


def _random_peers(source: ModelSource, model: Model) -> list[Contender]:
    """One random model per cell with the open model's sizes (and seed and gain when it
    is random itself), the open model's own spec left out; each reads the text with the
    open model's tokenizer kind (a hashed embedding: every token known), so all share
    one time axis. Sizes beyond the random-model limits give no peer."""
    recurrent, tokenizer = model.config.recurrent, model.config.tokenizer
    own = source.spec
    peers = []
    for cell in CELLS:
        spec = RandomModelSpec(
            cell=cell, hidden_size=recurrent.hidden_size,
            nonlinearity=recurrent.nonlinearity if cell == "rnn" else "tanh",
            num_layers=recurrent.num_layers, bidirectional=recurrent.bidirectional,
            seed=own.seed if own else 0, gain=own.gain if own else 1.0,
            dtype=own.dtype if own else "float32", input_size=recurrent.input_size)
        try:
            spec = spec.check()
        except RnnStudioError:
            continue
        if spec == own:
            continue
        peers.append(Contender(f"random-{cell}", f"{cell.upper()} (random)", spec.describe(),
                               partial(_random_reader, spec, tokenizer.kind,
                                       tokenizer.lowercase)))
    return peers[:MAX_COMPARED - 1]


def _random_reader(spec: RandomModelSpec, kind: str, lowercase: bool) -> Model:
    """``spec``'s random model reading tokens of ``kind`` (word or char)."""
    return random_model(spec.cell, hidden_size=spec.hidden_size,
                        input_size=spec.input_size, nonlinearity=spec.nonlinearity,
                        num_layers=spec.num_layers, bidirectional=spec.bidirectional,
                        seed=spec.seed, gain=spec.gain, dtype=spec.dtype,
                        tokenizer=Tokenizer(kind, None, lowercase))
