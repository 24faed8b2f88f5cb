"""Write the Hugging Face tokenizer.json fixtures and the ids the library gives.

Run once with the ``tokenizers`` package (0.23.3 here), which the tests do not need:
``pip install --target /tmp/hftok tokenizers; PYTHONPATH=/tmp/hftok python make_fixtures.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

HERE = Path(__file__).parent
VOCAB = {"[PAD]": 0, "[UNK]": 1, "the": 2, "movie": 3, "was": 4, "great": 5, "awful": 6,
         "!": 7, ",": 8, "not": 9}
TEXTS = ["The movie was GREAT!", "the movie, was not awful", "Unseen words here"]


def word_level(pre_tokenizer: object, lowercase: bool) -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    if lowercase:
        tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizer
    return tokenizer


def main() -> None:
    ids = {}
    for name, tokenizer in (
            ("whitespace_split", word_level(pre_tokenizers.WhitespaceSplit(), True)),
            ("whitespace", word_level(pre_tokenizers.Whitespace(), True)),
            ("cased", word_level(pre_tokenizers.WhitespaceSplit(), False))):
        tokenizer.save(str(HERE / f"{name}.tokenizer.json"))
        ids[name] = {text: tokenizer.encode(text).ids for text in TEXTS}
    bpe = Tokenizer(models.BPE(vocab={"a": 0, "b": 1, "ab": 2, "[UNK]": 3},
                               merges=[("a", "b")], unk_token="[UNK]"))
    bpe.pre_tokenizer = pre_tokenizers.Whitespace()
    bpe.save(str(HERE / "bpe.tokenizer.json"))
    (HERE / "tokenizers_ids.json").write_text(json.dumps(ids, indent=1))


if __name__ == "__main__":
    main()
