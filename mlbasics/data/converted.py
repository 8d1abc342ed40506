"""What every annotation reader returns: usable samples, the class names, and every record it skipped.

The readers (:mod:`~mlbasics.data.yolo_txt`, :mod:`~mlbasics.data.coco`, annotation lines, VOC) all
turn a format into :class:`~mlbasics.data.annotation_lines.Sample` objects: the image path and its
boxes ``(n, 5)`` = ``x_min, y_min, x_max, y_max, class_id`` in image pixels (floats: a normalised
YOLO box or a COCO box is not rounded until it is written as an annotation line). A bad record is a
:class:`~mlbasics.core.errors.DataFileError` naming the file, the line or field, and the reason;
the image it belongs to is left out (training on a photo with a box missing teaches the network
that the object is background), the others are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.data.annotation_lines import Sample


@dataclass
class Converted:
    """The samples read from one annotation source, its ``classes`` (index = class id) and ``problems``."""

    samples: list[Sample]
    classes: list[str]
    problems: list[DataFileError] = field(default_factory=list)

    @property
    def boxes(self) -> int:
        """How many boxes the usable samples hold."""
        return sum(len(s.boxes) for s in self.samples)

    def summary(self) -> str:
        """``"N usable image(s) with M box(es), K record(s) skipped"`` and one line per problem."""
        head = (f"{len(self.samples)} usable image(s) with {self.boxes} box(es), "
                f"{len(self.problems)} record(s) skipped")
        return "\n".join([head, *map(str, self.problems)])


def box_problem(box: Sequence[float], size: tuple[int, int]) -> str | None:
    """Why corner box ``(x_min, y_min, x_max, y_max)`` in pixels cannot be used in a ``(width, height)``
    image, or None: empty (width or height <= 0) or outside the image (half a pixel of rounding allowed)."""
    x0, y0, x1, y1 = (float(v) for v in box[:4])
    if not np.all(np.isfinite([x0, y0, x1, y1])):
        return "coordinates are not finite numbers"
    if x1 <= x0 or y1 <= y0:
        return f"box ({x0:g},{y0:g},{x1:g},{y1:g}) has width or height <= 0"
    if x0 < -0.5 or y0 < -0.5 or x1 > size[0] + 0.5 or y1 > size[1] + 0.5:
        return f"box ({x0:g},{y0:g},{x1:g},{y1:g}) is outside the {size[0]}x{size[1]} image"
    return None


def clip_to_image(boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Boxes ``(n, 5)`` with corners clipped to ``[0, width] x [0, height]`` (the half pixel
    :func:`box_problem` allows for rounding)."""
    boxes = np.array(boxes, dtype=np.float32).reshape(-1, 5)
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, size[0])
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, size[1])
    return boxes
