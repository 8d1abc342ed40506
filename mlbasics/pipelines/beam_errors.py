"""A DoFn's ``OSError`` (a full disk) or the project's own error reported as itself, not as Beam's wrapper.

Beam re-raises an error inside a DoFn with the step's name added; for an ``OSError`` that
cannot be rebuilt that way it raises a ``RuntimeError``, which loses the errno and the file
name, so the command would print a traceback instead of ``<file>: disk full``. The same holds
for :class:`~mlbasics.core.errors.MlbasicsError` (a ``DataFileError`` raised by a worker that
lists the images): the command reports it in one line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from mlbasics.core.errors import MlbasicsError


def original_os_error(exc: BaseException) -> OSError | None:
    """The first ``OSError`` with an ``errno`` in ``exc``'s chain of causes and contexts, or ``None``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno is not None:
            return current
        current = current.__cause__ or current.__context__
    return None


@contextlib.contextmanager
def os_errors_unwrapped() -> Iterator[None]:
    """Around ``pipeline.run()``: re-raise the ``OSError`` that made the pipeline fail, if one did."""
    try:
        yield
    except Exception as exc:
        cause = original_os_error(exc)
        if cause is None or cause is exc:
            raise
        raise cause from None


def original_error(exc: BaseException) -> BaseException | None:
    """The first ``MlbasicsError`` or errno-carrying ``OSError`` in ``exc``'s chain, or ``None``."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MlbasicsError) or (isinstance(current, OSError) and current.errno is not None):
            return current
        current = current.__cause__ or current.__context__
    return None


@contextlib.contextmanager
def errors_unwrapped() -> Iterator[None]:
    """Like :func:`os_errors_unwrapped`, for the project's own errors too."""
    try:
        yield
    except Exception as exc:
        cause = original_error(exc)
        if cause is None or cause is exc:
            raise
        raise cause from None
