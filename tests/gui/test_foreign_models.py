"""Each kind of foreign model, opened in the window: the Model dock, the title, the
verdict line and the equations say what is true (the texts, not pixels; issue 12).

What was looked at: every kind under Xvfb at 1280x720 and 1600x1000; these tests keep
what those screenshots showed to be right.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from conftest import wait_for_trace

from rnnstudio.cli import main
from rnnstudio.engine.model import Model, ModelConfig, random_model
from rnnstudio.engine.tokenizers import Tokenizer
from rnnstudio.io.model_files import save_model
from rnnstudio.view.equations import unit_equations
from rnnstudio.view.model_reading import NO_VERDICT

TESTS = Path(__file__).resolve().parents[1]
VOCABULARY = ["<pad>", "<unk>", "the", "film", "was", "not", "good", "great", "i", "loved",
              "it"]
TEXT = "i loved the film it was great"


def _open(qtbot, window, path: Path, text: str = TEXT) -> None:  # type: ignore[no-untyped-def]
    if window.session.text != text:
        wait_for_trace(qtbot, window.session, lambda: window.session.set_text(text))
    wait_for_trace(qtbot, window.session, lambda: window.open_file(path))
    assert window.session.source.path == path, window.message_bar.text


def _info_guesses(path: Path) -> list[str]:
    """The lines ``rnnstudio info`` prints for the guessed fields."""
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["info", str(path)]) == 0
    return [line.strip() for line in stdout.getvalue().splitlines() if "(guessed: " in line]


def _notes(window) -> list[str]:  # type: ignore[no-untyped-def]
    return window.model_panel.reading.file_notes.text().split("<br>")


def _candidate_shown(window) -> str:  # type: ignore[no-untyped-def]
    """The GRU candidate's two lines in This step, as the window shows them."""
    session = window.session
    lines = unit_equations(session.model, session.trace, session.layer, session.direction,
                           session.cursor, session.unit)
    candidate = next(line for line in lines if line.name == "n")
    shown = window.step_view.equations.text()
    assert f"{candidate.symbolic}\n    {candidate.numbers}" in shown.replace("&gt;", ">")
    return candidate.symbolic


