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
    assert "stored: h, c of layers 0 fwd, float16" in table and "forget gate f" in table


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
            "300", "--max-doc-tokens", "100", "--batch-size", "4",
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
