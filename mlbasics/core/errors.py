"""Exceptions that say what was wrong and where (argument, file, line)."""

from __future__ import annotations

from os import PathLike


class MlbasicsError(Exception):
    """Base class of every error this library raises on purpose."""


class InputError(MlbasicsError, ValueError):
    """An argument has the wrong shape, dtype, range or value.

    The message names the argument, what was expected and what was given.
    """


class DataFileError(MlbasicsError, ValueError):
    """A data file (image, annotation, state file) cannot be used.

    ``path`` and, where it applies, ``line`` say where the problem is.
    """

    def __init__(self, path: str | PathLike[str], reason: str, line: int | None = None):
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class ChecksumError(DataFileError):
    """A downloaded or mirrored file does not have the sha256 the manifest lists."""


class UnknownNameError(MlbasicsError, KeyError):
    """A name (dataset, manifest file, ...) is not among the known ones; the message lists them.

    A ``KeyError`` for callers that look names up, but an expected error for the ``mlbasics``
    command, which reports it in one line instead of a traceback.
    """

    def __str__(self) -> str:
        # KeyError's str() quotes its argument; the message reads better as written
        return str(self.args[0]) if self.args else ""
