"""Load a ``.keras`` model file safely, with errors that name the file.

Keras's own errors do not always say which file or what is wrong with it: a truncated or
corrupt archive is reported as "File not found", a zip that is not a Keras archive as
"There is no item named 'config.json'". The checks here run first and say so, naming the file.
Loading is always in safe mode: a model whose config would run Python code from the file
(a ``Lambda`` layer holding a lambda) is refused.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

from mlbasics.core.errors import DataFileError
from mlbasics.core.quiet import quiet_import
from mlbasics.io.paths import require_regular_file

#: The entry every ``.keras`` archive holds: the model's architecture.
CONFIG_ENTRY = "config.json"


def _not_an_archive(path: Path, why: str) -> DataFileError:
    return DataFileError(path, f"not a Keras model archive (.keras): {why}")


def check_keras_archive(path: str | os.PathLike[str]) -> Path:
    """``path`` as a ``Path`` if it is an existing ``.keras`` zip archive holding a ``config.json``;
    otherwise a :class:`DataFileError` naming the file and what is wrong with it."""
    path = Path(path)
    if path.suffix != ".keras":
        raise DataFileError(path, f"expected a .keras model file, got suffix {path.suffix!r}")
    if not path.is_file():
        reason = "no such file" if path.parent.is_dir() else f"folder {str(path.parent)!r} does not exist"
        raise DataFileError(path, reason)
    if not zipfile.is_zipfile(path):
        raise _not_an_archive(path, "it is not a zip file (corrupt or truncated?)")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise _not_an_archive(path, f"the zip cannot be read ({exc})") from None
    if CONFIG_ENTRY not in names:
        raise _not_an_archive(path, f"it holds no {CONFIG_ENTRY} (it has {sorted(names)[:5]})")
    return path


def load_keras_model(path: str | os.PathLike[str], *, compile: bool = False) -> Any:
    """Load the ``keras.Model`` saved at ``path`` (a ``.keras`` file) in safe mode.

    ``compile=False`` (the default) skips restoring the optimizer and loss: enough to predict,
    export or copy weights. Raises :class:`DataFileError` naming the file when it is missing,
    not a Keras archive (corrupt, truncated, another zip), refused by safe mode, or otherwise
    unloadable.
    """
    with quiet_import():
        import keras

    path = check_keras_archive(path)
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=compile)
    except Exception as exc:  # Keras raises ValueError, TypeError, KeyError, OSError, ...
        if "safe_mode" in str(exc):
            raise DataFileError(path, f"refused by safe mode: the model would run Python code from the file "
                                      f"(a Lambda layer?); rebuild it with standard layers ({exc})") from exc
        raise DataFileError(path, f"cannot load the Keras model ({type(exc).__name__}: {exc})") from exc


#: The first 8 bytes of every HDF5 file (Keras writes its superblock at offset 0).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def check_keras_weights(path: str | os.PathLike[str], *, missing: str = "no such weights file") -> Path:
    """``path`` as a ``Path`` if it is a regular file holding a complete HDF5 file (a ``.weights.h5``);
    otherwise a :class:`DataFileError` naming the file.

    h5py's own errors ("Unable to synchronously open file (file signature not found)") name neither
    the file nor what to do; a truncated copy (an interrupted download or upload) is found here too,
    because HDF5 records the file's length in its header.
    """
    import h5py

    path = Path(path)
    require_regular_file(path, missing=missing)
    with open(path, "rb") as handle:
        head = handle.read(len(HDF5_SIGNATURE))
    if head != HDF5_SIGNATURE:
        raise DataFileError(path, "not a Keras weights file (HDF5): it does not start with the HDF5 signature")
    try:
        with h5py.File(path, "r"):
            pass
    except OSError as exc:
        why = "it is truncated (cut short while copied?)" if "truncated" in str(exc) else str(exc)
        raise DataFileError(path, f"not a usable Keras weights file (HDF5): {why}") from None
    return path


def load_keras_weights(model: Any, path: str | os.PathLike[str], *, of: str = "the model",
                       missing: str = "no such weights file") -> None:
    """Load the ``.weights.h5`` at ``path`` into ``model``, checked by :func:`check_keras_weights` first.

    Weights saved from another architecture are a :class:`DataFileError` saying they do not fit
    ``of`` (e.g. ``"the model of final.config.json"``); any other failure names the file too.
    """
    path = check_keras_weights(path, missing=missing)
    try:
        model.load_weights(path)
    except ValueError as exc:
        raise DataFileError(path, f"weights do not fit {of} ({' '.join(str(exc).split())})") from None
    except Exception as exc:  # h5py raises OSError, KeyError, ... for a damaged file
        raise DataFileError(path, f"cannot load the Keras weights ({type(exc).__name__}: {exc})") from None
