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

from mlbasics.core.batch import each_usable
from mlbasics.core.errors import DataFileError
from mlbasics.data.voc import read_voc_xml
from mlbasics.io.files import atomic_write
from mlbasics.io.paths import relative_path_problem
from mlbasics.io.text import read_text

if TYPE_CHECKING:
    from mlbasics.data.voc import VocAnnotation


@dataclass(frozen=True)
class Sample:
    """One usable image: its path and boxes ``(n, 5)`` = ``x_min, y_min, x_max, y_max, class_id``;
    ``size`` is the image's ``(width, height)`` when the image was checked, else None."""

    image: Path
    boxes: np.ndarray
    size: tuple[int, int] | None = None


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


def voc_to_lines(voc_root: str | os.PathLike[str], split: str, classes: Sequence[str], *,
                 skipped: list[DataFileError] | None = None) -> list[str]:
    """The keras-yolo3 ``voc_annotation`` step: one line per image id of ``ImageSets/Main/<split>.txt``,
    image paths relative to ``voc_root``.

    An annotation file that cannot be used (missing, not XML, a name not in ``classes``) is added to
    ``skipped`` and left out; without a ``skipped`` list it is raised. Images are not opened here
    (``validate_lines`` with ``decode_images=True`` finds broken ones).
    """
    root = Path(voc_root)
    ids_file = split_file(root, split)
    ids = image_ids(read_text(ids_file, missing=f"no split {split!r} in this VOC folder"), ids_file, skipped)
    return [voc_line(image_id, annotation) for image_id, annotation in
            each_usable(ids, lambda image_id: read_voc_xml(root / "Annotations" / f"{image_id}.xml", classes),
                        skipped)]


def image_ids(text: str, ids_file: str | os.PathLike[str], skipped: list[DataFileError] | None) -> list[str]:
    """The image ids of an ``ImageSets`` list (white-space separated words). An id that is absolute or has
    a ``..`` part would read an XML file and a photo from outside the VOC folder: it is added to
    ``skipped`` naming the list file and line (raised without a list), and the others go on."""
    ids = []
    for number, line in enumerate(text.splitlines(), start=1):
        for word in line.split():
            problem = relative_path_problem(word)
            if problem is None:
                ids.append(word)
                continue
            error = DataFileError(ids_file, f"image id {problem}", line=number)
            if skipped is None:
                raise error
            skipped.append(error)
    return ids


def split_file(voc_root: str | os.PathLike[str], split: str) -> Path:
    """The id list of ``split``: ``voc_root/ImageSets/Main/<split>.txt``."""
    return Path(voc_root, "ImageSets", "Main", f"{split}.txt")


def voc_line(image_id: str, annotation: VocAnnotation) -> str:
    """The annotation line of one VOC image, its path relative to the VOC root (``JPEGImages/...``)."""
    return format_line(f"JPEGImages/{annotation.filename or image_id + '.jpg'}", annotation.boxes)


