"""dlib's imglab XML (``<image file=...><box top left width height/>``), e.g. its face-box sets.

Read with defusedxml and turned into the same boxes as everything else, so a real photo
set can be drawn, converted to annotation lines and validated like the synthetic one.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.data.annotation_lines import Sample
from mlbasics.data.voc import parse_xml


def read_dlib_xml(path: str | os.PathLike[str], class_id: int = 0) -> list[Sample]:
    """Every ``<image>`` of the file: its path (relative to the XML's folder) and boxes ``(n, 5)``
    = ``x_min, y_min, x_max, y_max, class_id``. Boxes marked ``ignore='1'`` are left out."""
    name = os.fspath(path)
    root = parse_xml(name)
    samples = []
    for image in root.iter("image"):
        file = image.get("file")
        if not file:
            raise DataFileError(name, "an <image> has no file attribute")
        boxes = []
        for box in image.iter("box"):
            if box.get("ignore") == "1":
                continue
            try:
                top, left, width, height = (int(box.get(k, "")) for k in ("top", "left", "width", "height"))
            except ValueError:
                raise DataFileError(name, f"{file}: a <box> lacks integer top/left/width/height") from None
            boxes.append([left, top, left + width, top + height, class_id])
        samples.append(Sample(Path(name).parent / file, np.array(boxes, dtype=np.float32).reshape(-1, 5)))
    return samples
