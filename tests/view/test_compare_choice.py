"""Compare follows the open model, and says when the text is outside a model's training
(issue 11: from the sentiment model, Compare compared the recall models on a review)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rnnstudio.engine.model import Model, random_model
from rnnstudio.engine.tasks import make_task
from rnnstudio.io.model_source import ModelSource, RandomModelSpec, load_shipped_model
from rnnstudio.models_index import find_model
from rnnstudio.view.compare import compare_models, describe_notes
from rnnstudio.view.compare_choice import Contender, follow_choice, hand_choice
from rnnstudio.view.distribution import distribution_note, trained_length

SENTIMENT = ("sentiment-rnn", "sentiment-lstm", "sentiment-gru")
#: A camera review in words the sentiment task never generates (lens, battery, ...).
CAMERA_REVIEW = ("the lens is sharp but the battery dies after an hour and the menus "
                 "are confusing , so i returned it")
IN_VOCABULARY = "i bought it last week and the camera was not very good ."


def _unknown_count(model: Model, text: str) -> tuple[int, int]:
    """Unknown tokens and all tokens of ``text``, counted with the model's tokenizer."""
    tokens = model.tokenizer.split(text)
    vocabulary = set(model.tokenizer.vocabulary or ())
    return sum(token not in vocabulary for token in tokens), len(tokens)


def _keys(choice) -> list[str]:  # type: ignore[no-untyped-def]
    return [contender.key for contender in choice.contenders]


def test_a_shipped_model_compares_the_three_cells_of_its_task() -> None:
    model = load_shipped_model("sentiment-lstm")
    choice = follow_choice(ModelSource.shipped("sentiment-lstm"), model)
    assert _keys(choice) == list(SENTIMENT)
    assert [contender.label for contender in choice.contenders] == ["RNN", "LSTM", "GRU"]
    assert "Review sentiment with negation" in choice.statement
    recall = follow_choice(ModelSource.shipped("recall-gru"), load_shipped_model("recall-gru"))
    assert _keys(recall) == ["recall-rnn", "recall-lstm", "recall-gru"]


def test_a_file_with_a_shipped_vocabulary_is_compared_with_that_task() -> None:
    entry = find_model("sentiment-gru")
    with entry.as_file() as path:
        source = ModelSource.file(Path(path))
        choice = follow_choice(source, source.load())
    assert _keys(choice) == ["open", *SENTIMENT]
    assert choice.contenders[0].label == "GRU (open)"
    assert "beside the shipped “Review sentiment with negation” models" in choice.statement


def test_a_model_trained_in_the_window_on_a_shipped_task_is_compared_with_it() -> None:
    from rnnstudio.engine.training import TrainConfig, train

    trained = train(TrainConfig(task="recall", cell="gru", hidden_size=4, steps=5,
                                eval_every=5, task_options={"max_gap": 10, "mixed": True}))
    choice = follow_choice(ModelSource.in_memory("trained GRU"), trained.model)
    assert _keys(choice) == ["open", "recall-rnn", "recall-lstm", "recall-gru"]
    assert trained_length(trained.model) == 22  # its own card: gaps up to 10
    text = find_model("recall-rnn").sample  # 52 tokens, a gap of 41 words
    rows = compare_models(choice.contenders, text, open_task="recall")
    assert [row.note for row in rows] == [  # the shipped ones: gaps up to 20
        "52 tokens, longer than the 22 it was trained on",
        *["52 tokens, longer than the 32 it was trained on"] * 3]


def test_a_random_model_is_compared_with_random_cells_of_its_sizes_and_says_so() -> None:
    spec = RandomModelSpec(cell="lstm", hidden_size=12, seed=3, gain=0.5)
    source = ModelSource.random(spec)
    choice = follow_choice(source, source.load())
    assert _keys(choice) == ["open", "random-rnn", "random-gru"]
    assert choice.statement.startswith("The open random model beside the other cells with "
                                       "its sizes (1 x 12, input 16), seed and gain")
    rows = compare_models(choice.contenders, "a b c d")
    assert [row.label for row in rows] == ["LSTM (open)", "RNN (random)", "GRU (random)"]
    assert [row.trace.config.recurrent.hidden_size for row in rows] == [12, 12, 12]
    gru = spec.__class__(**{**spec.to_dict(), "cell": "gru"}).build()
    assert rows[2].trace.layer(0).h == pytest.approx(gru.trace("a b c d").layer(0).h)
    assert all(row.note is None for row in rows)  # hashed embeddings know every token


