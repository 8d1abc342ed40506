"""Refuse anything but a regular file before opening it.

Opening a FIFO (named pipe) for reading waits until some other process writes to it,
so a FIFO called ``x.jpg`` in a data folder would hang a training run forever; a
character device such as ``/dev/zero`` never ends. Every reader of a file the user gives
us checks the path's type first, with ``os.stat`` (which follows symbolic links, so a
link is judged by its target) and never ``open``.
"""

from __future__ import annotations

import os
import stat

from mlbasics.core.errors import DataFileError

#: ``stat`` type tests and the words used in errors, for every kind that is not a regular file.
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)

FOLDER_REASON = "is a folder, expected a file"


def require_regular_file(path: str | os.PathLike[str], *, missing: str = "no such file") -> None:
    """Raise ``DataFileError`` naming ``path`` unless it is (a symbolic link to) a regular file.

    ``missing`` is the reason given when nothing is there (e.g. ``"no such image file"``).
    A folder gives :data:`FOLDER_REASON`; a FIFO, socket or device gives
    ``"not a regular file (a FIFO)"`` and so on. Nothing is opened.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if os.path.islink(path):
            raise DataFileError(path, f"{missing} (broken symbolic link to {os.readlink(path)!r})") from None
        raise DataFileError(path, missing) from None
    except NotADirectoryError:
        # A part of the path in the middle is a file: for the user, nothing is at that path.
        raise DataFileError(path, missing) from None
    except PermissionError:
        raise DataFileError(path, "permission denied") from None
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise DataFileError(path, FOLDER_REASON)
    kind = next((words for test, words in _KINDS if test(mode)), f"file type {stat.S_IFMT(mode):#o}")
    raise DataFileError(path, f"not a regular file ({kind})")
