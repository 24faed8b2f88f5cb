"""A ``{token: index}`` vocabulary (torchtext's ``stoi``, Keras's ``word_index``) is read by
its indices everywhere one is accepted (issue 12: its indices were ignored, so every
token id was silently wrong when the dict's order was not the index order)."""

from __future__ import annotations

import pytest

from rnnstudio.engine.tokenizers import Tokenizer, tokens_by_index
from rnnstudio.errors import ConfigError

STOI = {"cat": 2, "<unk>": 0, "the": 1, "sat": 3}  # not in index order


def test_a_mapping_is_ordered_by_its_indices() -> None:
    assert tokens_by_index(STOI) == ["<unk>", "the", "cat", "sat"]
    tokenizer = Tokenizer("word", vocabulary=STOI)  # type: ignore[arg-type]
    assert tokenizer.vocabulary == ("<unk>", "the", "cat", "sat")
    assert list(tokenizer.encode(tokenizer.split("the cat sat on")).ids) == [1, 2, 3, 0]


@pytest.mark.parametrize("bad, named", [({"<unk>": 0, "a": 2}, "'a'"),
                                        ({"<unk>": 0, "a": 0}, "'a'"),
                                        ({"<unk>": 0, "a": 1.0}, "'a'"),
                                        ({"<unk>": 0, "a": True}, "'a'")])
def test_gaps_shared_and_non_whole_indices_name_the_token(bad, named) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=named):
        tokens_by_index(bad)


def test_a_config_file_vocabulary_object_is_read_by_index() -> None:
    """Sidecars, metadata and model folders' config.json all pass through these checks."""
    from rnnstudio.io.config_fields import check_model_fields

    fields = check_model_fields({"vocabulary": STOI,
                                 "tokenizer": {"kind": "word", "vocabulary": STOI}},
                                "m.json")
    assert fields["vocabulary"] == ["<unk>", "the", "cat", "sat"]
    assert fields["tokenizer"]["vocabulary"] == ["<unk>", "the", "cat", "sat"]
    with pytest.raises(ConfigError, match=r"m\.json: vocabulary: .*'cat' has index 7"):
        check_model_fields({"vocabulary": {**STOI, "cat": 7}}, "m.json")
