"""Write files atomically: a crash mid-write never leaves a half file behind.

One mechanism, :func:`atomic_path`: the writer writes ``<folder>/.mlbasics-tmp.<pid>.<random>/<name>``
(a fresh private folder next to the target, on the same file system, whose name has a fixed
length whatever the target's), which is renamed over the target when the block ends without
error. A process killed mid-write (``kill -9``, power cut) leaves only such a folder behind;
:func:`remove_stale_temporaries` removes those of dead processes, and every pipeline calls it on
its output folder when it starts. A full disk is reported as one ``OSError`` naming the target.
:func:`atomic_write` opens that path for the caller; tools that insist on writing a file or
folder themselves (``model.save(path)``, model converters) get the path.
:mod:`mlbasics.io.storage` builds ``gs://`` writes on the same path.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from mlbasics.core.errors import DataFileError, InputError

#: The modes :func:`atomic_write` opens files with.
WRITE_MODES = ("wb", "w")


def check_write_mode(mode: str) -> str:
    """``mode`` if it is one of :data:`WRITE_MODES`, else an :class:`InputError` naming it."""
    if mode not in WRITE_MODES:
        raise InputError(f"mode must be 'wb' or 'w', got {mode!r}")
    return mode


@contextlib.contextmanager
def open_synced(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a new file for writing (UTF-8 for ``"w"``); flush it to disk before it is closed,
    so that a rename afterwards publishes complete data even after a power cut."""
    with open(path, check_write_mode(mode), encoding="utf-8" if mode == "w" else None) as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())


#: Temporary folders of :func:`atomic_path`: ``.mlbasics-tmp.<pid of the writer>.<random>``.
TEMP_PREFIX = ".mlbasics-tmp."
_TEMP_NAME = re.compile(r"\.mlbasics-tmp\.(\d+)\.[A-Za-z0-9_]+")

#: A temporary folder older than this is stale even when a process with its writer's id is alive
#: (process ids are reused); no single write of this library takes that long.
STALE_AFTER_SECONDS = 24 * 3600


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def is_stale_temporary(path: str | os.PathLike[str], *, now: float | None = None) -> bool:
    """Whether ``path`` is a temporary folder of :func:`atomic_path` that no live write holds:
    its writer's process is gone, or it is older than :data:`STALE_AFTER_SECONDS`."""
    match = _TEMP_NAME.fullmatch(os.path.basename(path))
    if match is None or os.path.islink(path) or not os.path.isdir(path):
        return False
    try:
        age = (time.time() if now is None else now) - os.stat(path).st_mtime
    except FileNotFoundError:
        return False
    return not _alive(int(match.group(1))) or age > STALE_AFTER_SECONDS


def remove_stale_temporaries(folder: str | os.PathLike[str], *, recursive: bool = True) -> list[Path]:
    """Remove the stale temporary folders (:func:`is_stale_temporary`) in ``folder`` (and its
    sub-folders, not following symbolic links); return what was removed. A missing folder has none.

    Only folders named like this module's own temporaries are touched, never other files.
    """
    removed = []
    for top, dirs, _ in os.walk(folder):
        for name in list(dirs):
            path = Path(top) / name
            if name.startswith(TEMP_PREFIX):
                dirs.remove(name)  # never descend into a temporary folder
                if is_stale_temporary(path):
                    shutil.rmtree(path, ignore_errors=True)
                    removed.append(path)
        if not recursive:
            break
    return removed


#: Process-owned folders in the system's temporary folder (:func:`owned_tempdir`):
#: ``<prefix><pid of the owner>.<random>``.
_OWNED_NAME = re.compile(r"(\d+)\.[A-Za-z0-9_]+")


