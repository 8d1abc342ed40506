"""dlib's HOG face detector, kept as a file in the data cache: a fresh process loads it in milliseconds.

``dlib.get_frontal_face_detector()`` rebuilds the detector from text compiled into dlib, which took
0.44–0.64 s of every fresh process here (as long as loading the landmark and descriptor models
together); ``dlib.fhog_object_detector(path)`` reads the same detector, saved by dlib itself, in about
2 ms (``python -m benchmarks faces --only fresh``). The file is named after dlib's version (the
detector ships with dlib) and checked against the sha256 written next to it; a missing, damaged or
unreadable file is rebuilt from dlib, never trusted.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from mlbasics.data.cache import cache_dir
from mlbasics.io.files import atomic_path, atomic_write

FOLDER = "face-models"


def detector_path(folder: str | os.PathLike[str]) -> Path:
    """Where the detector of the installed dlib is kept in ``folder``."""
    import dlib

    return Path(folder) / f"frontal_face_detector-dlib-{dlib.__version__}.svm"


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _load_checked(path: Path) -> Any | None:
    """The detector saved at ``path`` if its bytes match the sha256 written with it, else ``None``."""
    import dlib

    try:
        expected = _checksum_path(path).read_text(encoding="ascii").strip()
        if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            return None
        return dlib.fhog_object_detector(str(path))
    except (OSError, UnicodeDecodeError, RuntimeError):  # dlib raises RuntimeError on a damaged file
        return None


def frontal_face_detector(folder: str | os.PathLike[str] | None = None) -> Any:
    """dlib's frontal face detector (HOG), read from ``folder`` (default: :data:`FOLDER` in the data cache)
    or built by dlib and saved there (atomically; a cache that cannot be written only costs time)."""
    import dlib

    try:
        path = detector_path(cache_dir() / FOLDER if folder is None else folder)
    except OSError:  # no data cache (an unwritable home)
        return dlib.get_frontal_face_detector()
    detector = _load_checked(path)
    if detector is not None:
        return detector
    detector = dlib.get_frontal_face_detector()
    try:
        with atomic_path(path) as staged:
            detector.save(str(staged))
        with atomic_write(_checksum_path(path), "w") as handle:  # written last: a file without it is not used
            handle.write(hashlib.sha256(path.read_bytes()).hexdigest() + "\n")
    except OSError:
        pass
    return detector
