"""Small JSON documents from untrusted files: read within bounds, check every value.

``read_json_file`` reads at most a given number of bytes; ``parse_json_bytes`` (which it
uses) refuses nesting deeper than a given depth *before* parsing (``json.loads`` on
100,000 nested brackets raises ``RecursionError``), optionally more values than a given
count (what ``json.loads`` builds grows with the values, not the bytes: 16 MB of
``[{},{},...]`` become 5 million dicts, 380 MB), NaN/Infinity constants and duplicate
keys. ``Checker`` turns a wrong type or range into one line that names the file, the key,
the value and the fix.
"""

from __future__ import annotations

import json
import math
import numbers
import re
import reprlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ..errors import RnnStudioError
from .messages import library_line

__all__ = ["Checker", "json_depth", "parse_json_bytes", "read_bounded", "read_json_file", "show"]

_QUOTE, _COMMA = ord('"'), ord(",")
_DEPTH_STEP = np.zeros(256, dtype=np.int8)
_DEPTH_STEP[list(b"[{")] = 1
_DEPTH_STEP[list(b"]}")] = -1
_CHUNK = 1 << 20
_BOM = b"\xef\xbb\xbf"
_shown = reprlib.Repr()
_shown.maxstring = _shown.maxother = 40


def show(value: Any) -> str:
    """A short, one-line rendering of a value for a message."""
    return _shown.repr(value).replace("\n", "\\n")


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in the JSON text ``data`` (strings skipped).

    Linear, so the bound is checked before ``json.loads`` ever recurses; it takes about
    as long as ``json.loads`` itself (0.2-0.35 s for 16-18 MB of brackets or of short
    strings on a 2-core machine at load 2; a session file is a few KB).
    """
    return _structure(data)[0]


def _structure(data: bytes) -> tuple[int, int]:
    """(nesting depth, number of values) of the JSON text ``data``, strings skipped.

    Escaped backslashes, then escaped quotes, are dropped first (in pairs, left to
    right, as a JSON reader pairs them), so every quote left opens or closes a string;
    then 1 MB at a time, what lies outside strings is counted with NumPy. Memory stays
    near twice ``data``: a regular expression that skips strings, as this did before,
    keeps a backtracking frame per escape or a piece per string (350-460 MB for the
    2 million short strings of a vocabulary inside a safetensors header).
    """
    plain = np.frombuffer(data.replace(b"\\\\", b"").replace(b'\\"', b""), dtype=np.uint8)
    deepest = level = commas = in_string = 0
    for start in range(0, plain.size, _CHUNK):
        chunk = plain[start:start + _CHUNK]
        quote = chunk == _QUOTE
        inside = np.bitwise_xor.accumulate(quote.view(np.uint8)) ^ in_string
        outside = (inside == 0) & ~quote
        levels = np.cumsum(np.where(outside, _DEPTH_STEP[chunk], 0), dtype=np.int32)
        levels += level
        deepest, level = max(deepest, int(levels.max())), int(levels[-1])
        commas += int(np.count_nonzero(outside & (chunk == _COMMA)))
        in_string = int(inside[-1])
    return deepest, commas + 1


def read_json_file(path: Path, error: type[RnnStudioError], *, max_bytes: int,
                   max_depth: int, fix: str, max_values: int | None = None) -> Any:
    """Parse the JSON file ``path`` within bounds; every failure raises ``error``.

    Parameters
    ----------
    path : the file; it must be a regular file of at most ``max_bytes`` bytes (checked
        with ``stat`` and again while reading, in case it grows), UTF-8 (a BOM is allowed).
    error : the :class:`RnnStudioError` subclass raised, with a message naming ``path``.
    max_depth, max_values : see :func:`parse_json_bytes`.
    fix : what the user can do, ending every message about the content.
    """
    data = read_bounded(path, error, max_bytes)
    if not data.removeprefix(_BOM).strip():
        raise error(f"{path}: the file is empty; {fix}")
    return parse_json_bytes(data, str(path), error, max_depth=max_depth, fix=fix,
                            max_values=max_values)


def parse_json_bytes(data: bytes, where: str, error: type[RnnStudioError], *,
                     max_depth: int, fix: str, max_values: int | None = None) -> Any:
    """Parse the UTF-8 JSON text ``data``; every failure raises ``error`` as one line
    ``"{where}: what is wrong; {fix}"``.

    ``max_depth`` bounds the nesting of arrays and objects and ``max_values`` (when
    given) the number of values (commas outside strings, plus one), both counted before
    ``json.loads`` builds anything. The caller bounds ``len(data)``.
    """
    depth, values = _structure(data)
    if depth > max_depth:
        raise error(f"{where}: JSON nested {depth} levels deep, more than the {max_depth} "
                    f"allowed; {fix}")
    if max_values is not None and values > max_values:
        raise error(f"{where}: JSON with {values:,} values, more than the {max_values:,} "
                    f"allowed; {fix}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{where}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
                    f"{exc.start}); save it as UTF-8") from exc
    if not text.strip():
        raise error(f"{where}: empty, where JSON was expected; {fix}")
    try:
        return json.loads(text, parse_constant=_refuse_constant,
                          object_pairs_hook=_unique_keys)
    except ValueError as exc:  # JSONDecodeError, our refusals, ints over 4300 digits
        raise error(f"{where}: not valid JSON ({library_line(exc)}); {fix}") from exc


def read_bounded(path: Path, error: type[RnnStudioError], max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` (checked with
    ``stat`` and again while reading); ``error`` naming ``path`` otherwise."""
    try:
        if not path.is_file():
            reason = "no such file; check the path" if not path.exists() else \
                "not a regular file; give the path of a file"
            raise error(f"{path}: {reason}")
        size = path.stat().st_size
        if size > max_bytes:
            raise error(f"{path}: {size:,} bytes, more than the {max_bytes:,} allowed; "
                        "is this the right file?")
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:
        raise error(f"{path}: more than the {max_bytes:,} bytes allowed; "
                    "is this the right file?")
    return data


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object; a key given twice is refused (which of the two did the writer mean?)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {show(key)} appears twice in one object")
        result[key] = value
    return result


