"""A DoFn's ``OSError`` (a full disk) or the project's own error reported as itself, not as Beam's wrapper.

Beam re-raises an error inside a DoFn with the step's name added; for an ``OSError`` that
cannot be rebuilt that way it raises a ``RuntimeError``, which loses the errno and the file
name, so the command would print a traceback instead of ``<file>: disk full``. The same holds
for :class:`~mlbasics.core.errors.MlbasicsError` (a ``DataFileError`` raised by a worker that
lists the images): the command reports it in one line.

Before re-raising, Beam also *logs* the wrapped error with its traceback (``apache_beam.runners.common``
at ERROR), so the person saw a traceback and then the clean line. While a block of this module runs,
such a record is dropped when its error is one the command reports (:func:`original_error` finds
one); a bug's record, and every other message, is left alone.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from mlbasics.core.errors import MlbasicsError
from mlbasics.pipelines.beam_noise import filter_installed


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


#: The loggers Beam's runners log a failed step's error on, with its traceback, before re-raising it.
RUNNER_LOGGERS = ("apache_beam.runners.common", "apache_beam.runners.worker.sdk_worker",
                  "apache_beam.runners.worker.bundle_processor")


class DropReportedErrors(logging.Filter):
    """Drops a log record whose exception is one the command reports in one line (:func:`original_error`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return error is None or original_error(error) is None


def _reported_errors_not_logged() -> contextlib.AbstractContextManager[None]:
    return filter_installed(DropReportedErrors, RUNNER_LOGGERS)


@contextlib.contextmanager
def os_errors_unwrapped() -> Iterator[None]:
    """Around ``pipeline.run()``: re-raise the ``OSError`` that made the pipeline fail, if one did
    (and do not let Beam log it with a traceback first)."""
    try:
        with _reported_errors_not_logged():
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
        with _reported_errors_not_logged():
            yield
    except Exception as exc:
        cause = original_error(exc)
        if cause is None or cause is exc:
            raise
        raise cause from None
