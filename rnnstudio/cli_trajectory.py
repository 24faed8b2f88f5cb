"""``rnnstudio trajectory``: a text's hidden state (or c) projected onto its principal
components, printed one row a token (or as JSON), the basis optionally saved.

The basis is fitted on the text itself, on the lines of ``--fit-file``, or read from
``--basis`` (a file ``--out`` wrote, checked against the model): the same numbers the
Trajectory dock draws.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .terminal import printable

TRAJECTORY_HELP = ("project a text's hidden states onto their principal components "
                   "(PCA): the path the Trajectory dock draws")
_TOKEN_WIDTH = 16


def add_trajectory_arguments(parser: argparse.ArgumentParser) -> None:
    """MODEL and the projection's options (the text options are cli.py's)."""
    parser.add_argument("model", metavar="MODEL", help="model file or shipped model name")
    parser.add_argument("--quantity", choices=("h", "c"), default="h",
                        help="the hidden state h (default) or an LSTM's cell state c")
    parser.add_argument("--layer", type=int, default=0, metavar="N", help="default 0")
    parser.add_argument("--direction", choices=("fwd", "bwd"), default="fwd",
                        help="default fwd")
    parser.add_argument("--components", type=int, default=2, metavar="K",
                        help="principal components kept (default 2)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--fit-file", metavar="FILE",
                        help="fit on every line of this UTF-8 text file (each read from "
                        "the zero state) instead of on the text")
    source.add_argument("--basis", metavar="FILE",
                        help="project in a basis saved with --out (.npz or .json)")
    parser.add_argument("--json", action="store_true",
                        help="print the basis facts, tokens and points as JSON")
    parser.add_argument("--out", metavar="FILE",
                        help="also write the basis to FILE (.npz or .json)")


def check_out(out: str | None) -> None:
    """``--out``: a .npz or .json path that can be written (checked before any work)."""
    if out is None:
        return
    from .io.atomic import check_writable
    from .io.pca_basis import basis_suffix

    basis_suffix(Path(out))
    check_writable(out)


def run_trajectory(options: argparse.Namespace, model: Any, origin: str, text: str) -> int:
    """Fit (or read) the basis, project ``text`` read by ``model``, print, save."""
    from .engine.trajectory import fit_pca, model_fingerprint, trace_states
    from .io.pca_basis import load_basis, save_basis
    from .view.trajectory import axis_label, fit_description
    from .view.trajectory_fit import basis_from_text_file

    where = (options.quantity, options.layer, options.direction)
    trace = model.trace(text, loss=None)
    states = trace_states(trace, *where)
    if options.basis is not None:
        basis = load_basis(options.basis, model)
        if (basis.quantity, basis.layer, basis.direction) != where:
            raise ConfigError(f"--basis {options.basis} belongs to {basis.where}: give "
                              "--quantity, --layer and --direction to match")
    elif options.fit_file is not None:
        basis = basis_from_text_file(model, Path(options.fit_file), *where,
                                     options.components)
    else:
        basis = fit_pca(states, options.components, quantity=where[0], layer=where[1],
                        direction=where[2], fingerprint=model_fingerprint(model.params))
    points = basis.project(states)
    if options.json:
        print(json.dumps({"model": origin, "basis": basis_facts(basis),
                          "tokens": list(trace.tokens), "points": points.tolist()},
                         indent=2, ensure_ascii=False))
    else:
        names = [axis_label(basis, index) for index in range(basis.count)]
        print("\n".join([f"model: {origin}", fit_description(basis),
                         "axes: " + ", ".join(names)]))
        header = "".join(f"{name.split(' ')[0]:>11}" for name in names)
        print(f"{'pos':>5}  {'token':<{_TOKEN_WIDTH}}{header}")
        for position, (token, row) in enumerate(zip(trace.tokens, points, strict=True)):
            values = "".join(f"{value:>+11.4f}" for value in row)
            print(f"{position:>5}  {printable(token, _TOKEN_WIDTH):<{_TOKEN_WIDTH}}{values}")
    if options.out is not None:
        save_basis(basis, options.out)
        if not options.json:  # stdout stays one JSON document
            print(f"wrote: {printable(options.out)}")
    return 0


def basis_facts(basis: Any) -> dict[str, Any]:
    """What a basis was fitted on and how much variance each component carries."""
    return {"quantity": basis.quantity, "layer": basis.layer, "direction": basis.direction,
            "fitted_on": basis.fitted_on, "tokens": basis.tokens,
            "fingerprint": basis.fingerprint, "total_variance": basis.total_variance,
            "explained_variance": basis.explained_variance.tolist(),
            "explained_variance_ratio": basis.ratio.tolist()}
