"""Errors a user can act on.

Every exception raised for bad input derives from :class:`RnnStudioError`; its message is
one line that names the file, key or value at fault and says what to do. The CLI prints it
and exits 2; the GUI shows it and keeps the previous model and trace.
"""

from __future__ import annotations


class RnnStudioError(Exception):
    """Base class: bad input a user can fix (never a bug in RNN Studio)."""


class ConfigError(RnnStudioError):
    """An impossible or ambiguous model configuration."""


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
