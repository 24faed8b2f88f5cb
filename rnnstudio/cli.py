"""The ``rnnstudio`` command: ``trace``, ``attribute``, ``generate``, ``stats``, ``info``,
``convert``, ``plot``, ``animate``, ``train``, ``models``, ``completion``, ``trajectory``,
``corpus``; no sub-command = the GUI.

Errors follow one contract (:mod:`rnnstudio.cli_errors`): bad input is one line
``rnnstudio: error: ...`` on stderr and exit status 2, never a traceback; a bug is one
line naming the log file with the traceback, exit status 1. Everything printed from a
file is escaped and bounded (:mod:`rnnstudio.terminal`). Qt is imported only to start
the GUI.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .cli_completion import COMPLETION_HELP, SHELLS, PrintCompletion, print_completion
from .cli_errors import OneLineParser, flag_names, run_handler
from .cli_model_file import (
    add_model_file_options,
    guess_lines,
    key_map,
    model_file_flags,
    model_file_overrides,
    print_guesses,
)
from .errors import ConfigError, TextError, shown
from .limits import (
    MAX_SHOWN_ITEMS,
    MAX_SHOWN_TOKENS,
    MAX_TEXT_FILE_BYTES,
)
from .terminal import printable, printable_list

if TYPE_CHECKING:
    from .engine.losses import Loss

__all__ = ["add_model_file_options", "build_parser", "key_map", "main", "model_file_flags",
           "model_file_overrides"]

COMMANDS = ("trace", "attribute", "generate", "stats", "info", "convert", "plot", "animate",
            "train", "models", "completion", "trajectory", "corpus")
_OWN_FLAGS = ("-h", "--help", "--version", "--completion")
_RANDOM_ONLY = ("seed", "gain")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rnnstudio`` script and ``python -m rnnstudio``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0] not in COMMANDS and args[0] not in _OWN_FLAGS):
        from .cli_gui import GuiArgumentError, parse_gui_args

        try:
            parse_gui_args(args, COMMANDS)  # before Qt: a typo is not a file to open
        except GuiArgumentError as exc:
            print(f"rnnstudio: error: {printable(str(exc))}", file=sys.stderr)
            return 2
        return run_gui(args)
    for stream in (sys.stdout, sys.stderr):  # a file's text never fails to print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    try:
        options = parser.parse_args(args)
    except SystemExit as exit_request:  # --help, --version, or a one-line usage error
        return exit_request.code if isinstance(exit_request.code, int) else 0
    return run_handler(options.handler, options, args, options.flags)


def run_gui(argv: list[str]) -> int:
    """Start the GUI with ``argv`` (e.g. a model path); Qt is imported only here."""
    try:
        from .gui.app import run
    except ImportError as exc:
        print(
            f"rnnstudio: error: the GUI cannot start ({exc}); install PySide6-Essentials and "
            "pyqtgraph, or use the commands: rnnstudio trace|info|convert (rnnstudio -h)",
            file=sys.stderr,
        )
        return 2
    return int(run(argv))


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="rnnstudio",
        description="Watch RNN, LSTM and GRU cells read text. Without a command: the app "
        "(rnnstudio [MODEL] [--vocab FILE --labels a,b ...]; rnnstudio MODEL -h lists "
        "its options).",
    )
    parser.add_argument("--version", action="version", version=f"rnnstudio {__version__}")
    parser.add_argument("--completion", action=PrintCompletion, choices=SHELLS,
                        help="print a bash or zsh completion script (see the README)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    trace = commands.add_parser(
        "trace", help="trace a text and write every state, gate and gradient to a file",
        description="Trace a text with a model file, or with a random model when MODEL "
        "is left out, and write the trace (.npz, .csv or .json; see docs/formats.md).",
    )
    trace.add_argument("model", nargs="?", metavar="MODEL",
                       help="model file or shipped model name (default: random)")
    _add_text_options(trace)
    trace.add_argument("--out", required=True, metavar="FILE",
                       help="trace file: .npz, .csv or .json (written atomically)")
    trace.add_argument("--loss", default="default",
                       help="last-output-sum, probe:STEP:UNIT, class[:LABEL], tag[:STEP[:LABEL]], "
                       "next-token or none (default: the model's task loss, else "
                       "last-output-sum)")
    trace.add_argument("--grad-dtype", choices=("float64", "float32"), default="float64",
                       help="precision of the gradients (default float64: float32 underflows)")
    trace.add_argument("--no-jacobian", action="store_true",
                       help="skip ||dh_T/dh_t|| (faster for large hidden sizes)")
    from .cli_decompose import add_decompose_argument

    add_decompose_argument(trace)
    trace.add_argument("--intervene", action="append", default=[], metavar="SPEC",
                       help="set (=) or scale (*) a gate, c or h and replay the text with "
                       "it, BPTT included (repeatable), e.g. f=1@l0.fwd:units=3,7:steps=5- "
                       "or h*0@l0.fwd:units=12; grammar in docs/formats.md")
    _add_config_options(trace, random=True)
    trace.set_defaults(handler=cmd_trace)

    from .cli_attribute import ATTRIBUTE_HELP, add_attribute_arguments
    from .cli_stats import STATS_HELP, add_stats_arguments
    from .cli_trajectory import TRAJECTORY_HELP, add_trajectory_arguments

    attribute = _text_command(commands, "attribute", ATTRIBUTE_HELP, "Attribution",
                              add_attribute_arguments, cmd_attribute)
    stats = _text_command(commands, "stats", STATS_HELP, "Saturation", add_stats_arguments,
                          cmd_stats)
    trajectory = _text_command(commands, "trajectory", TRAJECTORY_HELP, "State trajectories",
                               add_trajectory_arguments, cmd_trajectory)

    from .cli_generate import GENERATE_FLAGS, GENERATE_HELP, add_generate_arguments

    generate = commands.add_parser("generate", help=GENERATE_HELP,
                                   description=GENERATE_HELP + " (docs/api.md, Generation)")
    add_generate_arguments(generate)
    _add_config_options(generate, random=False)
    generate.set_defaults(handler=cmd_generate)

    info = commands.add_parser("info", help="describe a model file",
                               description="Print a model's configuration and sizes.")
    info.add_argument("model", metavar="MODEL")
    info.add_argument("--json", action="store_true", help="print the configuration as JSON")
    _add_config_options(info, random=False)
    info.set_defaults(handler=cmd_info)

    convert = commands.add_parser(
        "convert", help="convert a model file to RNN Studio's format",
        description="Read any supported model file (.safetensors, .npz, .pt/.pth/.bin, "
        ".keras/.h5, .onnx, a model folder; PyTorch files need torch, Keras files h5py and "
        "ONNX files onnx installed) and write .safetensors (native) or .npz.",
    )
    convert.add_argument("source", metavar="IN")
    convert.add_argument("target", metavar="OUT")
    _add_config_options(convert, random=False)
    convert.set_defaults(handler=cmd_convert)

    # The headless renderer lives with the GUI's panels; its module imports Qt only
    # when it runs, so building this parser stays Qt-free.
    from .gui.plot_cli import PLOT_HELP, add_plot_arguments, run_plot

    plot = commands.add_parser("plot", help=PLOT_HELP, description=PLOT_HELP)
    add_plot_arguments(plot)
    plot.set_defaults(handler=run_plot)  # checks --width and --height before any drawing
    from .cli_animate import ANIMATE_HELP, add_animate_arguments, run_animate

    animate = commands.add_parser("animate", help=ANIMATE_HELP, description=ANIMATE_HELP)
    add_animate_arguments(animate)
    animate.set_defaults(handler=run_animate)  # checks every option before reading

    from .cli_train import (
        MODELS_HELP,
        TRAIN_HELP,
        add_models_arguments,
        add_train_arguments,
        run_models,
        run_train,
        task_option_flags,
    )

    train = commands.add_parser("train", help=TRAIN_HELP, description=TRAIN_HELP)
    add_train_arguments(train)
    train.set_defaults(handler=run_train)
    models = commands.add_parser("models", help=MODELS_HELP, description=MODELS_HELP + "; "
                                 "their names work wherever a MODEL file is asked for")
    add_models_arguments(models)
    models.set_defaults(handler=run_models)
    completion = commands.add_parser("completion", help=COMPLETION_HELP,
                                     description=COMPLETION_HELP)
    completion.add_argument("shell", choices=SHELLS)
    completion.set_defaults(handler=lambda options: print_completion(options.shell))
    from .cli_corpus import CORPUS_HELP, add_corpus_commands

    corpus = commands.add_parser("corpus", help=CORPUS_HELP, description=CORPUS_HELP)
    corpus_commands = add_corpus_commands(
        corpus, lambda command: _add_config_options(command, random=False), cmd_corpus_index)
    for command in (trace, attribute, generate, stats, info, convert, plot, animate, train,
                    models, completion, trajectory, *corpus_commands.choices.values()):
        command.set_defaults(flags=flag_names(command))
    generate.set_defaults(flags={**flag_names(generate), **GENERATE_FLAGS})
    train.set_defaults(flags={**flag_names(train), **task_option_flags()})
    return parser


def _text_command(commands: Any, name: str, help_text: str, section: str,
                  add_arguments: Callable[[argparse.ArgumentParser], None],
                  handler: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """A command that reads a model file and a text (``attribute``, ``stats``,
    ``trajectory``): its own arguments, then the text and model-file options;
    ``section`` of docs/api.md."""
    command = commands.add_parser(name, help=help_text,
                                  description=f"{help_text} (docs/api.md, {section})")
    add_arguments(command)
    _add_text_options(command)
    _add_config_options(command, random=False)
    command.set_defaults(handler=handler)
    return command


def _add_text_options(parser: argparse.ArgumentParser) -> None:
    """--text or --text-file (one of them), as :func:`read_text` reads them."""
    text = parser.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help="the text to read")
    text.add_argument("--text-file", metavar="FILE", help="read the text from FILE (- = stdin)")


def _add_config_options(parser: argparse.ArgumentParser, random: bool) -> None:
    """Options that describe the model: a random one's shape, or what a file lacks."""
    group = parser.add_argument_group(
        "model options" if random else "model options (override or complete the file)",
        "for a random model (no MODEL), or to complete/override a model file's config"
        if random else None,
    )
    group.add_argument("--cell", choices=("rnn", "lstm", "gru"), help="default lstm")
    group.add_argument("--hidden", type=int, metavar="H", dest="hidden_size",
                       help="hidden size (default 32)")
    group.add_argument("--layers", type=int, metavar="N", dest="num_layers",
                       help="stacked layers (default 1)")
    group.add_argument("--input-size", type=int, metavar="I",
                       help="input vector size (default 16)")
    group.add_argument("--proj-size", type=int, metavar="P", help="LSTM projection (default 0)")
    group.add_argument("--nonlinearity", choices=("tanh", "relu"),
                       help="RNN only (default tanh; a state_dict does not store it)")
    group.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=None,
                       help="read the text in both directions (default: no)")
    group.add_argument("--dtype", choices=("float32", "float64"),
                       help="weights and forward pass (default float32, or the file's)")
    add_model_file_options(group)
    if random:
        group.add_argument("--seed", type=int, help="random model: seed (default 0)")
        group.add_argument("--gain", type=float,
                           help="random model: factor on weight_hh (default 1.0; <1 vanishing, "
                           ">1 exploding gradients)")


