"""Every size and count limit of RNN Studio, in one place, checked before work starts.

A limit exists so that absurd input (``--hidden 1000000000``, ``--batch-size 1e9``, a
file that claims a 4 TB tensor) gets a one-line message naming the flag or argument,
the value and the limit, instead of a ``MemoryError``, a hang or an hour of wasted
work. Each is generous for real models and says why it has its value; the memory and
time figures were measured on the 2-core development machine with ``tracemalloc`` and
``time.perf_counter`` (NumPy's allocations included). docs/formats.md lists them all,
and a test keeps that table equal to this module.

The check helpers raise :class:`~rnnstudio.errors.ConfigError` with ``argument`` set,
so the command line can say ``--hidden`` where the Python API says ``hidden_size``.
Pure Python: the engine, ``io`` and the CLI import it without NumPy or Qt.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable
from typing import Any

from .errors import ConfigError, shown

# -- Every model: from a file, the Python API or a flag -------------------------------

#: Units per layer. ELMo's biLSTM (4096 units, projected to 512) and AWD-LSTM (1150)
#: fit; the Jacobian ||dh_T/dh_t|| took 25 ms a token at H = 1024 and grows as H^3
#: (about 1.6 s a token at the limit).
MAX_HIDDEN_SIZE = 4096
#: Size of an input (embedding) vector: word vectors are 50 to 1024 wide.
MAX_INPUT_SIZE = 4096
#: Stacked layers. Published RNNs stack 1 to 8; ``--layers 100000`` took 85 s and
#: 1.4 GB before this limit existed (issue #10).
MAX_LAYERS = 16
#: Weights of a model (stack, embedding and head). ELMo's LSTM has 75 M; at the limit
#: the weights take 400 MB in float32, and ``Model`` holds a cast copy while loading.
MAX_PARAMETERS = 100_000_000
#: Tokens of a closed vocabulary. The One Billion Word benchmark's 793,471 words fit;
#: a vocabulary at the limit took 3.3 s and 98 MB to index.
MAX_VOCABULARY = 1_000_000
#: A longer word is never split into subword pieces (it stays one unknown token): the
#: greedy longest-match split costs up to n^2/2 look-ups for n letters. BERT's WordPiece
#: stops at the same length (``max_input_chars_per_word=100``).
MAX_PIECE_WORD_CHARS = 100
#: Labels of a classifier or tagger: one Loss-box entry and one head row each.
MAX_LABELS = 10_000

# -- Random models: the Model dock, session files, ``rnnstudio trace`` without MODEL --

#: The Model dock's largest hidden and input sizes and layer count (its spin boxes).
RANDOM_MAX_HIDDEN_SIZE = 1024
RANDOM_MAX_INPUT_SIZE = 1024
RANDOM_MAX_LAYERS = 8
#: Building 12.7 M parameters (LSTM 1024 x 2) took 0.37 s and 184 MB at peak,
#: 84 M (LSTM 1024 x 4, bidirectional) 2.1 s and 1 GB: 20 M keeps a random model quick.
#: Also the cap of ``random_model`` and of ``rnnstudio trace`` without a model file.
MAX_RANDOM_PARAMETERS = 20_000_000
#: Factor on a random model's ``weight_hh``. At 200 a ReLU RNN's state already overflows
#: float32 within 300 tokens (tests/test_cli.py); past 1e6 only the first step differs,
#: and past about 3e38 the float32 weights themselves would be infinite.
MAX_GAIN = 1e6
#: Seeds of random models and training runs: the Model dock's seed box holds a 32-bit
#: signed int, so every seed the CLI or API accepts can be typed there too.
MAX_SEED = 2**31 - 1

# -- Texts and traces -----------------------------------------------------------------

#: Longest text traced at once, in tokens.
MAX_TOKENS = 20_000
#: Characters of a text before it is split into tokens (also a session file's text).
MAX_TEXT_CHARS = 1_000_000
#: Bytes of a ``--text-file`` (UTF-8 needs at most 4 bytes a character); reading stops
#: there, so ``--text-file /dev/zero`` ends with a message instead of filling memory.
MAX_TEXT_FILE_BYTES = 4 * MAX_TEXT_CHARS
#: Bytes of a text file counted by ``rnnstudio stats`` and the Saturation dock. It is
#: streamed a paragraph at a time (memory stays bounded), so the limit bounds time: the
#: char LSTM read 44,000 tokens a second here, so 100 MB of text is about 40 minutes.
MAX_STATS_FILE_BYTES = 100_000_000
#: Values a trace records (tokens x the per-token width: x, h, c, gates, logits; see
#: ``ModelConfig.values_per_token``). A trace took 22 to 42 bytes of peak memory per
#: recorded value (LSTM 256 x 5,000 tokens: 186 MB, RNN 512: 108 MB), so the limit is
#: about 1 GB; it admits the old 20,000 tokens of an LSTM with H = 256 (31 M values).
MAX_TRACE_VALUES = 32_000_000
#: Integration steps of Integrated Gradients (``--steps``): the midpoint rule's error
#: falls as 1/steps^2, so 10,000 is far past where the completeness gap reaches 1e-6.
MAX_ATTRIBUTION_STEPS = 10_000
#: Tokens read over all the passes of one attribution (occlusion reads T + 1 texts of T
#: tokens, IG ``steps`` + 2): the sentiment LSTM read 80,000 tokens a second here
#: (occlusion of 1,000 tokens: 12.5 s), so about a minute; occlusion up to 2,235 tokens.
MAX_ATTRIBUTION_READS = 5_000_000
#: Tokens a corpus top-activations query lists per side (``corpus top --k``, the Corpus
#: dock's Top tab): each chunk keeps its best k, so k bounds the merge, and a table
#: of 10,000 contexts is more than anyone reads.
MAX_TOP_K = 10_000

# -- Corpus index (``rnnstudio corpus index``, :func:`rnnstudio.io.corpus_index.index_corpus`)

#: Tokens of one corpus index. At H = 256 and h only, a token takes 512 bytes of float16
#: per layer and direction, so 100 M tokens are 51 GB on disk; memory stays at one shard.
MAX_CORPUS_TOKENS = 100_000_000
#: Bytes of the source text files together (checked from their sizes before reading).
MAX_CORPUS_BYTES = 10_000_000_000
#: Files of a source folder (listed and sized before any is read).
MAX_CORPUS_FILES = 100_000
#: Tokens of one document (``--max-doc-tokens``); a longer paragraph is split at sentence
#: ends. At most what one trace reads, so every document can be opened in the window.
MAX_DOC_TOKENS = MAX_TOKENS
#: Tokens of one shard (``--shard-tokens``): whole documents up to this many. A shard is
#: buffered in memory until it is written, so this bounds the index's memory.
MAX_SHARD_TOKENS = 1_000_000
#: Bytes of float16 values one shard buffers (tokens x stored units x 2): a shard larger
#: than this is refused before reading; lower ``--shard-tokens`` or store fewer quantities.
MAX_SHARD_BYTES = 256_000_000
#: Documents run together through the batched forward (``--batch-size``).
MAX_CORPUS_BATCH = 1024
#: Shards indexed at once (``--jobs``), each in its own thread with its own shard buffer.
MAX_CORPUS_JOBS = 16
#: Values one batch of the corpus forward records (documents x longest x per-token
#: width of every layer, float32): 16 M values are 64 MB; a batch stops growing there.
MAX_CORPUS_BATCH_VALUES = 16_000_000
#: Bytes of a corpus ``manifest.json`` (it holds the tokenizer's vocabulary, every source
#: file and every shard: a 1 M-word vocabulary and 100,000 files take about 20 MB).
MAX_CORPUS_MANIFEST_BYTES = 64_000_000

# -- Training (``rnnstudio train``, ``TrainConfig``, ``make_task``) -------------------

#: Updates of a run. A default run (LSTM 32 on recall) took 26 ms a step on the busy
#: 2-core machine, so the limit is about 7 hours; ``--steps 1000000000`` would be 300
#: days.
MAX_STEPS = 1_000_000
#: Sequences per update and per held-out evaluation batch (``--batch-size``,
#: ``eval_size``): a larger batch only averages more of the same generated data.
MAX_BATCH_SIZE = 4096
#: Values one training batch records (batch x longest sequence x per-token width).
#: Measured 14 to 25 bytes of peak memory per value (LSTM 64, batch 1024, 111 steps:
#: 604 MB), so the limit keeps a batch's forward and backward pass under about 800 MB.
MAX_BATCH_VALUES = 32_000_000
#: Longest sequence a generated task may be asked for (a recall gap, a bracket string):
#: 25 times the recall default; an LSTM 32 step over 1,011 tokens took 2 s here.
MAX_TASK_LENGTH = 1000
#: The range of every whole-number task option, by task (``--option KEY=VALUE``).
#: Minimum lengths are 2: an adding task needs a digit in each half, a bracket string
#: and a next-character sequence at least two characters.
TASK_OPTION_RANGES: dict[str, dict[str, tuple[int, int]]] = {
    # gap 0 is the primer's "Alice is allergic to nuts. She can't eat ..."; at most one
    # fact per allergen (4), each stated by another person.
    "recall": {"min_gap": (0, MAX_TASK_LENGTH), "max_gap": (0, MAX_TASK_LENGTH),
               "mentions": (0, MAX_TASK_LENGTH), "facts": (1, 4)},
    "overwrite": {"min_gap": (0, MAX_TASK_LENGTH), "max_gap": (0, MAX_TASK_LENGTH),
                  "mentions": (0, MAX_TASK_LENGTH), "facts": (2, 4)},
    "brackets": {"min_length": (2, MAX_TASK_LENGTH), "max_length": (2, MAX_TASK_LENGTH)},
    "adding": {"min_length": (2, MAX_TASK_LENGTH), "max_length": (2, MAX_TASK_LENGTH)},
    "charlm": {"length": (2, MAX_TASK_LENGTH)},
    "reviews": {"max_sentences": (1, 8), "piece_percent": (0, 100),
                "unk_percent": (0, 100)},
}

# -- Figures (``rnnstudio plot``) ----------------------------------------------------

#: PNG widths accepted everywhere (the export dialog, settings, ``plot --width``).
MIN_PNG_WIDTH, MAX_PNG_WIDTH, DEFAULT_PNG_WIDTH = 16, 20_000, 1600
#: Panel heights a figure is laid out at before scaling (``plot --height``).
MIN_PANEL_HEIGHT, MAX_PANEL_HEIGHT = 100, 10_000
#: A panel is laid out at least and at most this wide (px), then scaled to the figure's
#: width: fonts keep their proportion to the plot at any output size.
FIGURE_LAYOUT_WIDTHS = (600, 2000)
#: Pixels of the written image. An 8000 x 4876 PNG (39 M pixels) took 5.4 s and 294 MB
#: peak RSS, 120 MB of which Qt's own; ``--height 100000000`` asked for terabytes.
MAX_FIGURE_PIXELS = 40_000_000

# -- Animations (``rnnstudio animate``, File > Export animation) ----------------------

#: Frame sizes in pixels: from a thumbnail to 4K.
ANIMATION_WIDTHS, ANIMATION_HEIGHTS = (320, 3840), (180, 2160)
#: Frames a second. A GIF stores delays in hundredths of a second and browsers play a
#: delay under 0.02 s as 0.1 s, so a GIF stops at 50.
ANIMATION_FPS, MAX_GIF_FPS = (0.5, 60.0), 50.0
#: Frames per token: 1 (a cut) to a dissolve of 12.
MAX_SUBSTEPS = 12
#: Frames of one animation: rendering takes about 30 ms a frame at 1280 x 720.
MAX_ANIMATION_FRAMES = 3000
#: Pillow keeps every GIF frame until it writes (a byte a pixel): 1280 x 720 x 650
#: frames is about 600 MB. MP4 frames stream to ffmpeg and are not counted.
MAX_GIF_PIXELS = 600_000_000


def figure_pixels(width: int, height: int) -> int:
    """Pixels of a ``width``-pixel figure of a panel laid out ``height`` pixels tall."""
    low, high = FIGURE_LAYOUT_WIDTHS
    return width * round(width * height / min(max(width, low), high))


def check_figure_size(width: Any, height: Any,
                      names: tuple[str, str] = ("width", "height")) -> tuple[int, int]:
    """A figure's width and panel height within their ranges and the picture within
    :data:`MAX_FIGURE_PIXELS`, before anything is drawn: the one check of ``plot``
    (``names`` are then its flags), the window's export and
    :func:`rnnstudio.gui.export.render_panel`."""
    fix = "give a size in that range"
    width = check_whole(names[0], width, MIN_PNG_WIDTH, MAX_PNG_WIDTH, fix)
    height = check_whole(names[1], height, MIN_PANEL_HEIGHT, MAX_PANEL_HEIGHT, fix)
    pixels = figure_pixels(width, height)
    if pixels > MAX_FIGURE_PIXELS:
        raise ConfigError(f"{names[0]} {width} and {names[1]} {height} make an image of "
                          f"{pixels:,} pixels, more than the {MAX_FIGURE_PIXELS:,} allowed; "
                          "give a smaller width or height", argument=names[0])
    return width, height


# -- Lessons (``--lessons DIR``, File > Open lesson folder) ----------------------------

#: Bytes of one lesson file. A lesson is text: the shipped ones are 1 to 4 KB, so a
#: course's longest fits many times over; reading stops there (a lesson folder that
#: holds a stray data file is not read into memory).
MAX_LESSON_BYTES = 200_000
#: Lesson files read from one folder (by name); a course has tens, the menu stays a menu.
MAX_LESSON_FILES = 200


# -- Parity references (resources/models/parity, Help > Check against PyTorch) ----------

#: Bytes of one model's PyTorch reference file. The shipped ones are 2 to 30 KB (four
#: steps, float64); reading stops there, so a wrong file is never parsed whole.
MAX_PARITY_BYTES = 200_000


# -- What the command line prints -----------------------------------------------------

#: Characters shown of one string read from a file (a card entry, a label, a token,
#: a file name); the rest is cut with a note saying how much.
MAX_SHOWN_CHARS = 200
#: Items shown of one list (labels, card entries) before "... N more".
MAX_SHOWN_ITEMS = 20
#: Unknown tokens listed in ``rnnstudio trace``'s summary (a line, not a list).
MAX_SHOWN_TOKENS = 10
#: Characters of one error line; a message quoting a huge value stays one screen line.
MAX_MESSAGE_CHARS = 1000
#: Bytes of the CLI's error log before it is rotated (one older copy is kept).
MAX_ERROR_LOG_BYTES = 1_000_000


def check_whole(argument: str, value: Any, low: int, high: int, fix: str) -> int:
    """``value`` as an ``int`` when it is a whole number (not a bool, not a float) from
    ``low`` to ``high``; else :class:`ConfigError` naming ``argument``, the value, the
    range and ``fix`` (what to do)."""
    if isinstance(value, numbers.Integral) and not _is_bool(value) and low <= int(value) <= high:
        return int(value)
    raise ConfigError(f"{argument} must be a whole number from {low:,} to {high:,}, got "
                      f"{shown(value)}; {fix}", argument=argument)


def check_number(argument: str, value: Any, fix: str, *, low: float = -math.inf,
                 high: float = math.inf, positive: bool = False) -> float:
    """``value`` as a ``float`` when it is a finite real number from ``low`` to
    ``high`` (above 0 when ``positive``); else :class:`ConfigError` naming
    ``argument``."""
    if isinstance(value, numbers.Real) and not _is_bool(value):
        try:
            number = float(value)
        except OverflowError:  # an int of 400 digits
            number = math.inf
        if math.isfinite(number) and low <= number <= high and (number > 0 or not positive):
            return number
    if positive:
        expected = "a finite number above 0"
    elif math.isinf(low) and math.isinf(high):
        expected = "a finite number"
    else:
        expected = f"a finite number from {low:g} to {high:g}"
    raise ConfigError(f"{argument} must be {expected}, got {shown(value)}; {fix}",
                      argument=argument)


def check_choice(argument: str, value: Any, options: Iterable[str]) -> str:
    """``value`` when it is one of ``options``; else :class:`ConfigError` listing them."""
    options = tuple(options)
    if isinstance(value, str) and value in options:
        return value
    raise ConfigError(f"{argument} must be one of {', '.join(options)}, got {shown(value)}",
                      argument=argument)


def check_flag(argument: str, value: Any) -> bool:
    """``value`` when it is ``True`` or ``False`` (NumPy's bools too)."""
    if _is_bool(value):
        return bool(value)
    raise ConfigError(f"{argument} must be True or False, got {shown(value)}",
                      argument=argument)


def check_texts(argument: str, values: Any, limit: int, what: str, fix: str) -> tuple[str, ...]:
    """``values`` (any iterable but a string) as a tuple of at most ``limit`` strings;
    at most ``limit + 1`` items are read, so an endless generator is refused too."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ConfigError(f"{argument} must be a list of {what}, got {shown(values)}",
                          argument=argument)
    texts = tuple(itertools.islice(values, limit + 1))
    if len(texts) > limit:
        raise ConfigError(f"{argument} holds more than {limit:,} {what}, the most RNN Studio "
                          f"reads; {fix}", argument=argument)
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise ConfigError(f"{argument} entry {position} is {shown(text)}, not text",
                              argument=argument)
    return texts


def _is_bool(value: Any) -> bool:
    """Python's or NumPy's bool (a ``bool`` is an ``int`` to Python, never a size here)."""
    return isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", "") == "b"
