"""Every number the recall, overwrite and idiom lessons quote (03-short-memory,
07-lstm-highway, 09-bidirectional, 10-alice), re-measured on the shipped models through the
engine, and each qualitative claim tried on many sentences (every name, allergen, fact
phrasing and question cue; random gap fillers), not only on the lesson's own sentence.
A rebuilt model that no longer says what its lesson says fails here.
"""

from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest

from rnnstudio.engine.model import Model
from rnnstudio.engine.tasks import ALLERGIES, FACT_PHRASES, FILLER, NAMES, QUESTIONS
from rnnstudio.io.model_source import load_shipped_model
from rnnstudio.models_index import find_model
from rnnstudio.view.lessons import LessonStage, load_lessons

CELLS = ("rnn", "lstm", "gru")
GAP = 30  # the gap of the sentences the statistics are measured on


@cache
def model(key: str) -> Model:
    return load_shipped_model(key)


def stages(name: str) -> tuple[LessonStage, ...]:
    """The stages as the app reads them (a stage inherits the lesson's fields)."""
    return next(lesson for lesson in load_lessons() if lesson.name == name).stages


def answer(key: str, text: str) -> tuple[str, float]:
    """The class read at the last word and its probability."""
    logits = model(key).trace(text).logits[-1]
    scores = np.exp(logits - logits.max())
    best = int(scores.argmax())
    return model(key).config.labels[best], float(scores[best] / scores.sum())


def gap_words(rng: np.random.Generator, count: int) -> str:
    return " ".join(FILLER[k] for k in rng.integers(len(FILLER), size=count))


def one_fact_sentences(seed: int = 11) -> list[tuple[str, str]]:
    """(allergen, sentence) for every name and allergen, each with its own random gap."""
    rng = np.random.default_rng(seed)
    return [(allergen, f"{name} is allergic to {allergen} . {gap_words(rng, GAP)} "
                       f"{pronoun} can't eat")
            for name, pronoun in NAMES for allergen in ALLERGIES]


def card(key: str) -> dict:
    return model(key).config.card


# -- 03-short-memory and 10-alice: what each cell answers -----------------------------

def test_short_memory_answers_on_the_lessons_sentences() -> None:
    lesson = stages("03-short-memory")
    long_nuts = find_model("recall-rnn").sample
    assert lesson[0].sentence is None  # the index's sample
    assert [answer(f"recall-{cell}", long_nuts)[0] for cell in CELLS] == [
        "omelette", "peanut butter", "peanut butter"]
    assert answer("recall-rnn", long_nuts)[1] == pytest.approx(0.50, abs=0.01)
    for cell in ("lstm", "gru"):
        assert answer(f"recall-{cell}", long_nuts)[1] > 0.995
    gap_zero = lesson[1].sentence
    assert answer("recall-rnn", gap_zero)[0] == "omelette"
    assert answer("recall-rnn", gap_zero)[1] == pytest.approx(0.50, abs=0.01)
    milk = lesson[2].sentence
    assert milk == long_nuts.replace("nuts", "milk")
    assert all(answer(f"recall-{cell}", milk)[0] == "cheese" for cell in CELLS)
    assert answer("recall-rnn", milk)[1] > 0.995


def test_the_rnn_cannot_tell_nuts_from_eggs_at_any_gap() -> None:
    """The per-allergen figures of the cards (quoted by 03), and the claim behind them on
    32 sentences: for nuts and eggs the RNN puts about half on each of the two dishes."""
    rnn = card("recall-rnn")["held_out_by_allergen"]
    assert {gap: round(rnn[gap]["nuts"], 2) for gap in rnn} == {
        "0": 0.35, "20": 0.28, "80": 0.33, "160": 0.46}
    assert {gap: round(rnn[gap]["eggs"], 2) for gap in rnn} == {
        "0": 0.74, "20": 0.69, "80": 0.70, "160": 0.53}
    assert min(rnn[gap][a] for gap in rnn for a in ("milk", "fish")) >= 0.97
    by_gap = card("recall-rnn")["held_out_by_gap"]  # gaps 0-160
    assert len(by_gap) == 7
    assert round(min(by_gap.values()), 2) == 0.74 and round(max(by_gap.values()), 2) == 0.76
    for cell in ("lstm", "gru"):
        gated = card(f"recall-{cell}")
        assert min(gated["held_out_by_gap"].values()) == 1.0
        assert min(v for by in gated["held_out_by_allergen"].values() for v in by.values()) == 1.0
    for allergen, text in one_fact_sentences():
        dish, probability = answer("recall-rnn", text)
        if allergen in ("nuts", "eggs"):
            assert dish in ("peanut butter", "omelette") and probability < 0.55
        else:
            assert dish == ALLERGIES[allergen] and probability > 0.99


