"""Write Pascal VOC annotation XML as LabelImg and CVAT write it: the exact inverse of
:func:`mlbasics.data.voc.read_voc_xml`.

One file per image::

    <annotation>
      <folder>images</folder> <filename>a.jpg</filename> <path>/abs/images/a.jpg</path>
      <source><database>Unknown</database></source>
      <size><width>W</width><height>H</height><depth>3</depth></size>
      <segmented>0</segmented>
      <object>
        <name>raccoon</name> <pose>Unspecified</pose> <truncated>0</truncated> <difficult>0</difficult>
        <bndbox><xmin>..</xmin><ymin>..</ymin><xmax>..</xmax><ymax>..</ymax></bndbox>
      </object> ...
    </annotation>

Coordinates are whole pixels, written exactly as given and read back unchanged by ``read_voc_xml``
(which, like keras-yolo3's ``voc_annotation.py``, takes LabelImg's numbers as they are); no
0/1-based shift is added or removed. The file is written atomically (:func:`~mlbasics.io.files.atomic_write`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, indent, tostring

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.io.files import atomic_write


@dataclass(frozen=True)
class VocObject:
    """One ``<object>``: class ``name`` and box ``x_min, y_min, x_max, y_max`` in whole image pixels."""

    name: str
    x_min: int
    y_min: int
    x_max: int
    y_max: int
    difficult: bool = False
    truncated: bool = False
    pose: str = "Unspecified"


def check_class_name(name: object, where: str = "class name") -> str:
    """``name`` if it can be a VOC ``<name>`` that reads back the same (a non-empty string without
    leading/trailing spaces or control characters), else an :class:`InputError` naming it."""
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{where} must be a non-empty string, got {name!r}")
    if name != name.strip():
        raise InputError(f"{where} {name!r} has leading or trailing spaces (VOC readers strip them)")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise InputError(f"{where} {name!r} contains a control character")
    return name


def check_object(obj: VocObject, width: int, height: int) -> VocObject:
    """``obj`` if its box is whole pixels with ``0 <= x_min < x_max <= width`` (same for y), else an
    :class:`InputError` naming the object and its box."""
    check_class_name(obj.name, "object name")
    box = (obj.x_min, obj.y_min, obj.x_max, obj.y_max)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in box):
        raise InputError(f"object {obj.name!r}: box {box} must be whole pixels (int)")
    if not (0 <= obj.x_min < obj.x_max <= width and 0 <= obj.y_min < obj.y_max <= height):
        raise InputError(f"object {obj.name!r}: box {box} is not inside the {width}x{height} image "
                         "with x_min < x_max and y_min < y_max")
    return obj


def voc_objects(boxes: np.ndarray, classes: Sequence[str]) -> list[VocObject]:
    """Boxes ``(n, 5)`` = ``x_min, y_min, x_max, y_max, class_id`` (whole pixels, any number type) as objects
    named by ``classes``, for :func:`write_voc`."""
    return [VocObject(classes[int(c)], int(x0), int(y0), int(x1), int(y1))
            for x0, y0, x1, y1, c in np.asarray(boxes).reshape(-1, 5)]


def voc_xml_text(filename: str, size: tuple[int, int, int], objects: Sequence[VocObject], *,
                 folder: str | None = None, path: str | None = None) -> str:
    """The XML text for image ``filename`` of ``size = (width, height, depth)`` with ``objects``.

    ``folder`` and ``path`` (the image's folder name and full path, as LabelImg writes them) are left
    out when ``None``. Every object is checked (:func:`check_object`).
    """
    width, height, depth = (int(v) for v in size)
    if width < 1 or height < 1 or depth < 1:
        raise InputError(f"size must be positive (width, height, depth), got {size}")
    root = Element("annotation")
    if folder is not None:
        SubElement(root, "folder").text = folder
    SubElement(root, "filename").text = filename
    if path is not None:
        SubElement(root, "path").text = path
    SubElement(SubElement(root, "source"), "database").text = "Unknown"
    size_node = SubElement(root, "size")
    for tag, value in (("width", width), ("height", height), ("depth", depth)):
        SubElement(size_node, tag).text = str(value)
    SubElement(root, "segmented").text = "0"
    for obj in objects:
        check_object(obj, width, height)
        node = SubElement(root, "object")
        SubElement(node, "name").text = obj.name
        SubElement(node, "pose").text = obj.pose
        SubElement(node, "truncated").text = str(int(obj.truncated))
        SubElement(node, "difficult").text = str(int(obj.difficult))
        box = SubElement(node, "bndbox")
        for tag, value in (("xmin", obj.x_min), ("ymin", obj.y_min), ("xmax", obj.x_max), ("ymax", obj.y_max)):
            SubElement(box, tag).text = str(value)
    indent(root, space="\t")
    return tostring(root, encoding="unicode") + "\n"


def write_voc(path: str | os.PathLike[str], filename: str, size: tuple[int, int, int],
              objects: Sequence[VocObject], *, folder: str | None = None, image_path: str | None = None) -> None:
    """Write :func:`voc_xml_text` to ``path`` atomically (UTF-8); a bad object raises before anything is written.
    The one VOC writer: the labelling panel and the synthetic data set (boxes via :func:`voc_objects`) use it."""
    text = voc_xml_text(filename, size, objects, folder=folder, path=image_path)
    with atomic_write(path, "w") as handle:
        handle.write(text)
