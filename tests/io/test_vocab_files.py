"""Vocabulary and label files as people have them (issue 12): vocab.txt, JSON lists and
``{token: index}`` dicts, Keras ``word_index`` and ``Tokenizer.to_json()``, Hugging Face
word-level ``tokenizer.json`` (fixtures written by the ``tokenizers`` library itself:
vocab_fixtures/make_fixtures.py), labels, and the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from model_cases import make_model

from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.errors import ConfigError
from rnnstudio.io.model_files import load_model, read_model, save_model
from rnnstudio.io.vocab_files import read_vocabulary_file
from rnnstudio.io.vocab_options import read_labels

FIXTURES = Path(__file__).parent / "vocab_fixtures"
WORDS = ["<unk>", "the", "cat", "sat"]


def write(path: Path, content: object) -> Path:
    path.write_text(content if isinstance(content, str) else json.dumps(content),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("name, content", [
    ("vocab.txt", "<unk>\nthe\ncat\nsat\n"),
    ("vocab.txt", "\ufeff<unk>\r\nthe\r\ncat\r\nsat"),  # Windows: BOM, CRLF, no last newline
    ("itos", "<unk>\nthe\ncat\nsat\n"),
    ("vocab.json", WORDS),
    ("stoi.json", {"cat": 2, "<unk>": 0, "sat": 3, "the": 1}),
    ("stoi", {"cat": 2, "<unk>": 0, "sat": 3, "the": 1}),
])
def test_lists_lines_and_index_dicts_give_rows_in_order(tmp_path: Path, name: str,
                                                        content: object) -> None:
    fields = read_vocabulary_file(write(tmp_path / name, content)).fields
    assert fields == {"vocabulary": WORDS}


def test_a_keras_word_index_keeps_row_0_for_padding(tmp_path: Path) -> None:
    path = write(tmp_path / "word_index.json", {"the": 1, "<OOV>": 3, "cat": 2})
    assert read_vocabulary_file(path).fields == {
        "vocabulary": ["<pad>", "the", "cat", "<OOV>"], "pad": "<pad>"}
    assert read_vocabulary_file(path, pad="_").fields["vocabulary"][0] == "_"
    tokenizer = Tokenizer("word", tuple(read_vocabulary_file(path).fields["vocabulary"]))
    assert (tokenizer.unk, tokenizer.pad) == ("<OOV>", "<pad>")
    assert list(tokenizer.encode(tokenizer.split("The dog")).ids) == [1, 3]


def test_a_keras_tokenizer_json_gives_oov_lower_and_num_words(tmp_path: Path) -> None:
    word_index = {"<OOV>": 1, "the": 2, "movie": 3, "great": 4, "rare": 5}
    keras_json = {"class_name": "Tokenizer", "config": {
        "num_words": 5, "filters": "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n", "lower": False,
        "split": " ", "char_level": False, "oov_token": "<OOV>", "document_count": 3,
        "word_index": json.dumps(word_index), "index_word": json.dumps(
            {str(index): word for word, index in word_index.items()})}}
    read = read_vocabulary_file(write(tmp_path / "tokenizer.json", keras_json))
    assert read.fields == {"vocabulary": ["<pad>", "<OOV>", "the", "movie", "great"],
                           "pad": "<pad>", "unk": "<OOV>", "lowercase": False}
    assert "punctuation" in read.notes[0]


@pytest.mark.parametrize("name", ["whitespace_split", "whitespace", "cased"])
def test_hugging_face_word_level_gives_the_library_s_ids(name: str) -> None:
    fields = read_vocabulary_file(FIXTURES / f"{name}.tokenizer.json").fields
    tokenizer = Tokenizer.from_dict(fields)
    assert tokenizer.kind == ("word" if name == "whitespace" else "whitespace")
    assert tokenizer.lowercase == (name != "cased")
    assert (tokenizer.unk, tokenizer.pad) == ("[UNK]", "[PAD]")
    expected = json.loads((FIXTURES / "tokenizers_ids.json").read_text())[name]
    for text, ids in expected.items():
        assert list(tokenizer.encode(tokenizer.split(text)).ids) == ids, text


def test_hugging_face_added_tokens_join_the_vocabulary(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "whitespace_split.tokenizer.json").read_text())
    data["added_tokens"] = [{"id": 10, "content": "<eos>", "special": True}]
    fields = read_vocabulary_file(write(tmp_path / "t.json", data)).fields
    assert fields["vocabulary"][-1] == "<eos>" and len(fields["vocabulary"]) == 11
    data["added_tokens"] = [{"id": 4, "content": "the"}]
    with pytest.raises(ConfigError, match="added token 'the' has id 4 but index 2"):
        read_vocabulary_file(write(tmp_path / "t.json", data))


@pytest.mark.parametrize("change, words", [
    (None, "a Hugging Face 'BPE' tokenizer"),
    ({"pre_tokenizer": {"type": "ByteLevel"}}, "pre_tokenizer 'ByteLevel' is not read"),
    ({"pre_tokenizer": None}, "pre_tokenizer None is not read"),
    ({"normalizer": {"type": "NFD"}}, "normalizer 'NFD' is not read"),
])
def test_what_hugging_face_tokenizers_do_beyond_word_level_is_refused_by_name(
        tmp_path: Path, change: dict | None, words: str) -> None:
    source = "bpe" if change is None else "whitespace_split"
    data = json.loads((FIXTURES / f"{source}.tokenizer.json").read_text())
    path = write(tmp_path / "tokenizer.json", {**data, **(change or {})})
    with pytest.raises(ConfigError) as info:
        read_vocabulary_file(path)
    assert words in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("content, words", [
    ({"<unk>": 0, "a": 2}, "token 'a' has index 2"),
    ({"<unk>": 0, "a": 0}, "tokens '<unk>' and 'a' both have index 0"),
    ({"<pad>": 2, "a": 1}, "'<pad>' has index 2"),  # Keras-like, but <pad> is taken
    ("<unk>\na\n<unk>\n", "the token '<unk>' is listed twice"),
    ({"x": 1}, None),  # fine: a one-word Keras word_index
    (7, "expected a list of tokens"),
])
def test_bad_vocabulary_files_name_the_file_and_token(tmp_path: Path, content: object,
                                                      words: str | None) -> None:
    path = write(tmp_path / ("v.txt" if isinstance(content, str) else "v.json"), content)
    if words is None:
        assert read_vocabulary_file(path).fields["vocabulary"] == ["<pad>", "x"]
        return
    with pytest.raises(ConfigError) as info:
        read_vocabulary_file(path)
    assert words in str(info.value) and str(path) in str(info.value)


def test_a_huge_vocabulary_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "vocab.txt"
    with path.open("wb") as stream:
        stream.truncate(16_000_001)
    with pytest.raises(ConfigError, match="more than the 16,000,000 allowed"):
        read_vocabulary_file(path)


@pytest.mark.parametrize("content, expected", [
    (["neg", "pos"], ["neg", "pos"]),
    ({"1": "pos", "0": "neg"}, ["neg", "pos"]),  # Hugging Face id2label
    ({"pos": 1, "neg": 0}, ["neg", "pos"]),  # label2id
    ("neg\npos\n", ["neg", "pos"]),
])
def test_labels_from_files(tmp_path: Path, content: object, expected: list[str]) -> None:
    path = write(tmp_path / ("labels.txt" if isinstance(content, str) else "labels.json"),
                 content)
    assert read_labels(str(path)) == expected
    assert read_labels(path) == expected


def test_labels_as_a_comma_list_or_a_list_and_what_is_refused(tmp_path: Path) -> None:
    assert read_labels("neg, pos,neutral") == ["neg", "pos", "neutral"]
    assert read_labels(("a", "b")) == ("a", "b")
    with pytest.raises(ConfigError, match=r"^labels 'neg': no such file.*neg,pos") as info:
        read_labels("neg")
    assert info.value.argument == "labels"
    with pytest.raises(ConfigError, match="no label for index 1"):
        read_labels(write(tmp_path / "labels.json", {"0": "a", "2": "b"}))


def test_vocab_option_loads_a_state_dict_without_a_sidecar(tmp_path: Path) -> None:
    """``vocab=`` a vocab.txt with ``[UNK]``, ``labels=`` a comma list, over a bare .npz
    of weights: the same numbers as the model the weights came from."""
    vocabulary = ("[PAD]", "[UNK]", "the", "cat", "sat", "on", "mat")
    model = make_model("gru", vocabulary=vocabulary, task="classify", labels=("a", "b"))
    weights = tmp_path / "weights.npz"
    np.savez(weights, **model.state_dict())
    (tmp_path / "vocab.txt").write_text("\n".join(vocabulary) + "\n")
    loaded = read_model(weights, vocab=tmp_path / "vocab.txt", labels="a,b",
                        task="classify", tokenizer="word", lowercase=True)
    tokenizer = loaded.model.config.tokenizer
    assert (tokenizer.unk, tokenizer.pad, tokenizer.vocabulary) == ("[UNK]", "[PAD]",
                                                                    vocabulary)
    assert loaded.model.config.labels == ("a", "b")
    assert loaded.config_sources[:2] == ("options", f"vocabulary file {tmp_path / 'vocab.txt'}")
    text = "the cat sat on the hat"
    np.testing.assert_array_equal(loaded.model.trace(text, loss=None).logits,
                                  model.trace(text, loss=None).logits)


def test_options_rank_above_what_the_vocabulary_file_says(tmp_path: Path) -> None:
    fixture = FIXTURES / "whitespace_split.tokenizer.json"
    vocabulary = tuple(read_vocabulary_file(fixture).fields["vocabulary"])
    table = make_model("lstm", vocabulary=vocabulary)
    weights = tmp_path / "w.npz"
    np.savez(weights, **table.state_dict())
    read = load_model(weights, vocab=fixture)
    assert (read.config.tokenizer.kind, read.config.tokenizer.lowercase) == ("whitespace",
                                                                            True)
    assert load_model(weights, vocab=fixture, lowercase=False,
                      tokenizer="char").config.tokenizer.lowercase is False
    assert load_model(weights, vocab=fixture, tokenizer="char").config.tokenizer.kind == "char"


def test_unk_and_pad_options_round_trip_through_the_native_file(tmp_path: Path) -> None:
    vocabulary = ("_", "oov", "the", "cat")
    table = make_model("lstm", vocabulary=("<unk>", "the", "cat", "x"))
    weights = tmp_path / "w.npz"
    np.savez(weights, **table.state_dict())
    with pytest.raises(ConfigError, match=r"w\.npz: the vocabulary has no unknown token.*--unk"):
        load_model(weights, vocab=list(vocabulary))
    model = load_model(weights, vocab=list(vocabulary), unk="oov", pad="_",
                       tokenizer="whitespace", lowercase=False)
    again = load_model(save_model(model, tmp_path / "m.safetensors"))
    tokenizer = again.config.tokenizer
    assert (tokenizer.unk, tokenizer.pad, tokenizer.kind, tokenizer.lowercase) == (
        "oov", "_", "whitespace", False)
    assert again.config == model.config


def test_a_trace_of_a_model_with_its_own_unknown_token_reads_back(tmp_path: Path) -> None:
    from rnnstudio.io import load_trace, save_trace

    table = make_model("gru", vocabulary=("<unk>", "a", "b"))
    weights = tmp_path / "w.npz"
    np.savez(weights, **table.state_dict())
    model = load_model(weights, vocab=["oov", "a", "b"], unk="oov", pad="b")
    trace = model.trace("a b c")
    again = load_trace(save_trace(trace, tmp_path / "t.npz"))
    assert again.config.tokenizer == model.config.tokenizer
    assert list(again.token_ids) == [1, 2, 0] and again.unknown == [2]


def test_a_vocabulary_of_the_wrong_length_says_so_with_the_keras_hint(tmp_path: Path) -> None:
    table = make_model("gru", vocabulary=("<unk>", "a", "b"))
    weights = tmp_path / "w.npz"
    np.savez(weights, **table.state_dict())
    word_index = write(tmp_path / "word_index.json", {"<OOV>": 1, "a": 2, "b": 3, "c": 4})
    with pytest.raises(ConfigError) as info:
        load_model(weights, vocab=word_index)
    assert str(info.value) == (
        f"{weights}: the vocabulary has 5 tokens but embedding.weight 3 rows, one per token;"
        " give the vocabulary the model was trained with (a Keras word_index lists every "
        "word seen: save Tokenizer.to_json(), whose num_words keeps the rows the model has)")
    with pytest.raises(ConfigError, match=r"has 2 tokens but embedding.weight 3 rows, one "
                                          r"per token; give the vocabulary the model was "
                                          r"trained with$"):
        load_model(weights, vocab=["<unk>", "a"])


def test_a_model_folder_reads_a_word_level_tokenizer_json(tmp_path: Path) -> None:
    """model.safetensors + config.json + tokenizer.json: the tokenizer's vocabulary,
    unknown token, pre-tokenizer and lowercasing, and nothing guessed about them."""
    import safetensors.numpy

    fixture = json.loads((FIXTURES / "cased.tokenizer.json").read_text())
    vocabulary = tuple(read_vocabulary_file(FIXTURES / "cased.tokenizer.json")
                       .fields["vocabulary"])
    model = make_model("lstm", vocabulary=vocabulary, task="next-token")
    folder = tmp_path / "hf"
    folder.mkdir()
    safetensors.numpy.save_file(model.state_dict(), str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"cell": "lstm", "task": "next-token"}))
    write(folder / "tokenizer.json", fixture)
    loaded = read_model(folder)
    tokenizer = loaded.model.config.tokenizer
    assert (tokenizer.kind, tokenizer.lowercase, tokenizer.unk) == ("whitespace", False,
                                                                    "[UNK]")
    assert loaded.guessed == ()
    expected = json.loads((FIXTURES / "tokenizers_ids.json").read_text())["cased"]
    for text, ids in expected.items():
        assert list(loaded.model.trace(text, loss=None).token_ids) == ids