_CONFIG_OPTIONS = ("cell", "hidden_size", "num_layers", "input_size", "proj_size",
                   "nonlinearity", "bidirectional", "dtype")


def _config_overrides(options: argparse.Namespace) -> dict[str, Any]:
    """The model options given, sizes checked before any file is read."""
    from .engine.config import SIZE_RANGES, check_size

    names = _CONFIG_OPTIONS + tuple(name for name in _RANDOM_ONLY if hasattr(options, name))
    given = {name: getattr(options, name) for name in names if getattr(options, name) is not None}
    return {**{name: check_size(name, value) if name in SIZE_RANGES else value
               for name, value in given.items()}, **model_file_overrides(options)}


def _model(options: argparse.Namespace) -> tuple[Any, str]:
    """The model to trace and a line saying where it came from."""
    overrides = _config_overrides(options)
    names = key_map(options)
    if options.model is None:
        from .engine.model import random_model

        file_only = model_file_flags(options)
        if file_only:
            raise ConfigError(f"{file_only} to a model file (MODEL)")

        cell = overrides.pop("cell", "lstm")
        model = random_model(cell, **overrides)
        return model, f"random model (seed {model.config.card['seed']})"
    used = [f"--{name}" for name in _RANDOM_ONLY if name in overrides]
    if used:
        raise ConfigError(f"{' and '.join(used)} only apply to random models (no MODEL)")
    from .io.model_files import read_model

    loaded = read_model(model_path(options.model), dict(names), **overrides)
    print_guesses(loaded)
    return loaded.model, f"{printable(str(loaded.path))} ({loaded.format})"


