"""One bad item is reported and skipped: the helper every batch loop uses.

Real photo sets hold a truncated JPEG, an XML file cut short, a FIFO called ``x.jpg``. One such
file must not stop a run over a thousand good ones: it is named, with the reason, and the run goes
on. But a run where *no* item could be used has produced nothing, and says so by failing (before
it replaces any earlier output), instead of reporting success.

Usage::

    skipped: list[DataFileError] = []
    images = [image for _, image in each_usable(paths, load_image, skipped)]
    require_usable(len(images), skipped, where=annotation_file, what="image")
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

from mlbasics.core.errors import DataFileError

T = TypeVar("T")
R = TypeVar("R")


def each_usable(items: Iterable[T], work: Callable[[T], R],
                skipped: list[DataFileError] | None) -> Iterator[tuple[T, R]]:
    """``(item, work(item))`` for each item whose ``work`` does not raise :class:`DataFileError`.

    An item whose ``work`` raises one is appended to ``skipped`` (the error names the file, the line
    where it applies, and the reason) and left out. With ``skipped=None`` the first such error is
    raised instead, for callers that want all or nothing. Other exceptions are bugs and propagate.
    """
    for item in items:
        try:
            result = work(item)
        except DataFileError as exc:
            if skipped is None:
                raise
            skipped.append(exc)
            continue
        yield item, result


def require_usable(count: int, skipped: Sequence[DataFileError], *, where: str | os.PathLike[str],
                   what: str) -> None:
    """Raise a one-line :class:`DataFileError` when ``count`` (the items used) is 0.

    The error names the first skipped file (and line) with its reason and how many were skipped,
    or, when nothing was skipped either, ``where`` (the input that held no items). ``what`` names
    one item (``"image"``, ``"annotation line"``).
    """
    if count:
        return
    if not skipped:
        raise DataFileError(where, f"no {what} in it: nothing to do")
    first = skipped[0]
    raise DataFileError(first.path, f"no usable {what}: all {len(skipped)} skipped, the first because: "
                                    f"{first.reason}", line=first.line)
