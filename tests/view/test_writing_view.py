"""The Write dock's list: the generation's own numbers, at the tokens' steps, the newest
``limit`` only."""

from __future__ import annotations

import numpy as np

import rnnstudio as rs
from rnnstudio.models_index import find_model
from rnnstudio.view.writing import written_rows


def test_rows_are_the_generations_numbers_and_keep_the_newest() -> None:
    model = rs.load_model(str(find_model("charlm-gru").path))
    generation = model.generate("a bird", length=30, temperature=1.2, seed=7)
    rows = written_rows(generation)
    assert [row.step for row in rows] == list(range(6, 36))
    assert [row.token for row in rows] == list(generation.tokens)
    np.testing.assert_array_equal([row.probability for row in rows],
                                  generation.probabilities)
    assert [row.rank for row in rows] == [int(rank) + 1 for rank in generation.ranks]
    newest = written_rows(generation, limit=5)
    assert newest == rows[-5:] and newest[0].step == 31
    spaced = next(row for row in rows if row.token == " ")
    assert spaced.cells()[1] == "␣" and spaced.cells()[2] == f"{spaced.probability:.2f}"
