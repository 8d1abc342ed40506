"""Read and write files the same way on local paths and ``gs://bucket/key`` URLs.

Everything goes through fsspec: local paths use its local file system, ``gs://`` URLs
use gcsfs. When ``STORAGE_EMULATOR_HOST`` is set (see :mod:`mlbasics.cloud.emulator`)
the ``gs://`` calls go to that emulator without credentials, otherwise to Google Cloud
Storage with the machine's default credentials.

Why not ``tf.io.gfile``? TensorFlow 2.21 reads ``gs://`` natively, but its endpoint is
compiled in, so it cannot be pointed at an emulator for tests.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.io.files import atomic_path, check_write_mode, open_synced
from mlbasics.io.paths import require_regular_file
from mlbasics.io.text import decode_text

PathLike = str | os.PathLike[str]

#: The environment variable google-cloud-storage and gcsfs read to find an emulator.
EMULATOR_ENV = "STORAGE_EMULATOR_HOST"


#: A URL's scheme at the start of a path: ``gs://``, ``s3://``, ``hdfs://``, ``file://`` (RFC 3986 scheme letters).
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def is_remote(path: PathLike) -> bool:
    """True when ``path`` is a URL (``scheme://...``), False for a path on this machine.

    The one test of "is this path remote?" in the library, with one meaning: a URL is not on this
    machine's disk, so the local checks (exists, is a folder or a FIFO, lies inside an input folder) do not
    apply to it, and whoever opens it decides whether it can. This module opens ``gs://`` only and refuses
    any other scheme, naming it (:func:`split_gcs`); Beam's file systems (the pipelines) open every scheme
    they have a file system for. Why not ``startswith("gs://")``: ``s3://bucket/x`` would then be taken for
    a local relative path, refused as "no such file", or, as an output, made into a local folder ``s3:``.
    Why not ``"://" in path``: a local ``photos/a://b`` is not a URL; a scheme comes first.
    """
    return _URL_SCHEME.match(str(path)) is not None


def split_gcs(url: str) -> tuple[str, str]:
    """``gs://bucket/a/b`` -> ``("bucket", "a/b")``; raises on any other URL or path (the one scheme this
    module opens) and on a URL without a bucket."""
    if not url.startswith("gs://"):
        raise InputError(f"expected a gs://bucket/path URL, got {url!r}")
    bucket, _, key = url[len("gs://"):].partition("/")
    if not bucket:
        raise InputError(f"gs:// URL has no bucket name: {url!r}")
    return bucket, key


def join(base: PathLike, *parts: str) -> str:
    """Join path parts with ``/`` for URLs and the OS separator for local paths."""
    if is_remote(base):
        return "/".join([str(base).rstrip("/"), *(p.strip("/") for p in parts)])
    return str(Path(base, *parts))


def _gcs_filesystem() -> Any:
    """A gcsfs file system for the emulator (anonymous) or for GCS (default credentials)."""
    emulator = os.environ.get(EMULATOR_ENV)
    if emulator:
        # The core class: gcsfs's experimental zonal-bucket class waits 60 s per lookup on
        # a gRPC call an emulator does not answer. No listings cache: other processes
        # (a training job) write to the same bucket.
        from gcsfs.core import GCSFileSystem

        return GCSFileSystem(token="anon", project="emulator", endpoint_url=emulator, use_listings_cache=False)
    import gcsfs

    return gcsfs.GCSFileSystem(use_listings_cache=False)


def filesystem(path: PathLike) -> tuple[Any, str]:
    """The fsspec file system that holds ``path`` and the path as that file system names it."""
    if is_remote(path):
        split_gcs(str(path))
        return _gcs_filesystem(), str(path)[len("gs://"):]
    import fsspec

    return fsspec.filesystem("file"), str(Path(path).absolute())


def _missing_reason(fs: Any, path: str, url: PathLike) -> str:
    if is_remote(url):
        bucket, _ = split_gcs(str(url))
        if not fs.exists(bucket):
            return (f"bucket {bucket!r} does not exist (check the name, the project, or create it with "
                    f"`gcloud storage buckets create gs://{bucket}`)")
        return f"no such object in bucket {bucket!r}"
    if not Path(path).parent.exists():
        return f"folder {Path(path).parent.name!r} does not exist"
    return "no such file"


def gs_file_exists(path: PathLike) -> bool:
    """True if ``path`` is an existing file/object (False for folders and missing buckets)."""
    fs, fs_path = filesystem(path)
    try:
        return bool(fs.isfile(fs_path))
    except FileNotFoundError:
        return False


@contextlib.contextmanager
def gs_open(path: PathLike, mode: str = "rb") -> Iterator[IO[Any]]:
    """Open ``path`` for reading (``"rb"``/``"r"``); a missing file or bucket is a
    :class:`DataFileError` that says which. For writing use :func:`gs_atomic_write`."""
    if mode not in ("rb", "r"):
        raise InputError(f"mode must be 'rb' or 'r' (write with gs_atomic_write), got {mode!r}")
    fs, fs_path = filesystem(path)
    if not is_remote(path):
        # a folder is named as one, and a FIFO is refused before it is opened (reading one would block)
        require_regular_file(path, missing=_missing_reason(fs, fs_path, path))
    elif not gs_file_exists(path):
        raise DataFileError(path, _missing_reason(fs, fs_path, path))
    kwargs = {"encoding": "utf-8"} if mode == "r" else {}
    with fs.open(fs_path, mode, **kwargs) as handle:
        yield handle


def gs_read_text(path: PathLike) -> str:
    """The whole file as UTF-8 text, decoded as :func:`mlbasics.io.text.decode_text` does (a byte
    order mark and ``\r\n`` line ends are fine; bytes that are not UTF-8 are an error naming the file)."""
    with gs_open(path) as handle:
        data = handle.read()
    return decode_text(data, path)


def gs_open_image(path: PathLike) -> np.ndarray:
    """Load an image from a local path or ``gs://`` as RGB ``uint8`` of shape ``(height, width, 3)``."""
    from mlbasics.io.images import load_image_bytes

    with gs_open(path) as handle:
        data = handle.read()
    return load_image_bytes(data, name=str(path))