class Checker:
    """Checks values read from a file or built by a caller, one key at a time.

    Each method returns the value in its canonical Python type (``int``, ``float``,
    ``bool``, ``str``) or raises ``error`` with ``"{where}: "{key}" must be ..., got
    VALUE; {fix}"`` (``where`` is left out when empty).
    """

    def __init__(self, where: str, error: type[RnnStudioError], fix: str) -> None:
        self.where, self.error, self.fix = where, error, fix

    def fail(self, key: str, expected: str, value: Any) -> NoReturn:
        prefix = f"{self.where}: " if self.where else ""
        raise self.error(f'{prefix}"{key}" must be {expected}, got {show(value)}; {self.fix}')

    def whole(self, key: str, value: Any, low: int, high: int) -> int:
        """A whole number (not a bool, not a float) from ``low`` to ``high``."""
        if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)) \
                and low <= int(value) <= high:
            return int(value)
        self.fail(key, f"a whole number from {low} to {high:,}", value)

    def number(self, key: str, value: Any, low: float = -math.inf,
               high: float = math.inf) -> float:
        """A finite number from ``low`` to ``high`` (a whole number is accepted)."""
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) \
                and math.isfinite(value) and low <= float(value) <= high:
            return float(value)
        span = "" if math.isinf(low) and math.isinf(high) else f" from {low:g} to {high:g}"
        self.fail(key, f"a finite number{span}", value)

    def flag(self, key: str, value: Any) -> bool:
        """``true`` or ``false``."""
        if not isinstance(value, (bool, np.bool_)):
            self.fail(key, "true or false", value)
        return bool(value)

    def choice(self, key: str, value: Any, options: Iterable[str]) -> str:
        """One of ``options``."""
        options = tuple(options)
        if not isinstance(value, str) or value not in options:
            self.fail(key, "one of " + ", ".join(f'"{option}"' for option in options), value)
        return value

    def text(self, key: str, value: Any, max_chars: int, *, empty: bool = True) -> str:
        """A string of at most ``max_chars`` characters that UTF-8 can encode."""
        if not isinstance(value, str):
            self.fail(key, "text", value)
        if len(value) > max_chars:
            self.fail(key, f"at most {max_chars:,} characters long (it has {len(value):,})",
                      value)
        if not empty and not value:
            self.fail(key, "text that is not empty", value)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            self.fail(key, f"valid text (character {exc.start} is an unpaired surrogate)",
                      value[exc.start])
        return value

    def pattern(self, key: str, value: Any, pattern: re.Pattern[str], expected: str) -> str:
        """A string that ``pattern`` matches entirely (described as ``expected``)."""
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.fail(key, expected, value)
        return value
