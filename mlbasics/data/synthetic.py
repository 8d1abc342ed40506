"""The workbook's synthetic detection data: coloured shapes on noisy backgrounds, from a seed.

A *scene* holds one or more shapes (circle, square, triangle, cross) of varied size,
place and colour, on a background with a colour gradient and noise; each shape has a
tight box. The class is the shape, never the colour, so a model has to learn form.

* :func:`render_scene` draws one scene and returns its boxes;
* :func:`object_crops` cuts single-object images, for a classifier (lesson 05);
* :func:`write_object_crops` writes them as JPEGs, one folder per class (lesson 09's pipeline);
* :func:`write_voc_dataset` writes a whole set in Pascal VOC layout (lessons 06-08).

The same seed always gives the same pixels and boxes.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from mlbasics.core.errors import InputError
from mlbasics.core.seed import SEED
from mlbasics.core.validation import check_positive_int
from mlbasics.data.voc_xml import voc_objects, write_voc
from mlbasics.geometry.boxes import box_iou
from mlbasics.io.files import atomic_write, write_json

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")

#: Two shapes may overlap, but not more than this IoU, so every box still shows its object.
MAX_OVERLAP_IOU = 0.25


@dataclass(frozen=True)
class SceneStyle:
    """How scenes look: image size in pixels, objects per image, object size as a fraction of the side."""

    width: int = 192
    height: int = 192
    min_objects: int = 1
    max_objects: int = 4
    min_size: float = 0.12
    max_size: float = 0.5

    def __post_init__(self) -> None:
        check_positive_int("width", self.width)
        check_positive_int("height", self.height)
        check_positive_int("min_objects", self.min_objects)
        if self.max_objects < self.min_objects:
            raise InputError(f"max_objects ({self.max_objects}) must be >= min_objects ({self.min_objects})")
        if not 0 < self.min_size <= self.max_size <= 1:
            raise InputError(f"need 0 < min_size <= max_size <= 1, got {self.min_size}, {self.max_size}")


def _background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A random colour gradient with noise, ``(height, width, 3)`` float."""
    corners = rng.uniform(20, 200, size=(2, 3))
    if rng.random() < 0.5:
        ramp = np.linspace(0.0, 1.0, width)[None, :, None]
    else:
        ramp = np.linspace(0.0, 1.0, height)[:, None, None]
    base = corners[0] + (corners[1] - corners[0]) * ramp
    return np.broadcast_to(base, (height, width, 3)) + rng.normal(0, rng.uniform(4, 16), (height, width, 3))


def _draw(draw: ImageDraw.ImageDraw, shape: str, box: tuple[float, float, float, float],
          colour: tuple[int, ...]) -> None:
    x0, y0, x1, y1 = box
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    elif shape == "triangle":
        draw.polygon([((x0 + x1) / 2, y0), (x0, y1), (x1, y1)], fill=colour)
    else:
        arm_x, arm_y = (x1 - x0) / 6, (y1 - y0) / 6
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        draw.rectangle((x0, cy - arm_y, x1, cy + arm_y), fill=colour)
        draw.rectangle((cx - arm_x, y0, cx + arm_x, y1), fill=colour)


