"""A corpus index stores, per token, what ``model.trace`` of each document gives; it
resumes to the same bytes; it refuses other models, settings, sources and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rnnstudio.engine.corpus_source import CorpusSource
from rnnstudio.engine.model import Model, random_model
from rnnstudio.engine.saturation import trace_saturation
from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.errors import ConfigError, RnnStudioError, TextError
from rnnstudio.io import corpus_index
from rnnstudio.io.corpus_file import CorpusFileError
from rnnstudio.io.corpus_index import index_corpus
from rnnstudio.io.corpus_reader import open_corpus
from rnnstudio.io.corpus_settings import CorpusSettings

SMALL = CorpusSettings("all", max_doc_tokens=20, shard_tokens=40, batch_size=3)


def _corpus(folder: Path) -> Path:
    """Two files and a hidden one: paragraphs of 1 to 90 words, one cut into sentences."""
    source = folder / "texts"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("The cat sat. The dog ran far away.\n\nA second one.\n\n"
                                  "Short.\n", "utf-8")
    (source / "sub" / "b.txt").write_text("Another file with its words. " * 18 + "\n", "utf-8")
    (source / ".hidden.txt").write_text("never read\n", "utf-8")
    return source


def _model(cell: str = "lstm", seed: int = 0) -> Model:
    return random_model(cell, hidden_size=8, input_size=4, num_layers=2, bidirectional=True,
                        seed=seed)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_every_stored_value_is_the_trace_of_its_document(tmp_path: Path, cell: str) -> None:
    model = _model(cell)
    report = index_corpus(model, _corpus(tmp_path), tmp_path / "c.rscorpus", SMALL)
    corpus: CorpusSource = open_corpus(tmp_path / "c.rscorpus")
    assert (report.complete, report.documents, report.tokens) == (
        True, len(corpus.doc_starts) - 1, corpus.token_count)
    texts = [corpus.document_text(doc) for doc in range(report.documents)]
    assert texts[:3] == ["The cat sat. The dog ran far away.", "A second one.", "Short."]
    assert not any("never read" in text for text in texts)
    assert max(np.diff(corpus.doc_starts)) <= 20 and report.shards > 2
    counted = None
    for doc, text in enumerate(texts):
        trace = model.trace(text, loss=None, jacobian=False)
        start, stop = corpus.doc_starts[doc], corpus.doc_starts[doc + 1]
        assert corpus.document_tokens(doc) == trace.tokens and stop - start == trace.steps
        for (layer, direction), recorded in trace.layers.items():
            for name, expected in recorded.quantities().items():
                units = list(range(expected.shape[1]))[::-1]
                got = corpus.values(name, layer, direction, units, int(start), int(stop))
                np.testing.assert_allclose(got, expected[:, units].T, rtol=2**-10, atol=1e-6)
        if cell != "rnn" or model.config.recurrent.nonlinearity == "tanh":
            one = trace_saturation(trace)
            counted = one if counted is None else counted.merged(one)
    assert corpus.saturation is not None and counted is not None
    assert corpus.saturation.to_dict() == counted.to_dict()


def test_values_across_shards_are_the_shards_side_by_side(tmp_path: Path) -> None:
    index_corpus(_model(), _corpus(tmp_path), tmp_path / "c.rscorpus", SMALL)
    corpus = open_corpus(tmp_path / "c.rscorpus")
    whole = corpus.values("c", 1, "bwd", [0, 7, 3])
    assert whole.shape == (3, corpus.token_count) and whole.dtype == np.float32
    np.testing.assert_array_equal(corpus.values("c", 1, "bwd", [7], 13, 97), whole[1:2, 13:97])
    assert corpus.values("h", 0, "fwd", [1], 5, 5).shape == (1, 0)
    assert corpus.unit_count("h") == 8 and corpus.joiner == " "
    assert corpus.fingerprint == corpus.manifest["model"]["fingerprint"]
    with pytest.raises(KeyError, match="not stored"):
        corpus.values("z", 0, "fwd", [0])


def test_a_char_model_joins_tokens_with_nothing(tmp_path: Path) -> None:
    model = random_model("gru", hidden_size=4, input_size=3,
                         tokenizer=Tokenizer(kind="char", lowercase=False))
    index_corpus(model, _corpus(tmp_path) / "a.txt", tmp_path / "c.rscorpus",
                 CorpusSettings("h", max_doc_tokens=10, shard_tokens=10))
    corpus = open_corpus(tmp_path / "c.rscorpus")
    assert corpus.joiner == "" and corpus.quantities == ("h",)
    assert all(len(corpus.document_tokens(d)) <= 10 for d in range(len(corpus.doc_starts) - 1))
    # "The cat sat." is 12 characters: cut between words, then at the sentence end
    assert [corpus.document_text(d) for d in range(3)] == ["The cat", "sat.", "The dog"]


def test_an_interrupted_index_resumes_to_the_same_bytes(tmp_path: Path) -> None:
    source, model = _corpus(tmp_path), _model()
    fresh = index_corpus(model, source, tmp_path / "fresh.rscorpus", SMALL)
    progress: list[int] = []
    stopped = index_corpus(model, source, tmp_path / "resumed.rscorpus", SMALL,
                           on_progress=lambda tokens, done, total: progress.append(tokens),
                           should_stop=lambda: (tmp_path / "resumed.rscorpus"
                                                / "shard-00001").exists(), jobs=1)
    assert progress[0] == 0 and progress == sorted(progress) and len(progress) > 2
    assert not stopped.complete and stopped.shards == 2 < fresh.shards
    (tmp_path / "resumed.rscorpus" / "shard-00002").mkdir()  # a half-written shard
    resumed = index_corpus(model, source, tmp_path / "resumed.rscorpus", SMALL)
    assert resumed.complete and resumed.resumed_shards == 2
    assert _files(tmp_path / "fresh.rscorpus") == _files(tmp_path / "resumed.rscorpus")
    again = index_corpus(model, source, tmp_path / "resumed.rscorpus", SMALL)
    assert again.complete and again.resumed_shards == fresh.shards


def _book(folder: Path) -> Path:
    """40 paragraphs of 3 to 30 words: 16 shards of SMALL."""
    words = "the cat sat on a mat and then the dog ran far away".split()
    text = "\n\n".join(" ".join(words[k % 7:] * (1 + k % 3)) + "." for k in range(40))
    (folder / "book.txt").write_text(text, "utf-8")
    return folder / "book.txt"


def test_the_files_written_do_not_depend_on_the_jobs(tmp_path: Path) -> None:
    book, model = _book(tmp_path), _model()
    one = index_corpus(model, book, tmp_path / "one.rscorpus", SMALL, jobs=1)
    three = index_corpus(model, book, tmp_path / "three.rscorpus", SMALL, jobs=3)
    assert one.shards == three.shards >= 10 and three.complete
    assert _files(tmp_path / "one.rscorpus") == _files(tmp_path / "three.rscorpus")


def test_a_stop_with_several_jobs_lists_only_whole_shards_in_order_and_resumes(
        tmp_path: Path) -> None:
    """Shards finish out of order in threads; the manifest lists a prefix of them, a
    later shard written before the stop is unlisted and redone, and the same call
    continues to the bytes of a run that was never stopped."""
    book, model = _book(tmp_path), _model()
    fresh = index_corpus(model, book, tmp_path / "fresh.rscorpus", SMALL, jobs=1)
    out = tmp_path / "resumed.rscorpus"
    calls: list[tuple[int, int, int]] = []
    stopped = index_corpus(model, book, out, SMALL, on_progress=lambda *call: calls.append(
        call), should_stop=lambda: (out / "shard-00004").exists(), jobs=3)
    assert not stopped.complete and stopped.shards < fresh.shards
    listed = open_corpus(out).manifest["shards"]
    assert len(listed) == stopped.shards
    assert all((out / f"shard-{k:05d}").is_dir() for k in range(stopped.shards))
    assert [tokens for tokens, *_ in calls] == sorted(tokens for tokens, *_ in calls)
    resumed = index_corpus(model, book, out, SMALL, jobs=2)
    assert resumed.complete and resumed.resumed_shards == stopped.shards
    assert _files(tmp_path / "fresh.rscorpus") == _files(out)


def test_a_shard_too_varied_for_a_token_table_is_projected_per_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the distinct tokens' projections would outgrow a batch's record, the first
    layer projects each token instead: the same values within float16 rounding."""
    book, model = _book(tmp_path), _model()
    index_corpus(model, book, tmp_path / "table.rscorpus", SMALL)
    monkeypatch.setattr(corpus_index, "MAX_CORPUS_BATCH_VALUES", 1)
    made: list[object] = []
    monkeypatch.setattr(corpus_index, "TokenTable", lambda vectors: made.append(vectors))
    index_corpus(model, book, tmp_path / "tokens.rscorpus", SMALL)
    assert not made
    table, tokens = open_corpus(tmp_path / "table.rscorpus"), open_corpus(
        tmp_path / "tokens.rscorpus")
    for name in ("h", "c", "i", "f", "g", "o"):
        for direction in ("fwd", "bwd"):
            np.testing.assert_allclose(tokens.values(name, 0, direction, range(8)),
                                       table.values(name, 0, direction, range(8)),
                                       rtol=2e-3, atol=1e-4)


