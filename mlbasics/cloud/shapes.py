"""A small synthetic detection data set: one coloured rectangle per noisy image.

Colour decides the class (red, green, blue), so a model that is fed the wrong colour
space (YUV instead of RGB) visibly fails. Written as PNG images plus an annotation file
and a classes file, locally or to a bucket, so the trainer reads it like real data.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from mlbasics.cloud.annotations import format_line
from mlbasics.cloud.storage import PathLike, gs_atomic_write, join
from mlbasics.validation import check_positive_int

CLASSES = ("red", "green", "blue")
_COLOURS = np.array([[210, 40, 40], [40, 180, 60], [50, 70, 220]], dtype=np.float64)


def render_scene(rng: np.random.Generator, size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """One image ``(size, size, 3)`` ``uint8`` and its box ``(1, 5)`` = ``x_min, y_min, x_max, y_max, class_id``."""
    size = check_positive_int("size", size)
    background = rng.uniform(90, 170) + rng.normal(0, 18, (size, size, 3))
    cls = int(rng.integers(len(CLASSES)))
    width, height = (int(v) for v in rng.integers(size // 5, size // 2, 2))
    x0, y0 = int(rng.integers(0, size - width)), int(rng.integers(0, size - height))
    colour = _COLOURS[cls] + rng.normal(0, 12, 3)
    background[y0 : y0 + height, x0 : x0 + width] = colour + rng.normal(0, 8, (height, width, 3))
    image = np.clip(np.rint(background), 0, 255).astype(np.uint8)
    return image, np.array([[x0, y0, x0 + width, y0 + height, cls]], dtype=np.float32)


def make_scenes(count: int, size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` scenes: images ``(count, size, size, 3)`` ``uint8`` and boxes ``(count, 5)``."""
    rng = np.random.default_rng(seed)
    scenes = [render_scene(rng, size) for _ in range(check_positive_int("count", count))]
    return np.stack([s[0] for s in scenes]), np.concatenate([s[1] for s in scenes])


def write_dataset(folder: PathLike, count: int, size: int = 64, seed: int = 0) -> dict[str, str]:
    """Write ``count`` scenes as ``images/NNNNN.png`` with ``annotations.txt`` and ``classes.txt``
    under ``folder`` (local or ``gs://``). Returns the paths of the two text files."""
    images, boxes = make_scenes(count, size, seed)
    lines = []
    for index, (image, box) in enumerate(zip(images, boxes)):
        name = f"images/{index:05d}.png"
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")
        with gs_atomic_write(join(folder, name)) as handle:
            handle.write(buffer.getvalue())
        lines.append(format_line(name, box))
    paths = {"annotation_file": join(folder, "annotations.txt"), "classes_file": join(folder, "classes.txt")}
    with gs_atomic_write(paths["annotation_file"], "w") as handle:
        handle.write("\n".join(lines) + "\n")
    with gs_atomic_write(paths["classes_file"], "w") as handle:
        handle.write("\n".join(CLASSES) + "\n")
    return paths
