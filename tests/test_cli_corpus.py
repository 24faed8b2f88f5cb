"""``rnnstudio corpus index`` and ``corpus info``: what they print and write, Ctrl+C
stopping cleanly and the same command resuming, bad flags as one line."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from test_cli import assert_refused, run_cli

from rnnstudio import cli_corpus
from rnnstudio.cli import main
from rnnstudio.io.corpus_reader import open_corpus
from rnnstudio.io.model_files import read_model

BOOK = "\n\n".join(f"The fox {i} jumps over the lazy dog. It ran away." for i in range(60))


def _book(tmp_path: Path) -> Path:
    path = tmp_path / "book.txt"
    path.write_text(BOOK, "utf-8")
    return path


def test_index_writes_the_corpus_and_info_describes_it(tmp_path: Path) -> None:
    book = _book(tmp_path)
    result = run_cli("corpus", "index", "charlm-lstm", "--text-file", str(book),
                     "--shard-tokens", "900", "--max-doc-tokens", "100",
                     "--quantities", "h,c")
    assert result.returncode == 0, result.stderr
    assert "each document is read from the zero state" in result.stdout
    assert "wrote:" in result.stdout and "60 documents" in result.stdout
    corpus = open_corpus(tmp_path / "book.rscorpus")
    model = read_model("resources/models/charlm-lstm.safetensors").model
    trace = model.trace(corpus.document_text(59), loss=None, jacobian=False)
    start = int(corpus.doc_starts[59])
    got = corpus.values("c", 0, "fwd", range(48), start, start + trace.steps)
    np.testing.assert_allclose(got, trace.layers[0, "fwd"].c.T, rtol=2**-10, atol=1e-6)
    info = run_cli("corpus", "info", str(tmp_path / "book.rscorpus"), "--json")
    facts = json.loads(info.stdout)
    assert (facts["documents"], facts["tokens"], facts["complete"]) == (
        60, corpus.token_count, True)
    assert facts["settings"]["quantities"] == ["h", "c"]
    table = run_cli("corpus", "info", str(tmp_path / "book.rscorpus")).stdout
    assert "stored: h, c of layer 0 fwd, float16" in table and "forget gate f" in table


def test_ctrl_c_stops_after_a_batch_and_the_same_command_resumes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    book, calls = _book(tmp_path), []

    def interrupt(self: object, tokens: int, done: int, total: int) -> None:
        calls.append(tokens)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(cli_corpus._ProgressLine, "__call__", interrupt)
    argv = ["corpus", "index", "charlm-lstm", "--text-file", str(book), "--shard-tokens",
            "300", "--max-doc-tokens", "100", "--batch-size", "4", "--jobs", "1",
            "--out", str(tmp_path / "b.rscorpus")]
    assert main(argv) == cli_corpus.INTERRUPTED
    err = capsys.readouterr().err
    assert "run the same command to resume" in err and "Traceback" not in err
    kept = open_corpus(tmp_path / "b.rscorpus")
    assert 0 < kept.document_count < 60 and not kept.manifest["complete"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    monkeypatch.setattr(cli_corpus._ProgressLine, "__call__", lambda *args: None)
    assert main(argv) == 0
    assert "continued after" in capsys.readouterr().out
    assert open_corpus(tmp_path / "b.rscorpus").document_count == 60


@pytest.mark.parametrize(("flags", "words"), [
    (["--batch-size", "0"], ["--batch-size", "1 to 1,024"]),
    (["--shard-tokens", "10"], ["--shard-tokens", "2,000"]),
    (["--quantities", "q"], ["--quantities", "h, c, i, f, g, o"]),
    (["--max-doc-tokens", "x"], ["--max-doc-tokens"]),
    (["--jobs", "0"], ["--jobs", "1 to 16"]),
])
def test_bad_flags_are_one_line_and_exit_2(tmp_path: Path, flags: list[str],
                                           words: list[str]) -> None:
    result = run_cli("corpus", "index", "charlm-lstm", "--text-file", str(_book(tmp_path)),
                     *flags)
    assert_refused(result, *words)
    assert not (tmp_path / "book.rscorpus").exists()


def test_info_of_a_missing_or_foreign_index_is_one_line(tmp_path: Path) -> None:
    assert_refused(run_cli("corpus", "info", str(tmp_path / "none.rscorpus")),
                   "no such corpus folder")
    assert_refused(run_cli("corpus"), "SUBCOMMAND")
    book = _book(tmp_path)
    run_cli("corpus", "index", "charlm-lstm", "--text-file", str(book))
    assert_refused(run_cli("corpus", "index", "charlm-gru", "--text-file", str(book)),
                   "another model", "--restart")


def _runs(on: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True in ``on``, scanned one token at a time (the brute force)."""
    runs, start = [], None
    for position, value in enumerate([*on, False]):
        if value and start is None:
            start = position
        elif not value and start is not None:
            runs.append((start, position))
            start = None
    return runs