def gs_list(folder: PathLike, pattern: str = "*") -> list[str]:
    """Files directly in ``folder`` whose name matches ``pattern``, as full paths/URLs, sorted."""
    fs, fs_path = filesystem(folder)
    try:
        entries = fs.ls(fs_path, detail=True)
    except FileNotFoundError:
        raise DataFileError(folder, _missing_reason(fs, fs_path, folder)) from None
    prefix = "gs://" if is_remote(folder) else ""
    names = [e["name"] for e in entries if e["type"] == "file"]
    return sorted(prefix + n for n in names if fnmatch.fnmatch(n.rsplit("/", 1)[-1], pattern))


def gs_walk(folder: PathLike) -> list[str]:
    """Every file under ``folder``, at any depth, as full paths/URLs, sorted (empty if there is none)."""
    fs, fs_path = filesystem(folder)
    try:
        names = fs.find(fs_path)
    except FileNotFoundError:
        return []
    prefix = "gs://" if is_remote(folder) else ""
    return sorted(prefix + n for n in names)


def gs_remove(path: PathLike) -> None:
    """Delete one file or object; a missing one is not an error."""
    fs, fs_path = filesystem(path)
    try:
        fs.rm_file(fs_path)
    except FileNotFoundError:
        pass


@contextlib.contextmanager
def gs_atomic_path(path: PathLike) -> Iterator[Path]:
    """A local temporary path to write ``path``'s file at; the file appears at ``path`` whole, or not at all.

    Local paths are :func:`mlbasics.io.files.atomic_path` (temporary file + rename). For
    ``gs://`` the file is written to a local temporary folder and uploaded in one call when
    the block ends without error: an object in a bucket only appears once its upload
    completes, so a crash leaves no partial object.
    """
    if not is_remote(path):
        with atomic_path(path) as staged:
            yield staged
        return
    _, key = split_gcs(str(path))
    with tempfile.TemporaryDirectory(prefix="mlbasics-upload-") as tmp:
        staged = Path(tmp, key.rsplit("/", 1)[-1] or "data")
        yield staged
        if not staged.is_file():
            raise DataFileError(path, "the writer finished without writing this file")
        _upload(staged, str(path))


