"""Assert that a reader refuses a FIFO (or other special file) instead of blocking on it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest


def raises_without_blocking(read: Callable[[Path], object], path: Path, error: type[BaseException],
                            match: str, timeout: float = 5.0) -> None:
    """Run ``read(path)`` in a daemon thread; fail if it is still waiting after ``timeout`` seconds,
    else assert it raised ``error`` with ``match`` in its message.

    A reader that opened a FIFO would block until a writer appears; if that happens, a writer is
    opened and closed so the blocked thread can finish.
    """
    outcome: list[BaseException | None] = []

    def call() -> None:
        try:
            read(path)
            outcome.append(None)
        except BaseException as exc:  # noqa: B036 -- handed to the test thread to assert on
            outcome.append(exc)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(timeout=timeout)
    if worker.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=timeout)
        pytest.fail(f"{getattr(read, '__name__', read)}({path}) blocked")
    assert isinstance(outcome[0], error), outcome
    assert match in str(outcome[0])