@pytest.mark.parametrize("book", [BOOK, "\n\n".join(
    f"Somewhere {'((' * (i % 4)}a riddle{'))' * (i % 4)}, said the {i}th owl; none knew."
    for i in range(25))])
def test_search_and_top_on_an_index_equal_a_scan_of_each_documents_trace(
        tmp_path: Path, book: str) -> None:
    """End to end: ``corpus index`` then ``corpus search`` / ``corpus top`` against a plain
    Python scan of ``model.trace`` of every document, rounded to float16 as stored."""
    path = tmp_path / "book.txt"
    path.write_text(book, "utf-8")
    index = run_cli("corpus", "index", "charlm-lstm", "--text-file", str(path),
                    "--shard-tokens", "2000", "--max-doc-tokens", "100", "--quantities", "h,f")
    assert index.returncode == 0, index.stderr
    corpus = open_corpus(tmp_path / "book.rscorpus")
    model = read_model("resources/models/charlm-lstm.safetensors").model
    traces = [model.trace(corpus.document_text(d), loss=None, jacobian=False).layers[0, "fwd"]
              for d in range(len(corpus.doc_starts) - 1)]
    stored = [layer.h.astype(np.float16).astype(np.float32) for layer in traces]
    every = np.concatenate(stored)
    units = [int(u) for u in np.argsort(-(every > 0.3).mean(axis=0))[:2]]
    expected = []
    for document, values in enumerate(stored):
        floor = values[:, units].min(axis=1)
        expected += [(-(stop - start), -float(floor[start:stop].min()),
                      int(corpus.doc_starts[document]) + start, document, start, stop - start)
                     for start, stop in _runs(floor >= 0.3)]
    expected.sort()
    assert len(expected) >= 10
    found = run_cli("corpus", "search", str(tmp_path / "book.rscorpus"), "--units",
                    ",".join(map(str, units)), "--threshold", "0.3", "--json")
    assert found.returncode == 0, found.stderr
    spans = json.loads(found.stdout)["spans"]
    assert [(s["document"], s["position"], s["length"]) for s in spans] == [
        (document, start, length) for *_, document, start, length in expected]
    assert [s["score"] for s in spans] == pytest.approx([-e[1] for e in expected])
    for span in spans[:5]:
        tokens = corpus.document_tokens(span["document"])
        assert span["context"]["hit"] == "".join(
            tokens[span["position"]:span["position"] + span["length"]])
    forget = np.concatenate([layer.quantities()["f"] for layer in traces])
    for flags, order in (([], np.lexsort((np.arange(len(forget)), -forget[:, units[0]]))),
                         (["--lowest"], np.lexsort((np.arange(len(forget)), forget[:, units[0]])))):
        top = run_cli("corpus", "top", str(tmp_path / "book.rscorpus"), "--unit",
                      str(units[0]), "--quantity", "f", "--k", "15", "--json", *flags)
        assert top.returncode == 0, top.stderr
        listed = json.loads(top.stdout)
        positions = [t["corpus_position"] for t in listed["tokens"]]
        # float16 storage may swap near-equal neighbours: same values, same tokens
        np.testing.assert_allclose(forget[positions, units[0]], forget[order[:15], units[0]],
                                   rtol=2**-10)
        # counted in float32 while indexing: the trace's own fractions, exactly
        left, right = (forget[:, units[0]] < 0.1).mean(), (forget[:, units[0]] > 0.9).mean()
        assert f"left-saturated {left:.3f}, right-saturated {right:.3f}" in listed["saturation"]


def test_search_of_a_missing_index_or_a_bad_unit_is_one_line(tmp_path: Path) -> None:
    assert_refused(run_cli("corpus", "search", str(tmp_path / "none.rscorpus"), "--units",
                           "1", "--threshold", "0.5"), "no such corpus folder")
    run_cli("corpus", "index", "charlm-lstm", "--text-file", str(_book(tmp_path)))
    assert_refused(run_cli("corpus", "top", str(tmp_path / "book.rscorpus"), "--unit", "48"),
                   "--unit", "48")
    assert_refused(run_cli("corpus", "search", str(tmp_path / "book.rscorpus"), "--units",
                           "1", "--threshold", "0.5", "--quantity", "c"), "--quantity")


def test_the_last_progress_line_is_the_whole_text(tmp_path: Path) -> None:
    result = run_cli("corpus", "index", "charlm-lstm", "--text-file", str(_book(tmp_path)),
                     "--shard-tokens", "2000", "--max-doc-tokens", "100")
    assert result.returncode == 0, result.stderr
    tokens = open_corpus(tmp_path / "book.rscorpus").token_count
    lines = [line for line in result.stderr.splitlines() if line.startswith("indexed")]
    assert lines[-1].startswith(f"indexed {tokens:,} tokens (100% of the text)")
    assert all("100%" not in line for line in lines[:-1])
