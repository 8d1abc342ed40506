"""A Pascal VOC folder the way people have one, read into samples and a fixed train/validation split.

Three layouts are found on their own:

* **VOC**: ``Annotations/*.xml`` + ``JPEGImages/`` (+ ``ImageSets/Main/{train,val}.txt``, then that split);
* **LabelImg**: ``annotations/*.xml`` + ``images/`` (e.g. the raccoon set), or the photos in the folder itself
  with ``annotations/`` beside them (what the workbook's labelling panel leaves);
* **flat**: the XML files next to the images, in one folder.

Each XML is read with :func:`mlbasics.data.voc.read_voc_xml`; its image is the file the XML's
``<filename>`` names, else the one with the XML's stem (``.jpg``, ``.png``, ...), looked for in the
image folder and beside the XML. An XML that cannot be read or whose image is missing is named with
the reason in ``skipped`` and left out; the rest go on.

Without ``ImageSets``, the split is **seeded and stable**: an image goes to validation when the hash
of ``seed`` and its stem falls below ``val_fraction``, so adding photos later never moves the old ones
from one side to the other (:func:`seeded_split`). A split written down once (a JSON list of
validation stems, :func:`read_split`) overrides both.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlbasics.core import limits
from mlbasics.core.batch import each_usable, require_usable
from mlbasics.core.errors import DataFileError
from mlbasics.core.seed import SEED
from mlbasics.data.annotation_lines import Sample
from mlbasics.data.converted import Converted
from mlbasics.data.voc import parse_xml, read_voc_xml
from mlbasics.io.paths import require_utf8_name
from mlbasics.io.text import parse_json, read_text

#: Image file extensions tried for an XML's stem, in this order.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
#: The layouts :func:`find_layout` knows: annotation folder, image folders (first match wins).
LAYOUTS = {
    "voc": ("Annotations", ("JPEGImages", "images", "Images")),
    "labelimg": ("annotations", ("images", "Images", "JPEGImages")),
    "flat": (".", (".",)),
}

#: The share of photos held out for validation when no split is given (``yolo fit --val-fraction``).
VAL_FRACTION = limits.Param("val_fraction", 0.2, limits.SHARE,
                            "share of the photos held out for validation, chosen by a seeded hash of each photo's name")


@dataclass(frozen=True)
class VocRecord:
    """One usable photo: its stem, XML, image and boxes ``(n, 5)`` = ``x_min, y_min, x_max, y_max, class_id``."""

    stem: str
    xml: Path
    image: Path
    boxes: np.ndarray


@dataclass
class VocFolder:
    """A read VOC folder: its ``layout``, class names, usable records (sorted by stem), the split
    found in ``ImageSets/Main`` (or None) and every XML skipped, each error naming the file."""

    root: Path
    layout: str
    classes: list[str]
    records: list[VocRecord]
    image_sets: dict[str, list[str]] | None = None
    skipped: list[DataFileError] = field(default_factory=list)


def find_layout(root: str | os.PathLike[str]) -> tuple[str, Path, list[Path]]:
    """``(layout name, annotation folder, image folders)`` of ``root``; an error when it holds no XML."""
    base = Path(root)
    if not base.is_dir():
        raise DataFileError(base, "no such folder (a Pascal VOC folder was expected)")
    for name, (xml_folder, image_folders) in LAYOUTS.items():
        folder = base / xml_folder
        if folder.is_dir() and any(folder.glob("*.xml")):
            # on a case-insensitive disk Annotations and annotations are one folder: the name says which;
            # the folder itself last: photos with annotations/ beside them, as the labelling panel leaves them
            return name, folder, [*(base / i for i in image_folders if (base / i).is_dir()), base]
    raise DataFileError(base, "no VOC annotations found: expected Annotations/*.xml + JPEGImages/ (VOC), "
                              "annotations/*.xml + images/ (LabelImg), or *.xml next to the images")


def _find_image(xml: Path, filename: str, folders: Sequence[Path]) -> Path:
    """The image of ``xml``: ``filename`` (its base name only, never a path out of the folder) or
    the XML's stem with a known image suffix, in ``folders`` then beside the XML."""
    places = [*folders, xml.parent]
    names = [Path(filename).name] if filename and Path(filename).name not in ("", ".", "..") else []
    names += [xml.stem + suffix for suffix in IMAGE_SUFFIXES] + [xml.stem + s.upper() for s in IMAGE_SUFFIXES]
    for folder in places:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    looked = ", ".join(sorted({str(p) for p in places}))
    raise DataFileError(xml, f"no image for it: neither <filename> {filename!r} nor {xml.stem}.jpg/.png/... "
                             f"in {looked}")


def class_names_of(xml_files: Sequence[Path], skipped: list[DataFileError]) -> list[str]:
    """Every object name in the readable XML files, sorted (so the class ids do not depend on file order)."""
    names: set[str] = set()
    for _, root in each_usable(xml_files, parse_xml, skipped):
        names.update((obj.findtext("name") or "").strip() for obj in root.iter("object"))
    names.discard("")
    return sorted(names)


def _image_sets(root: Path) -> dict[str, list[str]] | None:
    main = root / "ImageSets" / "Main"
    sets = {split: read_text(main / f"{split}.txt").split() for split in ("train", "val")
            if (main / f"{split}.txt").is_file()}
    return sets if "train" in sets and "val" in sets else None


