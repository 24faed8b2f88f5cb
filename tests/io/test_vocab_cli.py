"""``--vocab``, ``--labels``, ``--task``, ``--tokenizer``, ``--lowercase``, ``--unk``,
``--pad`` and ``--readout`` on every command that reads a model, and what ``info``,
``trace`` and ``convert`` say about guesses (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from model_cases import make_model

from rnnstudio.cli import build_parser, main, model_file_overrides

VOCABULARY = ("[PAD]", "[UNK]", "the", "movie", "was", "great", "awful", "!")
TEXT = "the movie was great !"


@pytest.fixture
def weights(tmp_path: Path) -> Path:
    """Bare weights of a bidirectional classifier (what a state_dict tells) and a
    vocab.txt beside them."""
    model = make_model("gru", vocabulary=VOCABULARY, task="classify", labels=("neg", "pos"),
                       bidirectional=True)
    np.savez(tmp_path / "weights.npz", **model.state_dict())
    (tmp_path / "vocab.txt").write_text("\n".join(VOCABULARY) + "\n", encoding="utf-8")
    return tmp_path / "weights.npz"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    status = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_info_states_each_guess_and_the_flag_that_overrides_it(weights: Path, capsys) -> None:
    status, out, err = run(capsys, "info", weights, "--vocab", weights.parent / "vocab.txt")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert ("readout: final-states (guessed: the file does not say; --readout "
            "mean|max|last-step if the model pools)") in lines
    assert ("task: classify (guessed: the file does not say; --task tag if the model "
            "labels every token)") in lines
    assert "labels: 0, 1 (guessed: the file does not name them; --labels FILE|a,b,c)" in lines
    assert "tokenizer: word, lowercase, vocabulary of 8 (unknown '[UNK]', padding '[PAD]')" \
        in lines
    assert "  tokenizer: word (guessed: the file does not say; --tokenizer whitespace|char)" \
        in lines


def test_flags_remove_the_guesses_and_change_the_model(weights: Path, capsys) -> None:
    labels = weights.parent / "labels.json"
    labels.write_text(json.dumps({"0": "neg", "1": "pos"}))
    status, out, _ = run(capsys, "info", weights, "--vocab", weights.parent / "vocab.txt",
                         "--labels", labels, "--task", "classify", "--readout", "mean",
                         "--tokenizer", "whitespace", "--no-lowercase", "--json")
    config = json.loads(out)
    assert status == 0 and config["guessed"] == []
    assert (config["readout"], config["labels"], config["task"]) == ("mean", ["neg", "pos"],
                                                                     "classify")
    assert config["tokenizer"]["kind"] == "whitespace"
    assert config["tokenizer"]["lowercase"] is False
    status, out, _ = run(capsys, "info", weights, "--vocab", weights.parent / "vocab.txt",
                         "--json")
    assert json.loads(out)["guessed"] == ["task", "labels", "readout", "tokenizer",
                                          "lowercase"]


def test_trace_and_convert_say_their_guesses_in_one_stderr_line(weights: Path, capsys,
                                                                 tmp_path: Path) -> None:
    vocab = weights.parent / "vocab.txt"
    status, out, err = run(capsys, "trace", weights, "--vocab", vocab, "--text", TEXT,
                           "--out", tmp_path / "t.npz")
    assert status == 0 and err.count("\n") == 1
    assert err.startswith("rnnstudio: guessed") and "readout final-states" in err
    status, _, err = run(capsys, "convert", weights, tmp_path / "m.safetensors", "--vocab",
                         vocab, "--labels", "neg,pos")
    assert status == 0 and "labels" not in err and "task classify" in err
    status, out, err = run(capsys, "trace", tmp_path / "m.safetensors", "--text", TEXT,
                           "--out", tmp_path / "t.npz")
    assert (status, err) == (0, "")  # the native file says what was guessed


def test_unk_pad_and_tokenizer_flags_reach_the_model(weights: Path, capsys,
                                                     tmp_path: Path) -> None:
    spelled = ("_", "??", "the", "movie", "was", "great", "awful", "!")
    (tmp_path / "v.json").write_text(json.dumps(spelled))
    status, out, _ = run(capsys, "info", weights, "--vocab", tmp_path / "v.json",
                         "--unk", "??", "--pad", "_", "--tokenizer", "whitespace")
    assert status == 0
    assert "tokenizer: whitespace, lowercase, vocabulary of 8 (unknown '??', padding '_')" \
        in out.splitlines()


@pytest.mark.parametrize("args, words", [
    (["--vocab", "missing.txt"], "--vocab 'missing.txt': no such file"),
    (["--vocab", "{vocab}", "--unk", "zz"], "unk 'zz' is not in the vocabulary"),
    (["--vocab", "{vocab}", "--labels", "neg"], "--labels 'neg': no such file"),
    (["--vocab", "{bare}"], "no unknown token ('<unk>', '[UNK]'"),
    (["--vocab", "{bpe}"], "a Hugging Face 'BPE' tokenizer"),
    (["--vocab", "{vocab}", "--tokenizer", "bpe"], "--tokenizer: invalid choice: 'bpe'"),
    (["--vocab", "{vocab}", "--task", "regress"], "--task: invalid choice: 'regress'"),
    ([], "no vocabulary: give it with --vocab FILE"),
])
def test_bad_values_are_one_line_naming_flag_value_or_file(weights: Path, capsys,
                                                           args: list[str],
                                                           words: str) -> None:
    (weights.parent / "bare.txt").write_text("the\nmovie\n")
    fixtures = Path(__file__).parent / "vocab_fixtures"
    paths = {"vocab": weights.parent / "vocab.txt", "bare": weights.parent / "bare.txt",
             "bpe": fixtures / "bpe.tokenizer.json"}
    args = [arg.format(**paths) for arg in args]
    for command in (["info", str(weights)],
                    ["trace", str(weights), "--text", TEXT, "--out",
                     str(weights.parent / "t.npz")]):
        status, out, err = run(capsys, *command, *args)
        assert status == 2 and out == "", (out, err)
        assert err.count("\n") == 1 and words in err and "Traceback" not in err, err
    assert not (weights.parent / "t.npz").exists()


def test_file_options_are_refused_without_a_model_file(capsys, tmp_path: Path) -> None:
    status, _, err = run(capsys, "trace", "--text", TEXT, "--out", tmp_path / "t.npz",
                         "--vocab", "v.txt", "--lowercase")
    assert status == 2
    assert err == ("rnnstudio: error: --vocab and --lowercase only apply to a model file "
                   "(MODEL)\n")


def test_every_model_command_takes_the_same_options() -> None:
    parser = build_parser()
    expected = {"vocab": "v.txt", "labels": "a,b", "task": "tag", "tokenizer": "char",
                "lowercase": False, "unk": "?", "pad": "_", "readout": "per-step"}
    flags = ["--vocab", "v.txt", "--labels", "a,b", "--task", "tag", "--tokenizer", "char",
             "--no-lowercase", "--unk", "?", "--pad", "_", "--readout", "per-step"]
    for command in (["info", "m"], ["convert", "m", "o.safetensors"],
                    ["trace", "m", "--text", "a", "--out", "t.npz"],
                    ["plot", "m", "--out", "p.png"]):
        options = parser.parse_args([*command, *flags])
        assert model_file_overrides(options) == expected, command


def test_plot_reads_a_model_with_the_options(weights: Path, capsys, tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    out = tmp_path / "p.png"
    status, _, err = run(capsys, "plot", weights, "--vocab", weights.parent / "vocab.txt",
                         "--readout", "mean", "--labels", "neg,pos", "--text", TEXT,
                         "--out", out, "--width", "400")
    assert status == 0, err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    trace = tmp_path / "t.npz"
    assert main(["trace", "--text", TEXT, "--out", str(trace)]) == 0
    capsys.readouterr()
    status, _, err = run(capsys, "plot", trace, "--readout", "mean", "--out", out)
    assert status == 2 and "--readout only applies to a model file" in err