def write_lines(path: str | os.PathLike[str], lines: Sequence[str]) -> Path:
    """Write annotation lines atomically; return the path."""
    with atomic_write(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return Path(path)


def _image_size(path: Path, decode: bool = False) -> tuple[int, int] | str:
    """``(width, height)`` (EXIF rotation applied), or the reason the image cannot be used.

    Only the header is read, unless ``decode``: then the whole image is decoded, which also finds a
    file truncated after its header.
    """
    from mlbasics.io.images import image_size, open_image

    try:
        if decode:
            return open_image(path).size
        return image_size(path, missing="image file not found")
    except DataFileError as exc:
        return "image file not found" if exc.reason == "no such image file" else exc.reason


def parse_line(text: str, num_classes: int, base: Path, *, check_images: bool = True,
               decode_images: bool = False) -> Sample:
    """Parse one line; raises ``ValueError`` with the reason when it is not usable.

    ``check_images`` reads the image's header (size, bounds); ``decode_images`` decodes it whole.
    """
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
        _check_box(number, box_text, (x0, y0, x1, y1, cls), num_classes)
        boxes.append((x0, y0, x1, y1, cls))
    size = None
    if check_images or decode_images:
        found = _image_size(image, decode_images)
        if isinstance(found, str):
            raise ValueError(f"{fields[0]}: {found}")
        size = found
        _check_bounds(boxes, size)
    return Sample(image, np.array(boxes, dtype=np.float32).reshape(-1, 5), size)


Box = tuple[int, int, int, int, int]


def _check_box(number: int, text: str, box: Box, num_classes: int) -> None:
    """Raise ``ValueError`` if box ``number`` (written ``text``) is empty or of a class outside the file's."""
    x0, y0, x1, y1, cls = box
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box {number} {text!r}: x_max <= x_min or y_max <= y_min (empty box)")
    if not 0 <= cls < num_classes:
        raise ValueError(f"box {number} {text!r}: class id {cls} is outside 0..{num_classes - 1} of the classes file")


def _check_bounds(boxes: Sequence[Box], size: tuple[int, int]) -> None:
    """Raise ``ValueError`` naming the first box outside an image of ``size`` = ``(width, height)``."""
    for number, (x0, y0, x1, y1, _) in enumerate(boxes, start=1):
        if x0 < 0 or y0 < 0 or x1 > size[0] or y1 > size[1]:
            raise ValueError(f"box {number} ({x0},{y0},{x1},{y1}) is outside the {size[0]}x{size[1]} image")


def _as_line(sample: Sample, num_classes: int) -> Sample:
    """``sample`` as :func:`parse_line` reads back the line :func:`format_line` writes for it: boxes in
    whole pixels, each checked, the image's header read unless ``sample.size`` is given. Raises
    ``ValueError`` with the reason when it is not usable."""
    boxes: list[Box] = [(int(round(x0)), int(round(y0)), int(round(x1)), int(round(y1)), int(round(cls)))
                        for x0, y0, x1, y1, cls in np.asarray(sample.boxes, dtype=np.float64).reshape(-1, 5)]
    for number, box in enumerate(boxes, start=1):
        _check_box(number, ",".join(map(str, box)), box, num_classes)
    size = sample.size
    if size is None:
        found = _image_size(Path(sample.image))
        if isinstance(found, str):
            raise ValueError(f"{sample.image}: {found}")
        size = found
    _check_bounds(boxes, size)
    return Sample(Path(sample.image), np.array(boxes, dtype=np.float32).reshape(-1, 5), size)


def check_samples(samples: Sequence[Sample], num_classes: int, source: str | os.PathLike[str]) -> ValidationReport:
    """What :func:`read_annotation_lines` gives for a file of :func:`format_line` lines of ``samples``, without
    the file: sample ``i`` stands for line ``i + 1`` of ``source`` (which problems name). Boxes are rounded
    to whole pixels; a sample with an empty box, a class outside ``0..num_classes - 1`` or a box outside
    its image (``size``, else the image's header) is a problem. An error when none is usable."""
    def check(numbered: tuple[int, Sample]) -> Sample:
        number, sample = numbered
        try:
            return _as_line(sample, num_classes)
        except ValueError as exc:
            raise DataFileError(source, str(exc), line=number) from None

    skipped: list[DataFileError] = []
    kept = [sample for _, sample in each_usable(list(enumerate(samples, start=1)), check, skipped)]
    report = ValidationReport(kept, [LineProblem(e.path, e.line or 0, e.reason) for e in skipped])
    if not report.samples:
        if not report.problems:
            raise DataFileError(source, "no annotation lines: no samples given")
        raise DataFileError(source, f"no usable annotation line; first problem: {report.problems[0]}")
    return report


def validate_lines(path: str | os.PathLike[str], num_classes: int, *, check_images: bool = True,
                   decode_images: bool = False) -> ValidationReport:
    """Parse an annotation file, keeping good lines as samples and recording each bad one.

    ``check_images`` also opens each image's header: missing files, folders, FIFOs, files that are
    not images or too large, and boxes outside the image are problems too. ``decode_images``
    decodes each image whole, which also finds files truncated after their header (slower).
    Blank lines are ignored. The file is read with :func:`mlbasics.io.text.read_text` (a byte order
    mark and ``\r\n`` line ends are fine; other encodings, folders and FIFOs are a
    ``DataFileError`` for the whole file).
    """
    path = Path(path)
    text = read_text(path, missing="no such annotation file")

    def parse(numbered: tuple[int, str]) -> Sample:
        number, line = numbered
        try:
            return parse_line(line, num_classes, path.parent, check_images=check_images, decode_images=decode_images)
        except ValueError as exc:
            raise DataFileError(path, str(exc), line=number) from None

    skipped: list[DataFileError] = []
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    samples = [sample for _, sample in each_usable(lines, parse, skipped)]
    return ValidationReport(samples, [LineProblem(e.path, e.line or 0, e.reason) for e in skipped])


def read_annotation_lines(
    path: str | os.PathLike[str], num_classes: int, *, check_images: bool = True, decode_images: bool = False
) -> ValidationReport:
    """:func:`validate_lines`, but an error when no line at all is usable (or the file has none)."""
    report = validate_lines(path, num_classes, check_images=check_images, decode_images=decode_images)
    if not report.samples:
        if not report.problems:
            raise DataFileError(path, "no annotation lines: the file is empty or blank")
        raise DataFileError(path, f"no usable annotation line; first problem: {report.problems[0]}")
    return report
