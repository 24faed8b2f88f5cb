"""Array comparison that names the quantity and the worst element when it fails."""

from __future__ import annotations

import numpy as np


def mismatch(label: str, actual, expected, tol: float) -> str | None:
    """None when |actual - expected| <= tol + tol * |expected| everywhere, else a line
    with the largest error and the element where the tolerance is missed the most."""
    if actual is None:
        return f"{label}: the engine returned None"
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        return f"{label}: shape {actual.shape}, expected {expected.shape}"
    error = np.abs(actual - expected)
    excess = np.where(np.isnan(error), np.inf, error - (tol + tol * np.abs(expected)))
    if not (excess > 0).any():
        return None
    where = np.unravel_index(np.argmax(excess), excess.shape)
    return (
        f"{label}: max |error| {np.max(error):.3g} (tolerance {tol:g}; worst at "
        f"{tuple(int(i) for i in where)}: engine {actual[where]:.12g}, "
        f"expected {expected[where]:.12g})"
    )


def assert_no_mismatch(errors: list[str | None]) -> None:
    failures = [error for error in errors if error]
    assert not failures, "\n".join(failures)


def step_mismatches(label: str, terms, record, step: int, tol: float) -> list[str | None]:
    """A textbook step's h, c and gates against what a trace recorded at ``step``."""
    errors = [mismatch(f"{label} h", record.h[step], terms.hidden, tol)]
    for name, gate in record.gates.items():
        errors.append(mismatch(f"{label} {name}", gate[step], terms.gates[name].value, tol))
    if record.c is not None:
        errors.append(mismatch(f"{label} c", record.c[step], terms.cell, tol))
    return errors
