"""The options that complete a model file, shared by every command that reads one
(``trace``, ``info``, ``convert``, ``plot``), and the lines that say what was guessed.

Each option is the ``read_model`` keyword of the same name (``--vocab`` = ``vocab=``,
``--labels`` = ``labels=`` ...; ``--map`` = ``key_map=``); docs/formats.md, section
"Vocabularies, labels and options", describes them all.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from .terminal import printable

if TYPE_CHECKING:
    from .io.model_files import LoadedModel
    from .io.name_map import KeyMap

__all__ = ["MODEL_FILE_OPTIONS", "add_model_file_options", "guess_lines",
           "key_map", "model_file_flags", "model_file_overrides", "print_guesses"]


def add_model_file_options(group: Any) -> None:
    """What completes a model file as its user has it, for every command that reads one
    (trace, info, convert, plot): ``--map``, ``--readout``, ``--vocab``, ``--labels``,
    ``--task``, ``--tokenizer``, ``--lowercase/--no-lowercase``, ``--unk``, ``--pad``;
    read by :func:`model_file_overrides` (docs/formats.md, "Vocabularies, labels and
    options")."""
    from .engine.readout import READOUTS
    from .engine.tokenizers import KINDS

    group.add_argument(
        "--map", action="append", metavar="OLD=NEW", dest="key_map",
        help="name a part of a state_dict: key prefix OLD (fc.0) is the embedding, rnn or "
        "head (repeatable; common names such as embed, lstm, fc need none)")
    group.add_argument("--readout", choices=READOUTS,
                       help="what the head reads: last-step (default, or the file's), "
                       "final-states (PyTorch h_n: cat(hidden[-2], hidden[-1]); guessed for a "
                       "bidirectional classifier), mean, max (pooled over the steps) or "
                       "per-step (taggers, language models)")
    group.add_argument("--vocab", metavar="FILE",
                       help="the vocabulary, one token per embedding row: vocab.txt, a JSON "
                       "list or {token: index}, a Keras word_index or Tokenizer JSON, a "
                       "word-level Hugging Face tokenizer.json")
    group.add_argument("--labels", metavar="FILE|a,b,c",
                       help="class or tag names: a JSON list, one a line, or a comma list")
    group.add_argument("--task", choices=("classify", "tag", "next-token"),
                       help="what the head does (guessed from its size when not given)")
    group.add_argument("--tokenizer", choices=KINDS,
                       help="word (punctuation split off), char, or whitespace (str.split)")
    group.add_argument("--lowercase", action=argparse.BooleanOptionalAction, default=None,
                       help="lowercase the text before looking tokens up (default: the "
                       "file's, else yes unless the vocabulary has capitals)")
    group.add_argument("--unk", metavar="TOKEN",
                       help="the unknown token (found: <unk>, [UNK], <UNK>, UNK, <OOV>)")
    group.add_argument("--pad", metavar="TOKEN",
                       help="the padding token (found: <pad>, [PAD], <PAD>); recorded only")


#: The options of :func:`add_model_file_options` that complete a model file (besides
#: ``--map``): they mean nothing to a random model.
MODEL_FILE_OPTIONS = ("vocab", "labels", "task", "tokenizer", "lowercase", "unk", "pad")


def model_file_overrides(options: argparse.Namespace) -> dict[str, Any]:
    """The ``read_model`` keywords given by :func:`add_model_file_options` (``--map``
    apart: see :func:`key_map`)."""
    names = (*MODEL_FILE_OPTIONS, "readout")
    return {name: getattr(options, name) for name in names
            if getattr(options, name, None) is not None}


def model_file_flags(options: argparse.Namespace, also: tuple[str, ...] = ()) -> str:
    """``"--map and --vocab only apply"``: the model-file options given (and those named
    in ``also``), for a message refusing them where no model file is read; ``""`` when
    none is given."""
    flags = [f"--{name}" for name in ("map", *MODEL_FILE_OPTIONS, *also)
             if getattr(options, "key_map" if name == "map" else name, None) is not None]
    if not flags:
        return ""
    return f"{' and '.join(flags)} only appl{'ies' if len(flags) == 1 else 'y'}"


def key_map(options: argparse.Namespace) -> KeyMap:
    """The checked ``--map`` pairs (a :class:`ConfigError` naming ``--map`` if bad)."""
    from .io.name_map import check_key_map

    return check_key_map(options.key_map)


def guess_lines(loaded: LoadedModel) -> list[str]:
    """``readout: final-states (guessed: the file does not say; --readout ...)``, one
    line per guessed field, for ``rnnstudio info`` (the Model dock shows the same)."""
    from .io.config_guesses import guess_line

    return [printable(guess_line(name, loaded.model.config), 400) for name in loaded.guessed]


def print_guesses(loaded: LoadedModel) -> None:
    """One line on stderr naming every guess (``trace``, ``convert``); none without."""
    from .io.config_guesses import guessed_value

    if loaded.guessed:
        guesses = "; ".join(f"{name} {printable(guessed_value(name, loaded.model.config), 200)}"
                            for name in loaded.guessed)
        print(f"rnnstudio: guessed (the file does not say; rnnstudio info names the option "
              f"for each): {guesses}", file=sys.stderr)

