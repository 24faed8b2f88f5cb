"""docs/byom.md does what it says: each PyTorch model is built and saved by the page's
own code, the page's ``rnnstudio`` command lines run through ``cli.main``, ``info`` names
the parts, task and readout, and the traced logits equal the module's (float32 within
1e-5); the page's Python calls give the same model."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnnstudio as rs
from rnnstudio.cli import main

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors.torch")

PAGE = Path(__file__).resolve().parents[1] / "docs" / "byom.md"
#: Sub-commands run here; the page's others open the app.
RUN = ("info", "trace", "convert")
SINGLE = 1e-5


@dataclass(frozen=True)
class Expected:
    """What ``info`` prints, how the page's module is called on token ids (T,), and
    whether it returns log-probabilities (then compared as such)."""

    info: tuple[str, ...]
    call: Callable[[Any, Any], Any]
    log_softmax: bool = False


EXPECTED = {
    "1": Expected(("names: embed -> embedding, lstm -> rnn, fc -> head",
                   "labels: negative, positive", "readout: last-step (guessed: the file does "
                   "not say; --readout mean|max if the model pools)"),
                  lambda model, ids: model(ids[None])[0]),
    "2": Expected(("labels: negative, positive", "readout: final-states"),
                  lambda model, ids: model(ids[None])[0]),
    "3": Expected(("names: encoder -> embedding, decoder -> head", "task: next-token",
                   "readout: per-step"),
                  lambda model, ids: model(ids[:, None])[0], log_softmax=True),
    "4": Expected(("names: word_embeddings -> embedding, lstm -> rnn, hidden2tag -> head",
                   "task: tag", "labels: DET, NN, V", "readout: per-step"),
                  lambda model, ids: model(ids), log_softmax=True),
}


def section(number: str) -> str:
    """The text of ``## N. ...`` up to the next ``## `` heading."""
    parts = re.split(r"^## ", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return next(part for part in parts if part.startswith(f"{number}. "))


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@pytest.mark.parametrize("number", list(EXPECTED))
def test_each_tutorial_model_loads_as_the_page_says(
        number: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    text, expected = section(number), EXPECTED[number]
    build, python_calls = blocks(text, "python")
    namespace: dict[str, Any] = {}
    torch.manual_seed(0)
    exec(build, namespace)  # noqa: S102 - the page's own code
    module = namespace["model"].eval()
    commands = [shlex.split(line[2:]) for block in blocks(text, "console")
                for line in block.splitlines() if line.startswith("$ rnnstudio ")]
    assert any(command[1] == "trace" for command in commands)
    printed = ""
    for command in commands:
        if command[1] in RUN:
            assert main(command[1:]) == 0, command
            printed += capsys.readouterr().out
    lines = printed.splitlines()
    assert all(line in lines for line in expected.info), printed
    trace = rs.load_trace("trace.npz")
    with torch.no_grad():
        theirs = expected.call(module, torch.from_numpy(trace.token_ids)).numpy()
    assert trace.logits is not None
    ours = log_softmax(trace.logits) if expected.log_softmax else trace.logits
    ours = ours if theirs.ndim == 2 else ours[-1]
    np.testing.assert_allclose(ours, theirs, atol=SINGLE, rtol=0)
    exec(python_calls, namespace)  # noqa: S102
    studio, same = namespace["studio"], namespace["same"]
    assert same.config == studio.config
    for name, value in studio.params.items():
        np.testing.assert_array_equal(same.params[name], value)
    assert studio.trace(" ".join(trace.tokens), loss=None).logits is not None


def test_the_page_is_linked_from_the_readme_and_formats() -> None:
    root = PAGE.parents[1]
    assert "docs/byom.md" in (root / "README.md").read_text(encoding="utf-8")
    assert "(byom.md)" in (root / "docs" / "formats.md").read_text(encoding="utf-8")
