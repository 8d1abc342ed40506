"""Where outputs may go and what they are called, so that writing them never destroys an input.

* :func:`check_output_location`: an output folder must not be, contain, or lie inside an input
  folder (tagged copies written over the photos they were drawn from; a second run reading
  the first run's ``embedding_map.png`` as an input).
* :func:`unique_output_name`: an output keeps its input's path relative to the input folder, so
  ``a/x.jpg`` and ``b/x.jpg`` never share an output; when the suffix changes (``x.png`` tagged as
  a ``.jpg``), a short hash of the input path keeps ``x.png`` and ``x.jpg`` apart.
* :func:`relative_to_common_folder` and :func:`check_no_input_overwritten`: the same for commands
  that take a list of files (``yolo detect``).
* :func:`fit_name`: a file name longer than the file system allows (255 bytes) is shortened,
  with a hash of the whole name so that shortened names stay distinct.

Names are ``str`` as ``os.listdir`` returns them: bytes that are not UTF-8 stay as they are
(surrogate escapes), so the output's name has the same bytes as the input's.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from mlbasics.core.errors import InputError
from mlbasics.io.storage import is_remote

#: Longest file name (one path part, in bytes) on the common file systems (ext4, APFS, NTFS in UTF-16 units).
NAME_MAX = 255

#: Hex digits of the hashes added to names.
HASH_CHARS = 10


def name_hash(text: str) -> str:
    """:data:`HASH_CHARS` hex digits of sha1 over ``text``'s bytes as the file system sees them."""
    return hashlib.sha1(os.fsencode(text)).hexdigest()[:HASH_CHARS]


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.path.abspath(path))


def check_output_location(out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None],
                          *, what: str = "--out", inside_ok: bool = False) -> None:
    """Raise :class:`InputError` when the output folder ``out`` is an input folder, lies inside one,
    or contains one (symbolic links resolved, ``..`` normalised). ``None`` inputs and remote paths
    (``gs://``) are skipped; ``what`` names the output in the message (the command-line flag).

    ``inside_ok``: a folder inside an input folder is allowed (``yolo detect photos/*.jpg --out
    photos/found``: the outputs cannot be taken for the listed inputs), the input folder itself and
    a folder above it are not (outputs named like the photos would land among them)."""
    if is_remote(os.fspath(out)):
        return
    real_out = _real(out)
    for folder in inputs:
        if folder is None or is_remote(os.fspath(folder)):
            continue
        real_in = _real(folder)
        if real_out == real_in:
            relation = "is the input folder"
        elif os.path.commonpath([real_out, real_in]) == real_in:
            if inside_ok:
                continue
            relation = "is inside the input folder"
        elif os.path.commonpath([real_out, real_in]) == real_out:
            relation = "contains the input folder"
        else:
            continue
        raise InputError(f"{what} {os.fspath(out)} {relation} {os.fspath(folder)}: outputs would overwrite "
                         "inputs or be read as inputs on the next run; choose an output folder outside it")


def fit_name(name: str, limit: int = NAME_MAX) -> str:
    """``name`` if it fits in ``limit`` bytes, else its start, ``-``, a hash of ``name`` and its suffix
    (``<start>-<hash>.npy``), cut at a character boundary, ``limit`` bytes at most."""
    raw = os.fsencode(name)
    if len(raw) <= limit:
        return name
    suffix = os.fsencode(PurePosixPath(name).suffix)
    if len(suffix) > limit // 4:  # a "suffix" this long is part of the name
        suffix = b""
    tail = b"-" + name_hash(name).encode() + suffix
    head = raw[: limit - len(tail)]
    while head and (head[-1] & 0xC0) == 0x80:  # do not cut a UTF-8 character in two
        head = head[:-1]
    if head and head[-1] >= 0xC0:
        head = head[:-1]
    return os.fsdecode(head + tail)


def fit_path(relative: str, limit: int = NAME_MAX) -> str:
    """``relative`` (POSIX separators) with each part shortened by :func:`fit_name`."""
    return "/".join(fit_name(part, limit) for part in relative.split("/"))


def unique_output_name(relative: str, suffix: str | None = None) -> str:
    """The output path, relative to the output folder, for the input at ``relative`` (POSIX path
    relative to its input folder; never absolute, no ``..``).

    The relative path is kept, so inputs with the same file name in different folders get
    different outputs. With ``suffix`` (e.g. ``".jpg"``) an input that has another suffix gets
    ``<stem>-<hash of relative>.jpg`` (``x.png`` -> ``x-1a2b3c4d5e.jpg``), so ``x.png`` and ``x.jpg``
    stay apart. Every part fits :data:`NAME_MAX`.
    """
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise InputError(f"relative must be a relative path inside the input folder, got {relative!r}")
    if suffix is not None and path.suffix.lower() != suffix.lower():
        path = path.with_name(f"{path.stem}-{name_hash(relative)}{suffix}")
    return fit_path(path.as_posix())


def relative_to_common_folder(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """For a list of input files (e.g. ``yolo detect a/x.jpg b/x.jpg``): each one's POSIX path relative
    to the deepest folder holding them all (``["a/x.jpg", "b/x.jpg"]``), for :func:`unique_output_name`."""
    if not paths:
        return []
    absolute = [os.path.abspath(p) for p in paths]
    common = os.path.commonpath([os.path.dirname(p) for p in absolute])
    return [PurePosixPath(*Path(os.path.relpath(p, common)).parts).as_posix() for p in absolute]


def check_no_input_overwritten(outputs: Iterable[str | os.PathLike[str]],
                               inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Raise :class:`InputError` naming the first output file that is (links resolved) one of the
    input files, before anything is written: for commands that take a list of files, where
    :func:`check_output_location` on their folders would be too strict."""
    real_inputs = {_real(p): p for p in inputs}
    for output in outputs:
        if _real(output) in real_inputs:
            raise InputError(f"output {os.fspath(output)} would overwrite the input "
                             f"{os.fspath(real_inputs[_real(output)])}; choose another output folder")
