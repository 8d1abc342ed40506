"""Lesson 02's tensors and shapes: rank, axes, images as arrays, batches, layouts, input checks.

Letterboxing and colour spaces, which the detector uses too, live in :mod:`mlbasics.geometry`.

Conventions used across the workbook:

* an image is ``(height, width, 3)`` ``uint8`` RGB (channels-last);
* a batch of images is ``(batch, height, width, 3)``;
* a network input is ``float32`` in ``[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.core.validation import check_array, check_image
from mlbasics.geometry.colour import rgb_to_yuv

#: The name of each rank, as the lesson's table shows it.
RANK_NAMES = {0: "scalar", 1: "vector", 2: "matrix", 3: "3-tensor"}

#: Axis meanings of common layouts, by name.
LAYOUTS = {
    "HWC": ("height", "width", "channels"),
    "CHW": ("channels", "height", "width"),
    "NHWC": ("batch", "height", "width", "channels"),
    "NCHW": ("batch", "channels", "height", "width"),
}


@dataclass(frozen=True)
class TensorInfo:
    """Rank, shape, dtype and axis meanings of an array."""

    rank: int
    rank_name: str
    shape: tuple[int, ...]
    dtype: str
    axes: tuple[str, ...]
    size: int

    def __str__(self) -> str:
        dims = ", ".join(f"{name}={n}" for name, n in zip(self.axes, self.shape))
        return f"{self.rank_name} (rank {self.rank}), shape {list(self.shape)} [{dims}], dtype {self.dtype}"


def describe(value: object, layout: str | Sequence[str] | None = None) -> TensorInfo:
    """Describe ``value``'s rank, shape, dtype and what each axis means.

    ``layout`` names the axes: a key of :data:`LAYOUTS` (``"NHWC"``) or one name per
    axis. Without it, axes are called ``D0, D1, ...``.
    """
    array = np.asarray(value)
    if layout is None:
        axes = tuple(f"D{i}" for i in range(array.ndim))
    else:
        axes = LAYOUTS[layout] if isinstance(layout, str) and layout in LAYOUTS else tuple(layout)
        if len(axes) != array.ndim:
            raise InputError(f"layout {layout!r} names {len(axes)} axes but the array has rank {array.ndim}")
    return TensorInfo(
        rank=array.ndim,
        rank_name=RANK_NAMES.get(array.ndim, f"{array.ndim}-tensor"),
        shape=tuple(array.shape),
        dtype=str(array.dtype),
        axes=axes,
        size=int(array.size),
    )


def rank_table(max_rank: int = 4) -> list[tuple[int, str, str]]:
    """Rows ``(rank, name, shape pattern)``: ``(0, "scalar", "[]")``, ``(1, "vector", "[D0]")``, ..."""
    return [
        (r, RANK_NAMES.get(r, f"{r}-tensor"), "[" + ", ".join(f"D{i}" for i in range(r)) + "]")
        for r in range(max_rank + 1)
    ]


def four_pixel_image() -> np.ndarray:
    """The lesson's 2x2 image: green, black / blue, red. Shape ``(2, 2, 3)`` (height, width, RGB), ``uint8``."""
    return np.array(
        [[[0, 255, 0], [0, 0, 0]], [[0, 0, 255], [255, 0, 0]]],
        dtype=np.uint8,
    )


def to_float(image: np.ndarray) -> np.ndarray:
    """``uint8`` in ``[0, 255]`` -> ``float32`` in ``[0, 1]``, any shape."""
    return check_array("image", image, dtype_kind="u").astype(np.float32) / 255.0


def to_uint8(image: np.ndarray) -> np.ndarray:
    """``float`` in ``[0, 1]`` -> ``uint8`` in ``[0, 255]`` (rounded, clipped), any shape."""
    array = check_array("image", image, dtype_kind="f")
    return np.clip(np.rint(array * 255.0), 0, 255).astype(np.uint8)


def add_batch_axis(x: np.ndarray) -> np.ndarray:
    """``(height, width, channels)`` -> ``(1, height, width, channels)``."""
    return np.expand_dims(np.asarray(x), 0)


def remove_batch_axis(x: np.ndarray) -> np.ndarray:
    """``(1, ...)`` -> ``(...)``; raises if the batch holds more than one item."""
    array = np.asarray(x)
    if array.ndim == 0 or array.shape[0] != 1:
        raise InputError(f"x must have a batch axis of length 1 to remove, got shape {array.shape}")
    return array[0]


def to_channels_first(x: np.ndarray) -> np.ndarray:
    """``(..., height, width, channels)`` -> ``(..., channels, height, width)`` (HWC -> CHW, NHWC -> NCHW)."""
    array = check_array("x", x, ndim=(3, 4))
    return np.moveaxis(array, -1, -3)


def to_channels_last(x: np.ndarray) -> np.ndarray:
    """``(..., channels, height, width)`` -> ``(..., height, width, channels)``."""
    array = check_array("x", x, ndim=(3, 4))
    return np.moveaxis(array, -3, -1)


@dataclass(frozen=True)
class InputSpec:
    """What a model expects: a shape (``None`` = any length), a dtype and a value range."""

    shape: tuple[int | None, ...]
    dtype: str = "float32"
    value_range: tuple[float, float] = (0.0, 1.0)


def check_input(x: object, spec: InputSpec, name: str = "input") -> np.ndarray:
    """Raise :class:`InputError` naming expected vs. actual shape, dtype or range; else return ``x``.

    Nothing is coerced: a ``uint8`` image given to a ``float32`` model is an error,
    because silently rescaling (or not) is how "the model sees garbage" bugs start.
    """
    array = np.asarray(x)
    expected_shape = "(" + ", ".join("any" if s is None else str(s) for s in spec.shape) + ")"
    if array.ndim != len(spec.shape) or any(s is not None and s != a for s, a in zip(spec.shape, array.shape)):
        raise InputError(f"{name}: expected shape {expected_shape}, got {tuple(array.shape)}")
    if str(array.dtype) != spec.dtype:
        raise InputError(f"{name}: expected dtype {spec.dtype}, got {array.dtype}")
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise InputError(f"{name}: contains NaN or inf values")
    low, high = spec.value_range
    if array.size and (array.min() < low or array.max() > high):
        raise InputError(
            f"{name}: expected values in [{low}, {high}], got [{array.min():.4g}, {array.max():.4g}]"
            + (" (did you forget to divide by 255?)" if array.max() > 1.0 and high <= 1.0 else "")
        )
    return array


def yuv_misread(image: np.ndarray) -> np.ndarray:
    """What an RGB network "sees" when fed a YUV frame: the YUV bytes read as if they were RGB.

    Shape ``(height, width, 3)`` ``uint8``; brightness lands in the red channel and the
    colours shift, so the picture looks tinted and washed out.
    """
    return rgb_to_yuv(check_image("image", image))