def test_a_model_of_unknown_task_and_vocabulary_is_beside_random_models(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = random_model("gru", hidden_size=6, input_size=5, num_layers=2)
    choice = follow_choice(ModelSource.file(tmp_path / "mine.safetensors"), model)
    assert _keys(choice) == ["open", "random-rnn", "random-lstm", "random-gru"]
    assert choice.contenders[0].title == "Open model: mine.safetensors"
    assert "random models of its sizes (2 x 6, input 5): no shipped model shares its " \
           "task and vocabulary" in choice.statement


def test_the_camera_review_is_outside_the_sentiment_vocabulary() -> None:
    rows = compare_models(hand_choice(SENTIMENT).contenders, CAMERA_REVIEW)
    unknown, total = _unknown_count(load_shipped_model("sentiment-lstm"), CAMERA_REVIEW)
    assert (unknown, total) == (13, 21)  # lens sharp but battery dies after an hour
    # menus are confusing , returned: counted by hand too
    for row in rows:
        assert row.note == f"{unknown} of {total} tokens unknown to this model"
        assert len(row.trace.unknown) == unknown
    assert describe_notes(rows) == f"RNN, LSTM, GRU: {unknown} of {total} tokens unknown " \
                                   "to this model"
    mixed = compare_models(hand_choice(["sentiment-gru", "recall-gru"]).contenders,
                           CAMERA_REVIEW, open_task="sentiment")
    recall_unknown, _ = _unknown_count(load_shipped_model("recall-gru"), CAMERA_REVIEW)
    assert describe_notes(mixed).splitlines() == [
        f"sentiment-gru: {unknown} of {total} tokens unknown to this model",
        f"recall-gru: {recall_unknown} of {total} tokens unknown to this model; trained on recall,"
        " not on sentiment like the open model"]
    inside = compare_models(hand_choice(SENTIMENT).contenders, IN_VOCABULARY)
    assert [row.note for row in inside] == [None, None, None] and not describe_notes(inside)


@pytest.mark.parametrize(("text", "outside"), [
    # one unknown word ("lens", 1 of 13): under the 20% that makes a note
    ("i bought a lens last week and the camera was not very good .", False),
    # the recall sample: 53 tokens, most of them words no review uses
    (find_model("recall-rnn").sample, True),
])
def test_the_note_counts_what_the_tokenizer_does_not_know(text: str, outside: bool) -> None:
    model = load_shipped_model("sentiment-gru")
    trace = model.trace(text)
    unknown, total = _unknown_count(model, text)
    assert (unknown > 0.2 * total) == outside
    note = distribution_note(model, trace) or ""
    assert (f"{unknown} of {total} tokens unknown to this model" in note) == outside
    longest = make_task("sentiment").longest
    assert trained_length(model) == longest == 28
    assert (f"{total} tokens, longer than the {longest} it was trained on" in note) == (
        total > longest)


def test_a_model_of_another_task_says_so() -> None:
    recall = load_shipped_model("recall-lstm")
    text = "tom is allergic to fish so he cannot eat the"
    note = distribution_note(recall, recall.trace(text), open_task="sentiment")
    assert note == "trained on recall, not on sentiment like the open model"
    assert distribution_note(recall, recall.trace(text), open_task="recall") is None
    assert trained_length(recall) == 32  # gaps up to 20 (the card's task options)


def test_hand_choice_keeps_the_keys() -> None:
    choice = hand_choice(["idioms-rnn", "recall-gru"])
    assert [c.key for c in choice.contenders] == ["idioms-rnn", "recall-gru"]
    assert [c.label for c in choice.contenders] == ["idioms-rnn", "recall-gru"]
    assert isinstance(choice.contenders[1], Contender)
    assert choice.contenders[1].load() is load_shipped_model("recall-gru")
