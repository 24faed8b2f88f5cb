"""Loss string forms, targets and refusals (the values and gradients themselves are
checked in test_gradcheck.py and test_torch_parity.py)."""

from __future__ import annotations

import numpy as np
import pytest

from rnnstudio.engine.losses import (
    ClassCrossEntropy,
    LastOutputSum,
    NextTokenCrossEntropy,
    Probe,
    TagCrossEntropy,
    parse_loss,
)
from rnnstudio.errors import RnnStudioError

from .cases import LABELS, TEXT, TEXT_WITH_UNKNOWN, VOCABULARY, make_config
from .engine_side import bare_model, vocab_model
from .reference import random_params


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("last-output-sum", LastOutputSum()),
        ("next-token", NextTokenCrossEntropy()),
        ("probe:2:1", Probe(2, 1)),
        ("probe:-1:0:c", Probe(-1, 0, quantity="c")),
        ("probe:3:4:h:0:bwd", Probe(3, 4, quantity="h", layer=0, direction="bwd")),
        ("class", ClassCrossEntropy()),
        ("class:positive", ClassCrossEntropy("positive")),
        ("class:1", ClassCrossEntropy(1)),
        ("tag", TagCrossEntropy()),
        ("tag:3", TagCrossEntropy(3)),
        ("tag:-1:positive", TagCrossEntropy(-1, "positive")),
        ("tag:2:1", TagCrossEntropy(2, 1)),
    ],
)
def test_string_forms(text, expected):
    assert parse_loss(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sum",
        "probe",
        "probe:1",
        "probe:a:1",
        "probe:1:1:x",
        "probe:1:1:h:0:up",
        "next-token:1",
        "class:a:b",
        "tag:a",
        "tag:1:2:3",
    ],
)
def test_bad_string_forms_are_refused_with_the_accepted_forms(text):
    with pytest.raises(RnnStudioError, match="last-output-sum"):
        parse_loss(text)


def bidirectional_lstm():
    cfg = make_config("lstm", 2, True)
    return bare_model(cfg, random_params(cfg, 41))


def test_a_string_loss_gives_the_gradients_of_its_object():
    model = bidirectional_lstm()
    from_string = model.trace(TEXT, loss="probe:-2:3:c:0:bwd").grads
    from_object = model.trace(TEXT, loss=Probe(4, 3, quantity="c", layer=0, direction="bwd")).grads
    assert from_string.loss_value == from_object.loss_value
    for key, values in from_object.c.items():
        np.testing.assert_array_equal(from_string.c[key], values)


def test_negative_step_and_unit_count_from_the_end():
    model = bidirectional_lstm()
    trace = model.trace(TEXT, loss=Probe(-1, -1, layer=-1, direction="bwd"))
    top = trace.layer(1, "bwd").h
    assert trace.grads.loss_value == top[-1, -1]


def classifier():
    cfg = make_config("gru")
    params = random_params(cfg, 42, vocab_size=len(VOCABULARY), classes=len(LABELS))
    return vocab_model(cfg, params, "classify")


def test_class_by_label_by_index_and_predicted():
    model = classifier()
    by_label = model.trace(TEXT, loss=ClassCrossEntropy(LABELS[2])).grads
    by_index = model.trace(TEXT, loss=ClassCrossEntropy(2)).grads
    assert by_label.loss_value == by_index.loss_value
    np.testing.assert_array_equal(by_label.x, by_index.x)
    trace = model.trace(TEXT, loss=ClassCrossEntropy())
    predicted = int(np.argmax(trace.logits[-1]))
    expected = model.trace(TEXT, loss=ClassCrossEntropy(predicted)).grads
    assert trace.grads.loss_value == expected.loss_value
    np.testing.assert_array_equal(trace.grads.x, expected.x)


def test_default_losses_follow_the_task():
    model = classifier()
    assert (
        model.trace(TEXT).grads.loss_value
        == model.trace(TEXT, loss=ClassCrossEntropy()).grads.loss_value
    )
    bare = bidirectional_lstm()
    assert (
        bare.trace(TEXT).grads.loss_value == bare.trace(TEXT, loss=LastOutputSum()).grads.loss_value
    )


@pytest.mark.parametrize(
    "loss",
    [
        pytest.param(ClassCrossEntropy(), id="class-without-head"),
        pytest.param(NextTokenCrossEntropy(), id="next-token-without-head"),
        pytest.param(TagCrossEntropy(), id="tag-without-head"),
        pytest.param(Probe(0, 0, quantity="c"), id="gru-has-no-c"),
        pytest.param(Probe(6, 0), id="step-6-of-6"),
        pytest.param(Probe(0, 5), id="unit-5-of-5"),
        pytest.param(Probe(0, 0, layer=1), id="layer-1-of-1"),
        pytest.param(Probe(0, 0, direction="bwd"), id="no-reverse-direction"),
    ],
)
def test_impossible_losses_are_refused(loss):
    cfg = make_config("gru")
    model = bare_model(cfg, random_params(cfg, 43))
    with pytest.raises(RnnStudioError):
        model.trace(TEXT, loss=loss)