@contextlib.contextmanager
def gs_atomic_write(path: PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open ``path`` (local or ``gs://``) for writing (``"wb"``, or ``"w"`` for UTF-8 text) through
    :func:`gs_atomic_path`: it appears whole when the block ends without error, or not at all."""
    check_write_mode(mode)
    with gs_atomic_path(path) as staged, open_synced(staged, mode) as handle:
        yield handle


def _upload(local: Path, url: str) -> None:
    fs, fs_path = filesystem(url)
    try:
        fs.put_file(str(local), fs_path)
    except FileNotFoundError:
        raise DataFileError(url, _missing_reason(fs, fs_path, url)) from None


def gs_copy_file(source: PathLike, destination: PathLike) -> None:
    """Copy one file between any two of: local path, ``gs://`` URL. The destination is
    written atomically (see :func:`gs_atomic_write`); folders on the way are created."""
    if not gs_file_exists(source):
        fs, fs_path = filesystem(source)
        raise DataFileError(source, _missing_reason(fs, fs_path, source))
    if is_remote(destination) and not is_remote(source):
        _upload(Path(source), str(destination))
        return
    with gs_open(source) as src, gs_atomic_write(destination) as dst:
        shutil.copyfileobj(src, dst, length=1 << 20)


def gs_copy_folder(source: str | os.PathLike[str], destination: PathLike) -> list[str]:
    """Copy every file under the local folder ``source`` (at any depth) to the folder ``destination``, a
    ``gs://`` URL or a local path, keeping their relative paths; return the copies' paths, sorted.

    To a bucket the uploads run concurrently (gcsfs), each object appearing whole or not at all;
    locally each file is copied by :func:`gs_copy_file`. ``DataFileError`` when ``source`` is not a folder.
    """
    folder = Path(source)
    if not folder.is_dir():
        raise DataFileError(source, "not a folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    targets = [join(destination, *p.relative_to(folder).parts) for p in files]
    if is_remote(destination):
        fs, _ = filesystem(destination)
        fs.put([str(p) for p in files], [t[len("gs://"):] for t in targets])
    else:
        for file, target in zip(files, targets):
            gs_copy_file(file, target)
    return sorted(targets)


def gs_read_many(paths: list[str]) -> dict[str, bytes | DataFileError]:
    """Read many files at once (concurrently for ``gs://``). A file that cannot be read maps
    to a :class:`DataFileError` instead of stopping the others; paths may mix local and gs://."""
    results: dict[str, bytes | DataFileError] = {}
    remote = [p for p in paths if is_remote(p)]
    for path in (p for p in paths if not is_remote(p)):
        try:
            require_regular_file(path)  # a FIFO would block the whole batch
            results[path] = Path(path).read_bytes()
        except DataFileError as exc:
            results[path] = exc
        except OSError as exc:
            results[path] = DataFileError(path, f"cannot read ({exc.strerror or exc})")
    if remote:
        for path in remote:
            split_gcs(path)  # gs:// only: any other scheme is refused, named, before anything is read
        fs, _ = filesystem(remote[0])
        data = fs.cat([p[len("gs://"):] for p in remote], on_error="return")
        for path in remote:
            value = data.get(path[len("gs://"):])
            results[path] = value if isinstance(value, bytes) else DataFileError(path, "no such object or not readable")
    return results
