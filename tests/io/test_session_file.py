"""Session files: the minimal file opens, everything round-trips, hostile files get one line."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnnstudio.errors import ExportError, ModelFileError, SessionFileError
from rnnstudio.io import (
    ModelSource,
    RandomModelSpec,
    SessionFile,
    atomic,
    is_session_file,
    load_session,
    save_model,
    save_session,
    session_file,
)
from rnnstudio.io.session_file import MAX_SESSION_BYTES, session_from_dict, session_to_dict

MINIMAL = {"format": "rnnstudio-session", "version": 1, "model": "sentiment-lstm",
           "text": "the camera was not good", "cursor": 3}


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _full(model: ModelSource) -> SessionFile:
    return SessionFile(model=model, text="alice is allergic to nuts", cursor=4, layer=1,
                       direction="bwd", unit=7, loss="probe:-1:3:c:0:bwd", saliency=True,
                       playback_speed=12.5, lesson=("2-forget-gate", 1),
                       compare=("recall-rnn", "recall-gru"), docks="AAAA/w==")


def test_the_minimal_file_opens() -> None:
    session = session_from_dict(dict(MINIMAL))
    assert session == SessionFile(ModelSource.shipped("sentiment-lstm"),
                                  "the camera was not good", cursor=3)
    assert (session.layer, session.direction, session.unit, session.loss) == (0, "fwd", 0, None)
    assert (session.saliency, session.playback_speed, session.lesson) == (False, 4.0, None)
    assert (session.compare, session.docks, dict(session.extra)) == ((), None, {})


def test_minimal_file_on_disk_is_sniffed_and_loaded(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.rnnstudio", MINIMAL)
    assert is_session_file(path)
    assert load_session(path).model.load().config.recurrent.cell == "lstm"


@pytest.mark.parametrize("model", [
    ModelSource.shipped("recall-gru"),
    ModelSource.random(RandomModelSpec(cell="rnn", hidden_size=9, nonlinearity="relu",
                                       num_layers=2, bidirectional=True, seed=11, gain=0.75,
                                       dtype="float64", input_size=3)),
], ids=["shipped", "random"])
def test_full_round_trip(tmp_path: Path, model: ModelSource) -> None:
    session = _full(model)
    written = save_session(session, tmp_path / "s.rnnstudio")
    assert load_session(written) == session
    data = json.loads(written.read_text(encoding="utf-8"))
    assert list(data)[:2] == ["format", "version"]
    assert data["lesson"] == {"name": "2-forget-gate", "part": 1}


def test_model_files_are_written_relative_and_follow_the_folder(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    model_path = save_model(RandomModelSpec(hidden_size=4).build(),
                            project / "models" / "mine.safetensors")
    session = _full(ModelSource.file(model_path))
    save_session(session, project / "s.rnnstudio")
    data = json.loads((project / "s.rnnstudio").read_text(encoding="utf-8"))
    assert data["model"] == {"file": "models/mine.safetensors"}
    assert load_session(project / "s.rnnstudio") == session
    moved = shutil.move(str(project), str(tmp_path / "elsewhere"))
    reopened = load_session(Path(moved) / "s.rnnstudio")
    assert reopened.model == ModelSource.file(Path(moved) / "models" / "mine.safetensors")
    assert reopened.model.load().config.recurrent.hidden_size == 4


def test_a_model_outside_the_folder_is_written_absolute(tmp_path: Path) -> None:
    (tmp_path / "sessions").mkdir()
    source = ModelSource.file(tmp_path / "m.npz")
    data = session_to_dict(SessionFile(source, "x"), tmp_path / "sessions")
    assert data["model"] == {"file": str(tmp_path / "m.npz")}


def test_a_missing_model_file_opens_and_fails_only_at_load(tmp_path: Path) -> None:
    path = _write(tmp_path / "s.rnnstudio", {**MINIMAL, "model": {"file": "gone.npz"}})
    session = load_session(path)
    assert session.model == ModelSource.file(tmp_path / "gone.npz")
    assert session.text == MINIMAL["text"]
    with pytest.raises(ModelFileError, match="gone.npz: no such file"):
        session.model.load()


def test_an_in_memory_model_cannot_be_saved(tmp_path: Path) -> None:
    session = SessionFile(ModelSource.in_memory("trained GRU"), "text")
    with pytest.raises(SessionFileError, match=r"s.rnnstudio: the model 'trained GRU' was "
                                               "trained in this window and has no file: "
                                               "save the model first"):
        save_session(session, tmp_path / "s.rnnstudio")
    assert list(tmp_path.iterdir()) == []


def test_unknown_keys_are_kept_and_written_back(tmp_path: Path) -> None:
    newer = {**MINIMAL, "pinned_units": [{"unit": 3, "colour": "red"}], "theme": "dark"}
    path = _write(tmp_path / "s.rnnstudio", newer)
    session = load_session(path)
    assert dict(session.extra) == {"pinned_units": [{"unit": 3, "colour": "red"}],
                                   "theme": "dark"}
    save_session(session, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["pinned_units"] == newer["pinned_units"] and data["theme"] == "dark"
    assert load_session(path) == session


def test_values_built_in_code_are_normalised_and_checked() -> None:
    session = SessionFile(ModelSource.shipped("recall-rnn"), "t", cursor=np.int64(2),
                          playback_speed=8)
    assert (type(session.cursor), type(session.playback_speed)) == (int, float)
    assert hash(session) == hash(SessionFile(ModelSource.shipped("recall-rnn"), "t", 2,
                                             playback_speed=8.0))
    with pytest.raises(SessionFileError, match='"extra" must be keys this version does not'):
        SessionFile(ModelSource.shipped("recall-rnn"), "t", extra={"cursor": 1})
    with pytest.raises(SessionFileError, match='"model" must be a shipped model name'):
        SessionFile("recall-rnn", "t")  # type: ignore[arg-type]


@pytest.mark.parametrize(("changes", "key", "shown"), [
    ({"cursor": "3"}, "cursor", "'3'"),
    ({"cursor": -1}, "cursor", "-1"),
    ({"cursor": True}, "cursor", "True"),
    ({"cursor": 1.5}, "cursor", "1.5"),
    ({"layer": 2**31}, "layer", "2147483648"),
    ({"unit": None}, "unit", "None"),
    ({"text": 5}, "text", "5"),
    ({"text": "x" * 1_000_001}, "text", "'xxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxx'"),
    ({"model": 7}, "model", "7"),
    ({"model": "../models/x.safetensors"}, "model", "'../models/x.safetensors'"),
    ({"model": {"file": 5}}, "model.file", "5"),
    ({"model": {"file": ""}}, "model.file", "''"),
    ({"model": {"file": "a.npz", "sha256": "0"}}, "model", "{'file': 'a.npz', 'sha256': '0'}"),
    ({"model": {"random": {"hidden_size": 0}}}, "hidden_size", "0"),
    ({"compare": "x"}, "compare", "'x'"),
    ({"compare": ["a", "b", "c", "d", "e"]}, "compare", "('a', 'b', 'c', 'd', 'e')"),
    ({"compare": ["../x"]}, "compare", "'../x'"),
    ({"direction": "up"}, "direction", "'up'"),
    ({"loss": "bogus"}, "loss", "'bogus'"),
    ({"loss": 3}, "loss", "3"),
    ({"saliency": "yes"}, "saliency", "'yes'"),
    ({"playback_speed": 0.1}, "playback_speed", "0.1"),
    ({"lesson": ["a", 1]}, "lesson", "['a', 1]"),
    ({"lesson": {"name": "", "part": 0}}, "lesson.name", "''"),
    ({"lesson": {"name": "a", "part": -1}}, "lesson.part", "-1"),
    ({"docks": "not base64!"}, "docks", "'not base64!'"),
    ({"version": "1"}, "version", "'1'"),
])
def test_wrong_values_name_the_file_key_and_value(
        tmp_path: Path, changes: dict, key: str, shown: str) -> None:
    path = _write(tmp_path / "bad.rnnstudio", {**MINIMAL, **changes})
    with pytest.raises(SessionFileError) as caught:
        load_session(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert f'"{key}" must be ' in message and f"got {shown}" in message


@pytest.mark.parametrize(("content", "expected"), [
    (b"", "the file is empty"),
    (b"\xff\xfe{}", "not UTF-8 text (byte 0xff at offset 0); save it as UTF-8"),
    (b"[1, 2]", "the top level is a JSON list, not an object"),
    (b'"session"', "the top level is a JSON string, not an object"),
    (b'{"format": ', "not valid JSON (Expecting value: line 1 column 12 (char 11))"),
    (b'{"format": "rnnstudio-session", "version": 1, "cursor": NaN}',
     "not valid JSON (NaN is not a JSON number)"),
    (b'{"format": "rnnstudio-session", "version": 1, "cursor": -Infinity}',
     "not valid JSON (-Infinity is not a JSON number)"),
    (b'{"format": "rnnstudio-session", "version": 1, "version": 2}',
     "not valid JSON (key 'version' appears twice in one object)"),
    (b'{"format": "rnnstudio-session", "version": 1, "cursor": 1' + b"0" * 5000 + b"}",
     "not valid JSON (Exceeds the limit (4300 digits)"),
    (b'{"format": "rnnstudio-session", "version": 1, "x": ' + b"[" * 100_000
     + b"]" * 100_000 + b"}", "JSON nested 100001 levels deep, more than the 64 allowed"),
    (b'{"version": 1}', 'not an RNN Studio session (no "format": "rnnstudio-session"; '
                        "found None)"),
    (b'{"format": "rnnstudio-model", "version": 1}', "found 'rnnstudio-model'"),
    (b'{"format": "rnnstudio-session"}', 'missing key "version"; add it'),
    (b'{"format": "rnnstudio-session", "version": 1, "text": ""}', 'missing key "model"'),
    (b'{"format": "rnnstudio-session", "version": 1, "model": "recall-rnn"}',
     'missing key "text"'),
    (b'{"format": "rnnstudio-session", "version": 2}',
     "session format version 2 is newer than this RNN Studio reads (1); update RNN Studio"),
    (b'{"format": "rnnstudio-session", "version": 0}',
     "session format version 0 is not one RNN Studio ever wrote (1 to 1)"),
    (b'{"format": "rnnstudio-session", "version": 1, "model": "recall-rnn", "text": '
     b'"\\ud800"}', '"text" must be valid text (character 0 is an unpaired surrogate)'),
])
def test_hostile_content_gets_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "hostile.rnnstudio"
    path.write_bytes(content)
    with pytest.raises(SessionFileError) as caught:
        load_session(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert expected in message


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "notepad.rnnstudio"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(MINIMAL).encode())
    assert load_session(path).cursor == 3 and is_session_file(path)


def test_files_that_are_too_big_missing_or_folders_are_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.rnnstudio"
    with big.open("wb") as stream:
        stream.truncate(MAX_SESSION_BYTES + 1)  # sparse: nothing is written or read
    for path, expected in ((big, "16,777,217 bytes, more than the 16,777,216 allowed"),
                           (tmp_path / "gone.rnnstudio", "no such file; check the path"),
                           (tmp_path, "not a regular file")):
        with pytest.raises(SessionFileError, match=f"^{path}: {expected}"):
            load_session(path)


def test_sniffing_reads_content_not_names(tmp_path: Path) -> None:
    model = save_model(RandomModelSpec(hidden_size=3).build(), tmp_path / "m.safetensors")
    quoted = _write(tmp_path / "q.json", {"text": '"format": "rnnstudio-session"'})
    plain = _write(tmp_path / "p.json", {"format": "other"})
    renamed = _write(tmp_path / "session.txt", MINIMAL)
    assert [is_session_file(path) for path in (model, quoted, plain, renamed)] == [
        False, False, False, True]
    assert not is_session_file(tmp_path / "gone") and not is_session_file(tmp_path)


def test_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = save_session(SessionFile(ModelSource.shipped("recall-rnn"), "old"),
                        tmp_path / "s.rnnstudio")
    before = path.read_bytes()

    def full_disk(source: str, target: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full_disk)
    with pytest.raises(ExportError, match="s.rnnstudio: No space left on device"):
        save_session(SessionFile(ModelSource.shipped("recall-rnn"), "new"), path)
    monkeypatch.undo()
    unserialisable = SessionFile(ModelSource.shipped("recall-rnn"), "new",
                                 extra={"thing": object()})
    with pytest.raises(SessionFileError, match="cannot write .*is not JSON serializable"):
        save_session(unserialisable, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["s.rnnstudio"]


def test_only_rnnstudio_names_are_written(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"m.safetensors: session files end in \.rnnstudio"):
        save_session(SessionFile(ModelSource.shipped("recall-rnn"), "t"),
                     tmp_path / "m.safetensors")


def test_older_versions_migrate_step_by_step(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def words_to_text(data: dict) -> dict:  # a fake v0 -> v1 step: a key renamed
        data["text"] = data.pop("words")
        return data

    def add_unit(data: dict) -> dict:  # a fake v1 -> v2 step: a default made explicit
        return {**data, "unit": data.get("unit", 5)}

    monkeypatch.setitem(session_file._MIGRATIONS, 0, words_to_text)
    old = {"format": "rnnstudio-session", "version": 0, "model": "recall-rnn", "words": "a b"}
    path = _write(tmp_path / "old.rnnstudio", old)
    assert load_session(path) == SessionFile(ModelSource.shipped("recall-rnn"), "a b")
    monkeypatch.setitem(session_file._MIGRATIONS, 1, add_unit)
    monkeypatch.setattr(session_file, "SESSION_VERSION", 2)
    session = load_session(path)
    assert (session.text, session.unit, dict(session.extra)) == ("a b", 5, {})
    save_session(session, path)
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 2


def test_the_corpus_folder_is_relative_inside_and_checked(tmp_path: Path) -> None:
    base = {"format": "rnnstudio-session", "version": 1, "model": "sentiment-lstm",
            "text": "good"}
    state = session_from_dict({**base, "corpus": "books/b.rscorpus"}, tmp_path)
    assert state.corpus == tmp_path / "books" / "b.rscorpus"
    assert session_to_dict(state, tmp_path)["corpus"] == "books/b.rscorpus"
    assert session_to_dict(state, tmp_path / "elsewhere")["corpus"] == str(state.corpus)
    assert session_from_dict(base).corpus is None
    assert session_to_dict(session_from_dict({**base, "corpus": None}))["corpus"] is None
    for bad in (3, "", ["a"]):
        with pytest.raises(SessionFileError, match="corpus"):
            session_from_dict({**base, "corpus": bad})