def model_path(name: str) -> str:
    """A model file, or the name of a shipped model (``rnnstudio models``)."""
    if Path(name).exists() or Path(name).suffix:
        return name
    from .models_index import find_model

    return str(find_model(name).path)


def read_text(options: argparse.Namespace) -> str:
    """The text to trace, from --text, a UTF-8 file or stdin (``-``)."""
    if options.text is not None:
        text, source = str(options.text), "--text"
    elif options.text_file == "-":
        data = _read_bounded(sys.stdin.buffer, "standard input")
        text, source = _decode(data, "standard input"), "standard input"
    else:
        path = Path(options.text_file)
        try:
            with path.open("rb") as stream:
                data = _read_bounded(stream, str(path))
        except OSError as exc:
            raise TextError(f"cannot read text file {path}: {exc.strerror or exc}") from None
        text, source = _decode(data, str(path)), str(path)
    try:
        text.encode("utf-8")  # argv may carry undecodable bytes as lone surrogates
    except UnicodeEncodeError:
        raise TextError(f"{source}: not valid UTF-8 text; convert it to UTF-8") from None
    return text.replace("\r\n", "\n")


def _read_bounded(stream: Any, source: str) -> bytes:
    """At most ``MAX_TEXT_FILE_BYTES`` bytes: a larger file (or ``/dev/zero``) is refused
    after reading one byte more, never read whole."""
    data = stream.read(MAX_TEXT_FILE_BYTES + 1)
    if len(data) > MAX_TEXT_FILE_BYTES:
        raise TextError(f"{source}: more than {MAX_TEXT_FILE_BYTES:,} bytes of text, more "
                        "than RNN Studio traces; split it into parts")
    return bytes(data)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a BOM from Windows editors is not a token
    except UnicodeDecodeError:
        raise TextError(f"{source}: not UTF-8 text; convert it to UTF-8") from None