def remove_stale_owned(prefix: str, folder: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the folders of :func:`owned_tempdir` named ``<prefix><pid>.<random>`` in ``folder``
    (default: the system's temporary folder) whose owner process is gone (killed with SIGKILL,
    power cut); only this user's folders, never a symbolic link. Returns what was removed. No age
    limit, unlike :func:`is_stale_temporary`: a server may rightly run for days."""
    top = Path(tempfile.gettempdir() if folder is None else folder)
    removed = []
    with contextlib.suppress(OSError), os.scandir(top) as entries:
        for entry in entries:
            match = _OWNED_NAME.fullmatch(entry.name[len(prefix):]) if entry.name.startswith(prefix) else None
            if match is None or not entry.is_dir(follow_symlinks=False):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            someone_elses = hasattr(os, "getuid") and info.st_uid != os.getuid()
            if someone_elses or _alive(int(match.group(1))):
                continue
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def owned_tempdir(prefix: str) -> Iterator[Path]:
    """A private folder (mode 0700) ``<tmp>/<prefix><pid>.<random>`` for the length of the block,
    removed with its files when the block ends, whatever the reason. A process that cannot run
    the end of the block (SIGKILL) leaves it behind with its owner's pid in the name:
    :func:`remove_stale_owned` with the same ``prefix`` removes it at the next start."""
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}."))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def disk_full_error(target: str | os.PathLike[str]) -> OSError:
    """The one-line ``OSError`` for a write to ``target`` that ran out of space."""
    return OSError(errno.ENOSPC, "disk full (no space left on device); the earlier version, if any, "
                                 "is unchanged", os.fspath(target))


def _publish(staged: Path, target: Path, scratch: Path) -> None:
    """Rename ``staged`` over ``target``. A folder (a ``.mlpackage``) cannot be renamed over a
    non-empty folder, so an old one is first moved into ``scratch``, which the caller removes."""
    if not staged.exists():
        raise DataFileError(target, "the writer finished without writing this file")
    if target.is_dir() and not target.is_symlink():
        if not staged.is_dir():  # a file written over a folder would delete the folder and all it holds
            raise DataFileError(target, "is a folder, expected a file: refusing to replace it")
        os.replace(target, scratch / ".previous")
    os.replace(staged, target)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path to write ``path``'s file (or folder) at; on success it is renamed over ``path``.

    The temporary path has the same name as ``path`` (so tools that choose the format by the
    suffix, such as Keras's ``.keras`` and ``.weights.h5``, see the right one) inside a fresh
    folder next to ``path``. Whatever the writer creates there gets the mode a normal write gets
    (``0o666 & ~umask`` for files), unlike ``mkstemp``'s ``0o600``. If the block raises, the
    temporary output is removed and ``path`` is untouched (an earlier version stays as it was).
    Folders on the way to ``path`` are created. Running out of space raises
    :func:`disk_full_error` (``errno.ENOSPC``, naming ``path``).
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}.", dir=target.parent))
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise disk_full_error(target) from exc
        raise
    try:
        staged = scratch / target.name
        yield staged
        _publish(staged, target, scratch)
    except OSError as exc:
        if exc.errno == errno.ENOSPC and exc.filename != os.fspath(target):
            raise disk_full_error(target) from exc
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open ``path`` for writing (``"wb"``, or ``"w"`` for UTF-8 text) through :func:`atomic_path`:
    the file appears whole when the block ends without error, or not at all."""
    check_write_mode(mode)
    with atomic_path(path) as staged, open_synced(staged, mode) as handle:
        yield handle


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented, key-sorted JSON, atomically."""
    with atomic_write(path, "w") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")


def write_npz(path: str | os.PathLike[str], **arrays: np.ndarray) -> None:
    """Write arrays to an ``.npz`` file atomically (load it with ``allow_pickle=False``)."""
    for name, array in arrays.items():
        if np.asarray(array).dtype == object:
            raise ValueError(f"array {name!r} has dtype object, which would need pickle; convert it first")
    with atomic_write(path) as handle:
        np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as allow_pickle


def read_npz(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` file, never unpickling anything."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}
