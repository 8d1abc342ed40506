"""dlib's imglab XML (``<image file=...><box top left width height/>``), e.g. its face-box sets.

Read with defusedxml and turned into the same boxes as everything else, so a real photo
set can be drawn, converted to annotation lines and validated like the synthetic one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.data.annotation_lines import Sample
from mlbasics.data.voc import parse_xml


@dataclass(frozen=True)
class LabelledBoxes:
    """One ``<image>`` of an imglab file: its path (relative to the XML's folder), the boxes to find
    ``(n, 4)`` and the boxes marked ``ignore='1'`` ``(m, 4)`` (don't-care: finding them is neither a
    hit nor a false alarm), both float32 ``x_min, y_min, x_max, y_max`` in pixels."""

    image: Path
    boxes: np.ndarray
    ignored: np.ndarray


def read_dlib_boxes(path: str | os.PathLike[str]) -> list[LabelledBoxes]:
    """Every ``<image>`` of the imglab XML file ``path`` with its boxes, ignored ones apart."""
    name = os.fspath(path)
    root = parse_xml(name)
    images = []
    for image in root.iter("image"):
        file = image.get("file")
        if not file:
            raise DataFileError(name, "an <image> has no file attribute")
        kept: list[list[int]] = []
        ignored: list[list[int]] = []
        for box in image.iter("box"):
            try:
                top, left, width, height = (int(box.get(k, "")) for k in ("top", "left", "width", "height"))
            except ValueError:
                raise DataFileError(name, f"{file}: a <box> lacks integer top/left/width/height") from None
            (ignored if box.get("ignore") == "1" else kept).append([left, top, left + width, top + height])
        images.append(LabelledBoxes(Path(name).parent / file, np.array(kept, dtype=np.float32).reshape(-1, 4),
                                    np.array(ignored, dtype=np.float32).reshape(-1, 4)))
    return images


def read_dlib_xml(path: str | os.PathLike[str], class_id: int = 0) -> list[Sample]:
    """Every ``<image>`` of the file: its path (relative to the XML's folder) and boxes ``(n, 5)``
    = ``x_min, y_min, x_max, y_max, class_id``. Boxes marked ``ignore='1'`` are left out."""
    samples = []
    for labelled in read_dlib_boxes(path):
        classes = np.full((len(labelled.boxes), 1), class_id, dtype=np.float32)
        samples.append(Sample(labelled.image, np.hstack([labelled.boxes, classes]).reshape(-1, 5)))
    return samples
