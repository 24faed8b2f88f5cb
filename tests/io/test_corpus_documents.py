"""Corpus documents: files in sorted order, hidden ones skipped, paragraphs cut at
sentence ends, then words, then characters, never past the token limit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.errors import TextError
from rnnstudio.io.corpus_documents import documents, list_sources


def _texts(folder: Path, tokenizer: Tokenizer, limit: int) -> list[str]:
    return [doc.text for doc in documents(list_sources(folder), tokenizer, limit)]


def test_files_are_read_in_sorted_path_order_without_hidden_ones(tmp_path: Path) -> None:
    for name, text in {"b.txt": "two", "a/z.txt": "one", ".git/x.txt": "no",
                       "c/.h.txt": "no", "d.txt": "three\n\n\n\nfour"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    assert _texts(tmp_path, Tokenizer(), 100) == ["one", "two", "three", "four"]
    read: list[int] = []
    list(documents(list_sources(tmp_path), Tokenizer(), 100, read.append))
    assert read[-1] == sum(f.size for f in list_sources(tmp_path))


@pytest.mark.parametrize("kind", ["word", "char", "whitespace"])
def test_pieces_never_pass_the_limit_and_keep_every_word(tmp_path: Path, kind: str) -> None:
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcdefg"), size=rng.integers(1, 30)))
             + rng.choice(["", ".", ",", "!"]) for _ in range(400)]
    (tmp_path / "t.txt").write_text(" ".join(words), "utf-8")
    tokenizer = Tokenizer(kind=kind)
    for limit in (1, 7, 50):
        docs = list(documents(list_sources(tmp_path), tokenizer, limit))
        assert all(1 <= len(doc.tokens) <= limit for doc in docs)
        assert all(doc.tokens == tokenizer.split(doc.text) for doc in docs)
        if kind != "char":
            joined = " ".join(doc.text for doc in docs).split()
            assert "".join(joined) == "".join(words)


def test_a_long_paragraph_is_cut_at_sentence_ends(tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("One two three. Four five! Six seven eight nine? Ten.",
                                    "utf-8")
    assert _texts(tmp_path, Tokenizer(), 8) == [
        "One two three. Four five!", "Six seven eight nine? Ten."]


def test_missing_empty_and_non_utf8_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TextError, match="no such file or folder"):
        list_sources(tmp_path / "none")
    with pytest.raises(TextError, match="holds no text files"):
        list_sources(tmp_path)
    (tmp_path / "x.txt").write_bytes(b"\xff\xfe bad")
    with pytest.raises(TextError, match=r"x\.txt: not UTF-8"):
        list(documents(list_sources(tmp_path), Tokenizer(), 10))
