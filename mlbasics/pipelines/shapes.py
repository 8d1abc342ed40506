"""Synthetic coloured shapes: a small image set with known classes, made from a seed.

The embedding lesson needs images whose classes a picture makes obvious (circles,
squares, triangles, crosses) and a model that has learnt them. Shapes are drawn in a
random colour, size and place on a noisy background, so a model has to learn the
shape, not the colour.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mlbasics.io.images import save_image
from mlbasics.validation import check_positive_int

SHAPES = ("circle", "square", "triangle", "cross")


def draw_shape(shape: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One ``(size, size, 3)`` uint8 image of ``shape`` in a random colour, place and size."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
    background = rng.integers(0, 90, size=3)
    noise = rng.normal(0, 12, size=(size, size, 3))
    image = Image.fromarray(np.clip(background + noise, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    colour = tuple(int(c) for c in rng.integers(110, 256, size=3))
    half = rng.uniform(0.22, 0.4) * size
    cx, cy = rng.uniform(half, size - half, size=2)
    if shape == "circle":
        draw.ellipse((cx - half, cy - half, cx + half, cy + half), fill=colour)
    elif shape == "square":
        draw.rectangle((cx - half, cy - half, cx + half, cy + half), fill=colour)
    elif shape == "triangle":
        draw.polygon([(cx, cy - half), (cx - half, cy + half), (cx + half, cy + half)], fill=colour)
    else:
        arm = half / 3
        draw.rectangle((cx - half, cy - arm, cx + half, cy + arm), fill=colour)
        draw.rectangle((cx - arm, cy - half, cx + arm, cy + half), fill=colour)
    return np.asarray(image)


def make_shapes(count: int, size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` images, classes in turn: images ``(count, size, size, 3)`` uint8, labels ``(count,)`` int."""
    count = check_positive_int("count", count)
    size = check_positive_int("size", size)
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % len(SHAPES)
    images = np.stack([draw_shape(SHAPES[label], size, rng) for label in labels])
    return images, labels


def write_shape_folder(folder: str | os.PathLike[str], count: int, size: int = 64, seed: int = 0) -> list[Path]:
    """Write ``count`` shapes as JPEGs into ``folder/<shape>/<shape>_NNNN.jpg``; return the paths.

    The same arguments always give the same files, so writing again changes nothing.
    """
    images, labels = make_shapes(count, size, seed)
    paths = []
    for index, (image, label) in enumerate(zip(images, labels)):
        path = Path(folder) / SHAPES[label] / f"{SHAPES[label]}_{index:04d}.jpg"
        if not path.exists():
            save_image(image, path)
        paths.append(path)
    return paths