def test_unknown_class_label_and_one_token_next_token_are_refused():
    with pytest.raises(RnnStudioError, match="unknown class"):
        classifier().trace(TEXT, loss=ClassCrossEntropy("sideways"))
    cfg = make_config("rnn-tanh")
    params = random_params(cfg, 44, vocab_size=len(VOCABULARY), classes=len(VOCABULARY))
    model = vocab_model(cfg, params, "next-token")
    with pytest.raises(RnnStudioError, match="two tokens"):
        model.trace("cat", loss=NextTokenCrossEntropy())
    assert model.trace(TEXT_WITH_UNKNOWN).grads.loss_name == "next-token"


def tagger():
    cfg = make_config("lstm", 1, True)
    params = random_params(cfg, 45, vocab_size=len(VOCABULARY), classes=len(LABELS))
    return vocab_model(cfg, params, "tag")


def test_tag_losses_use_the_predicted_tag_by_default():
    model = tagger()
    trace = model.trace(TEXT, loss=TagCrossEntropy())
    log_probs = trace.logits - np.log(np.exp(trace.logits).sum(axis=-1, keepdims=True))
    assert trace.grads.loss_name == "tag" == model.default_loss().name
    assert trace.grads.loss_value == pytest.approx(-log_probs.max(axis=-1).mean(), rel=1e-12)
    predicted = int(np.argmax(trace.logits[2]))
    one = model.trace(TEXT, loss="tag:2").grads
    named = model.trace(TEXT, loss=f"tag:2:{LABELS[predicted]}").grads
    assert one.loss_value == named.loss_value == pytest.approx(-log_probs[2].max(), rel=1e-12)
    np.testing.assert_array_equal(one.x, named.x)
    with pytest.raises(RnnStudioError, match="unknown tag 'sideways'"):
        model.trace(TEXT, loss=TagCrossEntropy(0, "sideways"))
    with pytest.raises(RnnStudioError, match="tag step 6 is out of range"):
        model.trace(TEXT, loss=TagCrossEntropy(6))


def test_a_bidirectional_taggers_decision_depends_on_later_words():
    """dL/dx_t of the tag at step 1 is non-zero at later steps only through the reverse
    direction: zero for a forward-only tagger, non-zero for a bidirectional one."""
    later = {}
    for bidirectional in (False, True):
        cfg = make_config("gru", 1, bidirectional)
        params = random_params(cfg, 46, vocab_size=len(VOCABULARY), classes=len(LABELS))
        grads = vocab_model(cfg, params, "tag").trace(TEXT, loss="tag:1").grads
        later[bidirectional] = np.abs(grads.x[2:]).max()
        assert np.abs(grads.x[:2]).max() > 0
    assert later[False] == 0.0 < later[True]


@pytest.mark.parametrize(
    "loss",
    [LastOutputSum(), NextTokenCrossEntropy(), ClassCrossEntropy(), ClassCrossEntropy("pos"),
     ClassCrossEntropy(1), TagCrossEntropy(), TagCrossEntropy(3), TagCrossEntropy(-2, "idiom"),
     Probe(2, 1), Probe(-1, 4, "c", 0, "bwd")],
    ids=lambda loss: loss.name,
)
def test_a_loss_reads_back_from_its_name(loss):
    assert parse_loss(loss.name) == loss


def test_bound_steps_fit_only_texts_that_have_them():
    assert Probe(3, 0).bound_step == 3 and TagCrossEntropy(-2).bound_step == -2
    assert LastOutputSum().bound_step is None and TagCrossEntropy().bound_step is None
    assert Probe(3, 0).fits(4) and not Probe(3, 0).fits(3)
    assert TagCrossEntropy(-2).fits(2) and not TagCrossEntropy(-3).fits(2)
    assert ClassCrossEntropy().fits(1) and NextTokenCrossEntropy().fits(0)


def test_a_step_bound_loss_names_its_token():
    tokens = ["feeling", "under", "the", "weather"]
    assert TagCrossEntropy(1, "idiom").describe(tokens) == (
        "cross-entropy of the tag “idiom” for “under” (step 1)")
    assert TagCrossEntropy(-1).describe(tokens) == (
        "cross-entropy of the predicted tag of “weather” (step 3)")
    assert TagCrossEntropy(9).describe(tokens).endswith("of step 9")
    assert Probe(0, 5, "c", 0).describe(tokens) == (
        "probe: c of unit 5 at “feeling” (step 0) (layer 0, fwd)")
    assert "every word" in TagCrossEntropy().describe(tokens)
