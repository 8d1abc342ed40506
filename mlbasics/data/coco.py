"""COCO detection JSON (``instances_*.json``): read it into samples, write samples back.

The parts used::

    {"images":      [{"id": 7, "file_name": "x.jpg", "width": 640, "height": 480}, ...],
     "annotations": [{"id": 1, "image_id": 7, "category_id": 18, "bbox": [x, y, w, h], "iscrowd": 0}, ...],
     "categories":  [{"id": 18, "name": "dog"}, ...]}

``bbox`` is the top-left corner, width and height in image pixels (floats). Category ids need not be
``0..n-1`` (COCO's own run 1..90 with gaps): class ids are the categories sorted by id, so
``classes[i]`` is the ``i``-th category. Crowd regions (``iscrowd: 1``) are not single objects and
are left out by default. An image without annotations is a photo with no boxes.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.batch import require_usable
from mlbasics.core.errors import DataFileError
from mlbasics.data.annotation_lines import Sample
from mlbasics.data.converted import Converted, box_problem, clip_to_image
from mlbasics.io.files import write_json
from mlbasics.io.paths import inside
from mlbasics.io.text import parse_json, read_text

#: Largest image side (pixels) a COCO entry may state: far beyond any photo, small enough that ``1e999``
#: (read as infinity) or a 400-digit number is named instead of overflowing.
MAX_SIDE = 1_000_000


def read_coco_json(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The top-level mapping of a COCO file, with ``images``, ``annotations`` and ``categories`` lists."""
    data = parse_json(read_text(path, missing="no such COCO file"), path)
    if not isinstance(data, dict):
        raise DataFileError(path, "expected a JSON object with images/annotations/categories, "
                                  f"got {type(data).__name__}")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise DataFileError(path, f"{key}: expected a list, got {type(data.get(key)).__name__}")
    return data


def _id(value: Any) -> int | str | None:
    """``value`` when it can be an id (an integer or text), else None: a list or object as an id is a bad record."""
    return value if isinstance(value, (int, str)) and not isinstance(value, bool) else None


def coco_classes(data: dict[str, Any], path: str | os.PathLike[str]) -> tuple[list[str], dict[Any, int]]:
    """``(classes, class_of)``: names sorted by category id, and category id -> class id."""
    categories = []
    for index, category in enumerate(data["categories"]):
        usable = isinstance(category, dict) and _id(category.get("id")) is not None
        if not usable or not isinstance(category.get("name"), str):
            raise DataFileError(path, f"categories[{index}]: expected {{'id': ..., 'name': '...'}}, got {category!r}")
        categories.append((category["id"], category["name"]))
    if not categories:
        raise DataFileError(path, "categories: the list is empty")
    ids = [c for c, _ in categories]
    if len(set(ids)) != len(ids) or len({n for _, n in categories}) != len(categories):
        raise DataFileError(path, "categories: an id or a name is listed twice")
    categories.sort(key=lambda c: (str(type(c[0])), c[0]))
    return [n for _, n in categories], {c: i for i, (c, _) in enumerate(categories)}


def _image_entry(entry: Any, index: int, path: str) -> tuple[Any, str, tuple[int, int]]:
    """``(id, file_name, (width, height))`` of ``images[index]``; ``DataFileError`` naming the field."""
    where = f"images[{index}]"
    if not isinstance(entry, dict) or _id(entry.get("id")) is None:
        raise DataFileError(path, f"{where}: expected an object with an 'id' (a number or text)")
    name = entry.get("file_name")
    if not isinstance(name, str) or not name:
        raise DataFileError(path, f"{where} (id {entry['id']}).file_name: missing or not text")
    width: Any = entry.get("width")
    height: Any = entry.get("height")
    # 1e999 parses as inf and int(inf) overflows: a side must be a finite number of pixels
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= MAX_SIDE
               for v in (width, height)):
        raise DataFileError(path, f"{where} (id {entry['id']}, {name}): width/height must be numbers > 0 "
                                  f"(and at most {MAX_SIDE:,} pixels), got {width!r}x{height!r}")
    return entry["id"], name, (int(width), int(height))


def _box(annotation: Any, index: int, class_of: dict[Any, int], path: str) -> tuple[float, ...]:
    """``(x_min, y_min, x_max, y_max, class_id)`` of ``annotations[index]``; ``DataFileError`` naming the field."""
    where = f"annotations[{index}] (id {annotation.get('id')})"
    if _id(annotation.get("category_id")) not in class_of:
        raise DataFileError(path, f"{where}.category_id: {annotation.get('category_id')!r} is not a category id")
    bbox = annotation.get("bbox")
    if (not isinstance(bbox, list) or len(bbox) != 4
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox)):
        raise DataFileError(path, f"{where}.bbox: expected [x, y, width, height] numbers, got {bbox!r}")
    try:
        x, y, w, h = (float(v) for v in bbox)
    except OverflowError:  # an integer with hundreds of digits
        raise DataFileError(path, f"{where}.bbox: numbers too large to be pixels") from None
    return x, y, x + w, y + h, class_of[annotation["category_id"]]


def _resolve_image(images_dir: Path, name: str, path: str) -> Path:
    return inside(images_dir, name, source=path)


