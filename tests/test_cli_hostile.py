"""Bad input to every sub-command: each case exits 2 with one line naming the culprit.

Every case asserts: exit status 2; exactly one stderr line ``rnnstudio: error: ...``
holding the given words (the flag, the value, the limit); no traceback; nothing on
stdout (the refusal comes before any work); no file written or changed in the work
folder (inputs unchanged, no partial output); no bug logged. ``CASES`` is grouped by
kind; ``test_case_count`` keeps the count in docs/formats.md honest.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from test_cli import assert_refused, run_cli

from rnnstudio.cli import main
from rnnstudio.engine.model import random_model
from rnnstudio.io.model_files import save_model
from rnnstudio.limits import MAX_TOKENS

T = "--text"
R = ("--task", "recall")  # a train run's required task

#: kind -> [(args, words that must be in the one line)]. ``{name}`` is a path made by
#: ``workspace``; a trace or train case without ``--out`` gets one.
CASES: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "trace: model sizes": [
        ((T, "hi", "--hidden", "0"), ("--hidden", "from 1 to 4,096", "got 0")),
        ((T, "hi", "--hidden", "-1"), ("--hidden", "got -1")),
        ((T, "hi", "--hidden", "5000"), ("--hidden", "4,096", "got 5000")),
        ((T, "hi", "--hidden", "1000000000"), ("--hidden", "got 1000000000")),
        ((T, "hi", "--hidden", "1e9"), ("--hidden", "invalid int value: '1e9'")),
        ((T, "hi", "--hidden", "abc"), ("--hidden", "'abc'")),
        ((T, "hi", "--input-size", "0"), ("--input-size", "got 0")),
        ((T, "hi", "--input-size", "5000"), ("--input-size", "4,096")),
        ((T, "hi", "--input-size", "1e9"), ("--input-size", "'1e9'")),
        ((T, "hi", "--layers", "0"), ("--layers", "from 1 to 16")),
        ((T, "hi", "--layers", "17"), ("--layers", "got 17")),
        ((T, "hi", "--layers", "100000"), ("--layers", "got 100000")),
        ((T, "hi", "--layers", "1e9"), ("--layers", "'1e9'")),
        ((T, "hi", "--proj-size", "-1"), ("--proj-size", "got -1")),
        ((T, "hi", "--proj-size", "32"), ("--proj-size 32", "smaller than hidden_size (32)")),
        ((T, "hi", "--cell", "gru", "--proj-size", "2"), ("--proj-size 2", "LSTM only")),
        ((T, "hi", "--hidden", "2048", "--layers", "8"), ("--hidden 2048", "100,000,000")),
        ((T, "hi", "--hidden", "4096"), ("--hidden 4096", "20,000,000 a random model")),
        ((T, "hi", "--cell", "transformer"), ("--cell", "'transformer'")),
        ((T, "hi", "--nonlinearity", "sigmoid"), ("--nonlinearity", "'sigmoid'")),
        ((T, "hi", "--dtype", "float16"), ("--dtype", "'float16'")),
        ((T, "hi", "--grad-dtype", "float16"), ("--grad-dtype", "'float16'")),
    ],
    "trace: random-model options": [
        ((T, "hi", "--seed", "-1"), ("--seed", "from 0 to 2,147,483,647", "got -1")),
        ((T, "hi", "--seed", "2147483648"), ("--seed", "got 2147483648")),
        ((T, "hi", "--seed", "1e3"), ("--seed", "'1e3'")),
        ((T, "hi", "--gain", "nan"), ("--gain", "finite", "got nan")),
        ((T, "hi", "--gain", "inf"), ("--gain", "got inf")),
        ((T, "hi", "--gain=-inf"), ("--gain", "got -inf")),
        ((T, "hi", "--gain", "1e7"), ("--gain", "1e+06", "got 10000000.0")),
        ((T, "hi", "--gain", "abc"), ("--gain", "invalid float value")),
        (("{model}", T, "hi", "--seed", "3"), ("--seed", "random models")),
        (("{model}", T, "hi", "--gain", "2"), ("--gain", "random models")),
    ],
    "trace: losses": [
        ((T, "hi", "--loss", "bogus"), ("--loss 'bogus'", "unknown loss")),
        ((T, "hi", "--loss", ""), ("--loss ''", "unknown loss")),
        ((T, "hi", "--loss", "probe:x:1"), ("--loss 'probe:x:1'",)),
        ((T, "hi", "--loss", "probe:1e400:0"), ("probe:1e400:0",)),
        ((T, "hi", "--loss", "probe:1:2:q"), ("probe:1:2:q",)),
        ((T, "hi", "--loss", "probe:1:2:h:0:up"), ("probe:1:2:h:0:up",)),
        ((T, "a b", "--loss", "probe:5:0"), ("probe step 5",)),
        ((T, "a b", "--loss", "probe:0:99999999"), ("probe unit 99999999",)),
        ((T, "a b", "--loss", "probe:0:0:h:7"), ("probe layer 7",)),
        ((T, "a b", "--loss", "probe:0:0:c", "--cell", "gru"), ("'c'",)),
        ((T, "hi", "--loss", "class"), ("class loss", "readout head")),
        ((T, "hi", "--loss", "tag:3"), ("tag loss", "readout head")),
        ((T, "hi", "--loss", "next-token"), ("next-token",)),
        ((T, "hi", "--loss", "probe:" + "9" * 5000 + ":0"), ("unknown loss", "more characters")),
    ],
    "trace: texts": [
        ((T, ""), ("empty",)),
        ((T, "   \n\t "), ("empty",)),
        ((T, "\x00\x1b\x07"), ("empty",)),
        (("--text-file", "{tokens_over}"), (f"{MAX_TOKENS + 1} tokens", f"at most {MAX_TOKENS}")),
        (("--text-file", "{chars_over}"), ("1,000,001 characters", "at most 1,000,000")),
        (("--text-file", "{bytes_over}"), ("more than 4,000,000 bytes",)),
        (("--text-file", "{missing}"), ("cannot read text file", "none.txt")),
        (("--text-file", "{folder}"), ("cannot read text file",)),
        (("--text-file", "{latin1}"), ("latin1.txt", "not UTF-8")),
        (("--text-file", "{empty_txt}"), ("empty",)),
    ],
    "trace: outputs": [
        ((T, "hi", "--out", "{tmp}/t.txt"), ("--out", "unknown trace extension")),
        ((T, "hi", "--out", "{tmp}/t"), ("--out", "unknown trace extension")),
        ((T, "hi", "--out", ""), ("--out", "unknown trace extension")),
        ((T, "hi", "--out", "{tmp}/no/t.npz"), ("does not exist",)),
        ((T, "hi", "--out", "{folder_npz}"), ("it is a folder",)),
        ((T, "hi", "--out", "{text}/t.npz"), ("is a file, not a folder",)),
    ],
    "trace, info, convert: model files": [
        (("{missing_model}", T, "hi"), ("no such file", "none.safetensors")),
        (("{zero_safetensors}", T, "hi"), ("zero.safetensors",)),
        (("{zero_npz}", T, "hi"), ("zero.npz",)),
        (("{truncated}", T, "hi"), ("truncated.safetensors", "truncated")),
        (("{folder}", T, "hi"), ("folder",)),
        (("{model_tflite}", T, "hi"), ("unknown model file extension",)),
        (("recall-nope", T, "hi"), ("no shipped model 'recall-nope'", "recall-gru")),
        (("info", "{missing_model}"), ("no such file",)),
        (("info", "{zero_safetensors}"), ("zero.safetensors",)),
        (("info", "{zero_npz}"), ("zero.npz",)),
        (("info", "{truncated}"), ("truncated",)),
        (("info", "{folder}"), ("folder",)),
        (("info", ""), ("unknown model file extension",)),
        (("info", "{model}", "--hidden", "1000000000"), ("--hidden", "got 1000000000")),
        (("info", "{model}", "--layers", "0"), ("--layers", "got 0")),
        (("info", "{model}", "--hidden", "7"), ("weight_ih_l0", "(21, 3)")),  # weights disagree
        (("info",), ("required: MODEL",)),
        (("convert", "{model}", "{tmp}/c.txt"), ("convert to .safetensors or .npz",)),
        (("convert", "{model}", "{folder}"), ("it is a folder",)),
        (("convert", "{model}", "{tmp}/no/c.npz"), ("does not exist",)),
        (("convert", "{missing_model}", "{tmp}/c.npz"), ("no such file",)),
        (("convert", "{zero_npz}", "{tmp}/c.npz"), ("zero.npz",)),
        (("convert", "{model}", "{tmp}/c.npz", "--input-size", "0"), ("--input-size",)),
    ],
    "train: sizes and counts": [
        ((*R, "--steps", "0"), ("--steps", "from 1 to 1,000,000", "got 0")),
        ((*R, "--steps", "-5"), ("--steps", "got -5")),
        ((*R, "--steps", "10000000"), ("--steps", "got 10000000")),
        ((*R, "--steps", "1e3"), ("--steps", "'1e3'")),
        ((*R, "--batch-size", "0"), ("--batch-size", "got 0")),
        ((*R, "--batch-size", "5000"), ("--batch-size", "from 1 to 4,096")),
        ((*R, "--batch-size", "1000000000"), ("--batch-size", "got 1000000000")),
        ((*R, "--batch-size", "1e9"), ("--batch-size", "'1e9'")),
        ((*R, "--hidden", "0"), ("--hidden", "got 0")),
        ((*R, "--hidden", "5000"), ("--hidden", "got 5000")),
        ((*R, "--input-size", "0"), ("--input-size", "got 0")),
        ((*R, "--layers", "0"), ("--layers", "got 0")),
        ((*R, "--layers", "17"), ("--layers", "got 17")),
        ((*R, "--hidden", "4096"), ("--batch-size 32", "32,000,000", "use at most 25")),
        ((*R, "--hidden", "1024", "--batch-size", "4096"), ("--batch-size 4096",)),
        ((*R, "--seed", "-1"), ("--seed", "got -1")),
        ((*R, "--seed", "2147483648"), ("--seed", "got 2147483648")),
    ],
    "train: rates": [
        ((*R, "--lr", "nan"), ("--lr", "finite number above 0", "got nan")),
        ((*R, "--lr", "0"), ("--lr", "got 0.0")),
        ((*R, "--lr", "-1"), ("--lr", "got -1.0")),
        ((*R, "--lr", "inf"), ("--lr", "got inf")),
        ((*R, "--lr=-inf"), ("--lr", "got -inf")),
        ((*R, "--lr", "fast"), ("--lr", "invalid float value")),
        ((*R, "--clip", "nan"), ("--clip", "0 (no clipping)", "got nan")),
        ((*R, "--clip", "inf"), ("--clip", "got inf")),
        ((*R, "--clip", "-1"), ("--clip", "got -1.0")),
        (("--task", "adding", "--cell", "rnn", "--nonlinearity", "relu", "--hidden", "8",
          "--steps", "20", "--lr", "1e36", "--optimizer", "sgd", "--clip", "0"),
         ("--lr 1e+36", "became nan at step 2 of 20", "nothing was written", "or --clip 1")),
    ],
    "train: task options": [
        ((*R, "--option", "max_gap=abc"), ("--option max_gap", "from 0 to 1,000", "'abc'")),
        ((*R, "--option", "max_gap=1.5"), ("--option max_gap", "got 1.5")),
        ((*R, "--option", "max_gap=1e3"), ("--option max_gap", "got 1000.0")),
        ((*R, "--option", "max_gap=-1"), ("--option max_gap", "got -1")),
        ((*R, "--option", "max_gap=100000"), ("--option max_gap", "got 100000")),
        ((*R, "--option", "max_gap=true"), ("--option max_gap", "got True")),
        ((*R, "--option", "max_gap=nan"), ("--option max_gap", "got nan")),
        ((*R, "--option", "max_gap="), ("--option max_gap", "got ''")),
        ((*R, "--option", "min_gap=50"), ("--option min_gap 50 is more than max_gap 40",)),
        ((*R, "--option", "min_gap=9", "--option", "max_gap=3"), ("min_gap 9", "max_gap 3")),
        ((*R, "--option", "mentions=-1"), ("--option mentions", "from 0")),
        ((*R, "--option", "mixed=yes"), ("--option mixed", "True or False", "'yes'")),
        ((*R, "--option", "mixed=3"), ("--option mixed", "got 3")),
        ((*R, "--option", "nope=1"), ("no option nope", "max_gap")),
        ((*R, "--option", "name=x"), ("no option name",)),
        ((*R, "--option", "kind=tag"), ("no option kind",)),
        ((*R, "--option", "gap"), ("--option 'gap'", "KEY=VALUE")),
        ((*R, "--option", "=3"), ("--option '=3'", "KEY=VALUE")),
        ((*R, "--option", "max_gap=3", "--option", "max_gap=4"), ("max_gap is given twice",)),
        (("--task", "sentiment", "--option", "max_gap=3"), ("'sentiment' has no option",)),
        (("--task", "brackets", "--option", "min_length=1"), ("--option min_length", "2")),
        (("--task", "brackets", "--option", "min_length=30"), ("min_length 30", "24")),
        (("--task", "adding", "--option", "min_length=1"), ("--option min_length",)),
        (("--task", "charlm", "--option", "length=1"), ("--option length", "got 1")),
        (("--task", "charlm", "--option", "length=100000"), ("--option length",)),
        (("--task", "nope"), ("--task", "invalid choice: 'nope'")),
    ],
    "train: outputs": [
        ((*R, "--out", "{tmp}/m.pt"), ("--out", "m.pt", ".safetensors", ".npz")),
        ((*R, "--out", "{tmp}/m.txt"), ("--out", "m.txt")),
        ((*R, "--out", "{tmp}/m"), ("--out",)),
        ((*R, "--out", "{tmp}/no/m.npz"), ("does not exist",)),
        ((*R, "--out", "{folder_npz}"), ("it is a folder",)),
    ],
    "plot, models and the command line": [
        (("plot", "{model}", "--out", "{tmp}/f.png", "--width", "0"), ("--width", "got 0")),
        (("plot", "{model}", "--out", "{tmp}/f.png", "--width", "20000"), ("--width",)),
        (("plot", "{model}", "--out", "{tmp}/f.png", "--height", "100000000"),
         ("--height", "from 100 to 10,000", "got 100000000")),
        (("plot", "{model}", "--out", "{tmp}/f.png", "--height", "1e8"), ("--height", "1e8")),
        (("plot", "{model}", "--out", "{tmp}/f.png", "--width", "9000", "--height", "2000"),
         ("--width 9000 and --height 2000", "40,000,000")),
        (("plot",), ("required",)),
        (("train", "--task", "recall"), ("required: --out",)),
        (("models", "--what"), ("unrecognized arguments: --what",)),
        (("trace", "--bogus", T, "a", "--out", "{tmp}/t.npz"), ("unrecognized", "--bogus")),
        (("trace", T, "a", "--text-file", "{text}"), ("not allowed with argument",)),
    ],
}


@pytest.fixture
def workspace(tmp_path: Path) -> dict[str, str]:
    """The inputs the cases name, in ``tmp_path`` (which the test checks is unchanged)."""
    model = random_model("gru", 4, input_size=3, seed=1)
    good = save_model(model, tmp_path / "m.safetensors")
    (tmp_path / "truncated.safetensors").write_bytes(good.read_bytes()[:-40])
    for name in ("zero.safetensors", "zero.npz", "empty.txt"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "m.tflite").write_bytes(b"tflite?")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder.npz").mkdir()
    (tmp_path / "text.txt").write_text("the cat sat")
    (tmp_path / "tokens.txt").write_text("a " * (MAX_TOKENS + 1))
    (tmp_path / "chars.txt").write_text("a" * 1_000_001)
    (tmp_path / "bytes.txt").write_bytes(b"a " * 2_000_001)
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    names = {"model": good, "truncated": tmp_path / "truncated.safetensors",
             "zero_safetensors": tmp_path / "zero.safetensors", "zero_npz": tmp_path / "zero.npz",
             "empty_txt": tmp_path / "empty.txt", "model_tflite": tmp_path / "m.tflite",
             "folder": tmp_path / "folder", "folder_npz": tmp_path / "folder.npz",
             "text": tmp_path / "text.txt", "tokens_over": tmp_path / "tokens.txt",
             "chars_over": tmp_path / "chars.txt", "bytes_over": tmp_path / "bytes.txt",
             "latin1": tmp_path / "latin1.txt", "missing": tmp_path / "none.txt",
             "missing_model": tmp_path / "none.safetensors", "tmp": tmp_path}
    return {key: str(value) for key, value in names.items()}


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` with a hash of its bytes."""
    return {str(path.relative_to(folder)): "dir" if path.is_dir()
            else hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*"))}


def command_line(args: tuple[str, ...], kind: str, names: dict[str, str]) -> list[str]:
    """The full argv of a case: the command, its arguments, and an --out if none."""
    filled = [arg.format(**names) for arg in args]
    if kind.startswith("train"):
        filled.insert(0, "train")
    elif filled[0] not in ("info", "convert", "plot", "models", "trace", "train"):
        filled.insert(0, "trace")
    if kind.startswith(("trace", "train")) and filled[0] in ("trace", "train") \
            and "--out" not in filled:
        filled += ["--out", str(Path(names["tmp"]) / ("t.npz" if filled[0] == "trace"
                                                      else "m.safetensors"))]
    return filled


FLAT = [(kind, args, words) for kind, cases in CASES.items() for args, words in cases]


@pytest.mark.parametrize(("kind", "args", "words"), FLAT,
                         ids=[f"{kind.split(':')[0]}-{i}" for i, (kind, _, _) in enumerate(FLAT)])
def test_bad_input_is_one_line_and_exit_2(kind: str, args: tuple[str, ...],
                                          words: tuple[str, ...], workspace: dict[str, str],
                                          tmp_path_factory: pytest.TempPathFactory,
                                          monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    logs = tmp_path_factory.mktemp("logs")
    monkeypatch.setenv("RNNSTUDIO_LOG_DIR", str(logs))
    folder = Path(workspace["tmp"])
    before = snapshot(folder)
    code = main(command_line(args, kind, workspace))
    captured = capsys.readouterr()
    assert code == 2, captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnstudio: error: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert captured.out == ""
    assert snapshot(folder) == before  # nothing written, no input changed
    assert not list(logs.iterdir())  # bad input is not a bug


def test_case_count() -> None:
    """The count by kind quoted in docs/formats.md."""
    counts = {kind: len(cases) for kind, cases in CASES.items()}
    assert sum(counts.values()) == len(FLAT) >= 150, counts


@pytest.mark.parametrize("args", [
    ("trace", "--text", "hi", "--hidden", "1000000000"),
    ("train", "--task", "recall", "--batch-size", "1000000000"),
    ("train", "--task", "recall", "--option", "max_gap=abc"),
    ("trace", "--text", "hi", "--layers", "1e9"),
])
def test_a_real_process_exits_2_at_once(tmp_path: Path, args: tuple[str, ...]) -> None:
    """The same contract in a fresh interpreter (argparse, exit status, stderr)."""
    result = run_cli(*args, "--out", str(tmp_path / ("t.npz" if args[0] == "trace"
                                                     else "m.safetensors")))
    assert_refused(result, args[-2])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() == 0,
                    reason="needs a folder root cannot write into")
def test_unwritable_output_folder(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert_refused(run_cli("train", "--task", "recall", "--out", str(locked / "m.npz")),
                   "not writable")


def test_text_file_from_dev_zero_is_refused_without_reading_it_all(tmp_path: Path,
                                                                  capsys) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    code = main(["trace", "--text-file", "/dev/zero", "--out", str(tmp_path / "t.npz")])
    assert code == 2 and "more than 4,000,000 bytes" in capsys.readouterr().err


def test_a_huge_token_is_cut_in_the_summary(tmp_path: Path, capsys) -> None:
    """An unknown token is printed escaped and cut, never raw."""
    vocabulary_model = tmp_path / "v.npz"
    base = random_model("gru", 3, input_size=2, seed=0)
    from rnnstudio.engine.model import Model, ModelConfig
    from rnnstudio.engine.tokenizers import Tokenizer

    params = base.state_dict()
    params["embedding.weight"] = np.ones((2, 2), np.float32)
    config = ModelConfig(base.config.recurrent, Tokenizer("word", ("<unk>", "a")), "table")
    save_model(Model(config, params), vocabulary_model)
    text = "a " + "x" * 5000 + " \u202eevil"
    assert main(["trace", str(vocabulary_model), "--text", text, "--out",
                 str(tmp_path / "t.npz")]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines()
                if line.startswith("unknown tokens"))
    assert "(4,960 more characters)" in line and "2 '\\u202e'" in line and len(line) < 200
