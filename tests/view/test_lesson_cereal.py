"""Lesson 11-cereal-review (claim j) and the log-odds numbers of docs/api.md and docs/gui.md,
measured on the shipped reviews models, and each claim tried on paraphrases: the product
swapped, the sentences reordered (Qt-free)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from rnnstudio.engine.attribution import Attribution
from rnnstudio.engine.losses import ClassCrossEntropy
from rnnstudio.engine.model import Model
from rnnstudio.io.model_source import load_shipped_model
from rnnstudio.view.attribution import strip_attribution
from rnnstudio.view.lessons import LessonStage, load_lessons

CEREAL = ("Amazing! This box of cereal gave me a perfectly balanced breakfast, as all "
          "things should be. I only ate half of it but will definitely be buying again!")
FADING = ("this", "gave", "all", "should")
KEYWORDS = ("amazing", "perfectly", "balanced", "definitely", "buying")
FIRST, LAST = ("This box of cereal gave me a perfectly balanced breakfast, as all things "
               "should be."), "I only ate half of it but will definitely be buying again!"
#: Other products for the review (what, meal).
SWAPS = (("bag of granola", "breakfast"), ("jar of peanut butter", "snack"),
         ("pack of coffee", "morning"), ("tin of soup", "lunch"))


def with_product(text: str, what: str, meal: str) -> str:
    return text.replace("box of cereal", what).replace("breakfast", meal)


#: The review with its product swapped or its sentences reordered.
PRODUCTS = [with_product(CEREAL, *swap) for swap in SWAPS]
REORDERED = [f"{LAST} {FIRST} Amazing!", f"{FIRST} Amazing! {LAST}", f"Amazing! {LAST} {FIRST}"]
VARIANTS = [CEREAL, *PRODUCTS, *REORDERED]
STAGES = next(lesson for lesson in load_lessons() if lesson.name == "11-cereal-review").stages


@cache
def model(cell: str) -> Model:
    return load_shipped_model(f"reviews-{cell}")


def positive(cell: str, text: str) -> float:
    logits = model(cell).trace(text, loss=None, jacobian=False).logits
    assert logits is not None
    return float(1.0 / (1.0 + np.exp(logits[-1, 0] - logits[-1, 1])))


def swapped(text: str) -> str:
    return text.replace("Amazing", "Terrible").replace("definitely", "never")


def occlusion(cell: str, text: str) -> Attribution:
    return model(cell).attribute(text, "occlusion", score="log-odds")


def says(stage: LessonStage, *phrases: str) -> None:
    shown = " ".join((stage.text, *stage.notice))
    for phrase in phrases:
        assert phrase in shown, phrase


def ranked(result: Attribution, count: int) -> list[tuple[str, str]]:
    order = np.argsort(-result.scores)[:count]
    return [(result.tokens[k], f"{result.scores[k]:.2f}") for k in order]


def score_of(result: Attribution, word: str) -> str:
    return f"{result.scores[result.tokens.index(word)]:.2f}"


def test_the_lesson_opens_the_review_on_the_lstm() -> None:
    first = STAGES[0]
    assert first.source.key == "reviews-lstm" and first.sentence == CEREAL
    assert STAGES[3].sentence == swapped(CEREAL)
    tokens = model("lstm").tokenize(CEREAL)
    assert tokens.unknown == [] and len(tokens.tokens) == 32


def test_log_p_saturates_where_the_log_odds_does_not() -> None:
    """docs/api.md, docs/gui.md and stage 1: log p -0.001, its largest gradient x input
    0.003, its occlusion 0.048, 0.015, 0.002; the log-odds 6.84."""
    lstm = model("lstm")
    log_p = lstm.attribute(CEREAL, "gradient-x-input")
    assert f"{log_p.score:.3f}" == "-0.001" and f"{np.abs(log_p.scores).max():.3f}" == "0.003"
    top = np.sort(lstm.attribute(CEREAL, "occlusion").scores)[::-1][:3]
    assert [f"{value:.3f}" for value in top] == ["0.048", "0.015", "0.002"]
    odds = occlusion("lstm", CEREAL)
    assert f"{positive('lstm', CEREAL):.3f}" == "0.999" and f"{odds.score:.2f}" == "6.84"
    assert ranked(odds, 3) == [("be", "3.86"), ("definitely", "2.70"), ("amazing", "1.03")]
    says(STAGES[0], "p = 0.999", "= 6.84", "log p itself is -0.001")


def test_stage_one_occlusion_and_integrated_gradients_of_the_lstm() -> None:
    odds = occlusion("lstm", CEREAL)
    assert ranked(odds, 5) == [("be", "3.86"), ("definitely", "2.70"), ("amazing", "1.03"),
                               ("buying", "1.00"), ("balanced", "0.68")]
    assert odds.tokens[int(np.argmax(odds.scores)) - 1] == "definitely"
    shown = strip_attribution(model("lstm"), model("lstm").tokenize(CEREAL),
                              "integrated-gradients", ClassCrossEntropy())
    assert shown.score_kind == "log-odds" and f"{shown.baseline_score:.2f}" == "0.34"
    assert abs(shown.completeness_gap) < 0.01 * (shown.score - shown.baseline_score)
    assert ranked(shown, 4) == [("be", "1.43"), ("definitely", "1.37"), ("amazing", "1.04"),
                                ("perfectly", "0.55")]
    assert [score_of(odds, word) for word in FADING] == ["0.04", "0.01", "0.38", "-0.45"]
    assert [score_of(shown, word) for word in FADING] == ["-0.02", "0.00", "0.24", "-0.24"]
    assert [token for token, _ in ranked(odds, 8)][-1] == "all"
    assert odds.tokens[int(np.argmin(odds.scores))] == "again"
    assert f"{odds.scores.min():.2f}" == "-0.89"
    says(STAGES[0], "\"be\" of \"definitely be buying\" 3.86", "\"balanced\" 0.68",
         "log-odds 0.34", "\"be\" 1.43, \"definitely\" 1.37, \"amazing\" 1.04, "
         "\"perfectly\" 0.55")
    says(STAGES[1], "\"this\" 0.04, \"gave\" 0.01", "\"all\" 0.38 (8th of 32)",
         "\"should\" -0.45", "\"this\" -0.02, \"gave\" 0.00, \"all\" 0.24, \"should\" -0.24",
         "occlusion -0.89")


def test_stage_one_the_gru_and_the_rnn() -> None:
    assert ranked(occlusion("gru", CEREAL), 2) == [("be", "4.15"), ("definitely", "2.38")]
    rnn = occlusion("rnn", CEREAL)
    assert ranked(rnn, 2) == [("be", "2.48"), ("buying", "1.45")]
    assert f"{np.sort(rnn.scores)[-3]:.2f}" == "0.23" and score_of(rnn, "amazing") == "0.18"
    says(STAGES[1], "\"be\" 4.15 and \"definitely\" 2.38", "\"be\" 2.48, \"buying\" 1.45",
         "at most 0.23 (\"amazing\" 0.18)")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("text", VARIANTS)
def test_keywords_carry_the_verdict_and_this_and_gave_fade_on_paraphrases(cell, text):
    """On every variant: positive; a keyword among occlusion's and IG's top five;
    "this" and "gave" within 0.15 of the largest score, never in the top five."""
    assert positive(cell, text) > 0.95
    odds = occlusion(cell, text)
    integrated = model(cell).attribute(text, "integrated-gradients", steps=512,
                                       score="log-odds")
    for result in (odds, integrated):
        top = {token for token, _ in ranked(result, 5)}
        assert top & set(KEYWORDS) and not top & {"this", "gave"}, top
    share = odds.scores / odds.scores.max()
    for word in ("this", "gave"):
        assert abs(share[odds.tokens.index(word)]) <= 0.15


def gate_means(text: str) -> tuple[dict[str, float], dict[str, float], np.ndarray]:
    """Mean input gate over the LSTM's units at each fading word and keyword, and the
    mean forget gate at every step."""
    trace = model("lstm").trace(text, loss=None, jacobian=False)
    gates, tokens = trace.layer(0).gates, list(trace.tokens)
    inputs = gates["i"].mean(axis=1)
    fading = {word: float(inputs[tokens.index(word)]) for word in FADING}
    keywords = {word: float(inputs[tokens.index(word)]) for word in KEYWORDS}
    return fading, keywords, gates["f"].mean(axis=1)


def test_stage_two_the_gates_do_not_single_the_words_out() -> None:
    fading, keywords, forgets = gate_means(CEREAL)
    assert (f"{min(fading.values()):.2f}", f"{max(fading.values()):.2f}") == ("0.34", "0.45")
    assert (f"{min(keywords.values()):.2f}", f"{max(keywords.values()):.2f}") == ("0.31",
                                                                                  "0.56")
    assert (f"{keywords['perfectly']:.2f}", f"{fading['all']:.2f}") == ("0.31", "0.45")
    assert (f"{forgets.min():.2f}", f"{forgets.max():.2f}") == ("0.47", "0.68")
    says(STAGES[2], "0.34 to 0.45", "0.31 to 0.56", "\"perfectly\" (0.31)", "\"all\" (0.45)",
         "between 0.47 and 0.68 at every one of the 32 steps")


@pytest.mark.parametrize("text", VARIANTS)
def test_the_gates_overlap_on_paraphrases_too(text: str) -> None:
    """A fading word's input gate above a keyword's, and no forget gate near 0 or 1."""
    fading, keywords, forgets = gate_means(text)
    assert max(fading.values()) > min(keywords.values())
    assert forgets.min() > 0.4 and forgets.max() < 0.75


def test_stage_three_the_swapped_words_flip_the_punctuation_does_not() -> None:
    lstm_only = [positive("lstm", CEREAL.replace(old, new))
                 for old, new in (("Amazing", "Terrible"), ("definitely", "never"))]
    assert [f"{value:.2f}" for value in lstm_only] == ["0.99", "0.26"]
    assert [f"{positive(cell, swapped(CEREAL)):.3f}" for cell in ("lstm", "gru")] == [
        "0.002", "0.002"]
    assert f"{positive('lstm', CEREAL.replace('!', '')):.3f}" == "0.999"
    says(STAGES[3], "p = 0.002, the GRU 0.002", "\"Terrible\" only, 0.99", "\"never\" only, "
         "0.26", "still positive, 0.999")


def test_stage_three_the_rnn_forgets_what_came_first() -> None:
    assert f"{positive('rnn', swapped(CEREAL)):.2f}" == "0.64"
    moved = swapped(f"{FIRST} Amazing! {LAST}")
    tokens = model("rnn").tokenize(moved).tokens
    assert len(tokens) - tokens.index("terrible") == 15
    assert f"{positive('rnn', moved):.2f}" == "0.01"
    says(STAGES[3], "positive 0.64 on this text", "32 tokens before the end",
         "the last 15 tokens, and the RNN says 0.01")


@pytest.mark.parametrize("text", VARIANTS)
def test_the_swap_flips_the_gated_models_and_the_bang_does_not_on_paraphrases(text):
    """Stage 3 also says the strip then explains "negative": "terrible" and "never" blue
    (they raise it), "perfectly" and "balanced" orange."""
    for cell in ("lstm", "gru"):
        assert positive(cell, swapped(text)) < 0.1
        assert positive(cell, text.replace("!", "")) > 0.95
    flipped = strip_attribution(model("lstm"), model("lstm").tokenize(swapped(text)),
                                "occlusion", ClassCrossEntropy())
    assert flipped.target == "negative"
    signs = [np.sign(flipped.scores[flipped.tokens.index(word)])
             for word in ("terrible", "never", "perfectly", "balanced")]
    assert signs == [1, 1, -1, -1]


@pytest.mark.parametrize("text", PRODUCTS)
def test_the_rnn_stays_positive_when_terrible_is_far_from_the_end(text: str) -> None:
    """Claim (a): with "terrible" 32 tokens before the end (every product swap), the
    RNN keeps saying positive."""
    assert 0.5 < positive("rnn", swapped(text)) < 0.75


def test_the_windows_integrated_gradients_of_the_sentiment_lstm_need_1024_steps() -> None:
    """view/attribution.py's IG_STEPS note: gap 1.98 of 10.95 at 64 steps, 3e-6 at 1,024."""
    sentiment = load_shipped_model("sentiment-lstm")
    tokens = sentiment.tokenize(CEREAL)
    rough = sentiment.attribute(tokens, "integrated-gradients", steps=64, score="log-odds")
    change = rough.score - rough.baseline_score
    assert (f"{rough.completeness_gap:.2f}", f"{change:.2f}") == ("1.98", "10.95")
    shown = strip_attribution(sentiment, tokens, "integrated-gradients", ClassCrossEntropy())
    assert shown.steps == 1024 and f"{abs(shown.completeness_gap):.0e}" == "3e-06"


