"""Pascal VOC folders in a bucket: convert a split to annotation lines, upload a local VOC set.

The conversion is the one of :mod:`mlbasics.data.annotation_lines` (same parser, defusedxml, same
line format); only the reading goes through :mod:`mlbasics.io.storage`, so the VOC root and the
output may each be a local folder or a ``gs://`` URL. The XML files are fetched concurrently.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from mlbasics.core import limits
from mlbasics.core.batch import each_usable
from mlbasics.core.errors import DataFileError
from mlbasics.core.limits import Param
from mlbasics.data.annotation_lines import classes_from_text, image_ids, voc_line
from mlbasics.data.voc import read_voc_xml
from mlbasics.io.storage import PathLike, gs_atomic_write, gs_copy_file, gs_read_many, gs_read_text, join
from mlbasics.io.text import read_text

#: None: every image of the split.
COUNT = Param("count", None, limits.COUNT, "only the first COUNT images")


def read_classes_anywhere(path: PathLike) -> list[str]:
    """Class names of a classes file on a local path or ``gs://``."""
    return classes_from_text(gs_read_text(path), path)


def voc_to_lines_anywhere(voc_root: PathLike, split: str, classes: Sequence[str], *,
                          skipped: list[DataFileError] | None = None) -> list[str]:
    """:func:`mlbasics.data.annotation_lines.voc_to_lines` for a VOC folder that may be ``gs://``:
    one line per image id of ``ImageSets/Main/<split>.txt``, image paths relative to ``voc_root``.

    An annotation file that cannot be read or used is added to ``skipped`` and left out; without a
    ``skipped`` list it is raised.
    """
    ids_file = split_file_anywhere(voc_root, split)
    ids = image_ids(gs_read_text(ids_file), ids_file, skipped)
    paths = {image_id: join(voc_root, "Annotations", f"{image_id}.xml") for image_id in ids}
    files = gs_read_many(list(paths.values()))

    def convert(image_id: str) -> str:
        data = files[paths[image_id]]
        if isinstance(data, DataFileError):
            raise data
        return voc_line(image_id, read_voc_xml(paths[image_id], classes, data=data))

    return [line for _, line in each_usable(ids, convert, skipped)]


def split_file_anywhere(voc_root: PathLike, split: str) -> str:
    """The id list of ``split`` in a VOC folder (local or ``gs://``): ``ImageSets/Main/<split>.txt``."""
    return join(voc_root, "ImageSets", "Main", f"{split}.txt")


def write_lines_anywhere(path: PathLike, lines: Sequence[str]) -> str:
    """Write annotation lines to a local path or ``gs://`` (whole or not at all); return the path."""
    with gs_atomic_write(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return str(path)


def upload_voc(voc_root: str | os.PathLike[str], split: str, destination: str, count: int | None = COUNT.default
               ) -> list[str]:
    """Copy the first ``count`` images of ``split`` (all if None) of a local VOC folder to ``destination``
    in VOC layout (JPEG, XML, the split's id list and ``classes.txt``); return the image ids copied."""
    if count is not None:
        COUNT.check(count)
    ids_file = os.path.join(voc_root, "ImageSets", "Main", f"{split}.txt")
    # an id with .. or an absolute path would upload a file from outside the folder: refused before any copy
    ids = image_ids(read_text(ids_file, missing=f"no split {split!r} in this VOC folder"), ids_file, None)
    ids = ids[:count] if count is not None else ids
    for image_id in ids:
        for folder, suffix in (("JPEGImages", ".jpg"), ("Annotations", ".xml")):
            name = image_id + suffix
            gs_copy_file(os.path.join(voc_root, folder, name), join(destination, folder, name))
    write_lines_anywhere(join(destination, "ImageSets", "Main", f"{split}.txt"), ids)
    gs_copy_file(os.path.join(voc_root, "classes.txt"), join(destination, "classes.txt"))
    return ids
