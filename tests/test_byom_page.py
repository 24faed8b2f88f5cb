"""docs/byom.md does what it says: each section's model is built and saved by the page's
own code, the page's ``rnnstudio`` command lines run (``info``, ``trace`` and ``convert``
through ``cli.main``; ``rnnstudio FILE ...`` through the launcher's parser, reading the
model as the window does), ``info`` prints the lines the page shows, and the logits (or,
for Keras, the probabilities) equal the framework's on the page's sentence and on
another one holding an unknown word: PyTorch and ONNX float32 within 1e-5, Keras within
1e-6. The page's Python calls give the same model."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rnnstudio as rs
from rnnstudio.cli import COMMANDS, main
from rnnstudio.cli_gui import parse_gui_args

torch = pytest.importorskip("torch")
pytest.importorskip("safetensors.torch")

PAGE = Path(__file__).resolve().parents[1] / "docs" / "byom.md"
#: Sub-commands run through ``cli.main``; ``rnnstudio FILE`` (the app) is parsed instead.
RUN = ("info", "trace", "convert")
SINGLE = 1e-5
KERAS = 1e-6


@dataclass(frozen=True)
class Case:
    """How a section's model is called on token ids (T,) and what it returns: logits,
    log-probabilities (``log_softmax``) or Keras's sigmoid output; ``other`` is a second
    sentence with a word outside the vocabulary; ``before`` a section whose code the
    section continues."""

    other: str
    call: Callable[[Any, Any], Any]
    log_softmax: bool = False
    sigmoid: bool = False
    before: str | None = None
    needs: str = "torch"


def _torch_batch(model: Any, ids: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(ids)[None])[0].numpy()


def _torch_time_major(model: Any, ids: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(ids)[:, None])[0].numpy()


def _torch_tagger(model: Any, ids: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(ids)).numpy()


def _keras(model: Any, ids: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(ids[None].astype(np.int32), verbose=0))[0]


CASES = {
    "1": Case("the acting was not good", _torch_batch),
    "2": Case("the plot was good at all", _torch_batch),
    "3": Case("the film was good at nothing", _torch_time_major, log_softmax=True),
    "4": Case("that dog read the newspaper", _torch_tagger, log_softmax=True),
    "5": Case("the acting was not good", _keras, sigmoid=True, needs="keras"),
    "6": Case("the acting was not good", _torch_batch, before="1", needs="onnx"),
}


def section(number: str) -> str:
    """The text of ``## N. ...`` up to the next ``## `` heading."""
    parts = re.split(r"^## ", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return next(part for part in parts if part.startswith(f"{number}. "))


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def transcript(text: str) -> list[tuple[list[str], list[str]]]:
    """Each ``$ rnnstudio ...`` line of the section's console blocks, split as a shell
    does, with the output lines the page shows under it."""
    runs: list[tuple[list[str], list[str]]] = []
    for block in blocks(text, "console"):
        for line in block.splitlines():
            if line.startswith("$ "):
                runs.append((shlex.split(line[2:]), []))
            else:
                runs[-1][1].append(line)
    return runs


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def comparable(logits: np.ndarray, case: Case, theirs: np.ndarray) -> np.ndarray:
    """RNN Studio's ``logits`` (T, C) as the framework's output ``theirs`` reads."""
    if case.sigmoid:  # Dense(1, sigmoid) is read as logits (0, z): p(1) = sigmoid(z)
        return np.exp(log_softmax(logits))[-1, 1:]
    ours = log_softmax(logits) if case.log_softmax else logits
    return ours if theirs.ndim == 2 else ours[-1]


def framework(case: Case) -> None:
    """Skip when the section's framework is missing (Keras on the torch backend)."""
    if case.needs == "keras":
        os.environ.setdefault("KERAS_BACKEND", "torch")
        keras = pytest.importorskip("keras")
        if keras.backend.backend() != "torch":
            pytest.skip("keras was imported with another backend")
        keras.utils.set_random_seed(0)
    elif case.needs == "onnx":
        pytest.importorskip("onnx")


def run_commands(text: str, capsys: pytest.CaptureFixture) -> Any:
    """Run the section's commands; checks what ``info`` prints against the page and
    returns the model the app's command line opens (None without one)."""
    opened = None
    for command, shown in transcript(text):
        assert command[0] == "rnnstudio", command
        if command[1] in RUN:
            assert main(command[1:]) == 0, command
            printed = capsys.readouterr().out.splitlines()
            missing = [line for line in shown if line not in printed]
            assert not missing, (missing, printed)
            if command[1] == "convert":  # the written file keeps what was given or guessed
                assert rs.io.read_model(command[3]).guessed == ()
        else:  # the app: the launcher's own parser, and the model as the window reads it
            options = parse_gui_args(command[1:], COMMANDS)
            assert options.model_source is not None and not shown
            opened = options.model_source.read().model
    return opened


@pytest.mark.parametrize("number", list(CASES))
def test_each_tutorial_model_loads_as_the_page_says(
        number: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    case = CASES[number]
    framework(case)
    monkeypatch.chdir(tmp_path)
    text = section(number)
    namespace: dict[str, Any] = {}
    torch.manual_seed(0)
    if case.before is not None:
        exec(blocks(section(case.before), "python")[0], namespace)  # noqa: S102
    build, python_calls = blocks(text, "python")
    exec(build, namespace)  # noqa: S102 - the page's own code
    module = namespace["model"]
    if case.needs != "keras":
        module.eval()
    assert any(command[1] == "trace" for command, _ in transcript(text))
    info_shown = [shown for command, shown in transcript(text) if command[1] == "info"]
    assert info_shown and all(any(line.startswith("readout: ") for line in shown)
                              for shown in info_shown)
    opened = run_commands(text, capsys)
    trace = rs.load_trace("trace.npz")
    theirs = case.call(module, trace.token_ids)
    assert trace.logits is not None
    np.testing.assert_allclose(comparable(trace.logits, case, theirs), theirs,
                               atol=KERAS if case.sigmoid else SINGLE, rtol=0)

    exec(python_calls, namespace)  # noqa: S102
    studio = namespace["studio"]
    for model in (namespace.get("same"), opened):
        if model is not None:
            assert model.config == studio.config
            for name, value in studio.params.items():
                np.testing.assert_array_equal(model.params[name], value)
    other = studio.trace(case.other, loss=None)
    assert other.unknown and other.logits is not None  # the unknown word reads its row
    theirs = case.call(module, other.token_ids)
    np.testing.assert_allclose(comparable(other.logits, case, theirs), theirs,
                               atol=KERAS if case.sigmoid else SINGLE, rtol=0)


def test_the_page_is_linked_from_the_readme_and_formats() -> None:
    root = PAGE.parents[1]
    assert "docs/byom.md" in (root / "README.md").read_text(encoding="utf-8")
    assert "(byom.md)" in (root / "docs" / "formats.md").read_text(encoding="utf-8")
