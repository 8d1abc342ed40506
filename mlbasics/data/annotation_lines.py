"""Annotation lines (the keras-yolo3 format): convert from VOC, parse, and validate every line.

One line per image::

    path/to/image.jpg x_min,y_min,x_max,y_max,class_id x_min,y_min,x_max,y_max,class_id ...

Integer pixel coordinates, ``x_max > x_min``, ``y_max > y_min``, class ids index the classes
file (one name per line). A relative image path is relative to the annotation file's folder.

:func:`validate_lines` checks every line and reports *every* problem with its line number and
reason, so one bad line in a thousand is skipped and named, never trained on, never fatal.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.io.text import read_text

if TYPE_CHECKING:
    from mlbasics.data.voc import VocAnnotation


@dataclass(frozen=True)
class Sample:
    """One usable image: its path and boxes ``(n, 5)`` = ``x_min, y_min, x_max, y_max, class_id``."""

    image: Path
    boxes: np.ndarray


@dataclass(frozen=True)
class LineProblem:
    """Why line ``line`` of ``path`` was skipped."""

    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass
class ValidationReport:
    """The usable samples of an annotation file and every problem found, in line order."""

    samples: list[Sample] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no line had a problem."""
        return not self.problems

    def summary(self) -> str:
        """``"N usable images, M lines skipped"`` followed by one line per problem."""
        head = f"{len(self.samples)} usable image(s), {len(self.problems)} line(s) skipped"
        return "\n".join([head, *map(str, self.problems)])


def read_classes(path: str | os.PathLike[str]) -> list[str]:
    """Class names, one per non-empty line; empty files and repeated names are errors.

    Read with :func:`mlbasics.io.text.read_text`: a byte order mark or ``\\r\\n`` line ends are fine.
    """
    return classes_from_text(read_text(path, missing="no such classes file"), path)


def classes_from_text(text: str, path: str | os.PathLike[str]) -> list[str]:
    """:func:`read_classes` of a classes file's ``text`` already read from ``path`` (e.g. from a bucket)."""
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise DataFileError(path, "classes file is empty: write one class name per line")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataFileError(path, f"classes file lists {repeated} more than once")
    return names


def format_line(image: str, boxes: np.ndarray) -> str:
    """``image x_min,y_min,x_max,y_max,class_id ...`` for boxes ``(n, 5)``."""
    fields = [image] + [",".join(str(int(round(v))) for v in box) for box in np.asarray(boxes).reshape(-1, 5)]
    return " ".join(fields)


def voc_to_lines(voc_root: str | os.PathLike[str], split: str, classes: Sequence[str]) -> list[str]:
    """The keras-yolo3 ``voc_annotation`` step: one line per image id of ``ImageSets/Main/<split>.txt``,
    image paths relative to ``voc_root``."""
    from mlbasics.data.voc import read_voc_xml

    root = Path(voc_root)
    ids_file = root / "ImageSets" / "Main" / f"{split}.txt"
    ids = read_text(ids_file, missing=f"no split {split!r} in this VOC folder").split()
    return [voc_line(image_id, read_voc_xml(root / "Annotations" / f"{image_id}.xml", classes)) for image_id in ids]


def voc_line(image_id: str, annotation: VocAnnotation) -> str:
    """The annotation line of one VOC image, its path relative to the VOC root (``JPEGImages/...``)."""
    return format_line(f"JPEGImages/{annotation.filename or image_id + '.jpg'}", annotation.boxes)


def write_lines(path: str | os.PathLike[str], lines: Sequence[str]) -> Path:
    """Write annotation lines atomically; return the path."""
    from mlbasics.io.files import atomic_write

    with atomic_write(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return Path(path)


def _image_size(path: Path) -> tuple[int, int] | str:
    """``(width, height)`` from the image header (EXIF rotation applied), or the reason it cannot be read."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        return "image file not found"
    try:
        with Image.open(path) as image:
            width, height = image.size
            orientation = image.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        return f"image cannot be read ({type(exc).__name__})"
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def parse_line(text: str, num_classes: int, base: Path, *, check_images: bool = True) -> Sample:
    """Parse one line; raises ``ValueError`` with the reason when it is not usable."""
    fields = text.split()
    image = Path(fields[0]) if Path(fields[0]).is_absolute() else base / fields[0]
    boxes = []
    for number, box_text in enumerate(fields[1:], start=1):
        parts = box_text.split(",")
        if len(parts) != 5:
            raise ValueError(f"box {number} {box_text!r}: expected 5 fields x_min,y_min,x_max,y_max,class_id, "
                             f"got {len(parts)}")
        try:
            x0, y0, x1, y1, cls = (int(p) for p in parts)
        except ValueError:
            raise ValueError(f"box {number} {box_text!r}: fields must be integers") from None
        if x1 <= x0 or y1 <= y0:
            raise ValueError(f"box {number} {box_text!r}: x_max <= x_min or y_max <= y_min (empty box)")
        if not 0 <= cls < num_classes:
            raise ValueError(f"box {number} {box_text!r}: class id {cls} is outside 0..{num_classes - 1} "
                             "of the classes file")
        boxes.append((x0, y0, x1, y1, cls))
    if check_images:
        size = _image_size(image)
        if isinstance(size, str):
            raise ValueError(f"{fields[0]}: {size}")
        for number, (x0, y0, x1, y1, _) in enumerate(boxes, start=1):
            if x0 < 0 or y0 < 0 or x1 > size[0] or y1 > size[1]:
                raise ValueError(f"box {number} ({x0},{y0},{x1},{y1}) is outside the {size[0]}x{size[1]} image")
    return Sample(image, np.array(boxes, dtype=np.float32).reshape(-1, 5))


def validate_lines(path: str | os.PathLike[str], num_classes: int, *, check_images: bool = True) -> ValidationReport:
    """Parse an annotation file, keeping good lines as samples and recording each bad one.

    ``check_images`` also opens each image's header: missing or unreadable files and boxes
    outside the image are problems too. Blank lines are ignored. The file is read with
    :func:`mlbasics.io.text.read_text` (a byte order mark and ``\\r\\n`` line ends are fine; other
    encodings, folders and FIFOs are a ``DataFileError`` for the whole file).
    """
    path = Path(path)
    text = read_text(path, missing="no such annotation file")
    report = ValidationReport()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            report.samples.append(parse_line(line, num_classes, path.parent, check_images=check_images))
        except ValueError as exc:
            report.problems.append(LineProblem(str(path), number, str(exc)))
    return report


def read_annotation_lines(
    path: str | os.PathLike[str], num_classes: int, *, check_images: bool = True
) -> ValidationReport:
    """:func:`validate_lines`, but an error when no line at all is usable."""
    report = validate_lines(path, num_classes, check_images=check_images)
    if not report.samples:
        first = f"; first problem: {report.problems[0]}" if report.problems else ""
        raise DataFileError(path, f"no usable annotation line{first}")
    return report
