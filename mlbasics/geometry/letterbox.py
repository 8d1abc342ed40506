"""Letterboxing: fit an image into a square without distorting it, and map boxes in and out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from mlbasics.core.validation import check_image, check_positive_int


@dataclass(frozen=True)
class Letterbox:
    """How an image was placed in a square: ``scale`` then offset by ``(pad_x, pad_y)`` pixels."""

    scale: float
    pad_x: int
    pad_y: int

    def boxes_to_input(self, boxes: np.ndarray) -> np.ndarray:
        """Map ``(n, 4)`` boxes ``x_min, y_min, x_max, y_max`` from the original image into the square."""
        boxes = np.asarray(boxes, dtype=np.float64) * self.scale
        return boxes + np.array([self.pad_x, self.pad_y, self.pad_x, self.pad_y])

    def boxes_to_original(self, boxes: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`boxes_to_input`."""
        boxes = np.asarray(boxes, dtype=np.float64) - np.array([self.pad_x, self.pad_y, self.pad_x, self.pad_y])
        return boxes / self.scale


def letterbox_scale(image_size: tuple[int, int], size: int) -> float:
    """The factor a ``(width, height)`` image is resized by to fit a ``size x size`` square, aspect kept."""
    width, height = image_size
    return min(size / width, size / height)


def letterbox(image: np.ndarray, size: int = 416, fill: int = 128) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio and pad to ``(size, size, 3)`` with grey ``fill``.

    Returns the square ``uint8`` image and the :class:`Letterbox` that maps boxes in and out.
    A network for 416x416 input sees the whole picture, undistorted.
    """
    image = check_image("image", image)
    size = check_positive_int("size", size)
    height, width = image.shape[:2]
    scale = letterbox_scale((width, height), size)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    resized = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.Resampling.BICUBIC))
    canvas = np.full((size, size, 3), fill, dtype=np.uint8)
    pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    return canvas, Letterbox(scale, pad_x, pad_y)
