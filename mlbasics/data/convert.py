"""Convert between annotation formats through samples: VOC, YOLO txt, COCO JSON and annotation lines.

Reading any format gives a :class:`~mlbasics.data.converted.Converted` (samples with pixel boxes,
class names, every skipped record named); writing takes samples and class names. So
``read_annotations(src, "coco")`` then ``write_annotations(converted, "yolo", out)`` converts COCO
to YOLO txt, and every reader reports bad records the same way.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlbasics.core.batch import each_usable, require_usable
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.data.annotation_lines import (
    Sample,
    format_line,
    image_ids,
    parse_line,
    split_file,
    validate_lines,
    voc_line,
    write_lines,
)
from mlbasics.data.coco import read_coco, write_coco
from mlbasics.data.converted import Converted
from mlbasics.data.voc import read_voc_xml
from mlbasics.data.yolo_txt import read_yolo, write_yolo, yolo_dataset_folder
from mlbasics.io.files import atomic_write
from mlbasics.io.outputs import check_no_input_overwritten, check_output_location
from mlbasics.io.paths import require_utf8_name
from mlbasics.io.text import read_text

#: Formats read (``voc`` needs ``ImageSets/Main/<split>.txt``) and written.
READ_FORMATS = ("voc", "yolo", "coco", "lines")
WRITE_FORMATS = ("lines", "yolo", "coco")


def read_lines_file(path: str | os.PathLike[str], classes: Sequence[str], *, check_images: bool = True,
                    decode_images: bool = False) -> Converted:
    """Annotation lines as samples; bad lines are problems. ``check_images`` reads each image's header
    (missing, unreadable, boxes outside it are problems too), ``decode_images`` decodes it whole (a file
    truncated after its header is a problem too)."""
    report = validate_lines(path, len(classes), check_images=check_images, decode_images=decode_images)
    problems = [DataFileError(p.path, p.reason, line=p.line) for p in report.problems]
    require_usable(len(report.samples), problems, where=path, what="annotation line")
    return Converted(report.samples, list(classes), problems)


def read_voc(voc_root: str | os.PathLike[str], split: str, classes: Sequence[str]) -> Converted:
    """The images of ``ImageSets/Main/<split>.txt`` with their VOC XML boxes; a bad XML file or image
    (missing, unreadable, a box outside it) is a problem naming the XML file."""
    root = Path(voc_root)
    ids_file = split_file(root, split)
    problems: list[DataFileError] = []
    ids = image_ids(read_text(ids_file, missing=f"no split {split!r} in this VOC folder"), ids_file, problems)

    def read(image_id: str) -> Sample:
        xml = root / "Annotations" / f"{image_id}.xml"
        try:
            return parse_line(voc_line(image_id, read_voc_xml(xml, classes)), len(classes), root)
        except DataFileError:
            raise
        except ValueError as exc:
            raise DataFileError(xml, str(exc)) from None

    samples = [s for _, s in each_usable(ids, read, problems)]
    require_usable(len(samples), problems, where=ids_file, what="image id")
    return Converted(samples, list(classes), problems)


def read_annotations(source: str | os.PathLike[str], source_format: str, *, split: str = "train",
                     classes: Sequence[str] | None = None,
                     images_dir: str | os.PathLike[str] | None = None, check_images: bool = True,
                     decode_images: bool = False) -> Converted:
    """Read ``source`` in ``source_format`` (one of :data:`READ_FORMATS`).

    ``classes`` is needed for ``voc`` and ``lines`` (YOLO and COCO name their classes); ``split``
    picks the split of a VOC or YOLO dataset; ``images_dir`` is where a COCO file's images are.
    ``check_images=False`` leaves the images of annotation lines unopened (the dataset report opens
    them itself); the other formats need each image's size. ``decode_images`` decodes every image
    whole, so a photo cut short after its header is named and skipped (as ``mlbasics yolo check`` does).
    """
    if source_format not in READ_FORMATS:
        raise InputError(f"source_format must be one of {READ_FORMATS}, got {source_format!r}")
    if source_format in ("voc", "lines") and not classes:
        raise InputError(f"classes: reading {source_format} needs the class names (a classes file)")
    if source_format == "lines":
        assert classes is not None
        return read_lines_file(source, classes, check_images=check_images, decode_images=decode_images)
    if source_format == "yolo":
        converted = read_yolo(source, split)
    elif source_format == "coco":
        converted = read_coco(source, images_dir)
    else:
        assert classes is not None
        converted = read_voc(source, split, classes)
    return only_decodable(converted) if decode_images else converted


def only_decodable(converted: Converted) -> Converted:
    """``converted`` without the samples whose image cannot be decoded whole (each named in its problems)."""
    from mlbasics.io.images import open_image

    problems = list(converted.problems)
    samples = [s for s, _ in each_usable(converted.samples, lambda s: open_image(s.image).close(), problems)]
    require_usable(len(samples), problems, where=converted.samples[0].image if converted.samples else "", what="image")
    return Converted(samples, converted.classes, problems)


def write_lines_file(samples: Sequence[Sample], classes: Sequence[str], path: str | os.PathLike[str], *,
                     skipped: list[DataFileError] | None = None) -> Path:
    """Write annotation lines (image paths relative to the file's folder, corners rounded to pixels) and
    ``classes.txt`` beside them, atomically; return the lines file.

    A box that rounds to nothing (under half a pixel wide), or an image whose name is not valid UTF-8, goes
    to ``skipped`` with its image. An
    existing ``classes.txt`` with other names is not replaced (``DataFileError``).
    """
    path = Path(path)
    classes_file = path.parent / "classes.txt"
    existing = read_text(classes_file).splitlines() if classes_file.exists() else None
    if existing is not None and [n.strip() for n in existing if n.strip()] != list(classes):
        raise DataFileError(classes_file, f"lists other classes than {list(classes)}: not replaced; "
                                          "write the lines into another folder")

    def line(sample: Sample) -> str:
        require_utf8_name(sample.image)  # the lines file is UTF-8 text
        rounded = np.round(np.asarray(sample.boxes, dtype=np.float64)).reshape(-1, 5)
        empty = (rounded[:, 2] <= rounded[:, 0]) | (rounded[:, 3] <= rounded[:, 1])
        if empty.any():
            raise DataFileError(sample.image, f"box {int(np.argmax(empty)) + 1} is under one pixel wide or high")
        return format_line(Path(os.path.relpath(sample.image, path.parent)).as_posix(), rounded)

    lines = [text for _, text in each_usable(samples, line, skipped)]
    with atomic_write(classes_file, "w") as handle:
        handle.write("".join(f"{name}\n" for name in classes))
    return write_lines(path, lines)


def check_output(source: str | os.PathLike[str], source_format: str, out: str | os.PathLike[str],
                 target_format: str, *, images_dir: str | os.PathLike[str] | None = None,
                 classes_file: str | os.PathLike[str] | None = None) -> None:
    """Raise :class:`InputError` (naming ``--out``) before anything is read or written when converting
    ``source`` to ``out`` would replace or mix with the input, however the paths are spelled (``..``,
    symbolic links, a parent folder).

    A YOLO folder (``--to yolo``) must not be, contain or lie inside the source dataset's folder (a VOC or
    YOLO folder, the folder a data.yaml's ``path:`` names), nor be or contain the folder of a COCO file's
    images or of a lines file: its ``data.yaml``, ``images/`` and ``labels/`` would land among the user's.
    A file (``--to lines`` or ``coco``) must not be the source file, the data.yaml or the classes file.
    """
    source = Path(source)
    folders: list[Path] = []
    files: list[Path] = [Path(classes_file)] if classes_file is not None else []
    if source.is_dir():
        folders.append(source)
        files += [source / name for name in ("data.yaml", "classes.txt", "obj.names")]
    else:
        files.append(source)
    if source_format == "yolo":
        folders.append(yolo_dataset_folder(source))
    if images_dir is not None:
        folders.append(Path(images_dir))
    if target_format == "yolo":
        check_output_location(out, folders)
        # beside a COCO file or a lines file (its photos' folder): the folder itself or one above it
        loose = [source.parent] if not source.is_dir() and source_format in ("coco", "lines") else []
        check_output_location(out, loose, inside_ok=True)
        check_no_input_overwritten([Path(out) / "data.yaml"], files)
    else:
        check_no_input_overwritten([out], files)


def write_annotations(converted: Converted, target_format: str, out: str | os.PathLike[str], *,
                      split: str = "train", images_dir: str | os.PathLike[str] | None = None) -> Path:
    """Write ``converted`` as ``target_format`` (one of :data:`WRITE_FORMATS`) at ``out`` (a lines file,
    a YOLO folder, a COCO JSON file); samples that cannot be written are added to its problems."""
    if target_format not in WRITE_FORMATS:
        raise InputError(f"target_format must be one of {WRITE_FORMATS}, got {target_format!r}")
    if target_format == "yolo":
        return write_yolo(converted.samples, converted.classes, out, split=split, skipped=converted.problems)
    if target_format == "coco":
        return write_coco(converted.samples, converted.classes, out, images_dir)
    return write_lines_file(converted.samples, converted.classes, out, skipped=converted.problems)