def test_torch_tutorial_classifier(qtbot, window, tmp_path: Path) -> None:
    """embed/lstm/fc, bidirectional, torch.save(state_dict) and a stoi sidecar."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Module()
    net.embed = torch.nn.Embedding(len(VOCABULARY), 5, padding_idx=0)
    net.lstm = torch.nn.LSTM(5, 4, batch_first=True, bidirectional=True)
    net.fc = torch.nn.Linear(8, 2)
    path = tmp_path / "tutorial.pt"
    torch.save(net.state_dict(), path)
    path.with_suffix(".json").write_text(json.dumps(
        {"vocabulary": {token: row for row, token in enumerate(VOCABULARY)}}))
    _open(qtbot, window, path)
    panel, reading = window.model_panel, window.model_panel.reading
    assert window.windowTitle().startswith("tutorial.pt")
    assert panel.summary.text().endswith("\nfile: tutorial.pt")
    assert panel.summary.toolTip() == str(path)
    assert reading.readout_box.currentText() == "final-states"
    assert reading.readout_words.text() == (
        "final states: forward after the last token, backward after the first (guessed)")
    notes = _notes(window)
    assert notes[:3] == ["read as: PyTorch state_dict",
                         "renamed: embed → embedding, lstm → rnn, fc → head",
                         "settings from: sidecar tutorial.json, weight shapes"]
    # The guesses word for word as `rnnstudio info` says them, then the window's controls.
    assert sorted(notes[3:-1]) == sorted(_info_guesses(path))
    assert notes[3].startswith("task: classify (guessed: the file does not say")
    assert notes[-1] == ("change: task, labels: Models › Model details…; readout: the "
                         "Readout box above")
    window.session.set_cursor(1)
    verdict = window.step_view.readout.text()
    assert verdict.startswith("final-states readout reads the whole text: verdict after "
                              "the last token “great”: <b>class\u00a0")
    assert "class\u00a00" in verdict and "class\u00a01" in verdict


def _keras_file(tmp_path: Path, name: str) -> Path:
    pytest.importorskip("h5py")
    with zipfile.ZipFile(TESTS / "io" / "keras_fixtures" / "models.zip") as archive:
        path = tmp_path / name
        path.write_bytes(archive.read(name))
    vocabulary = ["<pad>", "<unk>", "the", "cat", "sat", "on", "mat", "a", "dog", "ran",
                  "to", "."]
    path.with_suffix(".json").write_text(json.dumps({"vocabulary": vocabulary}))
    return path


def test_keras_gru_reset_before(qtbot, window, tmp_path: Path) -> None:
    path = _keras_file(tmp_path, "gru_v1.keras")
    _open(qtbot, window, path, "the cat sat on the mat")
    summary = window.model_panel.summary.text()
    assert summary.startswith("GRU (reset before), hidden 3")
    notes = _notes(window)
    assert notes[0] == "read as: Keras 3 .keras"
    assert "GRU reset_after=False: the reset gate acts before W_hn" in notes
    assert "settings from: gru_v1.keras Keras configuration, sidecar gru_v1.json" in notes
    assert window.model_panel.reading.readout_words.text() == (
        "reads the head on h after the last token")  # the graph says: not guessed
    window.session.set_cursor(2)
    window.session.select_unit(1)
    assert _candidate_shown(window) == "n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)"
    assert window.step_view.readout.text().startswith("Verdict if the text ended at “sat”")


def test_keras_bidirectional_classifier(qtbot, window, tmp_path: Path) -> None:
    path = _keras_file(tmp_path, "bilstm.keras")
    _open(qtbot, window, path, "the cat sat on the mat")
    notes = _notes(window)
    assert notes[0] == "read as: Keras 3 .keras"
    assert any(note.startswith("Dense softmax head: probabilities equal Keras's outputs")
               for note in notes)
    # Keras's Bidirectional(LSTM) without return_sequences reads the final states: said.
    assert window.model_panel.reading.readout_box.currentText() == "final-states"
    assert notes[-1] == "change: labels: Models › Model details…"


def test_onnx_tagger(qtbot, window, tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    fixtures = TESTS / "io" / "fixtures" / "onnx"
    path = tmp_path / "lstm_tagger.onnx"
    path.write_bytes((fixtures / "lstm_tagger.onnx").read_bytes())
    path.with_suffix(".json").write_bytes((fixtures / "lstm_tagger.json").read_bytes())
    _open(qtbot, window, path, "the cat sat on the mat")
    notes = _notes(window)
    assert notes[0] == "read as: ONNX graph"
    assert notes[1].startswith("ONNX LSTM x2, bidirectional, gates i,o,f,c -&gt; i,f,g,o")
    assert "task: tag (guessed: the head reads every step; --task next-token if it " \
        "predicts the next token)" in notes
    window.session.set_cursor(1)
    assert window.step_view.readout.text().startswith("Tag of “cat”: <b>tag\u00a0")


def test_a_native_reset_before_gru_without_head(qtbot, window, tmp_path: Path) -> None:
    path = save_model(random_model("gru", 4, input_size=3, seed=3, reset_after=False),
                      tmp_path / "gru_v1.safetensors")
    _open(qtbot, window, path, "the cat sat on the mat")
    reading = window.model_panel.reading
    assert _notes(window) == ["read as: safetensors written by RNN Studio",
                              "settings from: gru_v1.safetensors metadata"]
    assert reading.readout_row.isHidden()  # no head, nothing to choose
    assert reading.readout_words.text() == "no readout head: states and gradients only"
    assert window.step_view.readout.isHidden()  # a bare stack claims no verdict
    window.session.set_cursor(3)
    window.session.select_unit(2)
    assert _candidate_shown(window) == "n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)"


def test_recurrent_part_only_says_why_there_is_no_verdict(qtbot, window,
                                                         tmp_path: Path) -> None:
    """A head of nn.Sequential(Linear, ReLU, Linear): left out, said where the verdict
    would be and in the Model dock."""
    base = random_model("gru", 4, input_size=3, seed=1)
    rng = np.random.default_rng(0)
    params = {f"gru.{key.split('.', 1)[1]}": value for key, value in base.state_dict().items()}
    params.update({"embed.weight": rng.standard_normal((len(VOCABULARY), 3)),
                   "fc.0.weight": rng.standard_normal((8, 4)), "fc.0.bias": np.zeros(8),
                   "fc.2.weight": rng.standard_normal((2, 8)), "fc.2.bias": np.zeros(2)})
    path = tmp_path / "mlp_head.npz"
    np.savez(path, **{key: np.asarray(value, np.float32) for key, value in params.items()})
    path.with_suffix(".json").write_text(json.dumps({"vocabulary": VOCABULARY}))
    _open(qtbot, window, path)
    reading, step_view = window.model_panel.reading, window.step_view
    assert step_view.readout.isVisibleTo(step_view) and step_view.readout.text() == NO_VERDICT
    assert reading.readout_row.isHidden()
    assert reading.readout_words.text() == "head left out: states and gradients only, no " \
        "verdict"
    notes = _notes(window)
    assert notes[:2] == ["read as: NumPy .npz", "renamed: embed → embedding, gru → rnn"]
    assert notes[2].startswith("recurrent part only: 'fc.0.bias', 'fc.0.weight', "
                               "'fc.2.bias', 'fc.2.weight' left out")
    assert not any(note.startswith("change:") for note in notes)  # no head, no readout
    # Another model with a head: the verdict line is the head's again.
    wait_for_trace(qtbot, window.session, lambda: window.session.open_shipped_model(
        "sentiment-lstm"))
    assert step_view.readout.text() != NO_VERDICT


def test_model_folder(qtbot, window, tmp_path: Path) -> None:
    base = random_model("lstm", 4, input_size=3, num_layers=2, seed=4)
    rng = np.random.default_rng(2)
    params = {**base.state_dict(),
              "embedding.weight": rng.standard_normal((len(VOCABULARY), 3)).astype(np.float32),
              "head.weight": rng.standard_normal((2, 4)).astype(np.float32),
              "head.bias": rng.standard_normal(2).astype(np.float32)}
    config = replace(base.config, tokenizer=Tokenizer("word", tuple(VOCABULARY)),
                     embedding="table", task="classify", labels=("negative", "positive"))
    model = Model(ModelConfig.from_dict(config.to_dict()), params)
    folder = tmp_path / "hf-sentiment"
    folder.mkdir()
    safetensors.numpy.save_file(model.state_dict(), str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(
        {"cell": "lstm", "hidden_size": 4, "input_size": 3, "num_layers": 2,
         "task": "classify", "labels": ["negative", "positive"]}))
    (folder / "vocab.txt").write_text("\n".join(VOCABULARY) + "\n")
    _open(qtbot, window, folder)
    notes = _notes(window)
    assert notes[:2] == ["read as: model folder (model.safetensors + config.json)",
                         "settings from: hf-sentiment/config.json and vocab.txt, weight "
                         "shapes"]
    guesses = _info_guesses(folder)
    assert sorted(notes[2:-1]) == sorted(guesses) and len(guesses) == 3  # readout, tokenizer, case
    assert window.windowTitle().startswith("hf-sentiment")
    window.session.set_cursor(6)
    assert window.step_view.readout.text().startswith(
        "Verdict at the last token “great”: <b>")
    assert "negative" in window.step_view.readout.text()
