"""Errors a user can act on.

Every exception raised for bad input derives from :class:`RnnStudioError`; its message is
one line that names the file, key or value at fault and says what to do. The CLI prints it
and exits 2; the GUI shows it and keeps the previous model and trace.
"""

from __future__ import annotations

import reprlib
from typing import Any

_shown = reprlib.Repr()
_shown.maxstring = _shown.maxother = 40


def shown(value: Any) -> str:
    """A value as a message quotes it: its ``repr``, cut to about 40 characters, on one
    line (``repr`` escapes control characters, so a message cannot steer a terminal)."""
    return _shown.repr(value).replace("\n", "\\n")


class RnnStudioError(Exception):
    """Base class: bad input a user can fix (never a bug in RNN Studio)."""


class ConfigError(RnnStudioError):
    """An impossible or ambiguous configuration (of a model, a trace or a training run).

    ``argument`` names the argument at fault when there is one (``"hidden_size"``), and
    the message then starts with it, so the command line can name its flag instead.
    """

    def __init__(self, message: str, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class TrainingDiverged(ConfigError):
    """``what`` (the training loss, or a weight) became ``value`` (NaN or infinite) at
    ``step``: the updates were too large (the learning rate, or no gradient clipping), so
    training stopped there. ``record``: the run up to that step (the engine's
    ``training.RunRecord``: every step's loss and gradient norm), when the trainer has it."""

    def __init__(self, message: str, step: int, what: str, value: float,
                 record: Any = None) -> None:
        super().__init__(message, argument="learning_rate")
        self.step, self.what, self.value, self.record = step, what, value, record

    def __reduce__(self) -> tuple[Any, ...]:  # picklable although __init__ takes 5 args
        return type(self), (str(self), self.step, self.what, self.value, self.record)


class ParameterError(RnnStudioError):
    """Weights that are missing, unexpected, mis-shaped or not finite."""


class TextError(RnnStudioError):
    """Text that cannot be traced (empty, too long, nothing left after tokenizing)."""


class ModelFileError(RnnStudioError):
    """A model file that cannot be read: corrupt, truncated, unsafe or of unknown format."""


class ExportError(RnnStudioError):
    """A trace or figure that cannot be written."""


class Cancelled(RnnStudioError):
    """Long work stopped because ``should_stop()`` returned True."""


class SessionFileError(RnnStudioError):
    """A ``.rnnstudio`` session file that cannot be read or written as it stands."""
