"""A tiny photo set the data tests convert, break and report on: three images of different sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlbasics.data.annotation_lines import format_line, write_lines

CLASSES = ["cat", "dog", "bird"]
#: image name -> (width, height, boxes (n, 5) x_min, y_min, x_max, y_max, class_id in pixels)
PHOTOS = {
    "a.jpg": (64, 48, [[4, 6, 30, 40, 0], [32, 2, 63, 47, 2]]),
    "b.png": (40, 80, [[0, 0, 40, 80, 1]]),
    "c.jpg": (50, 50, []),
}


def photo(path: Path, width: int, height: int, seed: int = 0) -> Path:
    """A real image file of ``width`` x ``height`` with detail (noise), format from the suffix."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, **({"quality": 95} if path.suffix == ".jpg" else {}))
    return path


@pytest.fixture
def photos(tmp_path) -> Path:
    """``tmp_path/set``: the PHOTOS in ``images/``, ``train.txt`` annotation lines, ``classes.txt``."""
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    lines = []
    for seed, (name, (width, height, boxes)) in enumerate(PHOTOS.items()):
        photo(root / "images" / name, width, height, seed)
        lines.append(format_line(f"images/{name}", np.array(boxes, dtype=np.float32).reshape(-1, 5)))
    write_lines(root / "train.txt", lines)
    (root / "classes.txt").write_text("".join(f"{c}\n" for c in CLASSES))
    return root


def by_name(samples) -> dict[str, np.ndarray]:
    """Boxes ``(n, 5)`` of each sample by image file name."""
    return {s.image.name: np.asarray(s.boxes, dtype=np.float64).reshape(-1, 5) for s in samples}