def test_alice_as_written_and_its_paraphrases() -> None:
    """10-alice: the primer's sentence, cut before the answer, and the same fact in every
    phrasing, cue and name the task knows (280 sentences at gap 0, 32 with a gap)."""
    lesson = stages("10-alice")
    written = lesson[0].sentence
    assert written == "Alice is allergic to nuts. She can't eat"
    assert model("recall-lstm").tokenize(written).unknown == []
    for cell in ("lstm", "gru"):
        assert answer(f"recall-{cell}", written) == ("peanut butter", pytest.approx(1.0, abs=0.002))
        assert answer(f"recall-{cell}", lesson[1].sentence)[0] == "peanut butter"
    for text in (written, lesson[1].sentence):
        assert answer("recall-rnn", text)[0] == "omelette"
        assert answer("recall-rnn", text)[1] == pytest.approx(0.50, abs=0.01)
    for (name, pronoun), phrase, cue in itertools.product(NAMES, FACT_PHRASES, QUESTIONS):
        cue = cue.replace("she", pronoun)
        text = f"{name} {phrase} nuts . {cue}"
        assert answer("recall-lstm", text)[0] == "peanut butter", text
        assert answer("recall-gru", text)[0] == "peanut butter", text
    for allergen, text in one_fact_sentences(seed=12):
        assert answer("recall-lstm", text)[0] == ALLERGIES[allergen]


# -- 07-lstm-highway ----------------------------------------------------------------

@cache
def highway_figures() -> dict[str, dict[str, tuple[float, float]]]:
    """Per allergen, over 8 sentences (one per name): decades by which the LSTM's
    ||dL/dc_t|| and the RNN's ||dL/dh_t|| fall from the gap's last word back to its first."""
    drops: dict[str, dict[str, list[float]]] = {}
    for allergen, text in one_fact_sentences():
        lstm, rnn = model("recall-lstm").trace(text), model("recall-rnn").trace(text)
        first, last = 6, 5 + GAP  # the gap's first and last words
        cell_grad = np.linalg.norm(lstm.grads.c[0, "fwd"], axis=1)
        hidden_grad = np.linalg.norm(rnn.grads.h[0, "fwd"], axis=1)
        by = drops.setdefault(allergen, {"lstm": [], "rnn": []})
        by["lstm"].append(float(np.log10(cell_grad[last] / cell_grad[first])))
        by["rnn"].append(float(np.log10(hidden_grad[last] / hidden_grad[first])))
    return {a: {c: (min(v), max(v)) for c, v in by.items()} for a, by in drops.items()}


def test_the_cell_state_gradient_falls_far_less_than_the_rnns() -> None:
    figures = highway_figures()
    lstm = [x for by in figures.values() for x in by["lstm"]]
    assert round(min(lstm), 1) == 0.5 and round(max(lstm), 1) == 2.2
    rnn_low = [figures[a]["rnn"] for a in ("nuts", "milk", "eggs")]
    assert round(min(lo for lo, _ in rnn_low)) == 20 and round(max(hi for _, hi in rnn_low)) == 23
    assert round(figures["fish"]["rnn"][1], 1) == 1.5  # fish: the RNN's gradient survives


@cache
def gate_figures() -> dict[str, np.ndarray]:
    """Forget and output gates over the gap words, and c at the gap's end: (32, ...)."""
    forget, output, cell_end = [], [], []
    for _, text in one_fact_sentences():
        layer = model("recall-lstm").trace(text).layer(0, "fwd")
        forget.append(layer.gates["f"][6 : 6 + GAP])
        output.append(layer.gates["o"][6 : 6 + GAP])
        cell_end.append(layer.c[5 + GAP])
    return {"f": np.array(forget), "o": np.array(output), "c": np.array(cell_end)}


def test_no_unit_holds_its_forget_gate_at_one_across_the_gap() -> None:
    figures = gate_figures()
    forget = figures["f"]  # (32 sentences, GAP, H)
    assert forget.min(axis=(0, 1)).max() < 0.9  # no unit above 0.9 at every gap word
    share = (forget > 0.9).mean(axis=(0, 1))
    assert int(share.argmax()) == 28 and round(float(share[28]), 2) == 0.77
    assert round(float(forget[..., 28].mean()), 2) == 0.92
    assert round(float(forget[..., 28].min()), 2) == 0.42
    means = forget.mean(axis=(0, 1))
    assert round(float(means.min()), 2) == 0.72 and round(float(means.max()), 2) == 0.92
    # the unit whose c tells the four allergens apart best forgets on every word
    cell = figures["c"].reshape(len(NAMES), len(ALLERGIES), -1)
    separation = cell.mean(axis=0).std(axis=0) / cell.std(axis=0).mean(axis=0)
    assert int(separation.argmax()) == 27
    assert round(float(forget[..., 27].mean()), 2) == 0.72


