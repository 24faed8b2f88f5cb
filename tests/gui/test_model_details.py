"""Bring your own model in the window: the Model details dialog and its sidecar, the
readout in the Model dock, model folders (File › Open folder…, drops)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from conftest import wait_for_trace
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from rnnstudio.engine.model import Model, ModelConfig, random_model
from rnnstudio.engine.tokenizers import UNK, Tokenizer
from rnnstudio.errors import ExportError
from rnnstudio.gui.session_files import snapshot
from rnnstudio.io import sidecar_write
from rnnstudio.io.session_file import session_to_dict

VOCABULARY = (UNK, "the", "cat", "sat", "on", "mat")
LABELS = ("neg", "pos")


def _classifier(prefix: str = "rnn") -> tuple[Model, dict[str, np.ndarray]]:
    """A bidirectional GRU classifier and its state_dict with the tutorial's names."""
    base = random_model("gru", hidden_size=4, input_size=3, bidirectional=True, seed=5)
    rng = np.random.default_rng(1)
    params = {**base.state_dict(),
              "embedding.weight": rng.standard_normal((len(VOCABULARY), 3)).astype(np.float32),
              "head.weight": rng.standard_normal((2, 8)).astype(np.float32),
              "head.bias": rng.standard_normal(2).astype(np.float32)}
    config = replace(base.config, tokenizer=Tokenizer("word", VOCABULARY), embedding="table",
                     task="classify", labels=LABELS)
    model = Model(ModelConfig.from_dict(config.to_dict()), params)
    names = {"embedding": "embed", "rnn": prefix, "head": "fc"}
    renamed = {f"{names[key.split('.')[0]]}.{key.split('.', 1)[1]}": value
               for key, value in params.items()}
    return model, renamed


@pytest.fixture
def state_dict_file(tmp_path: Path) -> Path:
    """``torch.save(model.state_dict())`` as a tutorial leaves it: weights, no vocabulary."""
    _, params = _classifier("gru")
    path = tmp_path / "tutorial.npz"
    np.savez(path, **params)
    (tmp_path / "stoi.json").write_text(json.dumps(
        {token: row for row, token in enumerate(VOCABULARY)}))
    return path


def _ask(qtbot, window, path: Path):  # type: ignore[no-untyped-def]
    """Open ``path``; it lacks its vocabulary, so the dialog opens."""
    with qtbot.waitSignal(window.session.details_needed, timeout=5000):
        window.open_file(path)
    window.session.wait()
    dialog = window.dialogs.details_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_missing_vocabulary_is_asked_and_saved(qtbot, window, state_dict_file: Path) -> None:
    session = window.session
    before = session.model
    dialog = _ask(qtbot, window, state_dict_file)
    assert session.model is before  # the previous model stays until the answers open it
    assert "It does not say its vocabulary: please give it below" in dialog.intro.text()
    assert "no vocabulary" in dialog.reason.text()  # the reader's own message, below it
    assert dialog.form.isRowVisible(dialog.nonlinearity_box) is False  # a GRU has none
    assert "needs a few details" in window.message_bar.text
    assert window.message_bar.kind == "notice"  # no failure: not in the error's red
    assert dialog.readout_box.currentData() is None  # the file does not say: a guess
    # The guess the dialog announces is the one the reader makes (a bidirectional GRU).
    assert dialog.readout_words.text() == (
        "not set: final states: forward after the last token, backward after the first "
        "(guessed)")
    dialog.task_box.setCurrentIndex(dialog.task_box.findData("tag"))
    assert dialog.readout_words.text().startswith("not set: ")
    assert "final states" not in dialog.readout_words.text()
    dialog.vocabulary_edit.setText(str(state_dict_file.parent / "stoi.json"))
    dialog.labels_edit.setText("neg, pos")
    dialog.task_box.setCurrentIndex(dialog.task_box.findData("classify"))
    dialog.readout_box.setCurrentIndex(dialog.readout_box.findData("final-states"))
    assert dialog.readout_words.text().startswith("final states: forward after the last")
    wait_for_trace(qtbot, session, dialog.accept)
    sidecar = json.loads(state_dict_file.with_suffix(".json").read_text())
    assert sidecar == {"labels": list(LABELS), "task": "classify", "readout": "final-states",
                       "tokenizer": {"kind": "word", "vocabulary": list(VOCABULARY)}}
    config = session.model.config
    assert config.tokenizer.vocabulary == VOCABULARY and config.readout == "final-states"
    assert session.source.path == state_dict_file and session.source.overrides == {}
    assert window.dialogs.details_dialog is None
    reading = window.model_panel.reading
    assert reading.readout_box.currentText() == "final-states"
    assert "renamed: embed → embedding, gru → rnn, fc → head" in reading.file_notes.text()
    assert "settings from: sidecar tutorial.json, weight shapes" in reading.file_notes.text()
    assert not window.message_bar.isVisible()


