"""Annotation files in the keras-yolo3 line format the detector track also reads.

One line per image: ``image_path x_min,y_min,x_max,y_max,class_id [more boxes...]``, with
pixel coordinates and ``image_path`` either absolute (local path or ``gs://``) or
relative to the annotation file's folder. A classes file has one class name per line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlbasics.cloud.storage import PathLike, gs_read_text, is_gcs, join
from mlbasics.errors import DataFileError


@dataclass(frozen=True)
class Annotation:
    """One image and its boxes: ``boxes`` has shape ``(n, 5)`` = ``x_min, y_min, x_max, y_max, class_id``."""

    image: str
    boxes: np.ndarray


def _parent(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else "."


def resolve(base_file: PathLike, relative: str) -> str:
    """``relative`` as seen from the folder of ``base_file`` (absolute paths and URLs unchanged)."""
    if is_gcs(relative) or relative.startswith("/"):
        return relative
    return join(_parent(str(base_file)), relative)


def parse_box(text: str, num_classes: int) -> list[float]:
    """``"x_min,y_min,x_max,y_max,class_id"`` -> 5 numbers; raises ``ValueError`` saying what is wrong."""
    parts = text.split(",")
    if len(parts) != 5:
        raise ValueError(f"box {text!r} must have 5 comma-separated numbers x_min,y_min,x_max,y_max,class_id")
    try:
        x0, y0, x1, y1 = (float(p) for p in parts[:4])
        cls = int(parts[4])
    except ValueError:
        raise ValueError(f"box {text!r} has a value that is not a number") from None
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"box {text!r} has x_max <= x_min or y_max <= y_min")
    if not 0 <= cls < num_classes:
        raise ValueError(f"box {text!r} has class id {cls}, outside 0..{num_classes - 1} of the classes file")
    return [x0, y0, x1, y1, float(cls)]


def read_annotations(path: PathLike, num_classes: int) -> list[Annotation]:
    """Parse an annotation file; a malformed line is a :class:`DataFileError` naming the line."""
    annotations = []
    for number, line in enumerate(gs_read_text(path).splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            boxes = np.array([parse_box(f, num_classes) for f in fields[1:]], dtype=np.float32).reshape(-1, 5)
        except ValueError as exc:
            raise DataFileError(path, str(exc), line=number) from None
        annotations.append(Annotation(resolve(path, fields[0]), boxes))
    if not annotations:
        raise DataFileError(path, "annotation file has no lines")
    return annotations


def read_classes(path: PathLike) -> list[str]:
    """Class names, one per non-empty line."""
    names = [line.strip() for line in gs_read_text(path).splitlines() if line.strip()]
    if not names:
        raise DataFileError(path, "classes file is empty: write one class name per line")
    if len(set(names)) != len(names):
        raise DataFileError(path, "classes file lists a class name twice")
    return names


def format_line(image: str, boxes: np.ndarray) -> str:
    """Inverse of one parsed line: ``image x_min,y_min,x_max,y_max,class_id ...``."""
    fields = [image] + [",".join(str(int(round(v))) for v in box) for box in np.asarray(boxes).reshape(-1, 5)]
    return " ".join(fields)
