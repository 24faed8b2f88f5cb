"""The command line's error contract, for every sub-command.

* Bad input (an :class:`~rnnstudio.errors.RnnStudioError`, or arguments argparse
  refuses): one line ``rnnstudio: error: ...`` on stderr, exit status 2, no traceback.
  A message about an argument names the command's flag (``--hidden``), not the
  Python argument (``hidden_size``).
* A bug (any other exception): one line naming the error and the log file that holds
  the full traceback (:func:`rnnstudio.user_logs.log_bug`), exit status 1.
* Ctrl+C: ``rnnstudio: interrupted``, exit status 130. A closed pipe (``| head``): 0.

Every line is made :func:`~rnnstudio.terminal.printable` and bounded: messages quote
values read from files.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

from . import app_info
from .errors import RnnStudioError
from .limits import MAX_MESSAGE_CHARS
from .terminal import printable
from .user_logs import log_bug

__all__ = ["OneLineParser", "flag_names", "run_handler"]


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (no usage block), like every other error."""

    def error(self, message: str) -> NoReturn:
        print_error(f"{self.prog}: {message} (see {self.prog} -h)")
        self.exit(2)


def flag_names(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Python argument name -> the flag that sets it (``hidden_size`` -> ``--hidden``),
    read from the parser so the table cannot drift from the flags."""
    return {action.dest: action.option_strings[0]
            for action in parser._actions  # argparse has no public list of its actions
            if action.option_strings and action.dest != "help"}


def run_handler(handler: Callable[[argparse.Namespace], int], options: argparse.Namespace,
                argv: Sequence[str], flags: Mapping[str, str]) -> int:
    """Run one sub-command under the contract in the module docstring."""
    try:
        return int(handler(options))
    except RnnStudioError as exc:
        print_error(for_command_line(exc, flags))
        return 2
    except KeyboardInterrupt:
        print("rnnstudio: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rnnstudio info m | head -1`: the reader left, that is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 - the last line of defence: log, one line
        return report_bug(exc, argv)


def for_command_line(error: BaseException, flags: Mapping[str, str]) -> str:
    """The error's first line, starting with the flag when it starts with the Python
    argument the flag sets (see :class:`~rnnstudio.errors.ConfigError`)."""
    text = str(error).strip()
    message = text.splitlines()[0] if text else type(error).__name__
    argument = getattr(error, "argument", None)
    if isinstance(argument, str) and argument in flags and message.startswith(argument):
        message = flags[argument] + message[len(argument):]
    return message


def print_error(message: str) -> None:
    """``rnnstudio: error: <message>`` on stderr: one line, escaped, bounded."""
    print(f"rnnstudio: error: {printable(message, MAX_MESSAGE_CHARS)}", file=sys.stderr)


def report_bug(error: Exception, argv: Sequence[str]) -> int:
    """One line for an unexpected error, the traceback in the log; exit status 1."""
    path = log_bug(error, argv)
    what = f"{type(error).__name__}: {str(error).strip()}".rstrip(": ").splitlines()[0]
    if isinstance(error, MemoryError):
        head = "out of memory; try a smaller model or text"
    else:
        head = f"internal error ({printable(what, 200)}), a bug in RNN Studio"
    if path is None:
        print(f"rnnstudio: {head}; the log could not be written, so here is the traceback:",
              file=sys.stderr)
        traceback.print_exception(error, file=sys.stderr)
    else:
        print(f"rnnstudio: {head}; the traceback is in {printable(str(path))} "
              f"(please attach it to a report at {app_info.ISSUES_URL})", file=sys.stderr)
    return 1
