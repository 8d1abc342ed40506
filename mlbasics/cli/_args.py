"""Argument types and the parser class shared by every ``mlbasics`` command.

Each ``type=`` helper turns the text of one option into a checked value or raises
:class:`argparse.ArgumentTypeError`; argparse then prints ``argument --name: <message>``, so every
bad value is refused with the option named before a handler starts any work.
"""

from __future__ import annotations

import argparse
import glob
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from mlbasics.core.errors import DataFileError
from mlbasics.core.limits import Choices, Param, Range
from mlbasics.io.paths import require_regular_file
from mlbasics.io.storage import is_remote


class _HelpFormatter(argparse.HelpFormatter):
    """Shows an option's default in ``--help`` (defaults come from the library, so the help is the one place
    a reader sees them), unless it is empty or the help already describes it."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        empty = action.default is None or action.default is False or action.default == [] \
            or action.default == argparse.SUPPRESS
        if empty or "default" in text or not action.option_strings:
            return action.help
        return f"{text} (default: %(default)s)".lstrip()


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like the handlers' errors (``--help`` shows the usage)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _number(text: str, kind: Callable[[str], Any], what: str) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):  # float("nan") and float("inf") parse fine
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}")
    return value


def in_range(allowed: Range) -> Callable[[str], Any]:
    """The argparse type of an option whose values are ``allowed`` (declared in :mod:`mlbasics.core.limits`):
    ``--seed 2**64`` or ``--width 1e5`` is refused naming the flag, the interval and its reason."""

    def convert(text: str) -> Any:
        value = _number(text, int if allowed.integer else float, allowed.describe())
        problem = allowed.problem(value)
        if problem:
            raise argparse.ArgumentTypeError(problem.replace(f"got {value!r}", f"got {text!r}"))
        return value

    convert.__name__ = "in_range"  # argparse names the type in some messages
    return convert


def add_param(parser: argparse.ArgumentParser | argparse._ArgumentGroup, param: Param, **overrides: Any
              ) -> argparse.Action:
    """The option ``param.flag`` with the declared interval as its type (or its choices), default and help:
    the flag is the library's parameter by construction (``dest`` is ``param.name``). ``overrides`` go to
    ``add_argument`` (a ``default=None`` for an option whose default the library decides later, say)."""
    allowed: dict[str, Any] = ({"choices": param.allowed.values} if isinstance(param.allowed, Choices)
                               else {"type": in_range(param.allowed)})
    options: dict[str, Any] = {**allowed, "default": param.default, "help": param.help, "dest": param.name,
                               **overrides}
    action = parser.add_argument(param.flag, **options)
    action.param = param  # type: ignore[attr-defined]  # the declaration it was made from (tests read it)
    return action


def existing_file(text: str) -> str:
    """A local file that exists, or a ``gs://`` URL (kept as given). A folder, FIFO or device is
    refused as what it is (``is a folder, expected a file``), nothing is opened."""
    if is_remote(text):
        return text
    try:
        require_regular_file(text)
    except DataFileError as exc:
        raise argparse.ArgumentTypeError(f"{exc.reason}: {text!r}") from None
    return text


def existing_dir(text: str) -> str:
    """A local folder that exists, or a ``gs://`` URL (kept as given)."""
    if not is_remote(text) and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {text!r}")
    return text


def existing_path(text: str) -> str:
    """A local file or folder that exists, a glob that matches something, or a ``gs://`` URL."""
    if is_remote(text) or Path(text).exists():
        return text
    if any(c in text for c in "*?[") and glob.glob(text, recursive=True):
        return text
    raise argparse.ArgumentTypeError(f"no such file, folder or matching files: {text!r}")


def output_file(text: str) -> str:
    """A file to write (it may exist and is then replaced), or a ``gs://`` URL; an existing folder is refused,
    since writing would replace the folder and everything in it."""
    if not is_remote(text) and Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"is a folder, expected a file to write: {text!r}")
    return text


def output_dir(text: str) -> str:
    """A folder to write into (created if missing), or a ``gs://`` URL; an existing file is refused."""
    if not is_remote(text) and Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"is a file, expected a folder to write into: {text!r}")
    return text


def add_track(subparsers: argparse._SubParsersAction, name: str, help: str,
              verbs: Sequence[Callable[[argparse._SubParsersAction], None]]) -> None:
    """Register ``mlbasics <name> <verb>``: each function of ``verbs`` declares one verb."""
    track = subparsers.add_parser(name, help=help)
    children = track.add_subparsers(dest="verb", required=True)
    for add in verbs:
        add(children)