def read_coco(path: str | os.PathLike[str], images_dir: str | os.PathLike[str] | None = None, *,
              skip_crowd: bool = True, check_images: bool = True) -> Converted:
    """Read a COCO detection file into samples (boxes in pixels, class ids by sorted category id).

    ``images_dir`` holds the ``file_name`` s (default: the JSON file's folder). Each unusable record
    is a problem naming the file and field (``annotations[12] (id 40).bbox: ...``), and the image it
    belongs to is skipped: an unknown ``image_id`` or ``category_id``, a bbox that is not 4 numbers,
    has width or height <= 0 or leaves the image, an image entry without a name or a size > 0, and
    (with ``check_images``, reading each header) a missing or unreadable image or one whose size is
    not the size the file states. A file that is not COCO JSON raises ``DataFileError``.
    """
    name = os.fspath(path)
    data = read_coco_json(path)
    classes, class_of = coco_classes(data, name)
    folder = Path(images_dir) if images_dir is not None else Path(name).parent
    problems: list[DataFileError] = []
    entries: dict[Any, tuple[int, str, tuple[int, int]]] = {}
    rejected = set()  # ids of image entries already named as problems: their annotations go with them
    for index, entry in enumerate(data["images"]):
        try:
            image_id, file_name, size = _image_entry(entry, index, name)
        except DataFileError as exc:
            problems.append(exc)
            if isinstance(entry, dict) and _id(entry.get("id")) is not None:
                rejected.add(entry["id"])
            continue
        if image_id in entries:
            problems.append(DataFileError(name, f"images[{index}].id: {image_id!r} is used twice"))
            continue
        entries[image_id] = (index, file_name, size)
    boxes: dict[Any, list[tuple[float, ...]]] = {image_id: [] for image_id in entries}
    bad: dict[Any, DataFileError] = {}
    for index, annotation in enumerate(data["annotations"]):
        if not isinstance(annotation, dict):
            problems.append(DataFileError(name, f"annotations[{index}]: expected an object"))
            continue
        image_id = _id(annotation.get("image_id"))
        if image_id in rejected and image_id not in entries:
            continue
        if image_id not in entries:
            problems.append(DataFileError(name, f"annotations[{index}] (id {annotation.get('id')}).image_id: "
                                                f"{image_id!r} is not an image id"))
            continue
        if skip_crowd and annotation.get("iscrowd") in (1, True):
            continue
        try:
            box = _box(annotation, index, class_of, name)
            reason = box_problem(box, entries[image_id][2])
            if reason:
                raise DataFileError(name, f"annotations[{index}] (id {annotation.get('id')}).bbox: {reason}")
        except DataFileError as exc:
            bad.setdefault(image_id, exc)
            continue
        boxes[image_id].append(box)
    samples = []
    for image_id, (index, file_name, size) in entries.items():
        if image_id in bad:
            problems.append(bad[image_id])
            continue
        try:
            sample = _sample(folder, file_name, size, boxes[image_id], name, index, check_images)
        except DataFileError as exc:
            problems.append(exc)
            continue
        samples.append(sample)
    require_usable(len(samples), problems, where=name, what="image")
    return Converted(samples, classes, problems)


def _sample(folder: Path, file_name: str, size: tuple[int, int], boxes: list[tuple[float, ...]], path: str,
            index: int, check_images: bool) -> Sample:
    from mlbasics.io.images import image_size

    image = _resolve_image(folder, file_name, path)
    if check_images:
        actual = image_size(image, missing="no such image file")
        if actual != size:
            hint = " upright (EXIF-rotated: boxes drawn on the stored pixels?)" if actual == size[::-1] else ""
            raise DataFileError(path, f"images[{index}] ({file_name}): the file says {size[0]}x{size[1]}, "
                                      f"the image is {actual[0]}x{actual[1]}{hint}")
    return Sample(image, clip_to_image(np.array(boxes, dtype=np.float32), size), size)


def coco_data(samples: Sequence[Sample], classes: Sequence[str], images_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The COCO mapping of ``samples``: image ids ``1..n``, category ids ``1..len(classes)`` (COCO's
    convention), ``file_name`` relative to ``images_dir``, boxes as ``[x, y, w, h]`` with their ``area``."""
    from mlbasics.io.images import image_size

    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    for image_id, sample in enumerate(samples, start=1):
        width, height = sample.size or image_size(sample.image, missing="no such image file")
        file_name = Path(os.path.relpath(sample.image, images_dir)).as_posix()
        if file_name.startswith("../"):
            raise DataFileError(sample.image, f"is not inside the images folder {images_dir}: write the COCO file "
                                              "in a folder above the images, or name their folder (images_dir)")
        images.append({"id": image_id, "file_name": file_name, "width": width, "height": height})
        for x0, y0, x1, y1, class_id in np.asarray(sample.boxes, dtype=np.float64).reshape(-1, 5):
            w, h = x1 - x0, y1 - y0
            annotations.append({"id": len(annotations) + 1, "image_id": image_id, "category_id": int(class_id) + 1,
                                "bbox": [round(v, 3) for v in (x0, y0, w, h)], "area": round(w * h, 3),
                                "iscrowd": 0})
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(classes)]
    return {"images": images, "annotations": annotations, "categories": categories}


def write_coco(samples: Sequence[Sample], classes: Sequence[str], path: str | os.PathLike[str],
               images_dir: str | os.PathLike[str] | None = None) -> Path:
    """Write ``samples`` as a COCO JSON file atomically (``file_name`` relative to ``images_dir``,
    default the file's folder); return the path."""
    folder = images_dir if images_dir is not None else Path(path).parent
    write_json(path, coco_data(samples, classes, folder))
    return Path(path)