def _loss(text: str) -> Loss | str | None:
    """``--loss``, read once and before any work: an engine loss, ``"default"`` (the
    model's task loss) or None (``none``: no gradients)."""
    from .engine.losses import parse_loss

    word = text.strip().lower()
    if word in ("default", "none"):
        return None if word == "none" else "default"
    try:
        return parse_loss(text)
    except ConfigError as exc:
        raise ConfigError(f"--loss {shown(text)}: {exc}") from None


def _interventions(specs: Sequence[str]) -> list[Any]:
    """``--intervene`` specs parsed before any work (checked against the model once it
    is read); a bad one is one line naming the flag and the spec."""
    from .engine.interventions import parse_intervention

    try:
        return [parse_intervention(spec) for spec in specs]
    except ConfigError as exc:
        raise ConfigError(f"--intervene: {exc}") from None


def check_trace_out(out: str) -> Path:
    """``--out`` of ``trace`` and ``generate``: a trace file that can be written, checked
    before the work, not after it."""
    from .io.atomic import check_writable
    from .io.trace_export import TRACE_EXTENSIONS

    path = Path(out)
    if path.suffix.lower() not in TRACE_EXTENSIONS:
        raise ConfigError(f"--out {path}: unknown trace extension; use .npz, .csv or .json")
    check_writable(path)
    return path


