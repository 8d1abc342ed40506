"""Stop a long-running command on a signal the way Ctrl+C stops it: its clean-up runs.

Python turns SIGINT into ``KeyboardInterrupt``, but SIGTERM (``kill PID``, a service manager) and
SIGHUP (the terminal closed) end the process at once, skipping every ``finally`` and ``with`` exit.
Inside :func:`stop_on_signals` all three raise :class:`Stopped` in the main thread instead. Only an
entry point that owns the process uses it (``mlbasics serve``).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

#: The signals that stop a command cleanly, where the system has them (Windows has no SIGHUP).
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Stopped(BaseException):  # noqa: N818 - named like KeyboardInterrupt, which it stands beside
    """Raised in the main thread by a stop signal; ``str()`` is the signal's name (``SIGTERM``).
    A BaseException, like KeyboardInterrupt, so that ``except Exception`` does not swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """For the length of the block, SIGINT, SIGTERM and SIGHUP raise :class:`Stopped`; a second signal
    during the clean-up that follows is ignored. The earlier handlers are back after the block."""

    def stop(signum: int, frame: object) -> None:
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        raise Stopped(signum)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
