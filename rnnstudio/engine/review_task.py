"""``reviews``: product reviews in everyday English, labelled negative or positive.

Generated from a phrase grammar over the hand-written word lists of
:mod:`.review_words` (licence: the project's own; nothing downloaded). A review is one
to ``max_sentences`` sentences; each is a polar clause, a neutral clause, two clauses
joined by "and", or a contrast ("X but Y", "although X , Y"). Every polar clause
scores polarity x strength:

* an adjective 1-3 (``review_words.POSITIVE`` / ``NEGATIVE``), +1 after an intensifier
  ("perfectly balanced" 3); a negated one ("not bad", "wasn't good") half-flips: the
  other polarity at strength - 1, at least 1;
* an action 2 ("it works", "it broke", "it never leaks"), 3 with a matching adverb
  ("works perfectly"); a reviewer's verb or feeling 2 ("i love it", "i was
  disappointed"), 3 intensified, 1 negated ("i don't regret it");
* repurchase intent 2-3 ("will definitely be buying again", "i returned it");
* the clause after "but" (the main clause after "although") counts twice.

The label is the sign of the sum; a draw whose sum is 0 or of the other sign is drawn
again, so every review's label follows from its words by that rule. Neutral clauses
(including the primer's "as all things should be", "i only ate half of it"), negation
words and punctuation are drawn the same way for both classes, so "this", "gave",
"all", "should", "not" or "!" say nothing about the label by themselves.

The vocabulary (:func:`review_vocabulary`, 2,245 tokens) is every word the
grammar writes, plural nouns, and WordPiece continuation pieces (``##ing``, ``##ly``,
...); the task's tokenizer splits an unknown word into them (``subwords``). Training
shows ``piece_percent`` % of the words that split into a known word and pieces in
that split ("disappointed" -> "disappoint" "##ed" when both are known), so the pieces
carry the meaning an unseen inflection needs, and ``unk_percent`` % of the tokens as
``<unk>``, so the unknown token reads as "a word I don't know" (neutral), not as an
untrained random vector: a word left unknown, or occluded to measure what it
contributed, then takes no meaning of its own. A batch's reviews have one length
(drawn per batch, as every task here): reviews of other lengths are drawn again.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, TypeVar

import numpy as np

from . import review_words as words
from .tokenizers import UNK, word_pieces

#: WordPiece continuation pieces: English inflection and derivation suffixes.
PIECES = ("##s", "##es", "##d", "##ed", "##ing", "##ly", "##er", "##y", "##ness", "##ful",
          "##less", "##able", "##ment", "##n't")
#: The longest review kept (tokens, pieces counted); longer draws are drawn again.
MAX_REVIEW_TOKENS = 64
#: Sentences drawn for a review of a given length before a batch repeats its first.
_DRAWS = 2000
#: Sentences kept for later reviews of a batch when too long for this one.
_SPARE = 256
_POSITIVE_ADJECTIVES = tuple(words.POSITIVE)
_NEGATIVE_ADJECTIVES = tuple(words.NEGATIVE)
#: Words of the filler clauses: no polar word, intensifier or negation among them.
_NOUNS = (*words.PRODUCTS, *words.PARTS)
_FILLER = tuple(sorted(
    {*words.EVERYDAY, *words.FUNCTION_WORDS, *words.PLACES, *words.TIMES, *words.PEOPLE,
     *words.NUMBERS, *words.COLOURS, *words.MATERIALS, *words.SIZES}
    - {*words.POSITIVE, *words.NEGATIVE, *words.POSITIVE_ADVERBS, *words.NEGATIVE_ADVERBS,
       *words.INTENSIFIERS, *" ".join((*words.NEGATED_BE, *words.NEGATED_DO,
                                      *words.NEGATED_DOES)).split(), "no", "best"}))

if TYPE_CHECKING:
    from .tasks import Batch

Clause = tuple[list[str], int]
T = TypeVar("T")  # the words and their signed score


def _pick(rand: random.Random, options: Sequence[T]) -> T:
    return options[rand.randrange(len(options))]


def _text(rand: random.Random, options: tuple[str, ...]) -> list[str]:
    return _pick(rand, options).split()


def _chance(rand: random.Random, probability: float) -> bool:
    return rand.random() < probability


def _adjective(rand: random.Random, polarity: int) -> tuple[str, int]:
    table = words.POSITIVE if polarity > 0 else words.NEGATIVE
    word = _pick(rand, _POSITIVE_ADJECTIVES if polarity > 0 else _NEGATIVE_ADJECTIVES)
    return word, table[word]


def _graded(rand: random.Random, polarity: int) -> tuple[list[str], list[str], int]:
    """(negation, adjective, score): ``[intensifier] adjective`` of ``polarity`` with no
    negation, or a negation ("isn't", "was no longer") and an adjective of the other."""
    if _chance(rand, 0.25):
        word, strength = _adjective(rand, -polarity)
        return _text(rand, words.NEGATED_BE), [word], polarity * max(1, strength - 1)
    word, strength = _adjective(rand, polarity)
    if _chance(rand, 0.4):
        return [], [_pick(rand, words.INTENSIFIERS), word], polarity * (strength + 1)
    return [], [word], polarity * strength


def _subject(rand: random.Random) -> list[str]:
    kind = rand.randrange(5)
    if kind == 0:
        return ["it"]
    if kind == 4:
        return ["the", _pick(rand, words.PARTS)]
    determiner = ("this", "the", "my")[kind - 1]
    return [determiner, _pick(rand, words.PRODUCTS)]


def _describe(rand: random.Random, polarity: int) -> Clause:
    """"this cereal is very tasty", "the lid wasn't good"."""
    negation, adjective, score = _graded(rand, polarity)
    verb = negation or _text(rand, ("is", "was", "tastes", "looks", "feels", "seems",
                                    "is just"))
    return [*_subject(rand), *verb, *adjective], score


def _exclaim(rand: random.Random, polarity: int) -> Clause:
    """"amazing", "absolutely terrible", "not bad at all"."""
    negation, adjective, score = _graded(rand, polarity)
    if negation:
        return ["not", *adjective, *(["at", "all"] if _chance(rand, 0.3) else [])], score
    return adjective, score


def _noun_phrase(rand: random.Random, polarity: int) -> Clause:
    """"this box of cereal gave me a perfectly balanced breakfast"."""
    word, strength = _adjective(rand, polarity)
    adjective = [word]
    if _chance(rand, 0.4):
        adjective, strength = [_pick(rand, words.INTENSIFIERS), word], strength + 1
    article = "an" if adjective[0][0] in "aeiou" else "a"
    frame = _text(rand, ("it is", "what", "overall", "it was", "this is", "they make"))
    if _chance(rand, 0.3):
        frame = ["this", _pick(rand, ("box", "bag", "pack", "bottle", "jar")), "of",
                 _pick(rand, words.PRODUCTS), "gave", "me"]
    return [*frame, article, *adjective, _pick(rand, words.PRODUCTS)], polarity * strength


def _reviewer(rand: random.Random, polarity: int) -> Clause:
    """"i absolutely love it", "i don't regret it", "i was not disappointed"."""
    negated = _chance(rand, 0.25)
    sign = -polarity if negated else polarity
    if _chance(rand, 0.3):
        feelings = words.POSITIVE_FEELINGS if sign > 0 else words.NEGATIVE_FEELINGS
        if negated:
            subject = _text(rand, ("i was not", "i wasn't", "i am not", "we were not",
                                   "i was never", "i'm not"))
            return [*subject, *_text(rand, feelings)], polarity
        subject = _text(rand, ("i was", "i am", "we were", "my family was", "i'm"))
        return [*subject, *_text(rand, feelings)], polarity * 2
    verb = _pick(rand, words.POSITIVE_VERBS if sign > 0 else words.NEGATIVE_VERBS)
    thing = _text(rand, ("it", "this", "them", "the taste", "the design", "this product"))
    if negated:
        return ["i", *_text(rand, words.NEGATED_DO), verb[0], *thing], polarity
    if _chance(rand, 0.4):
        adverb = _pick(rand, ("really", "absolutely", "truly", "definitely", "totally"))
        return ["i", adverb, verb[0], *thing], polarity * 3
    if _chance(rand, 0.4):  # "my son loves it", "my son loved it"
        return ["my", _pick(rand, words.PEOPLE), verb[rand.randint(1, 2)], *thing], \
            polarity * 2
    return ["i", verb[2], *thing], polarity * 2


def _action(rand: random.Random, polarity: int) -> Clause:
    """"it works perfectly", "the zipper broke", "it doesn't fit", "it never leaks"."""
    subject = _subject(rand)
    if _chance(rand, 0.3):  # a negated action of the other polarity
        forms = _pick(rand, words.POSITIVE_ACTIONS if polarity < 0 else words.FAULTS)
        negation = _text(rand, words.NEGATED_DOES)
        verb = forms[0] if negation[0] in ("never", "no") else forms[1]
        return [*subject, *negation, *verb.split()], 2 * polarity
    if polarity < 0:
        tail = _text(rand, ("", "after a week", "within a month", "on the first day", "again"))
        return [*subject, *_text(rand, words.NEGATIVE_ACTIONS), *tail], -2
    action = _pick(rand, words.POSITIVE_ACTIONS)
    if _chance(rand, 0.5):
        return [*subject, *action[0].split(), _pick(rand, words.POSITIVE_ADVERBS)], 3
    return [*subject, *action[0].split()], 2


def _repurchase(rand: random.Random, polarity: int) -> Clause:
    options = [(text, strength) for text, sign, strength in words.REPURCHASE
               if sign == polarity]
    text, strength = options[rand.randrange(len(options))]
    return text.split(), polarity * strength


_POLAR = (_describe, _exclaim, _noun_phrase, _reviewer, _action, _repurchase)


def _neutral(rand: random.Random) -> Clause:
    """A clause both classes use alike: written ones and frames over neutral words."""
    kind = rand.randrange(9)
    if kind >= 7:  # a few everyday or function words in a row
        return [_pick(rand, _FILLER) for _ in range(rand.randint(2, 5))], 0
    if kind == 5:
        return _text(rand, words.NEUTRAL_CLAUSES), 0
    verb = _pick(rand, words.NEUTRAL_VERBS)
    if kind == 0:
        return ["i", verb[2], "it", "for", "my", _pick(rand, words.PEOPLE)], 0
    if kind == 1:
        return ["my", _pick(rand, words.PEOPLE), verb[rand.randint(1, 2)], "it", "on",
                _pick(rand, words.TIMES)], 0
    if kind == 2:
        return ["we", verb[0], "it", "in", "the", _pick(rand, words.PLACES)], 0
    if kind == 4:
        return ["i", verb[2], _pick(rand, words.NUMBERS), "of", "the",
                _pick(rand, words.SIZES), _plural(_pick(rand, _NOUNS))], 0
    if kind == 3:
        return ["i", "am", verb[3], "the", _pick(rand, _NOUNS), "for", "my",
                _pick(rand, words.PEOPLE)], 0
    return ["it", "came", "in", "a", _pick(rand, words.COLOURS),
            _pick(rand, words.MATERIALS), _pick(rand, words.PARTS)], 0


def _clause(rand: random.Random, polarity: int) -> Clause:
    """A polar clause (``polarity`` +-1) or, for 0, a neutral one."""
    if polarity == 0:
        return _neutral(rand)
    return _POLAR[rand.randrange(len(_POLAR))](rand, polarity)


def _sentence(rand: random.Random, label: int) -> Clause:
    """One sentence without its final punctuation; clauses lean to ``label`` (+-1)."""
    def polarity() -> int:
        return _pick(rand, (label, label, label, -label, 0))

    kind = rand.randrange(10)
    if kind < 4:
        return _clause(rand, polarity())
    first, first_score = _clause(rand, polarity())
    second, second_score = _clause(rand, polarity() or label)
    if kind < 6:
        if _chance(rand, 0.3):  # "..., as all things should be"
            return [*first, ",", *_text(rand, words.NEUTRAL_CLAUSES)], first_score
        return [*first, "and", *second], first_score + second_score
    if kind < 8:
        joint = ["but"] if _chance(rand, 0.7) else [",", "but"]
        if second[0] in ("i", "it") and _chance(rand, 0.3) and second[1] == "will":
            second = second[1:]
        return [*first, *joint, *second], first_score + 2 * second_score
    return ["although", *first, ",", *second], first_score + 2 * second_score


def _ended(rand: random.Random, label: int) -> Clause:
    """A sentence with its final punctuation: "!", "." or none, alike in both classes."""
    clause, score = _sentence(rand, 1 if label else -1)
    ending = _pick(rand, ("!", "!", ".", ".", ".", ""))
    return [*clause, *([ending] if ending else [])], score


def review(rand: random.Random, label: int, max_sentences: int) -> list[str]:
    """One review whose score has the sign of ``label`` (0 negative, 1 positive)."""
    sign = 1 if label else -1
    while True:
        tokens: list[str] = []
        score = 0
        for _ in range(rand.randint(1, max_sentences)):
            sentence, sentence_score = _ended(rand, label)
            tokens += sentence
            score += sentence_score
        if score * sign > 0 and len(tokens) <= MAX_REVIEW_TOKENS:
            return tokens


def review_of_length(rand: random.Random, label: int, length: int,
                     pieced: Callable[[list[str]], list[str]],
                     spare: list[Clause]) -> list[str] | None:
    """A review of exactly ``length`` tokens (after ``pieced``) and the sign of
    ``label``, sentence by sentence; None after :data:`_DRAWS` sentences.

    A sentence too long for the tokens left goes to ``spare`` (sentences drawn for this
    label), and so does one placed, to make room; a fitting spare sentence is taken
    first; of a review of the wrong sign one sentence is dropped. No draw is wasted
    and every review still comes from the grammar."""
    sign = 1 if label else -1
    placed: list[Clause] = []
    for _ in range(_DRAWS):
        gap = length - sum(len(sentence) for sentence, _ in placed)
        fitting = [k for k, (sentence, _) in enumerate(spare) if len(sentence) <= gap]
        if fitting:
            placed.append(spare.pop(fitting[rand.randrange(len(fitting))]))
        else:
            sentence, score = _ended(rand, label)
            spare.append((pieced(sentence), score))
            if len(spare[-1][0]) <= gap:
                placed.append(spare.pop())
            elif placed:
                spare.append(placed.pop(rand.randrange(len(placed))))
            del spare[:-_SPARE]
        if sum(len(sentence) for sentence, _ in placed) == length:
            if sign * sum(score for _, score in placed) > 0:
                return [word for sentence, _ in placed for word in sentence]
            placed.pop(rand.randrange(len(placed)))  # dropped: back in spare it may loop
    return None


@functools.lru_cache(maxsize=1)
def review_vocabulary() -> tuple[str, ...]:
    """``<unk>``, then every word the grammar writes, plurals and the ``##`` pieces,
    sorted: the same tuple on every machine."""
    found: set[str] = set(PIECES)
    for name in dir(words):
        if name.isupper():
            found |= set(_spread(getattr(words, name)))
    found |= {_plural(noun) for noun in (*words.PRODUCTS, *words.PARTS)}
    found.discard(UNK)
    return (UNK, *sorted(found))


def _spread(value: object) -> list[str]:
    """Every word in a word list (strings, dicts, nested tuples of phrases)."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (tuple, list, dict)):
        return [word for item in value for word in _spread(item)]
    return []


