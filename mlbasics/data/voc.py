"""Pascal VOC annotation XML: one file per image with its size and named, boxed objects.

Parsed with defusedxml, so a hostile file (entity expansion, external entities) is refused
instead of eating the machine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.data.voc_xml import VocObject
from mlbasics.io.paths import relative_path_problem, require_regular_file

if TYPE_CHECKING:
    from mlbasics.data.voc_xml import VocObject


@dataclass(frozen=True)
class VocAnnotation:
    """One VOC file: image file name, size and boxes ``(n, 5)`` = ``x_min, y_min, x_max, y_max, class_id``."""

    filename: str
    width: int
    height: int
    boxes: np.ndarray


def parse_xml(path: str | os.PathLike[str], data: bytes | None = None):
    """The root element of an XML file (or of its ``data``, already read from ``path``, e.g. a bucket),
    parsed with defusedxml; errors name the file (and line)."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    name = os.fspath(path)
    if data is None:  # a FIFO called x.xml would block the read forever; a folder is not an XML file
        require_regular_file(name, missing="no such XML file")
    try:
        return ElementTree.parse(name).getroot() if data is None else ElementTree.fromstring(data)
    except FileNotFoundError:
        raise DataFileError(name, "no such XML file") from None
    except DefusedXmlException as exc:
        raise DataFileError(name, f"refused unsafe XML ({type(exc).__name__})") from None
    except ElementTree.ParseError as exc:
        raise DataFileError(name, f"not valid XML ({exc})", line=exc.position[0]) from None


#: Largest pixel coordinate or image side accepted in a VOC file: far beyond any photo (the decoder
#: refuses more than 256 megapixels), small enough that ``1e999`` or ``1e300`` is named, not an overflow.
MAX_PIXELS_SIDE = 1_000_000


def _int(node, tag: str, path: str) -> int:
    child = node.find(tag)
    if child is None or child.text is None:
        raise DataFileError(path, f"<{tag}> is missing")
    try:
        value = float(child.text)
    except ValueError:
        raise DataFileError(path, f"<{tag}> is {child.text!r}, not a number") from None
    if not abs(value) <= MAX_PIXELS_SIDE:  # also catches inf and nan
        raise DataFileError(path, f"<{tag}> is {child.text.strip()!r}, not a pixel coordinate "
                                  f"(a finite number within +-{MAX_PIXELS_SIDE:,})")
    return int(round(value))


def read_voc_objects(path: str | os.PathLike[str], data: bytes | None = None) -> list[VocObject]:
    """Every ``<object>`` of one VOC XML with its flags (difficult, truncated, pose), in file order."""
    name = os.fspath(path)
    objects = []
    for obj in parse_xml(name, data).iter("object"):
        label = (obj.findtext("name") or "").strip()
        box = obj.find("bndbox")
        if box is None:
            raise DataFileError(name, f"object {label!r} has no <bndbox>")
        x_min, y_min, x_max, y_max = (_int(box, t, name) for t in ("xmin", "ymin", "xmax", "ymax"))
        objects.append(VocObject(label, x_min, y_min, x_max, y_max, difficult=_flag(obj, "difficult"),
                                 truncated=_flag(obj, "truncated"),
                                 pose=(obj.findtext("pose") or "Unspecified").strip() or "Unspecified"))
    return objects


def _flag(node, tag: str) -> bool:
    return (node.findtext(tag) or "0").strip() == "1"


def read_voc_xml(path: str | os.PathLike[str], classes: Sequence[str], *, skip_difficult: bool = True,
                 data: bytes | None = None) -> VocAnnotation:
    """Read one VOC XML (from ``data`` when given); objects whose name is not in ``classes`` are an
    error naming the name.

    Objects marked ``<difficult>1</difficult>`` are left out when ``skip_difficult`` (as the
    keras-yolo3 converter does).
    """
    name = os.fspath(path)
    root = parse_xml(name, data)
    size = root.find("size")
    if size is None:
        raise DataFileError(name, "<size> is missing")
    boxes = []
    for obj in root.iter("object"):
        label = (obj.findtext("name") or "").strip()
        if label not in classes:
            raise DataFileError(name, f"object name {label!r} is not in the classes {list(classes)}")
        if skip_difficult and (obj.findtext("difficult") or "0").strip() == "1":
            continue
        box = obj.find("bndbox")
        if box is None:
            raise DataFileError(name, f"object {label!r} has no <bndbox>")
        boxes.append([_int(box, t, name) for t in ("xmin", "ymin", "xmax", "ymax")] + [classes.index(label)])
    filename = (root.findtext("filename") or "").strip()
    problem = relative_path_problem(filename) if filename else None
    if problem:  # refused, not followed: the record would read a photo from outside the folder
        raise DataFileError(name, f"<filename> {problem}")
    return VocAnnotation(filename, _int(size, "width", name), _int(size, "height", name),
                         np.array(boxes, dtype=np.float32).reshape(-1, 5))
