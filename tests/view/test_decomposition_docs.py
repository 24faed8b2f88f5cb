"""docs/api.md's gradient-paths example, asserted on the shipped recall LSTM, and tried
on other texts: at the middle of a text most of dc_T/dc_t travels along the cell state
(the highway share ||prod f|| / ||dc_T/dc_t|| is 0.81 to 0.99), but at the first word
only 0.12 to 0.25 does: far back, the path through h carries most of it."""

from __future__ import annotations

import pytest

import rnnstudio as rs
from rnnstudio.models_index import find_model

OTHER_TEXTS = (
    "bob is allergic to eggs . it rained all day and we stayed home reading books . later "
    "he was hungry but he can't eat",
    "maria is allergic to milk . the train was late so we waited on the platform for an "
    "hour and talked about the holidays . she can't eat",
    "tom is allergic to fish . his sister played football in the garden while the dog "
    "slept in the sun . he can't eat",
)


@pytest.fixture(scope="module")
def recall() -> tuple[rs.Model, str]:
    shipped = find_model("recall-lstm")
    return rs.load_model(str(shipped.path)), shipped.sample


def test_the_docs_numbers_at_about(recall: tuple[rs.Model, str]) -> None:
    model, sample = recall
    trace = model.trace(sample)
    paths = model.decompose(trace)
    assert trace.tokens[26] == "about"
    assert 10 ** paths.log10_retention_norm[26] == pytest.approx(0.627, abs=5e-4)
    assert 10 ** paths.log10_full_norm[26] == pytest.approx(0.653, abs=5e-4)
    assert paths.highway_share[26] == pytest.approx(0.96, abs=5e-3)


@pytest.mark.parametrize("text", (None, *OTHER_TEXTS))
def test_mid_text_the_cell_state_carries_most_far_back_h_does(
        recall: tuple[rs.Model, str], text: str | None) -> None:
    model, sample = recall
    text = sample if text is None else text
    trace = model.trace(text)
    share = model.decompose(trace).highway_share
    assert 0.8 < share[trace.steps // 2] < 1.0
    assert 0.1 < share[0] < 0.26 and share[0] == share.min()