def test_an_rnn_nonlinearity_is_asked(qtbot, window, tmp_path: Path) -> None:
    path = tmp_path / "relu.npz"
    np.savez(path, **random_model("rnn", hidden_size=3, nonlinearity="relu").state_dict())
    dialog = _ask(qtbot, window, path)
    assert "nonlinearity" in dialog.intro.text() and dialog.form.isRowVisible(
        dialog.nonlinearity_box)
    # no table, no head: those rows are locked, Browse buttons included
    assert not dialog.vocabulary_edit.isEnabled() and not dialog.readout_box.isEnabled()
    assert not dialog.labels_row.isEnabled() and dialog.details().task is None
    dialog.nonlinearity_box.setCurrentIndex(dialog.nonlinearity_box.findData("relu"))
    wait_for_trace(qtbot, window.session, dialog.accept)
    assert json.loads(path.with_suffix(".json").read_text()) == {"nonlinearity": "relu"}
    assert window.session.model.config.recurrent.nonlinearity == "relu"
    assert not window.model_panel.reading.readout_box.isEnabled()  # no head, no readout


def test_an_error_keeps_the_answers(qtbot, window, state_dict_file: Path) -> None:
    dialog = _ask(qtbot, window, state_dict_file)
    short = state_dict_file.parent / "short.txt"
    short.write_text(f"{UNK}\nthe\n")
    dialog.vocabulary_edit.setText(str(short))
    dialog.labels_edit.setText("neg, pos")
    dialog.accept()
    assert dialog.isVisible() and dialog.problem.isVisible()
    assert "the vocabulary has 2 tokens but embedding.weight 6 rows" in dialog.problem.text()
    assert (dialog.vocabulary_edit.text(), dialog.labels_edit.text()) == (str(short),
                                                                           "neg, pos")
    assert not state_dict_file.with_suffix(".json").exists()
    dialog.reject()