def _plural(noun: str) -> str:
    if noun.endswith(("ss", "x", "ch", "sh", "z")):
        return noun + "es"
    if noun.endswith("s"):  # jeans, shorts, headphones
        return noun
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


@functools.lru_cache(maxsize=1)
def _splits() -> dict[str, list[str]]:
    """Known words that split into a known word of 3+ letters and ``##`` pieces."""
    vocabulary = frozenset(review_vocabulary())
    found = {}
    for word in vocabulary:
        pieces = word_pieces(word, vocabulary, whole=False)
        if pieces is not None and len(pieces[0]) >= 3:
            found[word] = pieces
    return found


@dataclass(frozen=True)
class ReviewTask:
    """Product review -> negative/positive (module docstring)."""

    max_sentences: int = 4
    piece_percent: int = 10
    unk_percent: int = 2
    name: str = "reviews"
    kind: str = "classify"
    tokenizer: str = "word"
    #: The model's tokenizer splits unknown words into the vocabulary's pieces.
    subwords: ClassVar[bool] = True

    @property
    def labels(self) -> tuple[str, ...]:
        return ("negative", "positive")

    @property
    def longest(self) -> int:
        return MAX_REVIEW_TOKENS

    def vocabulary(self) -> tuple[str, ...]:
        return review_vocabulary()

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        """``batch_size`` reviews of one length (the first one's) with balanced labels.

        The words are drawn by a :class:`random.Random` seeded from ``rng`` (one draw):
        the grammar makes about 40 choices a sentence, and the standard library's are
        about 20 times faster than a NumPy generator's one at a time."""
        from .tasks import Batch  # tasks.py registers this task, so it imports us first

        rand = random.Random(int(rng.integers(2**63)))
        labels = [rand.randrange(2) for _ in range(batch_size)]
        first = self._draw(rand, labels[0])
        sequences = [first]
        spare: tuple[list[Clause], list[Clause]] = ([], [])
        for slot in range(1, batch_size):
            drawn = review_of_length(rand, labels[slot], len(first),
                                     functools.partial(self._pieced, rand), spare[labels[slot]])
            if drawn is None:  # rare: no review of this label and length; repeat the first
                drawn, labels[slot] = first, labels[0]
            sequences.append(drawn)
        return Batch(sequences, np.array(labels))

    def _draw(self, rand: random.Random, label: int) -> list[str]:
        """One review, some words as their pieces, at most ``longest`` tokens."""
        while True:
            tokens = self._pieced(rand, review(rand, label, self.max_sentences))
            if len(tokens) <= MAX_REVIEW_TOKENS:
                return tokens

    def _pieced(self, rand: random.Random, tokens: list[str]) -> list[str]:
        """``unk_percent`` % of the tokens as ``<unk>`` and ``piece_percent`` % of the
        splittable words as their pieces."""
        splits = _splits()
        shown: list[str] = []
        for token in tokens:
            chance = rand.randrange(100)
            if chance < self.unk_percent:
                shown.append(UNK)
            elif token in splits and chance < self.unk_percent + self.piece_percent:
                shown += splits[token]
            else:
                shown.append(token)
        return shown

    def at_difficulty(self, fraction: float) -> ReviewTask:
        low = min(2, self.max_sentences)
        return replace(self, max_sentences=low + round((self.max_sentences - low)
                                                       * min(max(fraction, 0.0), 1.0)))
