"""Refuse anything but a regular file before opening it.

Opening a FIFO (named pipe) for reading waits until some other process writes to it,
so a FIFO called ``x.jpg`` in a data folder would hang a training run forever; a
character device such as ``/dev/zero`` never ends. Every reader of a file the user gives
us checks the path's type first, with ``os.stat`` (which follows symbolic links, so a
link is judged by its target) and never ``open``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

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
    except OSError as exc:  # ELOOP: a symbolic link that leads back to itself; ENAMETOOLONG; EIO
        raise DataFileError(path, _os_reason(exc)) from None
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise DataFileError(path, FOLDER_REASON)
    kind = next((words for test, words in _KINDS if test(mode)), f"file type {stat.S_IFMT(mode):#o}")
    raise DataFileError(path, f"not a regular file ({kind})")


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (the link leads back to itself)"
    return f"cannot be read ({exc.strerror or exc})"


def regular_file_problem(path: str | os.PathLike[str], *, missing: str = "no such file") -> str | None:
    """Why ``path`` cannot be read as a file (the reason :func:`require_regular_file` gives), or ``None``.

    For listings that report a bad entry and go on: a FIFO called ``x.jpg`` becomes a dead
    letter instead of a read that waits forever. Nothing is opened.
    """
    try:
        require_regular_file(path, missing=missing)
    except DataFileError as exc:
        return exc.reason
    return None


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` as text that any UTF-8 output can hold: bytes that are not UTF-8 (which Python keeps
    as lone surrogates, e.g. ``'\\udcff'`` for the byte ``0xff``) are written as ``\\xff``.

    Valid names are returned as they are; CSV files and messages use this form.
    """
    text = os.fspath(path)
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file name has (not U+DC80..U+DCFF)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def inside(root: str | os.PathLike[str], relative: str | os.PathLike[str], *,
           source: str | os.PathLike[str] | None = None) -> Path:
    """``root / relative``, for a ``relative`` path read from a file the caller did not just write.

    Raises :class:`DataFileError` (naming ``source``, the file it was read from, or else the
    joined path) when ``relative`` is empty, absolute, has a ``..`` part, or leads out of
    ``root`` through a symbolic link (the resolved path must stay inside the resolved root).
    """
    text = os.fspath(relative)
    where = source if source is not None else os.path.join(os.fspath(root), text)
    parts = text.replace("\\", "/").split("/")
    if not text or os.path.isabs(text) or text.startswith(("/", "\\")) or ".." in parts:
        raise DataFileError(where, f"path {display_path(text)!r} is not a plain relative path "
                                   f"inside {display_path(root)}")
    joined = Path(root) / text
    real_root = os.path.realpath(root)
    real = os.path.realpath(joined)
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        raise DataFileError(where, f"path {display_path(text)!r} leads out of {display_path(root)} "
                                   "(through a symbolic link)")
    return joined


#: The photo suffixes a folder given as input is searched for (any case).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def image_files(inputs: Iterable[str | os.PathLike[str]]) -> list[str]:
    """``inputs`` with each folder replaced by the photos in it and below it (sorted; hidden names and
    other suffixes left out), files kept as given and in order. A folder without a photo is a
    :class:`DataFileError` naming it, unless it is named like a photo (``x.jpg``): then it stays an entry,
    as what a file entry is (missing, a FIFO) is for its reader to say."""
    found: list[str] = []
    for entry in inputs:
        text = os.fspath(entry)
        if not os.path.isdir(text):
            found.append(text)
            continue
        photos = []
        for folder, dirs, names in os.walk(text):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            photos += [os.path.join(folder, name) for name in sorted(names)
                       if not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES]
        if not photos and os.path.splitext(text)[1].lower() in IMAGE_SUFFIXES:
            found.append(text)  # a folder named like a photo (x.jpg): its reader names it and it is skipped
            continue
        if not photos:
            raise DataFileError(text, f"no photos ({', '.join(IMAGE_SUFFIXES)}) in this folder")
        found += photos
    return found


def relative_path_problem(text: str) -> str | None:
    """Why ``text``, a path read from a data file (a VOC ``<filename>``, an image id, a list-file line),
    would lead out of the folder it is relative to, or ``None`` when it is a plain relative path.

    Empty, absolute (``/x``, ``C:\\x``, ``\\\\server\\x``) and any ``..`` part (with ``/`` or ``\\``) are
    refused: such a record could make a converter read or copy a file from anywhere on the disk.
    """
    parts = text.replace("\\", "/").split("/")
    if not text.strip():
        return "is empty"
    if text.startswith(("/", "\\")) or os.path.isabs(text) or (len(text) > 1 and text[1] == ":"):
        return f"{display_path(text)!r} is an absolute path, expected a name inside the folder"
    if ".." in parts:
        return f"{display_path(text)!r} leads out of the folder ('..'), expected a name inside it"
    return None


def require_utf8_name(path: str | os.PathLike[str]) -> None:
    """Raise ``DataFileError`` when ``path`` is not valid UTF-8 (bytes kept by Python as lone surrogates).

    For outputs that must hold the name as text (annotation lines, YOLO's data.yaml, JSON reports):
    such a file is named (with ``\\xff`` escapes) and skipped instead of ending the run in a
    ``UnicodeEncodeError``. Rename the file to use it.
    """
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise DataFileError(display_path(text), "the file name is not valid UTF-8 and cannot be written into a "
                                                "UTF-8 text file: rename it") from None
