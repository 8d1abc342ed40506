"""Argument checks shared by every module: fail early, name the argument."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mlbasics.core.errors import InputError


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name} must be a positive integer, got {value!r} ({type(value).__name__})")
    if value <= 0:
        raise InputError(f"{name} must be a positive integer, got {value}")
    return int(value)


def check_positive_float(name: str, value: Any) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a positive number, got {value!r} ({type(value).__name__})")
    if not np.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a finite number > 0, got {value}")
    return float(value)


def check_array(
    name: str,
    value: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    dtype_kind: str | None = None,
    finite: bool = True,
    min_length: int = 1,
) -> np.ndarray:
    """Convert ``value`` to an array and check it, naming ``name`` in any error.

    ``shape`` may hold ``None`` for axes of any length; ``dtype_kind`` is a string of
    numpy kind letters that are allowed (``"f"`` float, ``"iu"`` integers, ``"b"`` bool).
    ``min_length`` is the smallest allowed length of the first axis (empty data is an error).
    """
    array = np.asarray(value)
    if array.dtype == object:
        raise InputError(f"{name} must be a numeric array, got ragged or non-numeric data")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            raise InputError(
                f"{name} must have {' or '.join(map(str, allowed))} dimension(s), "
                f"got shape {array.shape} ({array.ndim} dimension(s))"
            )
    if shape is not None:
        expected = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        if array.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, array.shape)):
            raise InputError(f"{name} must have shape {expected}, got {array.shape}")
    if array.ndim >= 1 and array.shape[0] < min_length:
        raise InputError(f"{name} is empty: need at least {min_length} item(s) along axis 0, got {array.shape[0]}")
    if dtype_kind is not None and array.dtype.kind not in dtype_kind:
        raise InputError(f"{name} must have a dtype of kind {dtype_kind!r}, got {array.dtype}")
    if finite and array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise InputError(f"{name} contains {bad} non-finite value(s) (NaN or inf)")
    return array


def check_same_length(names: Sequence[str], *arrays: np.ndarray) -> None:
    """Raise if the arrays do not all have the same length along axis 0."""
    lengths = [len(a) for a in arrays]
    if len(set(lengths)) > 1:
        pairs = ", ".join(f"{n}: {length}" for n, length in zip(names, lengths))
        raise InputError(f"{' and '.join(names)} must have the same number of samples, got {pairs}")


def check_image(name: str, image: object) -> np.ndarray:
    """Check an image array is ``(height, width, 3)`` ``uint8``; return it as an array."""
    return check_array(name, image, shape=(None, None, 3), dtype_kind="u")