#: The products of lesson 03's last part, beyond the cereal (what, meal).
FADING_PRODUCTS = (*SWAPS, ("bottle of shampoo", "shower"), ("set of headphones", "commute"))


def test_lesson_03_on_real_text_the_rnn_forgets_bad_news_that_came_first() -> None:
    """Claim (a) on the reviews models (03-short-memory, last part): the same words are
    read as negative by the RNN only when they come near the end, and the lesson's
    'four of six, not all' is measured on the six other products."""
    stage = next(lesson for lesson in load_lessons()
                 if lesson.name == "03-short-memory").stages[-1]
    assert stage.source.key == "reviews-rnn" and stage.sentence == swapped(CEREAL)
    assert stage.compare == ("reviews-rnn", "reviews-lstm", "reviews-gru")
    far = [positive(cell, swapped(CEREAL)) for cell in ("rnn", "lstm", "gru")]
    assert [f"{value:.3f}" for value in far[1:]] == ["0.002", "0.002"]
    assert f"{far[0]:.2f}" == "0.64"
    tokens = model("rnn").tokenize(swapped(CEREAL)).tokens
    assert len(tokens) - tokens.index("terrible") == 32
    assert f"{positive('rnn', swapped(f'{FIRST} Amazing! {LAST}')):.2f}" == "0.01"
    stays, shown = 0, {}
    for what, meal in FADING_PRODUCTS:
        bad_first = positive("rnn", swapped(with_product(CEREAL, what, meal)))
        bad_last = positive("rnn", swapped(f"{with_product(FIRST, what, meal)} Amazing! {LAST}"))
        assert bad_last < bad_first  # nearer the end, more negative: every time
        stays += bad_first > 0.5
        shown[what.split()[-1]] = f"{bad_first:.2f}"
    assert stays == 4 and (shown["shampoo"], shown["headphones"]) == ("0.45", "0.01")
    says(stage, "P(positive) 0.002", "The RNN says positive, 0.64", "32 tokens before the end",
         "the last 15 tokens: the RNN says 0.01", "positive for four of them, not all "
         "(shampoo 0.45, headphones 0.01)")


def test_this_steps_line_on_amazing_is_the_one_docs_gui_quotes() -> None:
    from pathlib import Path

    from rnnstudio.view.attribution import attribution_shading, token_line

    result = occlusion("lstm", CEREAL)
    line = token_line(attribution_shading(result), result.tokens, 0)
    assert line == "“amazing”: occlusion (word → <unk>) +1.03 (raises s; 0.27 of the largest)"
    docs = (Path(__file__).resolve().parents[2] / "docs" / "gui.md").read_text("utf-8")
    assert f'"{line}"' in docs
