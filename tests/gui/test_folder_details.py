"""A model folder without its vocabulary: the window asks in the Model details dialog,
keeps the answers as the session's overrides (never in the user's folder) and says so."""

from __future__ import annotations

import json
from pathlib import Path

import safetensors.numpy
from conftest import wait_for_trace
from test_model_details import VOCABULARY, _classifier

from rnnstudio.gui.session_files import snapshot
from rnnstudio.io.session_file import session_to_dict


def _folder_without_vocabulary(tmp_path: Path) -> Path:
    """model.safetensors + config.json (no vocabulary or readout in either), and a
    vocabulary file lying elsewhere."""
    model, _ = _classifier()
    folder = tmp_path / "hf-gru"
    folder.mkdir()
    safetensors.numpy.save_file(model.state_dict(), str(folder / "model.safetensors"))
    config = model.config.to_dict()
    del config["tokenizer"]["vocabulary"], config["readout"]
    (folder / "config.json").write_text(json.dumps(config))
    (tmp_path / "vocab.txt").write_text("\n".join(VOCABULARY) + "\n")
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_a_folder_without_vocabulary_is_asked_for_it(qtbot, window, tmp_path: Path) -> None:
    folder = _folder_without_vocabulary(tmp_path)
    before = _files(folder)
    session = window.session
    with qtbot.waitSignal(session.details_needed, timeout=5000):
        window.open_file(folder)
    session.wait()
    dialog = window.dialogs.details_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.intro.text() == (
        "hf-gru (GRU, bidirectional). It does not say its vocabulary: please give it "
        "below. RNN Studio leaves a model folder's files as they are: the answers hold "
        "for this window's session, and File › Save session keeps them.")
    assert "has no vocab.json, vocab.txt or tokenizer.json" in dialog.reason.text()
    assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).text() == "Open"
    # config.json says task and labels: shown, locked
    assert not dialog.task_box.isEnabled() and dialog.labels_edit.text() == "neg, pos"
    assert "hf-gru needs a few details to open" in window.message_bar.text
    dialog.vocabulary_edit.setText(str(tmp_path / "vocab.txt"))
    wait_for_trace(qtbot, session, dialog.accept)
    assert session.model.config.tokenizer.vocabulary == VOCABULARY
    # Only what config.json lacks: its tokenizer kind and lowercase stay the file's.
    assert session.source.path == folder
    assert session.source.overrides == {"tokenizer": {"vocabulary": list(VOCABULARY)}}
    assert window.message_bar.isVisible() and window.message_bar.text == (
        "The details of hf-gru hold for this session only (RNN Studio leaves a model "
        "folder's files as they are); File › Save session keeps them")
    assert _files(folder) == before and not (tmp_path / "hf-gru.json").exists()
    saved = session_to_dict(snapshot(session))["model"]
    assert saved["config"]["tokenizer"]["vocabulary"] == list(VOCABULARY)
    # Asked again (Models › Model details…), it knows the vocabulary it was given.
    window.named_actions["model_details"].trigger()
    again = window.dialogs.details_dialog
    assert again.facts.has_vocabulary and again.vocabulary_edit.text() == ""
    assert again.details().vocabulary_file is None
    again.readout_box.setCurrentIndex(again.readout_box.findData("mean"))
    wait_for_trace(qtbot, session, again.accept)
    assert session.model.config.readout == "mean"
    assert session.model.config.tokenizer.vocabulary == VOCABULARY  # kept, not lost
    assert _files(folder) == before
