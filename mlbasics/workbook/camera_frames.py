"""Lesson 02's camera-frame pictures: one photo as a phone's 4:2:0 buffer, read right and read wrong."""

from __future__ import annotations

import numpy as np

from mlbasics.export.camera import BUFFER_PIPELINES, camera_buffer


def frame_views(photo: np.ndarray) -> dict[str, np.ndarray]:
    """``{title: RGB image}`` for ``photo`` ``(H, W, 3)`` uint8 (cropped to even sides) delivered as an
    iPhone-like NV12 buffer (:func:`mlbasics.export.camera.camera_buffer`: full range, BT.601, rows
    padded by 64 bytes, sensor turned 90°): read right, and with each mistake of
    :data:`mlbasics.export.camera.BUFFER_PIPELINES`, plus the raw bytes reshaped as if they were RGB."""
    photo = np.ascontiguousarray(photo[: photo.shape[0] // 2 * 2, : photo.shape[1] // 2 * 2])
    y, uv, width, height, _ = camera_buffer(photo)
    raw = np.concatenate([y, uv])
    rows = raw.size // (3 * width)  # the 1.5 bytes per pixel fill only half as many rows of RGB
    views = {"the photo": photo, "buffer bytes as RGB (bug)": raw[: rows * width * 3].reshape(rows, width, 3)}
    for name, step in BUFFER_PIPELINES.items():
        views[name] = step(photo[None])[0]
    return views
