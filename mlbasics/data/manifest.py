"""The manifest of public data: each file's upstream URL and sha256.

The manifest lives in ``datasets/manifest.json`` at the top of the project. Layout::

    {"version": 1, "datasets": {NAME: {"description": ..., "licence": ...,
        "files": {RELATIVE_PATH: {"url": ..., "sha256": ...}}}}}

``RELATIVE_PATH`` is where the file lands in the cache (and where it is found in an
offline mirror): always relative, with no ``..`` parts.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from mlbasics.core.errors import DataFileError, UnknownNameError

DEFAULT_MANIFEST = Path(__file__).resolve().parents[2] / "datasets" / "manifest.json"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FileEntry:
    """One file of a dataset: where it lands, where it comes from, what it hashes to."""

    path: str
    url: str
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """All datasets of the manifest, by name."""

    datasets: dict[str, tuple[FileEntry, ...]]
    source: str

    def files(self, dataset: str) -> tuple[FileEntry, ...]:
        """The files of ``dataset``; raises :class:`~mlbasics.core.errors.UnknownNameError` (a ``KeyError``)
        listing the known names."""
        try:
            return self.datasets[dataset]
        except KeyError:
            raise UnknownNameError(f"unknown dataset {dataset!r}; the manifest lists {sorted(self.datasets)}") from None

    def entry(self, path: str) -> FileEntry:
        """The entry of the file at relative ``path``, whatever dataset holds it."""
        for entries in self.datasets.values():
            for item in entries:
                if item.path == path:
                    return item
        raise UnknownNameError(f"{path!r} is not in the manifest {self.source}")


def check_relative_path(path: str, *, source: str = "manifest") -> str:
    """Return ``path`` if it is a safe relative POSIX path, else raise (no traversal)."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or "\\" in path or not pure.parts or path.startswith("~"):
        raise DataFileError(source, f"unsafe path {path!r}: must be relative and stay inside the data folder")
    return str(pure)


def load_manifest(path: str | os.PathLike[str] | None = None) -> Manifest:
    """Read and validate the manifest (``MLBASICS_MANIFEST`` or ``datasets/manifest.json``)."""
    source = Path(path or os.environ.get("MLBASICS_MANIFEST") or DEFAULT_MANIFEST)
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(source, "manifest not found (set MLBASICS_MANIFEST or run from a project checkout)") \
            from None
    except json.JSONDecodeError as exc:
        raise DataFileError(source, f"not valid JSON: {exc.msg}", line=exc.lineno) from None
    if raw.get("version") != 1 or not isinstance(raw.get("datasets"), dict):
        raise DataFileError(source, "expected {'version': 1, 'datasets': {...}}")
    datasets: dict[str, tuple[FileEntry, ...]] = {}
    for name, spec in raw["datasets"].items():
        entries = []
        for rel, item in spec.get("files", {}).items():
            sha = str(item.get("sha256", ""))
            if not _SHA256.match(sha):
                raise DataFileError(source, f"dataset {name!r}, file {rel!r}: sha256 must be 64 hex digits")
            if not str(item.get("url", "")).startswith("https://"):
                raise DataFileError(source, f"dataset {name!r}, file {rel!r}: url must start with https://")
            entries.append(FileEntry(check_relative_path(rel, source=str(source)), item["url"], sha))
        datasets[name] = tuple(entries)
    return Manifest(datasets, str(source))