def test_the_output_gate_stays_mostly_open() -> None:
    output = gate_figures()["o"]
    assert round(float(output.mean()), 2) == 0.78
    means = output.mean(axis=(0, 1))
    assert round(float(means.min()), 2) == 0.63 and round(float(means.max()), 2) == 0.94


@cache
def overwrite_figures() -> dict[str, np.ndarray]:
    """On 360 two-fact sentences (30 ordered name pairs x 12 allergen pairs, gaps of 5):
    answers, and how much c and h still depend on the first allergen."""
    rng = np.random.default_rng(5)
    right, shrink_c, shrink_h, forget = [], [], [], []
    for (first, _), (second, pronoun) in itertools.permutations(NAMES[:6], 2):
        gap1, gap2 = gap_words(rng, 5), gap_words(rng, 5)
        for allergen in ALLERGIES:
            states = []
            for old in (a for a in ALLERGIES if a != allergen):
                text = (f"{first} is allergic to {old} . {gap1} {second} is allergic to "
                        f"{allergen} . {gap2} so {pronoun} cannot eat the")
                trace = model("overwrite-lstm").trace(text)
                layer = trace.layer(0, "fwd")
                start = trace.tokens.index(second, 6)
                right.append(answer("overwrite-lstm", text)[0] == ALLERGIES[allergen])
                states.append((layer.c[start - 1], layer.c[-1], layer.h[start - 1], layer.h[-1]))
                mean_f = layer.gates["f"].mean(axis=1)
                forget.append((mean_f[start + 4], mean_f[start + 6 : start + 11].mean(),
                               mean_f[4]))
            spread = np.abs(np.array(states) - np.array(states).mean(axis=0)).mean(axis=(0, 2))
            shrink_c.append(spread[1] / spread[0])
            shrink_h.append(spread[3] / spread[2])
    return {"right": np.array(right), "c": np.array(shrink_c), "h": np.array(shrink_h),
            "f": np.array(forget)}


def test_the_second_fact_replaces_the_first() -> None:
    shown = stages("07-lstm-highway")[2]
    assert shown.source.key == "overwrite-lstm" and shown.sentence is not None
    assert answer("overwrite-lstm", shown.sentence) == ("cheese", pytest.approx(1.0, abs=0.01))
    assert shown.compare == ("overwrite-rnn", "overwrite-lstm", "overwrite-gru")
    assert [answer(key, shown.sentence)[0] for key in shown.compare] == ["cheese"] * 3
    figures = overwrite_figures()
    assert figures["right"].all() and len(figures["right"]) == 360
    assert figures["c"].max() < 0.25  # c keeps under a quarter of the first fact
    assert figures["h"].max() < 0.1
    forget = figures["f"]  # mean f at the 2nd allergen, over the 2nd gap, at the 1st
    assert round(float(forget[:, 0].min()), 2) == 0.39
    assert round(float(forget[:, 0].max()), 2) == 0.69
    assert round(float(forget[:, 1].mean()), 2) == 0.79
    assert (forget[:, 0] < forget[:, 1]).all()
    assert round(float(forget[:, 2].max()), 2) == 0.62  # it falls at the first fact too


# -- 09-bidirectional ---------------------------------------------------------------

def tag_probabilities(key: str, text: str, word: str) -> np.ndarray:
    trace = model(key).trace(text)
    logits = trace.logits[trace.tokens.index(word)]
    scores = np.exp(logits - logits.max())
    return scores / scores.sum()


def test_a_forward_tagger_cannot_know_at_under() -> None:
    weather, table = (stage.sentence or "" for stage in stages("09-bidirectional"))
    forward = [tag_probabilities("idioms-forward-lstm", text, "under") for text in (weather, table)]
    np.testing.assert_array_equal(forward[0], forward[1])  # same words read, same tag
    labels = model("idioms-forward-lstm").config.labels
    assert labels[int(forward[0].argmax())] == "idiom"
    assert round(float(forward[0][labels.index("idiom")]), 2) == 0.50
    both = [tag_probabilities("idioms-lstm", text, "under") for text in (weather, table)]
    assert [labels[int(p.argmax())] for p in both] == ["idiom", "literal"]
    assert min(p.max() for p in both) > 0.995
    for cell in CELLS:
        assert round(card(f"idioms-forward-{cell}")["held_out_at_phrase_start"], 2) in (0.49, 0.50)
        assert card(f"idioms-{cell}")["held_out_at_phrase_start"] == 1.0
        assert not model(f"idioms-forward-{cell}").config.recurrent.bidirectional
