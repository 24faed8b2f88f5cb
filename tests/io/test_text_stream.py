"""read_paragraphs: blank lines separate texts, memory stays bounded, bad files are
refused with one line naming them."""

from __future__ import annotations

import io

import pytest

from rnnstudio.errors import TextError
from rnnstudio.io import text_stream
from rnnstudio.io.text_stream import read_paragraphs


def test_blank_lines_separate_paragraphs(tmp_path) -> None:
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"\xef\xbb\xbfa b\nc d\n\n \n\ne f\r\ng\n\nlast")
    progress = []
    paragraphs = list(read_paragraphs(path, on_progress=lambda done, total: progress.append(
        (done, total))))
    assert paragraphs == ["a b\nc d", "e f\ng", "last"]
    size = path.stat().st_size
    assert progress[-1] == (size, size) and len(progress) == 3


def test_a_long_paragraph_is_cut_into_bounded_texts(monkeypatch) -> None:
    monkeypatch.setattr(text_stream, "PARAGRAPH_CHARS", 10)
    stream = io.BytesIO(b"abcdefghijklmnopqrstuvwxy\nab\ncd\n\nxyz\n")
    assert list(read_paragraphs(stream)) == ["abcdefghij", "klmnopqrst", "uvwxy\nab\nc",
                                             "d", "xyz"]


def test_files_over_the_limit_are_refused_before_or_while_reading(tmp_path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 100)
    with pytest.raises(TextError, match=r"big.txt: 500 bytes, more than the 100"):
        read_paragraphs(path, limit=100)  # before the first paragraph is asked for
    with pytest.raises(TextError, match="standard input: more than 100 bytes"):
        list(read_paragraphs(io.BytesIO(b"x" * 1000), limit=100))


@pytest.mark.parametrize(("content", "message"), [
    (b"caf\xe9\n", "not UTF-8 text"), (None, "cannot read text file")])
def test_unreadable_files_are_named(tmp_path, content, message) -> None:
    path = tmp_path / "bad.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(TextError, match=f"{message}.*|bad.txt.*{message}"):
        list(read_paragraphs(path))
