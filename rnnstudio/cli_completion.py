"""Shell completion for ``rnnstudio``: a bash or zsh script printed by
``rnnstudio --completion SHELL`` (or ``rnnstudio completion SHELL``).

The script is generated from the argparse parser itself (its sub-commands, each one's
flags, the values of flags with ``choices``) and from the model index (the shipped model
names), so it cannot drift from the commands: a new flag completes once it is added.
Positionals that take a model (``MODEL``, ``IN``, the GUI's word) complete shipped names
and files; ``FILE`` and ``--out`` values complete files. zsh runs the same function
through its ``bashcompinit`` layer.

Install (one line each, also in the README)::

    echo 'source <(rnnstudio --completion bash)' >> ~/.bashrc
    echo 'source <(rnnstudio --completion zsh)' >> ~/.zshrc
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field
from typing import Any

from .errors import RnnStudioError
from .models_index import shipped_models

__all__ = ["COMPLETION_HELP", "SHELLS", "CommandWords", "PrintCompletion", "command_words",
           "completion_script", "print_completion"]

SHELLS = ("bash", "zsh")
COMPLETION_HELP = ("print a bash or zsh completion script: source <(rnnstudio completion "
                   "bash)")
#: Value names whose values are files (``--text-file FILE``, ``--out``).
_FILE_METAVARS = ("FILE",)
_FILE_DESTS = ("out",)


@dataclass(frozen=True)
class CommandWords:
    """What completes after one sub-command (``name`` "" for ``rnnstudio`` itself):
    its ``flags``, the ``choices`` of flags that have them, the flags whose value is a
    file, the flags with any other value (a number, a text: nothing to offer), whether
    a positional takes a model (shipped name or file), and the ``words`` a positional
    offers (the sub-commands at the top level, a positional's choices)."""

    name: str
    flags: tuple[str, ...]
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    file_flags: tuple[str, ...] = ()
    valued_flags: tuple[str, ...] = ()
    takes_model: bool = False
    words: tuple[str, ...] = ()


def print_completion(shell: str) -> int:
    """Print the completion script of ``shell``, generated from ``rnnstudio``'s parser."""
    from .cli import build_parser  # cli imports this module for its flags

    print(completion_script(build_parser(), shell), end="")
    return 0


class PrintCompletion(argparse.Action):
    """``--completion SHELL``: print the script and exit, like ``--version``."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print_completion(str(values))
        parser.exit()


def command_words(parser: argparse.ArgumentParser, name: str = "") -> list[CommandWords]:
    """The top level first, then every sub-command in the parser's order, each followed
    by its own sub-commands (``corpus index``: named by the words that reach it)."""
    words = [_words(name, parser)]
    for sub_name, sub in _sub_commands(parser).items():
        words += command_words(sub, f"{name} {sub_name}".strip())
    return words


def _sub_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    # argparse has no public list of its actions
    return {name: sub for action in parser._actions
            if isinstance(action, argparse._SubParsersAction)
            for name, sub in action.choices.items()}


def _words(name: str, parser: argparse.ArgumentParser) -> CommandWords:
    flags: list[str] = []
    choices: dict[str, tuple[str, ...]] = {}
    file_flags: list[str] = []
    valued_flags: list[str] = []
    takes_model = not name  # the GUI: rnnstudio [MODEL]
    offered: list[str] = []
    for action in parser._actions:
        if not action.option_strings:  # a positional, or the sub-commands
            offered += [str(choice) for choice in action.choices or ()]
            takes_model |= "MODEL" in str(action.metavar) or action.dest == "source"
            continue
        flags += action.option_strings
        if action.choices is not None:
            choices.update(dict.fromkeys(action.option_strings,
                                         tuple(str(choice) for choice in action.choices)))
        elif action.nargs == 0:
            continue
        elif action.metavar in _FILE_METAVARS or action.dest in _FILE_DESTS:
            file_flags += action.option_strings
        else:
            valued_flags += action.option_strings
    return CommandWords(name, tuple(flags), choices, tuple(file_flags), tuple(valued_flags),
                        takes_model, tuple(offered))


def completion_script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for ``shell`` (``bash`` or ``zsh``)."""
    if shell not in SHELLS:
        raise RnnStudioError(f"no completion for shell {shell!r}: use bash or zsh")
    words = command_words(parser)
    try:
        names = [entry.key for entry in shipped_models()]
    except RnnStudioError:  # no index: complete the rest
        names = []
    body = _bash_function(words, names)
    if shell == "bash":
        return ("# bash completion for rnnstudio, generated by: rnnstudio --completion bash\n"
                f"{body}complete -o filenames -o bashdefault -F _rnnstudio rnnstudio\n")
    return ("#compdef rnnstudio\n"
            "# zsh completion for rnnstudio, generated by: rnnstudio --completion zsh\n"
            "autoload -U +X compinit && (( $+functions[compdef] )) || compinit\n"
            "autoload -U +X bashcompinit && bashcompinit\n"
            f"{body}complete -o filenames -o bashdefault -F _rnnstudio rnnstudio\n")


def _bash_function(words: list[CommandWords], names: list[str]) -> str:
    """``_rnnstudio``: find the sub-command (and its own, ``corpus index``), complete a
    flag's value, a flag, or a positional (sub-commands where they go, shipped names
    where a model goes)."""
    commands = [entry.name for entry in words if entry.name and " " not in entry.name]
    nested = [shlex.quote(entry.name) for entry in words if " " in entry.name]
    value_cases, flag_cases, positional_cases = [], [], []
    for entry in words:
        label = shlex.quote(entry.name)
        value_cases += [_case(f"{entry.name}:{flag}", _words_reply(" ".join(values)))
                        for flag, values in entry.choices.items()]
        value_cases += [_case(f"{entry.name}:{flag}", _FILES) for flag in entry.file_flags]
        value_cases += [_case(f"{entry.name}:{flag}", "COMPREPLY=()")  # a number, a text
                        for flag in entry.valued_flags]
        flag_cases.append(f"        {label}) flags={shlex.quote(' '.join(entry.flags))} ;;")
        offered = " ".join(entry.words)
        if entry.takes_model:
            reply = _words_reply(f"{offered} $models".strip(), quote=False) + "; " + _FILES
            positional_cases.append(f"        {label}) {reply} ;;")
        elif offered:
            positional_cases.append(f"        {label}) {_words_reply(offered)} ;;")
    return "\n".join([
        "_rnnstudio() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" command="" flags="" i',
        f"    local models={shlex.quote(' '.join(names))}",
        '    (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
        "    for (( i = 1; i < COMP_CWORD; i++ )); do",
        '        case "${COMP_WORDS[i]}" in',
        f"            {'|'.join(commands)}) command=\"${{COMP_WORDS[i]}}\"; break ;;",
        "        esac",
        "    done",
        *([] if not nested else [
            "    for (( i = i + 1; i < COMP_CWORD; i++ )); do",
            '        case "$command ${COMP_WORDS[i]}" in',
            f"            {'|'.join(nested)}) command=\"$command ${{COMP_WORDS[i]}}\"; break ;;",
            "        esac",
            "    done"]),
        '    case "$command:$prev" in', *value_cases, "    esac",
        '    case "$command" in', *flag_cases, "    esac",
        '    if [[ "$cur" == -* ]]; then',
        '        COMPREPLY=($(compgen -W "$flags" -- "$cur"))',
        "        return",
        "    fi",
        '    case "$command" in', *positional_cases, "    esac",
        "}",
        "",
    ])


_FILES = 'COMPREPLY+=($(compgen -f -- "$cur"))'


def _words_reply(words: str, quote: bool = True) -> str:
    """Set COMPREPLY to the ``words`` that start with the word being completed."""
    listed = shlex.quote(words) if quote else f'"{words}"'
    return f'COMPREPLY=($(compgen -W {listed} -- "$cur"))'


def _case(pattern: str, reply: str) -> str:
    return f"        {shlex.quote(pattern)}) {reply}; return ;;"
