"""Trace as long-format CSV: ``layer,direction,step,token,quantity,unit,value``.

Which arrays become rows and how a key splits into layer, direction and quantity is
decided once, in :mod:`rnnstudio.engine.trace_columns` (``Trace.to_dataframe`` gives
the same rows); this module writes and reads the text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..engine.trace_columns import LONG_COLUMNS, join_key, long_blocks
from ..engine.trace_keys import JACOBIAN, TOKENS
from ..errors import ExportError
from .messages import first_line

__all__ = ["CSV_HEADER", "read_trace_csv", "write_trace_csv"]

CSV_HEADER = LONG_COLUMNS


def write_trace_csv(arrays: Mapping[str, np.ndarray], stream: IO[bytes]) -> None:
    """Write every per-step array of ``arrays`` as rows (UTF-8, ``\\n`` line ends)."""
    tokens = [str(token) for token in np.asarray(arrays[TOKENS]).tolist()]
    fields = [_csv_field(token) for token in tokens]
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    text.write(",".join(CSV_HEADER) + "\n")
    # documented in docs/formats.md: the CSV holds per-step numbers only
    for layer, direction, name, value in long_blocks(arrays, len(tokens)):
        quantity = _csv_field(name)
        values = value.astype(str)  # shortest text that reads back to the same number
        units = [str(unit) for unit in range(value.shape[1])] if value.ndim == 2 else [""]
        for step, field in enumerate(fields):
            prefix = f"{layer},{direction},{step},{field},{quantity},"
            row = values[step].tolist() if value.ndim == 2 else [values[step].item()]
            lines = (f"{prefix}{unit},{item}\n" for unit, item in zip(units, row, strict=True))
            text.write("".join(lines))
    text.flush()
    text.detach()  # the caller owns (and closes) the binary stream


def read_trace_csv(path: Path) -> dict[str, Any]:
    """Rebuild the arrays (float64) and ``tokens`` from a trace CSV.

    Columns are gathered as text and converted by NumPy once per quantity: 7.5 s instead
    of 9.9 s row by row for a 4-million-row file (LSTM H = 256, T = 2000) here.
    """
    columns: dict[tuple[str, str, str], tuple[list[str], list[str], list[str]]] = {}
    tokens: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8", newline="") as stream:
            reader = csv.reader(stream)
            if tuple(next(reader)) != CSV_HEADER:
                raise ValueError(f"the header is not {','.join(CSV_HEADER)}")
            for layer, direction, step, token, quantity, unit, value in reader:
                column = columns.get((layer, direction, quantity))
                if column is None:
                    column = columns[layer, direction, quantity] = ([], [], [])
                column[0].append(step)
                column[1].append(unit or "0")
                column[2].append(value)
                tokens[step] = token
        steps = 1 + max((int(step) for step in tokens), default=-1)
        rows = sum(len(column[0]) for column in columns.values())
        if steps > rows:  # checked before allocating: a hostile step number is not memory
            raise ValueError(f"step {steps - 1} in a file of {rows} rows")
        token_list = [tokens.get(str(step), "") for step in range(steps)]
        result: dict[str, Any] = {TOKENS: np.array(token_list, dtype=str)}
        for (layer, direction, quantity), (step_text, unit_text, value_text) in columns.items():
            key = join_key(layer, direction, quantity)
            step_index = np.array(step_text).astype(np.intp)
            unit_index = np.array(unit_text).astype(np.intp)
            units = 1 + int(unit_index.max())
            if min(step_index.min(), unit_index.min()) < 0 or steps * units != len(value_text):
                raise ValueError(f"the rows of {key} do not fill {steps} steps x {units} units")
            array = np.full((steps, units), np.nan)
            array[step_index, unit_index] = np.array(value_text).astype(np.float64)
            scalar = quantity == JACOBIAN and layer  # one number per step
            result[key] = array[:, 0] if scalar else array
    except (OSError, ValueError, StopIteration, IndexError) as exc:
        raise ExportError(f"{path}: not a readable trace .csv ({first_line(exc)})") from exc
    return result


def _csv_field(text: str) -> str:
    """Quote like ``csv.QUOTE_MINIMAL`` (tokens may be ``,`` or ``"``)."""
    if any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