def read_voc_folder(root: str | os.PathLike[str], classes: Sequence[str] | None = None) -> VocFolder:
    """Read every XML of the VOC folder ``root`` (any layout of the module docstring).

    ``classes``: the class names in id order; by default every name found, sorted. An XML naming
    another class, unreadable, without its image, or whose name or image's name is not valid UTF-8 (the paths
    go into UTF-8 annotation lines) is skipped and named. An error when none is usable.
    """
    layout, annotations, folders = find_layout(root)
    xml_files = sorted(annotations.glob("*.xml"))
    skipped: list[DataFileError] = []
    names = list(classes) if classes is not None else class_names_of(xml_files, [])
    if not names:
        raise DataFileError(annotations, "no <object><name> in any XML file: nothing to detect")

    def record(xml: Path) -> VocRecord:
        require_utf8_name(xml)  # training writes the paths into UTF-8 annotation lines
        annotation = read_voc_xml(xml, names)
        image = _find_image(xml, annotation.filename, folders)
        require_utf8_name(image)
        return VocRecord(xml.stem, xml, image, annotation.boxes)

    records = [found for _, found in each_usable(xml_files, record, skipped)]
    require_usable(len(records), skipped, where=annotations, what="annotated image")
    return VocFolder(Path(root), layout, names, records, _image_sets(Path(root)), skipped)


def split_key(stem: str, seed: int = SEED.default) -> float:
    """A number in ``[0, 1)`` fixed by ``seed`` and ``stem`` alone (sha256), the same on every machine."""
    digest = hashlib.sha256(f"{seed}:{stem}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def group_keys(stems: Sequence[str], seed: int = SEED.default, groups: Sequence[Sequence[str]] = ()
               ) -> dict[str, float]:
    """Each stem's :func:`split_key`, except that every member of a group (copies of one photo) takes
    the group's smallest key: a split by these keys keeps copies on one side, never across."""
    keys = {stem: split_key(stem, seed) for stem in stems}
    for group in groups:
        members = [stem for stem in group if stem in keys]
        if members:
            shared = min(keys[stem] for stem in members)
            keys.update(dict.fromkeys(members, shared))
    return keys


def seeded_split(stems: Sequence[str], val_fraction: float = VAL_FRACTION.default, seed: int = SEED.default,
                 groups: Sequence[Sequence[str]] = ()) -> tuple[list[str], list[str]]:
    """``(train stems, validation stems)``, both sorted: validation holds each stem whose key
    (:func:`group_keys`: copies share one) is below ``val_fraction`` (at least one when there are
    two or more stems)."""
    VAL_FRACTION.check(val_fraction)
    ordered = sorted(set(stems))
    keys = group_keys(ordered, seed, groups)
    val = [s for s in ordered if keys[s] < val_fraction]
    if not val and len(ordered) > 1:  # a handful of photos: still measure on one
        val = [min(ordered, key=lambda s: keys[s])]
    return [s for s in ordered if s not in set(val)], val


def fixed_count_split(stems: Sequence[str], val_count: int, seed: int = SEED.default,
                      groups: Sequence[Sequence[str]] = ()) -> list[str]:
    """The ``val_count`` stems with the smallest :func:`split_key`, sorted, leaving out every photo
    that has a copy in ``groups`` (how a published split such as raccoon's 160/40 is fixed once and
    written down: validation photos have no copy or look-alike anywhere in the set)."""
    copied = {stem for group in groups for stem in group}
    single = [stem for stem in sorted(set(stems)) if stem not in copied]
    return sorted(sorted(single, key=lambda s: split_key(s, seed))[:val_count])


def read_split(path: str | os.PathLike[str]) -> list[str]:
    """The validation stems of a split file: JSON ``{"val": [stem, ...], ...}``."""
    data = parse_json(read_text(path, missing="no such split file"), path)
    val = data.get("val") if isinstance(data, dict) else None
    if not isinstance(val, list) or not all(isinstance(s, str) for s in val):
        raise DataFileError(path, "\"val\" must be a list of image stems")
    return val


def split_records(folder: VocFolder, *, val_fraction: float = VAL_FRACTION.default, seed: int = SEED.default,
                  val_stems: Sequence[str] | None = None, groups: Sequence[Sequence[str]] = ()
                  ) -> tuple[list[VocRecord], list[VocRecord], str]:
    """``(train, validation, how)``: by ``val_stems`` when given, else the folder's ``ImageSets``,
    else :func:`seeded_split` keeping each of ``groups`` (copies of one photo) on one side; ``how``
    says which, in words."""
    stems = [r.stem for r in folder.records]
    if val_stems is not None:
        val, how = set(val_stems), "the given list of validation photos"
        train = set(stems) - val
    elif folder.image_sets is not None:
        train, val = set(folder.image_sets["train"]), set(folder.image_sets["val"])
        how = "ImageSets/Main/train.txt and val.txt"
    else:
        train_list, val_list = seeded_split(stems, val_fraction, seed, groups)
        train, val = set(train_list), set(val_list)
        how = (f"seeded split: sha256 of seed {seed} and the file stem below {val_fraction}, "
               f"copies of one photo kept together ({len(groups)} groups)")
    return ([r for r in folder.records if r.stem in train and r.stem not in val],
            [r for r in folder.records if r.stem in val], how)


def as_converted(records: Sequence[VocRecord], classes: Sequence[str]) -> Converted:
    """``records`` as annotation samples (the photo's size from its header, no decoding), ready for
    :func:`~mlbasics.data.convert.write_annotations` and the dataset report; a photo whose header
    cannot be read is named in ``problems`` and left out."""
    from mlbasics.io.images import image_size

    problems: list[DataFileError] = []
    samples = [Sample(record.image, record.boxes, size)
               for record, size in each_usable(records, lambda record: image_size(record.image), problems)]
    return Converted(samples, list(classes), problems)