def cmd_trace(options: argparse.Namespace) -> int:
    from .cli_decompose import decomposed_file_arrays, decomposition_line
    from .io.trace_export import write_trace_arrays

    out = check_trace_out(options.out)
    loss = _loss(options.loss)
    edits = _interventions(options.intervene)
    text = read_text(options)
    model, origin = _model(options)
    try:
        edits = model.check_interventions(edits)
    except ConfigError as exc:
        raise ConfigError(f"--intervene: {exc}") from None
    trace = model.trace(text, loss=model.default_loss() if loss == "default" else loss,
                        grad_dtype=options.grad_dtype,
                        jacobian=not options.no_jacobian, interventions=edits)
    arrays = decomposed_file_arrays(model, trace, options.decompose)
    write_trace_arrays(arrays, out)
    for line in trace_summary(trace, origin):
        print(line)
    if options.decompose:
        print(decomposition_line(arrays))
    print(f"wrote: {printable(str(out))}")
    return 0


def _run_text_command(options: argparse.Namespace, check_out: Callable[[str | None], None],
                      run: Callable[[argparse.Namespace, Any, str, str], int]) -> int:
    """``--out`` checked before the work, then the text and the model read, then ``run``."""
    check_out(options.out)
    text = read_text(options)
    model, origin = _model(options)
    return run(options, model, origin, text)


def cmd_attribute(options: argparse.Namespace) -> int:
    from .cli_attribute import check_out, run_attribute

    return _run_text_command(options, check_out, run_attribute)


def cmd_trajectory(options: argparse.Namespace) -> int:
    from .cli_trajectory import check_out, run_trajectory

    return _run_text_command(options, check_out, run_trajectory)


def cmd_generate(options: argparse.Namespace) -> int:
    from .cli_generate import run_generate

    if options.out is not None:
        check_trace_out(options.out)
    model, _origin = _model(options)
    return run_generate(options, model)


def cmd_stats(options: argparse.Namespace) -> int:
    from .cli_stats import run_stats, stats_texts
    from .engine.saturation import check_thresholds

    check_thresholds(options.left, options.right)  # before the file and the model
    texts, source = stats_texts(options)
    model, origin = _model(options)
    return run_stats(options, model, origin, texts, source)


def cmd_corpus_index(options: argparse.Namespace) -> int:
    from .cli_corpus import run_corpus_index

    model, origin = _model(options)
    return run_corpus_index(options, model, origin)


def trace_summary(trace: Any, origin: str) -> list[str]:
    """What a user checks first: the model, tokens, unknown tokens, loss, overflow
    (tokens escaped and cut: they come from the user's text)."""
    lines = [f"model: {origin}", f"tokens: {len(trace.tokens)}"]
    if trace.unknown:
        listed = trace.unknown[:MAX_SHOWN_TOKENS]
        shown = ", ".join(f"{pos} '{printable(trace.tokens[pos], 40)}'" for pos in listed)
        left_out = len(trace.unknown) - len(listed)
        more = f" and {left_out} more" if left_out else ""
        lines.append(f"unknown tokens (read as <unk>): {len(trace.unknown)} at {shown}{more}")
    if trace.grads is not None:
        lines.append(f"loss: {trace.grads.loss_name} = {trace.grads.loss_value:.6g}")
    else:
        lines.append("loss: none (no gradients)")
    edits = getattr(trace, "interventions", ())
    if edits:
        lines.append(f"interventions: {'; '.join(edit.spec() for edit in edits)}")
    if trace.nonfinite is not None:
        lines.append(f"warning: {trace.nonfinite.message()}")
    grad_nonfinite = getattr(trace.grads, "nonfinite", None)
    if grad_nonfinite is not None and trace.nonfinite is None:
        lines.append(f"warning: gradient {grad_nonfinite.message()}")
    return lines