@pytest.mark.parametrize("jobs", [0, 17, 2.0, True])
def test_jobs_out_of_range_are_refused_before_anything_is_written(
        tmp_path: Path, jobs: object) -> None:
    with pytest.raises(ConfigError, match="jobs must be a whole number from 1 to 16"):
        index_corpus(_model(), _book(tmp_path), tmp_path / "c.rscorpus", SMALL,
                     jobs=jobs)  # type: ignore[arg-type]
    assert not (tmp_path / "c.rscorpus").exists()


def test_another_model_settings_or_sources_are_refused_until_restart(tmp_path: Path) -> None:
    source, out = _corpus(tmp_path), tmp_path / "c.rscorpus"
    index_corpus(_model(), source, out, SMALL)
    with pytest.raises(CorpusFileError, match="another model.*--restart"):
        index_corpus(_model(seed=1), source, out, SMALL)
    with pytest.raises(CorpusFileError, match="shard_tokens 40, not 60"):
        index_corpus(_model(), source, out, CorpusSettings("all", 20, 60, 3))
    (source / "a.txt").write_text("Changed.\n", "utf-8")
    with pytest.raises(CorpusFileError, match=r"a\.txt differs"):
        index_corpus(_model(), source, out, SMALL)
    report = index_corpus(_model(seed=1), source, out, SMALL, restart=True)
    assert report.complete and open_corpus(out).document_text(0) == "Changed."


