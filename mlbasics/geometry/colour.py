"""Colour spaces: RGB and YUV (BT.601 full range, as JPEG uses)."""

from __future__ import annotations

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.core.validation import check_array

# ITU-R BT.601 (full range, as JPEG uses): Y in [0, 255], U and V centred on 128.
_RGB_TO_YUV = np.array(
    [
        [0.299, 0.587, 0.114],
        [-0.168736, -0.331264, 0.5],
        [0.5, -0.418688, -0.081312],
    ]
)
_YUV_TO_RGB = np.linalg.inv(_RGB_TO_YUV)
_UV_OFFSET = np.array([0.0, 128.0, 128.0])


def rgb_to_yuv(image: np.ndarray) -> np.ndarray:
    """RGB ``uint8`` ``(..., 3)`` -> YUV (BT.601 full range, U/V offset by 128) ``uint8`` ``(..., 3)``."""
    rgb = check_array("image", image, dtype_kind="u")
    if rgb.shape[-1:] != (3,):
        raise InputError(f"image must end in 3 channels (RGB), got shape {rgb.shape}")
    yuv = rgb.astype(np.float64) @ _RGB_TO_YUV.T + _UV_OFFSET
    return np.clip(np.rint(yuv), 0, 255).astype(np.uint8)


def yuv_to_rgb(image: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_yuv`: YUV ``uint8`` ``(..., 3)`` -> RGB ``uint8`` ``(..., 3)``."""
    yuv = check_array("image", image, dtype_kind="u")
    if yuv.shape[-1:] != (3,):
        raise InputError(f"image must end in 3 channels (YUV), got shape {yuv.shape}")
    rgb = (yuv.astype(np.float64) - _UV_OFFSET) @ _YUV_TO_RGB.T
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)
