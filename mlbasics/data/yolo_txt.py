"""YOLO txt labels (Ultralytics, Darknet): read them into samples, write samples back.

One ``.txt`` per image, one line per box::

    class_id cx cy w h        # centre, width and height as fractions of the image's width and height

Layouts found (``split`` is ``train``, ``val``, ...):

* Ultralytics: ``ROOT/images/<split>/x.jpg`` with ``ROOT/labels/<split>/x.txt`` (the last ``images``
  folder of the path becomes ``labels``), classes in ``data.yaml`` (``names:`` a list or a
  ``{id: name}`` mapping; ``train:``/``val:`` a folder or a list file, relative to ``path:`` or to the
  yaml's folder). Roboflow's ``ROOT/<split>/images`` + ``ROOT/<split>/labels`` is found too.
* Darknet: the ``.txt`` beside its image, classes in ``classes.txt`` or ``obj.names`` (one per line).

An image without a label file has no boxes (a background photo, as Ultralytics reads it). The
yaml is read with ``yaml.safe_load`` (no Python objects are built from it).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.batch import each_usable, require_usable
from mlbasics.core.errors import DataFileError
from mlbasics.data.annotation_lines import Sample, classes_from_text
from mlbasics.data.converted import Converted, box_problem, clip_to_image
from mlbasics.io.files import atomic_path, atomic_write
from mlbasics.io.paths import inside
from mlbasics.io.text import read_text

#: Suffixes of the image files a split folder holds (others, such as ``.txt``, are not images).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
#: Class files a Darknet-style folder may hold, in the order looked for.
CLASSES_FILES = ("data.yaml", "classes.txt", "obj.names")


def read_data_yaml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The mapping in a ``data.yaml`` (``yaml.safe_load``); errors name the file."""
    import yaml


    try:
        data = yaml.safe_load(read_text(path, missing="no such data.yaml"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(path, f"not valid YAML ({getattr(exc, 'problem', exc)})",
                            line=mark.line + 1 if mark is not None else None) from None
    except RecursionError:  # PyYAML builds nested values recursively: [[[[...]]]] 50,000 deep
        raise DataFileError(path, "nested too deeply to read (lists or mappings inside one another hundreds of "
                                  "levels deep): not a dataset's data.yaml") from None
    if not isinstance(data, dict):
        raise DataFileError(path, f"expected a mapping with 'names', got {type(data).__name__}")
    return data


def yaml_classes(data: dict[str, Any], path: str | os.PathLike[str]) -> list[str]:
    """Class names from a data.yaml's ``names`` (a list, or ``{id: name}`` with ids 0..n-1) checked against ``nc``."""
    names = data.get("names")
    if isinstance(names, dict):
        if sorted(names) != list(range(len(names))):
            raise DataFileError(path, f"names: ids must be 0..{len(names) - 1}, got {sorted(names, key=str)}")
        names = [names[i] for i in range(len(names))]
    if not isinstance(names, list) or not names or not all(isinstance(n, (str, int)) for n in names):
        raise DataFileError(path, "names: expected a list of class names or a mapping {id: name}")
    if "nc" in data and data["nc"] != len(names):
        raise DataFileError(path, f"nc is {data['nc']!r} but names lists {len(names)} classes")
    return classes_from_text("\n".join(str(n) for n in names), path)


def read_yolo_classes(path: str | os.PathLike[str]) -> list[str]:
    """Class names from a ``data.yaml`` or a ``classes.txt`` / ``obj.names`` (one name per line)."""
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        return yaml_classes(read_data_yaml(path), path)
    return classes_from_text(read_text(path, missing="no such classes file"), path)


def label_path(image: Path) -> Path:
    """The Ultralytics label file of ``image``: its last ``images`` folder read as ``labels``, suffix ``.txt``;
    the ``.txt`` beside the image (Darknet) when the path has no ``images`` folder or that file is missing."""
    parts = image.parts
    if "images" in parts[:-1]:
        at = len(parts) - 2 - parts[-2::-1].index("images")
        ultralytics = Path(*parts[:at], "labels", *parts[at + 1:]).with_suffix(".txt")
        if ultralytics.exists() or not image.with_suffix(".txt").exists():
            return ultralytics
    return image.with_suffix(".txt")


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _resolve(root: Path, entry: str, source: Path, field: str) -> Path:
    """``root / entry`` for an entry of a data.yaml (``field`` names it in errors), refused when it leads out of
    the dataset folder ``root`` (``..``, an absolute path elsewhere, a symbolic link out): such an entry would
    copy photos from anywhere on the disk into the output. Roboflow's ``../train/images`` is read as
    ``train/images`` (as Ultralytics does); an absolute path inside ``root`` is fine."""
    text = entry.strip()
    if text.startswith("../") and (root / text[3:]).exists():
        text = text[3:]
    if os.path.isabs(text):
        real_root, real = os.path.realpath(root), os.path.realpath(text)
        if os.path.commonpath([real_root, real]) == real_root:
            text = os.path.relpath(real, real_root)
    if text in ("", ".", "./"):
        return root
    try:
        return inside(root, text)
    except DataFileError:
        raise DataFileError(source, f"{field}: {entry!r} leads out of the dataset folder {root} "
                                    "(the folder of the yaml, or its 'path:'): refused") from None


def dataset_root(yaml_path: str | os.PathLike[str], data: dict[str, Any]) -> Path:
    """The folder a data.yaml's split entries are relative to: its ``path:`` (the user's own setting, followed
    even when it leads out, e.g. Ultralytics' ``path: ../datasets/x``), relative to the yaml's folder."""
    path = data.get("path")
    if path is not None and not isinstance(path, (str, int, float)):
        raise DataFileError(yaml_path, f"path: expected a folder, got {type(path).__name__}")
    return Path(os.path.normpath(Path(yaml_path).parent / str(path or ".")))


def _split_images_from_yaml(yaml_path: Path, data: dict[str, Any], split: str,
                            problems: list[DataFileError]) -> list[Path]:
    entries = data.get(split)
    if entries is None:
        raise DataFileError(yaml_path, f"has no {split!r} entry (splits: "
                                       f"{[k for k in ('train', 'val', 'test') if k in data]})")
    root = dataset_root(yaml_path, data)
    images: list[Path] = []
    for entry in entries if isinstance(entries, list) else [entries]:
        path = _resolve(root, str(entry), yaml_path, split)
        if path.is_dir():
            images += _images_in(path)
        elif path.is_file():  # a list file: one image path per line, relative to the dataset root

            for number, line in enumerate(read_text(path).splitlines(), start=1):
                if line.strip():
                    try:
                        images.append(_resolve(root, line.strip(), path, "image path"))
                    except DataFileError as exc:
                        problems.append(DataFileError(path, exc.reason, line=number))
        else:
            raise DataFileError(yaml_path, f"{split}: {entry!r} is neither a folder nor a list file ({path})")
    return images


def _split_folder(root: Path, split: str) -> Path:
    """The images folder of ``split`` in a folder without data.yaml (Ultralytics, Roboflow, then flat)."""
    for candidate in (root / "images" / split, root / split / "images", root / split, root / "images"):
        if candidate.is_dir():
            return candidate
    return root


def _find_classes(root: Path) -> Path:
    for name in CLASSES_FILES:
        if (root / name).is_file():
            return root / name
    raise DataFileError(root, f"no class names: put a {' or '.join(CLASSES_FILES)} in this folder")


def yolo_split(source: str | os.PathLike[str], split: str = "train",
               problems: list[DataFileError] | None = None) -> tuple[list[str], list[Path]]:
    """``(classes, images)`` of ``split`` in a YOLO dataset given by its ``data.yaml`` or its folder.

    A line of a list file that leads out of the dataset folder is added to ``problems`` (raised without it)."""
    source = Path(source)
    if source.is_dir():
        classes_file = _find_classes(source)
        if classes_file.suffix == ".yaml":
            return yolo_split(classes_file, split, problems)
        return read_yolo_classes(classes_file), _images_in(_split_folder(source, split))
    data = read_data_yaml(source)
    found: list[DataFileError] = []
    images = _split_images_from_yaml(source, data, split, found)
    if found and problems is None:
        raise found[0]
    (problems if problems is not None else []).extend(found)
    return yaml_classes(data, source), images


def yolo_dataset_folder(source: str | os.PathLike[str]) -> Path:
    """The folder a YOLO dataset is read from: its ``path:`` (when given by a data.yaml), else the yaml's
    folder, else ``source`` itself; what ``mlbasics yolo convert`` prints, so a ``path:`` is never followed
    unseen."""
    source = Path(source)
    if source.is_dir():
        classes_file = _find_classes(source)
        return yolo_dataset_folder(classes_file) if classes_file.suffix == ".yaml" else source
    return dataset_root(source, read_data_yaml(source))


def parse_label_line(text: str, num_classes: int) -> tuple[int, float, float, float, float]:
    """``(class_id, cx, cy, w, h)`` of one label line; ``ValueError`` with the reason when it is not usable."""
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields 'class cx cy w h', got {len(fields)}"
                         + (" (a segmentation polygon, not a box)" if len(fields) > 6 and len(fields) % 2 else ""))
    try:
        class_id = int(fields[0])
    except ValueError:
        raise ValueError(f"class id {fields[0]!r} is not an integer") from None
    if not 0 <= class_id < num_classes:
        raise ValueError(f"class id {class_id} is outside 0..{num_classes - 1} of the class names")
    try:
        cx, cy, w, h = (float(f) for f in fields[1:])
    except ValueError:
        raise ValueError(f"coordinates {' '.join(fields[1:])!r} are not numbers") from None
    if not all(math.isfinite(v) for v in (cx, cy, w, h)):
        raise ValueError("coordinates are not finite numbers")
    if not all(0.0 <= v <= 1.0 for v in (cx, cy, w, h)):
        raise ValueError(f"coordinates {cx:g} {cy:g} {w:g} {h:g} are outside 0..1 (YOLO boxes are fractions of "
                         "the image size, not pixels)")
    if w <= 0 or h <= 0:
        raise ValueError(f"width or height <= 0 ({w:g} {h:g})")
    return class_id, cx, cy, w, h


def read_label_file(label: Path, image: Path, num_classes: int) -> Sample:
    """The sample of ``image`` with the boxes of ``label`` (no file: no boxes), in image pixels.

    Raises ``DataFileError`` naming the label file and line (or the image) when anything is unusable.
    """
    from mlbasics.io.images import image_size

    size = image_size(image, missing="no such image file")
    text = read_text(label) if label.exists() else ""
    boxes = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            class_id, cx, cy, w, h = parse_label_line(line, num_classes)
        except ValueError as exc:
            raise DataFileError(label, str(exc), line=number) from None
        box = ((cx - w / 2) * size[0], (cy - h / 2) * size[1], (cx + w / 2) * size[0], (cy + h / 2) * size[1])
        problem = box_problem(box, size)
        if problem:
            raise DataFileError(label, problem, line=number)
        boxes.append((*box, class_id))
    return Sample(image, clip_to_image(np.array(boxes, dtype=np.float32), size), size)


def _orphan_labels(images: Sequence[Path]) -> list[DataFileError]:
    """Label files in the ``labels`` folders of ``images`` that no image has (not in a Darknet image folder,
    where other ``.txt`` files, such as image lists, are usual)."""
    wanted = {label_path(image) for image in images}
    image_folders = {image.parent for image in images}
    folders = {label.parent for label in wanted if label.parent.is_dir() and label.parent not in image_folders}
    return [DataFileError(label, "no image for this label file")
            for folder in sorted(folders) for label in sorted(folder.glob("*.txt"))
            if label not in wanted]


def read_yolo(source: str | os.PathLike[str], split: str = "train") -> Converted:
    """Read ``split`` of a YOLO dataset (its ``data.yaml``, or its folder) as samples with pixel boxes.

    Every unusable label line (not 5 fields, class id out of range, not normalised, width or height
    <= 0, box outside the image), missing or unreadable image, and label file without an image is a
    problem naming the file and line; the image it concerns is skipped. The class names, the split
    entry, or a split with no image at all raise ``DataFileError`` naming the file or folder.
    """
    problems: list[DataFileError] = []
    classes, images = yolo_split(source, split, problems)
    samples = [s for _, s in each_usable(images, lambda im: read_label_file(label_path(im), im, len(classes)),
                                         problems)]
    require_usable(len(samples), problems, where=source, what="image")
    if images and not any(label_path(im).exists() for im in images):
        raise DataFileError(source, f"no label file for any of the {len(images)} images of {split!r} "
                                    f"(looked for {label_path(images[0])})")
    return Converted(samples, classes, problems + _orphan_labels(images))


def format_label_line(box: Sequence[float], size: tuple[int, int]) -> str:
    """``class cx cy w h`` (6 decimals) of a pixel corner box ``(x_min, y_min, x_max, y_max, class_id)``."""
    x0, y0, x1, y1, class_id = (float(v) for v in box[:5])
    width, height = size
    values = ((x0 + x1) / 2 / width, (y0 + y1) / 2 / height, (x1 - x0) / width, (y1 - y0) / height)
    return f"{int(class_id)} " + " ".join(f"{v:.6f}" for v in values)


def _write_one(sample: Sample, out: Path, split: str) -> None:
    import shutil

    from mlbasics.io.images import image_size

    size = sample.size or image_size(sample.image, missing="no such image file")
    target = out / "images" / split / sample.image.name
    if target.resolve() != sample.image.resolve():
        with atomic_path(target) as staged:
            shutil.copyfile(sample.image, staged)
    with atomic_write(label_path(target), "w") as handle:
        handle.write("".join(format_label_line(box, size) + "\n" for box in sample.boxes))


def write_data_yaml(out: str | os.PathLike[str], classes: Sequence[str]) -> Path:
    """Write ``OUT/data.yaml``: ``names`` ``{id: name}`` and one entry per split folder in ``OUT/images``.

    No ``path:`` key, so the splits are read relative to the yaml's folder (move the folder freely).
    """
    import yaml


    out = Path(out)
    splits = sorted(p.name for p in (out / "images").iterdir() if p.is_dir()) if (out / "images").is_dir() else []
    data: dict[str, Any] = {split: f"images/{split}" for split in splits}
    data["nc"] = len(classes)
    data["names"] = dict(enumerate(classes))
    with atomic_write(out / "data.yaml", "w") as handle:
        handle.write("# written by mlbasics: splits relative to this file's folder\n")
        yaml.safe_dump(data, handle, sort_keys=False, allow_unicode=True)
    return out / "data.yaml"


def write_yolo(samples: Sequence[Sample], classes: Sequence[str], out: str | os.PathLike[str], *,
               split: str = "train", skipped: list[DataFileError] | None = None) -> Path:
    """Write ``samples`` as the Ultralytics layout ``OUT/images/<split>/``, ``OUT/labels/<split>/`` and
    ``OUT/data.yaml`` (every file atomically; images copied); return the yaml's path.

    Two images with the same file name in one split, or an image that cannot be read, go to
    ``skipped`` (raised without it). Write ``val`` into the same ``out`` after ``train``: the yaml lists both.
    """
    out = Path(out)
    seen: dict[str, Path] = {}

    def write(sample: Sample) -> None:
        name = sample.image.name
        if name in seen and seen[name] != sample.image:
            raise DataFileError(sample.image, f"same file name as {seen[name]} in split {split!r}: rename one")
        seen[name] = sample.image
        _write_one(sample, out, split)

    for _ in each_usable(samples, write, skipped):
        pass
    return write_data_yaml(out, classes)
