"""``corpus search`` / ``corpus top`` functions on an ArrayCorpus: the table and JSON hold
the query's results; every bad flag is one line naming the flag and the value, exit 2,
before any value is read."""

from __future__ import annotations

import argparse
import json

import pytest

from rnnstudio.cli_corpus_query import (
    add_search_arguments,
    add_top_arguments,
    run_search,
    run_top,
)
from rnnstudio.engine.corpus_query import ArrayCorpus, find_spans, top_activations
from rnnstudio.engine.model import random_model

TEXTS = ("the cat sat on the mat", "a dog barked at the moon and the cat ran", "quiet")


@pytest.fixture(scope="module")
def corpus() -> ArrayCorpus:
    model = random_model("gru", 8, num_layers=2, bidirectional=True, seed=1, gain=2.0)
    return ArrayCorpus.from_texts(model, TEXTS, quantities=("h", "z"))


def _options(adder, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    adder(parser)
    return parser.parse_args(["tiny.rscorpus", *argv])


def test_search_json_equals_find_spans(corpus, capsys) -> None:
    options = _options(add_search_arguments, ["--units", "2,5", "--threshold", "-0.2",
                                              "--layer", "1", "--direction", "bwd", "--json"])
    assert run_search(options, corpus) == 0
    printed = json.loads(capsys.readouterr().out)
    spans = find_spans(corpus, "h", 1, "bwd", [2, 5], -0.2)
    assert len(spans) >= 2
    assert [(row["document"], row["position"], row["length"], row["score"])
            for row in printed["spans"]] == [
        (span.document, span.start, span.length, span.score) for span in spans]
    assert printed["rule"].startswith("spans of at least 1 token")


def test_search_table_lists_the_spans_with_context(corpus, capsys) -> None:
    options = _options(add_search_arguments, ["--units", "2", "--threshold", "0",
                                              "--min-length", "2", "--limit", "2"])
    assert run_search(options, corpus) == 0
    lines = capsys.readouterr().out.splitlines()
    spans = find_spans(corpus, "h", 0, "fwd", [2], 0.0, min_length=2, limit=2)
    assert lines[0] == "tiny.rscorpus: 3 documents, 17 tokens"
    total = len(find_spans(corpus, "h", 0, "fwd", [2], 0.0, min_length=2))
    assert total > 2 and f"the first 2 of {total} spans:" in lines
    assert lines[-len(spans) - 1].startswith(" rank  document")
    for line, span in zip(lines[-len(spans):], spans, strict=True):
        assert line.split()[:4] == ["1" if span is spans[0] else "2", str(span.document),
                                    str(span.start), str(span.length)]
        assert f"{span.score:.4f}" in line and "[" in line


def test_top_lists_the_unit_s_tokens_and_saturation(corpus, capsys) -> None:
    options = _options(add_top_arguments, ["--unit", "3", "--quantity", "z", "--k", "4",
                                           "--lowest", "--json"])
    assert run_top(options, corpus) == 0
    printed = json.loads(capsys.readouterr().out)
    hits = top_activations(corpus, "z", 0, "fwd", 3, k=4, lowest=True)
    assert [(row["document"], row["position"], row["score"]) for row in printed["tokens"]] == [
        (hit.document, hit.position, hit.value) for hit in hits]
    assert printed["saturation"].startswith("update gate z, unit 3 over the corpus (17 tokens)")
    assert run_top(_options(add_top_arguments, ["--unit", "3"]), corpus) == 0
    assert "saturation:" not in capsys.readouterr().out  # h of a GRU is not counted


@pytest.mark.parametrize(("adder", "runner", "argv", "message"), [
    (add_search_arguments, run_search, ["--units", "3,x", "--threshold", "1"],
     "--units must be unit numbers separated by commas, e.g. 3,17, got '3,x'"),
    (add_search_arguments, run_search, ["--units", "8", "--threshold", "1"],
     "--units must be a whole number from 0 to 7, got 8"),
    (add_search_arguments, run_search, ["--units", "1", "--threshold", "nan"],
     "--threshold must be"),
    (add_search_arguments, run_search, ["--units", "1", "--threshold", "1", "--quantity",
                                        "c"], "--quantity 'c' is not stored"),
    (add_search_arguments, run_search, ["--units", "1", "--threshold", "1", "--layer", "2"],
     "--layer 2 is not stored"),
    (add_search_arguments, run_search, ["--units", "1", "--threshold", "1", "--direction",
                                        "back"], "--direction 'back' is not stored"),
    (add_search_arguments, run_search, ["--units", "1", "--threshold", "1",
                                        "--min-length", "0"], "--min-length must be"),
    (add_search_arguments, run_search, ["--units", "1", "--threshold", "1", "--limit", "0"],
     "--limit must be"),
    (add_top_arguments, run_top, ["--unit", "-1"], "--unit must be a whole number from 0"),
    (add_top_arguments, run_top, ["--unit", "1", "--k", "10001"],
     "--k must be a whole number from 1 to 10,000, got 10001"),
])
def test_bad_flags_are_one_line_and_exit_2(corpus, capsys, adder, runner, argv,
                                           message) -> None:
    assert runner(_options(adder, argv), corpus) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"rnnstudio: error: {message}")