def test_unwritable_folder_keeps_answers_for_the_session(
        qtbot, window, state_dict_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(target: Path, text: str) -> Path:
        raise ExportError(f"cannot write {target}: folder {target.parent} is not writable")

    monkeypatch.setattr(sidecar_write, "write_text_atomic", refuse)
    dialog = _ask(qtbot, window, state_dict_file)
    dialog.vocabulary_edit.setText(str(state_dict_file.parent / "stoi.json"))
    dialog.readout_box.setCurrentIndex(dialog.readout_box.findData("mean"))
    wait_for_trace(qtbot, window.session, dialog.accept)
    assert window.message_bar.isVisible()
    assert "for this session only" in window.message_bar.text
    assert "not writable" in window.message_bar.text
    assert window.message_bar.kind == "notice"
    source = window.session.source
    assert source.overrides["readout"] == "mean"
    assert window.session.model.config.readout == "mean"
    saved = session_to_dict(snapshot(window.session))["model"]
    assert saved["config"]["tokenizer"]["vocabulary"] == list(VOCABULARY)


def test_readout_changed_in_the_model_dock(qtbot, window, state_dict_file: Path) -> None:
    session = window.session
    state_dict_file.with_suffix(".json").write_text(json.dumps(
        {"vocabulary": list(VOCABULARY), "labels": list(LABELS)}))
    wait_for_trace(qtbot, session, lambda: window.open_file(state_dict_file))
    reading = window.model_panel.reading
    assert reading.isVisible() and reading.readout_box.isEnabled()
    assert [reading.readout_box.itemText(i) for i in range(reading.readout_box.count())] == [
        "last-step", "final-states", "mean", "max", "per-step"]
    # A bidirectional classifier's state_dict does not say: final-states, said as a guess.
    assert reading.readout_words.text() == (
        "final states: forward after the last token, backward after the first (guessed)")
    verdict_before = session.trace.logits[-1].copy()
    index = reading.readout_box.findText("last-step")
    wait_for_trace(qtbot, session, lambda: reading.readout_box.activated.emit(index))
    assert session.model.config.readout == "last-step"
    assert session.source.overrides == {"readout": "last-step"}
    assert not np.allclose(session.trace.logits[-1], verdict_before)
    assert snapshot(session).model.overrides == {"readout": "last-step"}
    assert reading.readout_words.text() == (
        "reads the head on h after the last token, in both directions (the backward one "
        "has read only that token)")
    session.loaded = replace(session.loaded, guessed=("readout", "task"))
    reading.refresh()
    assert reading.readout_words.text().endswith("has read only that token) (guessed)")
    notes = reading.file_notes.text()
    assert "task: classify (guessed: the file does not say; --task tag if the model " \
        "labels every token)" in notes  # as rnnstudio info says it
    assert "change: readout: the Readout box above; task: Models › Model details…" in notes
    assert "settings from: this window's choices, sidecar tutorial.json" in notes


def test_model_details_menu_follows_the_model(qtbot, window, state_dict_file: Path) -> None:
    action = window.named_actions["model_details"]
    assert not action.isEnabled()  # a random model has no file to describe
    state_dict_file.with_suffix(".json").write_text(json.dumps(
        {"vocabulary": list(VOCABULARY), "readout": "max", "labels": list(LABELS)}))
    wait_for_trace(qtbot, window.session, lambda: window.open_file(state_dict_file))
    assert action.isEnabled()
    action.trigger()
    dialog = window.dialogs.details_dialog
    assert dialog.readout_box.currentData() == "max"
    assert dialog.labels_edit.text() == "neg, pos"
    assert dialog.vocabulary_edit.text() == ""  # it has one: kept unless replaced
    dialog.reject()


def _model_folder(tmp_path: Path) -> Path:
    model, _ = _classifier()
    folder = tmp_path / "hf-classifier"
    folder.mkdir()
    safetensors.numpy.save_file(model.state_dict(), str(folder / "model.safetensors"))
    config = model.config.to_dict()
    del config["tokenizer"]["vocabulary"]
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "vocab.txt").write_text("\n".join(VOCABULARY) + "\n")
    return folder


def test_a_model_folder_opens_and_drops(qtbot, window, tmp_path: Path) -> None:
    folder = _model_folder(tmp_path)
    session = window.session
    wait_for_trace(qtbot, session, lambda: window.open_file(folder))
    assert session.source.path == folder and session.model.config.labels == LABELS
    assert session.loaded is not None and session.loaded.format == "folder"
    wait_for_trace(qtbot, session, lambda: window.session.set_random_model(
        window.session.random_spec))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    wait_for_trace(qtbot, session, lambda: window.dropEvent(drop))
    assert session.source.path == folder
    assert window.named_actions["open_folder"].text() == "Open &folder…"


def test_the_dialog_keeps_the_parts_named_with_map(qtbot, window, tmp_path: Path) -> None:
    """Opened with ``--map proj=head`` (the launcher, or a session file) and lacking its
    vocabulary: the dialog's answers reopen it with the map, so the head stays."""
    _, params = _classifier("gru")
    params = {key.replace("fc.", "proj."): value for key, value in params.items()}
    path = tmp_path / "named.npz"
    np.savez(path, **params)
    (tmp_path / "stoi.json").write_text(json.dumps(list(VOCABULARY)))
    session = window.session
    with qtbot.waitSignal(session.details_needed, timeout=5000):
        window.open_file(path, key_map=(("proj", "head"),))
    session.wait()
    dialog = window.dialogs.details_dialog
    assert dialog is not None and dialog.facts.key_map == (("proj", "head"),)
    dialog.vocabulary_edit.setText(str(tmp_path / "stoi.json"))
    dialog.labels_edit.setText("neg, pos")
    wait_for_trace(qtbot, session, dialog.accept)
    assert session.source.key_map == (("proj", "head"),)
    assert session.model.config.task == "classify" and "head.weight" in session.model.params
    np.testing.assert_array_equal(session.model.params["head.weight"], params["proj.weight"])
