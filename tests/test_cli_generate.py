"""``rnnstudio generate``: the text the API writes, the trace of prompt and continuation,
bold only on a terminal, one-line errors with exit 2."""

from __future__ import annotations

import io

import numpy as np
import pytest

from rnnstudio.cli import main
from rnnstudio.cli_generate import print_text
from rnnstudio.io.model_files import load_model
from rnnstudio.models_index import find_model


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["generate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", ["charlm-rnn", "charlm-lstm", "charlm-gru"])
def test_the_command_prints_the_text_the_api_writes(capsys, name: str) -> None:
    model = load_model(str(find_model(name).path))
    expected = model.generate("a bird ", length=70, temperature=0.8, top_k=5, seed=4)
    code, out, err = run(capsys, name, "--prompt", "a bird ", "--length", "70",
                         "--temperature", "0.8", "--top-k", "5", "--seed", "4")
    assert code == 0 and out == expected.text + "\n"
    assert out.startswith("a bird") and "\x1b" not in out  # not a terminal: no styling
    assert "wrote 70 tokens after the prompt's 6 (temperature 0.8, top-5, seed 4" in err


def test_out_saves_the_full_trace_of_prompt_and_continuation(capsys, tmp_path) -> None:
    path = tmp_path / "written.npz"
    code, out, err = run(capsys, "charlm-lstm", "--prompt", "the dog", "--length", "40",
                         "--temperature", "0", "--out", str(path))
    model = load_model(str(find_model("charlm-lstm").path))
    expected = model.generate("the dog", length=40, temperature=0)
    saved = np.load(path, allow_pickle=False)
    assert code == 0 and out == expected.text + "\n" and f"wrote: {path}" in err
    assert list(saved["tokens"]) == expected.all_tokens and len(saved["tokens"]) == 47
    traced = model.trace(expected.all_tokens)
    np.testing.assert_allclose(saved["logits"], traced.logits)
    np.testing.assert_allclose(saved["grad.l0.fwd.c"], traced.grads.c[0, "fwd"])


def test_on_a_terminal_the_continuation_is_bold(monkeypatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    generation = load_model(str(find_model("charlm-gru").path)).generate(
        "the cat ", length=12, temperature=0)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    shown = Terminal()
    print_text(generation, shown)
    written = generation.text[len("the cat"):]
    assert shown.getvalue() == f"the cat\x1b[1m{written}\x1b[0m\n"
    monkeypatch.setenv("NO_COLOR", "1")
    plain = Terminal()
    print_text(generation, plain)
    assert plain.getvalue() == generation.text + "\n"


@pytest.mark.parametrize(("args", "message"), [
    (["charlm-rnn", "--prompt", "a", "--length", "0"], "--length must be a whole number"),
    (["charlm-rnn", "--prompt", "a", "--length", "5", "--top-k", "0"], "--top-k must be"),
    (["charlm-rnn", "--prompt", "a", "--length", "5", "--seed", "-1"], "--seed must be"),
    (["charlm-rnn", "--prompt", "a", "--length", "5", "--temperature", "-1"],
     "--temperature must be a finite number from 0 to 1000"),
    (["charlm-rnn", "--prompt", " ", "--length", "5"], "--prompt is empty"),
    (["sentiment-gru", "--prompt", "good", "--length", "5"], "has no next-token head"),
    (["charlm-rnn", "--prompt", "a", "--length", "5", "--out", "x.txt"],
     "unknown trace extension"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, args, message) -> None:
    code, out, err = run(capsys, *args)
    errors = [line for line in err.splitlines() if line.startswith("rnnstudio: error:")]
    assert code == 2 and out == "" and len(errors) == 1 and message in errors[0]