def render_scene(rng: np.random.Generator, style: SceneStyle = SceneStyle()) -> tuple[np.ndarray, np.ndarray]:
    """One scene: image ``(height, width, 3)`` ``uint8`` and boxes ``(n, 5)`` float32 =
    ``x_min, y_min, x_max, y_max, class_id`` in pixels (class ids index :data:`SHAPE_CLASSES`)."""
    background = _background(rng, style.width, style.height)
    image = Image.fromarray(np.clip(background, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    side = min(style.width, style.height)
    boxes: list[list[float]] = []
    wanted = int(rng.integers(style.min_objects, style.max_objects + 1))
    for _ in range(wanted * 10):  # placement tries; a crowded scene may end with fewer objects
        if len(boxes) == wanted:
            break
        w = int(rng.uniform(style.min_size, style.max_size) * side)
        h = int(np.clip(w * rng.uniform(0.75, 1.33), style.min_size * side, style.max_size * side))
        w, h = max(w, 4), max(h, 4)
        x0, y0 = int(rng.integers(0, style.width - w + 1)), int(rng.integers(0, style.height - h + 1))
        candidate = np.array([x0, y0, x0 + w, y0 + h], dtype=np.float64)
        if boxes and box_iou(candidate, np.array(boxes)[:, :4]).max() > MAX_OVERLAP_IOU:
            continue
        cls = int(rng.integers(len(SHAPE_CLASSES)))
        under = background[y0 : y0 + h, x0 : x0 + w].mean(axis=(0, 1))
        colour = rng.uniform(0, 255, 3)
        while np.abs(colour - under).sum() < 180:  # keep every shape visible against its background
            colour = rng.uniform(0, 255, 3)
        # PIL's box is inclusive of x1, y1: draw to x0 + w - 1 so the pixel box is exactly [x0, x0 + w).
        _draw(draw, SHAPE_CLASSES[cls], (x0, y0, x0 + w - 1, y0 + h - 1), tuple(int(c) for c in colour))
        boxes.append([x0, y0, x0 + w, y0 + h, cls])
    pixels = np.asarray(image, dtype=np.float64) + rng.normal(0, 4, (style.height, style.width, 3))
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8), np.array(boxes, dtype=np.float32).reshape(-1, 5)


def object_crops(count: int, size: int = 64, seed: int = SEED.default) -> tuple[np.ndarray, np.ndarray]:
    """``count`` single-object images for a classifier: images ``(count, size, size, 3)`` ``uint8``
    and labels ``(count,)`` int (index into :data:`SHAPE_CLASSES`), classes balanced in turn.

    They are scenes with one shape filling 35-90% of the side: the same drawing code as the
    detection scenes, so a network trained on them knows the detector's objects.
    """
    count = check_positive_int("count", count)
    style = SceneStyle(size, size, 1, 1, 0.35, 0.9)
    rng = np.random.default_rng(seed)
    images: list[np.ndarray] = []
    labels: list[int] = []
    while len(images) < count:
        image, boxes = render_scene(rng, style)
        if int(boxes[0, 4]) == len(images) % len(SHAPE_CLASSES):
            images.append(image)
            labels.append(int(boxes[0, 4]))
    return np.stack(images), np.array(labels)


def write_object_crops(folder: str | os.PathLike[str], count: int, size: int = 64, seed: int = SEED.default
                       ) -> list[Path]:
    """Write :func:`object_crops` as JPEGs ``folder/<class>/<class>_NNNN.jpg``; return the paths.

    The same arguments always give the same files; files already there are left as they are.
    """
    from mlbasics.io.images import save_image

    images, labels = object_crops(count, size, seed)
    paths = []
    for index, (image, label) in enumerate(zip(images, labels)):
        name = SHAPE_CLASSES[label]
        path = Path(folder) / name / f"{name}_{index:04d}.jpg"
        if not path.exists():
            save_image(image, path)
        paths.append(path)
    return paths


@dataclass(frozen=True)
class VocDataset:
    """Where a written VOC-layout set lives: its root, classes file and split names."""

    root: Path
    classes_file: Path
    splits: dict[str, int]

    def split_file(self, split: str) -> Path:
        """``ImageSets/Main/<split>.txt``: the image ids of ``split``."""
        if split not in self.splits:
            raise InputError(f"split must be one of {sorted(self.splits)}, got {split!r}")
        return self.root / "ImageSets" / "Main" / f"{split}.txt"


def write_voc_dataset(
    root: str | os.PathLike[str],
    splits: dict[str, int] | None = None,
    style: SceneStyle = SceneStyle(),
    seed: int = SEED.default,
) -> VocDataset:
    """Write scenes in Pascal VOC layout under ``root``; return where things are.

    Layout: ``JPEGImages/<id>.jpg``, ``Annotations/<id>.xml``, ``ImageSets/Main/<split>.txt``,
    ``classes.txt``, and ``dataset.json`` recording the arguments. Each split has its own
    seed, so ``val`` is the same images whatever size ``train`` has. Writing again with the
    same arguments changes nothing (it returns at once); every file is written atomically.
    """
    from mlbasics.io.images import save_image

    splits = dict(splits or {"train": 2000, "val": 200, "test": 200})
    for name, n in splits.items():
        check_positive_int(f"splits[{name!r}]", n)
    root = Path(root)
    dataset = VocDataset(root, root / "classes.txt", splits)
    record = {"splits": splits, "style": asdict(style), "seed": seed, "classes": list(SHAPE_CLASSES)}
    marker = root / "dataset.json"
    if marker.is_file():
        import json

        if json.loads(marker.read_text()) == record:
            return dataset
    for split, n in sorted(splits.items()):
        rng = np.random.default_rng([seed, zlib.crc32(split.encode())])
        ids = []
        for number in range(n):
            image_id = f"{split}_{number:05d}"
            image, boxes = render_scene(rng, style)
            save_image(image, root / "JPEGImages" / f"{image_id}.jpg", quality=92)
            write_voc(root / "Annotations" / f"{image_id}.xml", f"{image_id}.jpg", (style.width, style.height, 3),
                      voc_objects(boxes, SHAPE_CLASSES))
            ids.append(image_id)
        with atomic_write(dataset.split_file(split), "w") as handle:
            handle.write("\n".join(ids) + "\n")
    with atomic_write(dataset.classes_file, "w") as handle:
        handle.write("\n".join(SHAPE_CLASSES) + "\n")
    write_json(marker, record)
    return dataset