def cmd_info(options: argparse.Namespace) -> int:
    from .io.model_files import read_model

    loaded = read_model(model_path(options.model), dict(key_map(options)),
                        **_config_overrides(options))
    model = loaded.model
    if options.json:
        print(json.dumps({**model.config.to_dict(), "guessed": list(loaded.guessed)},
                         indent=2, sort_keys=True))
        return 0
    config = model.config
    guessed = {line.split(":", 1)[0]: line for line in guess_lines(loaded)}
    lines = [
        f"file: {printable(str(loaded.path))}",
        f"format: {loaded.format}",
        *names_lines(loaded.names),
        f"config from: {printable(', '.join(loaded.config_sources), 1000)}",
        f"model: {model.summary()}",
        *(f"  {key}: {value}" for key, value in config.recurrent.to_dict().items()),
        tokenizer_line(config.tokenizer),
        *(f"  {guessed[name]}" for name in ("tokenizer", "lowercase") if name in guessed),
        f"embedding: {config.embedding}",
        guessed.get("task", f"task: {config.task or 'none'}"),
        guessed.get("labels", f"labels: {printable_list(config.labels)}")
        if config.labels else None,
        f"dtype: {config.dtype}",
        guessed.get("readout", f"readout: {config.readout}"),
        f"parameters: {model.num_parameters:,}",
        *(f"  {name}: {tuple(value.shape)}" for name, value in model.params.items()),
    ]
    print("\n".join([line for line in lines if line is not None] + card_lines(config.card)))
    return 0


def tokenizer_line(tokenizer: Any) -> str:
    """``tokenizer: word, lowercase, vocabulary of 6 (unknown '[UNK]', padding '[PAD]')``."""
    case = "lowercase" if tokenizer.lowercase else "case kept"
    if tokenizer.vocabulary is None:
        return f"tokenizer: {tokenizer.kind}, {case}, open vocabulary"
    padding = f", padding {printable(repr(tokenizer.pad), 60)}" if tokenizer.pad else ""
    return (f"tokenizer: {tokenizer.kind}, {case}, vocabulary of {len(tokenizer.vocabulary)} "
            f"(unknown {printable(repr(tokenizer.unk), 60)}{padding})")


def names_lines(names: Sequence[tuple[str, str]]) -> list[str]:
    """``names: embed -> embedding, lstm -> rnn, fc -> head`` when a part was renamed."""
    pairs = ", ".join(f"{printable(old, 60)} -> {new}" for old, new in names)
    return [f"names: {pairs}"] if names else []


def card_lines(card: dict[str, Any]) -> list[str]:
    """``card: KEY: VALUE`` lines, escaped and cut (a card is text from the file): at
    most ``MAX_SHOWN_ITEMS`` entries, each value at most ``MAX_SHOWN_CHARS``."""
    lines = [f"card: {printable(str(key), 60)}: {printable(_card_text(value))}"
             for key, value in list(card.items())[:MAX_SHOWN_ITEMS]]
    if len(card) > MAX_SHOWN_ITEMS:
        lines.append(f"card: ... and {len(card) - MAX_SHOWN_ITEMS:,} more entries "
                     "(rnnstudio info --json shows them all)")
    return lines


def _card_text(value: Any) -> str:
    """A card value as text; nested values as JSON, which cannot run away in size
    beyond the file that held them."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def cmd_convert(options: argparse.Namespace) -> int:
    from .io.atomic import check_writable
    from .io.model_files import convert_model

    check_writable(options.target)  # before the source is read, not after
    loaded = convert_model(model_path(options.source), options.target,
                           dict(key_map(options)), **_config_overrides(options))
    sources = printable(", ".join(loaded.config_sources), 1000)
    print(f"read: {printable(str(loaded.path))} ({loaded.format}; config from {sources})")
    for line in names_lines(loaded.names):
        print(line)
    print_guesses(loaded)  # written into the new file as if the source had said them
    print(f"model: {loaded.model.summary()}")
    print(f"wrote: {printable(options.target)}")
    return 0
