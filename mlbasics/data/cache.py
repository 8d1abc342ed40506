"""Download on first use into a cache, with checksums; or copy from an offline mirror.

* ``MLBASICS_CACHE``: where files are kept (default ``~/.cache/mlbasics``).
* ``MLBASICS_DATA_MIRROR``: a folder with the manifest's layout. When set, files are
  copied from there instead of downloaded (CI and offline machines use
  ``../shared/datasets``). A mirror file with the wrong checksum is an error, never
  used.
"""

from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path

from mlbasics.core.errors import ChecksumError, DataFileError
from mlbasics.data.manifest import FileEntry, load_manifest
from mlbasics.io.files import atomic_write

_CHUNK = 1 << 20


def cache_dir() -> Path:
    """The cache root (``MLBASICS_CACHE`` or ``~/.cache/mlbasics``), created if missing."""
    root = Path(os.environ.get("MLBASICS_CACHE") or Path.home() / ".cache" / "mlbasics")
    root.mkdir(parents=True, exist_ok=True)
    return root


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_verified(entry: FileEntry, target: Path) -> None:
    """Copy from the mirror or download ``entry`` to ``target``, checking sha256 before the rename."""
    mirror = os.environ.get("MLBASICS_DATA_MIRROR")
    digest = hashlib.sha256()
    with atomic_write(target) as out:
        if mirror:
            source = Path(mirror) / entry.path
            if not source.is_file():
                raise DataFileError(source, f"not in the mirror MLBASICS_DATA_MIRROR={mirror}")
            origin = str(source)
            stream = open(source, "rb")
        else:
            origin = entry.url
            try:
                stream = urllib.request.urlopen(entry.url, timeout=60)  # noqa: S310 - https only (manifest check)
            except OSError as exc:
                raise DataFileError(
                    entry.url, f"download failed ({exc}); offline? set MLBASICS_DATA_MIRROR to a mirror folder"
                ) from None
        with stream:
            for chunk in iter(lambda: stream.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != entry.sha256:
            raise ChecksumError(origin, f"sha256 is {digest.hexdigest()}, the manifest expects {entry.sha256}")


def fetch(path: str) -> Path:
    """Return the local copy of the manifest file at relative ``path``, fetching it if needed.

    A cached copy whose checksum no longer matches is fetched again.
    """
    entry = load_manifest().entry(path)
    target = cache_dir() / entry.path
    if target.is_file() and sha256_of(target) == entry.sha256:
        return target
    _copy_verified(entry, target)
    return target


def fetch_dataset(name: str) -> Path:
    """Fetch every file of dataset ``name``; return the cache root its paths are relative to."""
    for entry in load_manifest().files(name):
        fetch(entry.path)
    return cache_dir()

