"""``rnnstudio trajectory``: the table and the JSON hold the API's projections; a saved
basis projects another text; bad input is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from rnnstudio.cli import main
from rnnstudio.io.pca_basis import load_basis
from rnnstudio.models_index import find_model

BRACKETS = "(()(()))"


def run(capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = main(["trajectory", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _model():  # type: ignore[no-untyped-def]
    from rnnstudio import load_model

    return load_model(find_model("brackets-lstm").path)


def test_json_points_are_the_api_projection(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out_file = tmp_path / "basis.npz"
    code, out, _ = run(capsys, "brackets-lstm", "--text", BRACKETS, "--quantity", "c",
                       "--components", "3", "--json", "--out", str(out_file))
    assert code == 0
    document = json.loads(out)  # --out prints nothing more: one JSON document
    expected = _model().trace(BRACKETS).trajectory(quantity="c", components=3)
    np.testing.assert_allclose(document["points"], expected.points, rtol=1e-12)
    np.testing.assert_allclose(document["basis"]["explained_variance_ratio"],
                               expected.basis.ratio)
    assert document["tokens"] == list(BRACKETS)
    saved = load_basis(out_file, _model())
    np.testing.assert_allclose(saved.components, expected.basis.components)


def test_a_saved_basis_projects_another_text_and_the_table_shows_it(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    basis_file = tmp_path / "basis.json"
    assert run(capsys, "brackets-lstm", "--text", BRACKETS, "--out", str(basis_file))[0] == 0
    code, out, _ = run(capsys, "brackets-lstm", "--text", "((()))", "--basis", str(basis_file))
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "PCA of h of layer 0 (fwd), fit on this text (8 tokens)"
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["pos", "token"])
    rows = np.array([[float(v) for v in line.split()[2:]] for line in lines[start + 1:]])
    basis = load_basis(basis_file)
    hidden = _model().trace("((()))").layer(0).h
    np.testing.assert_allclose(rows, (hidden - basis.mean) @ basis.components.T, atol=6e-5)


def test_bad_requests_are_one_line(capsys, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run(capsys, "brackets-rnn", "--text", BRACKETS, "--quantity", "c")
    assert code == 2 and "only an LSTM has c" in err and len(err.strip().splitlines()) <= 2
    code, _, err = run(capsys, "brackets-lstm", "--text", BRACKETS, "--out",
                       str(tmp_path / "basis.csv"))
    assert code == 2 and ".npz or .json" in err
    basis_file = tmp_path / "c.json"
    run(capsys, "brackets-lstm", "--text", BRACKETS, "--quantity", "c", "--out",
        str(basis_file))
    code, _, err = run(capsys, "brackets-lstm", "--text", BRACKETS, "--basis", str(basis_file))
    assert code == 2 and "belongs to c of layer 0 (fwd)" in err
    code, _, err = run(capsys, "brackets-gru", "--text", BRACKETS, "--basis", str(basis_file))
    assert code == 2 and "only an LSTM has c" in err
