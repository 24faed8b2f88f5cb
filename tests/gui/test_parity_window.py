"""Help › Check against PyTorch and the Model dock's parity badge, in the window."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from rnnstudio.errors import Cancelled, ModelFileError
from rnnstudio.gui import parity_job
from rnnstudio.gui.parity_dialog import ParityDialog
from rnnstudio.gui.parity_job import NO_TORCH, ParityCheck
from rnnstudio.io.model_files import load_model, save_model
from rnnstudio.io.parity_file import read_references
from rnnstudio.io.torch_parity import torch_available
from rnnstudio.models_index import find_model
from rnnstudio.view.parity import check_references, check_shipped

torch_needed = pytest.mark.skipif(not torch_available(), reason="torch is not installed")


def _settle(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    session = window.session
    qtbot.waitUntil(lambda: not session.busy)
    session.parity.wait()
    qtbot.waitUntil(lambda: not session.parity.running)


def _badge(window) -> str:  # type: ignore[no-untyped-def]
    return window.model_panel.parity_badge.text()


def _open_dialog(window) -> ParityDialog:  # type: ignore[no-untyped-def]
    window.named_actions["check_pytorch"].trigger()  # Help › Check against PyTorch…
    dialog = window.dialogs.parity_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def test_a_shipped_model_is_checked_when_it_opens(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    window.session.open_shipped_model("brackets-gru")
    _settle(window, qtbot)
    report = window.session.parity.report
    assert report is not None and report.passed and report.kind == "references"
    assert _badge(window).startswith("✓ matches PyTorch: max diff ")
    assert "(float64), " in _badge(window) and "(float32 as opened); " in _badge(window)
    assert _badge(window).endswith(f"checked {report.checked_at:%Y-%m-%d %H:%M} on "
                                   "reference text")
    dialog = _open_dialog(window)
    assert dialog.table.rowCount() == len(report.rows)
    assert dialog.table.item(0, 0).text() == "h (hidden state), layer 0 forward"
    assert dialog.table.item(1, 0).text() == "r (reset gate), layer 0 forward"  # GRU order
    assert all(dialog.table.item(row, 5).text() == "✓" for row in range(len(report.rows)))
    assert dialog.fact_labels["Text"].text() == "the reference text: “(()(”"
    assert dialog.verdict.text().startswith("<b>Matches PyTorch: largest difference")
    assert dialog.references_button.isVisible() and dialog.references_button.isEnabled()


def test_a_user_file_is_not_checked_until_asked(window, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = save_model(load_model(find_model("sentiment-rnn").path), tmp_path / "mine.safetensors")
    window.session.open_shipped_model("sentiment-rnn")
    _settle(window, qtbot)
    assert _badge(window).startswith("✓ matches PyTorch")
    window.session.open_model_file(path)  # the same weights, but not the shipped file
    _settle(window, qtbot)
    assert _badge(window) == ("PyTorch parity: not checked (user file); "
                              "Help › Check against PyTorch")
    dialog = _open_dialog(window)
    assert not dialog.references_button.isVisible()
    assert dialog.table.rowCount() == 0 and dialog.verdict.text().startswith("Not checked")


@torch_needed
def test_the_live_check_through_the_help_menu(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    """The fixture's random LSTM on "the cat sat on the mat", recomputed by torch."""
    assert _badge(window).startswith("PyTorch parity: not checked (random model)")
    dialog = _open_dialog(window)
    assert dialog.live_button.isEnabled() and not dialog.live_reason.isVisible()
    dialog.live_button.click()
    _settle(window, qtbot)
    report = window.session.parity.report
    assert report is not None and report.kind == "live" and report.passed
    assert report.steps == len(window.session.trace.tokens)
    assert report.largest() <= 1e-10
    assert _badge(window).endswith("on current text, live")
    assert dialog.fact_labels["Compared with"].text().endswith("computed now")
    assert dialog.table.rowCount() == len(report.rows)


def test_without_torch_the_live_button_says_why(window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(ParityCheck, "torch_installed", property(lambda self: False))
    dialog = _open_dialog(window)
    assert not dialog.live_button.isEnabled()
    assert dialog.live_reason.isVisible() and dialog.live_reason.text() == NO_TORCH


def test_a_failed_check_shows_in_the_badge(window, qtbot, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A model file that differs from the one the references were made from (a weight
    moved by 1e-3) fails, and the badge says on what."""
    entry = find_model("recall-lstm")
    model = load_model(entry.path)
    params = {name: value.copy() for name, value in model.params.items()}
    params["rnn.weight_hh_l0"][3, 5] += 1e-3
    corrupted = type(model)(model.config, params, "corrupted")

    def corrupted_check(key: str):  # type: ignore[no-untyped-def]
        return check_references(corrupted, read_references(entry.parity_path), entry.title,
                                same_file=False)

    monkeypatch.setattr(parity_job, "check_shipped", corrupted_check)
    window.session.open_shipped_model("recall-lstm")
    _settle(window, qtbot)
    assert _badge(window).startswith("✗ differs from PyTorch on h (hidden state), layer 0 "
                                     "forward (max diff ")
    dialog = _open_dialog(window)
    assert "✗ differs" in [dialog.table.item(row, 5).text()
                           for row in range(dialog.table.rowCount())]
    assert "Does NOT match PyTorch" in dialog.verdict.text()
    assert "not the one the references were computed from" in dialog.verdict.text()


def test_a_check_that_cannot_run_says_so(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def broken(key: str):  # type: ignore[no-untyped-def]
        raise ModelFileError(f"{key}.json: malformed PyTorch references (x)")

    monkeypatch.setattr(parity_job, "check_shipped", broken)
    window.session.open_shipped_model("adding-rnn")
    _settle(window, qtbot)
    assert window.session.parity.report is None
    assert _badge(window).startswith("✗ PyTorch check could not run")
    dialog = _open_dialog(window)
    assert dialog.verdict.text() == ("The check could not run: adding-rnn.json: malformed "
                                     "PyTorch references (x)")
    monkeypatch.setattr(parity_job, "check_shipped", check_shipped)
    dialog.references_button.click()
    _settle(window, qtbot)
    assert window.session.parity.report is not None and window.session.parity.report.passed


@torch_needed
def test_a_live_check_can_be_cancelled(window, qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Cancel makes the running check stale: the worker stops, no report is kept."""
    from rnnstudio.view import parity as parity_view

    started, release = threading.Event(), threading.Event()
    stopped = []

    def blocked(model, tokens, loss, should_stop=None, on_progress=None):  # type: ignore[no-untyped-def]
        started.set()
        release.wait(10)
        stopped.append(should_stop())
        raise Cancelled("the PyTorch check was cancelled")

    monkeypatch.setattr(parity_view, "torch_values", blocked)
    dialog = _open_dialog(window)
    dialog.live_button.click()
    assert dialog.cancel_button.isVisible() and not dialog.live_button.isEnabled()
    qtbot.waitUntil(started.is_set)
    dialog.cancel_button.click()
    release.set()
    _settle(window, qtbot)
    assert stopped == [True]
    assert window.session.parity.report is None and window.session.parity.error == ""
    assert not dialog.cancel_button.isVisible() and dialog.live_button.isEnabled()
