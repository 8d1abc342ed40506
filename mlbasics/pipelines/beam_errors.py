"""A DoFn's ``OSError`` (a full disk) reported as itself, not as Beam's wrapper.

Beam re-raises an error inside a DoFn with the step's name added; for an ``OSError`` that
cannot be rebuilt that way it raises a ``RuntimeError``, which loses the errno and the file
name, so the command would print a traceback instead of ``<file>: disk full``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


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