def test_bad_corpus_files_are_one_line_naming_the_file(tmp_path: Path) -> None:
    out = tmp_path / "c.rscorpus"
    index_corpus(_model(), _corpus(tmp_path), out, SMALL)
    values = out / "shard-00001" / "l1.bwd.g.npy"
    values.write_bytes(values.read_bytes()[:-3])
    with pytest.raises(CorpusFileError, match=r"l1\.bwd\.g\.npy: .* \(truncated\)"):
        open_corpus(out)
    values.unlink()
    with pytest.raises(CorpusFileError, match=r"l1\.bwd\.g\.npy: missing"):
        open_corpus(out)
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    (out / "manifest.json").write_text(json.dumps({**manifest, "version": 99}), "utf-8")
    with pytest.raises(CorpusFileError, match="version 99.*--restart"):
        open_corpus(out)
    with pytest.raises(CorpusFileError, match="no such corpus folder"):
        open_corpus(tmp_path / "none.rscorpus")
    for error in (CorpusFileError("x"),):
        assert isinstance(error, RnnStudioError)


def test_settings_and_sources_are_checked_before_reading(tmp_path: Path) -> None:
    source = _corpus(tmp_path)
    with pytest.raises(ConfigError, match="shard_tokens must be a whole number from 20"):
        index_corpus(_model(), source, tmp_path / "c.rscorpus", CorpusSettings("h", 20, 10))
    wide = random_model("lstm", hidden_size=512, input_size=4, num_layers=2,
                        bidirectional=True)
    longest = wide.config.max_tokens()  # what one trace of it reads
    assert longest < 3000
    with pytest.raises(ConfigError, match=f"max_doc_tokens must be .* from 1 to {longest:,}"):
        index_corpus(wide, source, tmp_path / "c.rscorpus", CorpusSettings("h", 3000))
    with pytest.raises(ConfigError, match="quantities 'h,x'"):
        index_corpus(_model(), source, tmp_path / "c.rscorpus", CorpusSettings("h,x"))
    with pytest.raises(ConfigError, match="buffers .* bytes"):
        big = random_model("lstm", hidden_size=256, input_size=4, num_layers=2,
                           bidirectional=True)
        index_corpus(big, source, tmp_path / "c.rscorpus",
                     CorpusSettings("all", shard_tokens=1_000_000))
    assert not (tmp_path / "c.rscorpus").exists()
    (source / "bad.txt").write_bytes(b"caf\xe9\n")
    with pytest.raises(TextError, match=r"bad\.txt: not UTF-8"):
        index_corpus(_model(), source, tmp_path / "c.rscorpus", SMALL)
    with pytest.raises(TextError, match="no such file or folder"):
        index_corpus(_model(), tmp_path / "missing", tmp_path / "d.rscorpus", SMALL)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x").write_text("x")
    with pytest.raises(RnnStudioError, match="not a corpus index"):
        index_corpus(_model(), source / "a.txt", tmp_path / "other", SMALL)



def test_progress_follows_the_tokens_indexed_not_the_bytes_read_ahead(tmp_path: Path) -> None:
    """A shard's documents are read before they run: the bytes reported are those of the
    indexed tokens, so the share of bytes tracks the share of tokens (it ran a shard,
    here a fifth of the text, ahead before: "100%" with a quarter indexed). Bytes are
    counted as the file is read, 8 KB at a time: the tolerance is that grain."""
    text = tmp_path / "book.txt"
    text.write_text("\n\n".join(f"The dog {i} ran far away from the farm." for i in range(2000)),
                    "utf-8")
    calls: list[tuple[int, int, int]] = []
    report = index_corpus(_model(), text, tmp_path / "c.rscorpus",
                          CorpusSettings("h", max_doc_tokens=20, shard_tokens=4000),
                          on_progress=lambda *call: calls.append(call))
    assert report.shards >= 5 and len(calls) > report.shards
    size = text.stat().st_size
    assert {total for *_, total in calls} == {size}
    assert calls[0][:2] == (0, 0) and calls[-1][:2] == (report.tokens, size)
    grain = 8192 / size + 0.01
    assert 4000 / report.tokens > 0.18 and grain < 0.11
    for tokens, done, _ in calls:
        assert abs(done / size - tokens / report.tokens) < grain
    assert [done for _, done, _ in calls] == sorted(done for _, done, _ in calls)
