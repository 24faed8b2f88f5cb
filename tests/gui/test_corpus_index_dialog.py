"""Models › Index a corpus…: the dialog indexes with the open model in the worker,
shows progress, says what Cancel kept, emits ``indexed(path)``, and the index it wrote
holds the open model's numbers."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ready

from rnnstudio.gui import corpus_index_job
from rnnstudio.gui.corpus_index_dialog import CorpusIndexDialog
from rnnstudio.io.corpus_index import default_jobs, index_corpus
from rnnstudio.io.corpus_reader import open_corpus

TEXT = "\n\n".join(f"The dog {i} barks at the moon. The cat sleeps in the sun."
                   for i in range(40))


@pytest.fixture
def dialog(qtbot, session):  # type: ignore[no-untyped-def]
    ready(session, "the cat sat", hidden_size=6)
    widget = CorpusIndexDialog(session)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_indexing_a_file_emits_its_path_and_stores_the_models_numbers(
        qtbot, dialog, tmp_path) -> None:
    source = tmp_path / "book.txt"
    source.write_text(TEXT, "utf-8")
    dialog.source_edit.setText(str(source))
    dialog._suggest_out(str(source))
    assert dialog.out_edit.text() == str(tmp_path / "book.rscorpus")
    dialog.quantities.setCurrentIndex(1)
    with qtbot.waitSignal(dialog.indexed, timeout=20_000) as indexed:
        dialog.index_button.click()
    dialog.job.wait()
    assert indexed.args == [str(tmp_path / "book.rscorpus")]
    assert dialog.bar.value() == 1000 and dialog.index_button.isEnabled()
    assert "Indexed 40 documents" in dialog.status.text()
    assert "read from the zero state" in dialog.status.text()
    corpus = open_corpus(tmp_path / "book.rscorpus")
    assert corpus.quantities == ("h", "c")
    trace = dialog.session.model.trace(corpus.document_text(7), loss=None, jacobian=False)
    start = int(corpus.doc_starts[7])
    got = corpus.values("c", 0, "fwd", range(6), start, start + trace.steps)
    np.testing.assert_allclose(got, trace.layers[0, "fwd"].c.T, rtol=2**-10, atol=1e-6)


def test_cancel_stops_the_worker_and_says_how_to_continue(qtbot, dialog, tmp_path) -> None:
    dialog.start()
    assert dialog.status.text() == "Choose a text file or a folder first."
    source = tmp_path / "long.txt"
    source.write_text("\n\n".join([TEXT] * 200), "utf-8")  # 8,000 paragraphs
    dialog.source_edit.setText(str(source))
    with qtbot.waitSignal(dialog.job.progressed, timeout=20_000):
        dialog.index_button.click()
    assert dialog.cancel_button.isEnabled() and not dialog.index_button.isEnabled()
    dialog.cancel_button.click()
    dialog.job.wait()
    assert dialog.index_button.isEnabled() and not dialog.cancel_button.isEnabled()
    assert "finished shards are kept" in dialog.status.text()
    kept = open_corpus(tmp_path / "long.rscorpus")
    assert not kept.manifest["complete"] and kept.document_count < 8000


def test_the_threads_box_starts_at_the_cores_and_reaches_the_indexer(
        qtbot, dialog, tmp_path, monkeypatch) -> None:
    """Threads defaults to default_jobs() (the cores, at most 4), is what index_corpus
    gets, and is locked while indexing like the other choices."""
    assert dialog.jobs.value() == default_jobs() and dialog.jobs.maximum() == 16
    asked: list[object] = []

    def indexing(*args, jobs=None, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(jobs)
        return index_corpus(*args, jobs=jobs, **kwargs)

    monkeypatch.setattr(corpus_index_job, "index_corpus", indexing)
    source = tmp_path / "book.txt"
    source.write_text(TEXT, "utf-8")
    dialog.source_edit.setText(str(source))
    dialog.jobs.setValue(3)
    with qtbot.waitSignal(dialog.indexed, timeout=20_000):
        dialog.index_button.click()
        assert not dialog.jobs.isEnabled()
    dialog.job.wait()
    assert asked == [3] and dialog.jobs.isEnabled()


def test_a_bad_source_is_said_in_the_dialog(qtbot, dialog, tmp_path) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9\n")
    dialog.source_edit.setText(str(bad))
    with qtbot.waitSignal(dialog.job.failed, timeout=10_000):
        dialog.index_button.click()
    dialog.job.wait()
    assert dialog.status.text() == f"{bad}: not UTF-8 text; convert it to UTF-8"
    assert dialog.index_button.isEnabled()


def test_the_models_menu_opens_the_dialog(qtbot, window) -> None:
    window.named_actions["index_corpus"].trigger()
    shown = window.dialogs.corpus_index_dialog
    assert isinstance(shown, CorpusIndexDialog) and shown.isVisible()
    shown.close()


def test_a_finished_index_opens_in_the_corpus_dock(qtbot, window, tmp_path) -> None:
    """Models › Index a corpus… then the Corpus dock: the index the dialog wrote is the
    one the dock searches, from the window's own reader."""
    ready(window.session, "the cat sat", hidden_size=6)
    source = tmp_path / "book.txt"
    source.write_text(TEXT, "utf-8")
    window.named_actions["index_corpus"].trigger()
    shown = window.dialogs.corpus_index_dialog
    shown.source_edit.setText(str(source))
    shown.out_edit.setText(str(tmp_path / "book.rscorpus"))
    with qtbot.waitSignal(shown.indexed, timeout=20_000):
        shown.index_button.click()
    shown.job.wait()
    corpus = window.session.corpus
    assert corpus is not None and corpus.token_count == open_corpus(
        tmp_path / "book.rscorpus").token_count
    assert corpus.document_text(3) == TEXT.split("\n\n")[3]
    assert window.docks["corpus"].isVisible()
    assert "40 documents" in window.corpus_panel.header.text()
    shown.close()
