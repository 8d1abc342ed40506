"""Exercises of lesson 13 (your own photos): label a photo as the panel saves it and see what ``yolo fit``
reads of it; find a copy that leaks from training into validation with the dataset report and leave it out.

Both checks read files and decode a few dozen photos (seconds); neither trains."""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mlbasics.core.errors import DataFileError
from mlbasics.data.cache import fetch, sha256_of
from mlbasics.data.labelling import LabelFolder
from mlbasics.data.photo_hash import same_key_groups
from mlbasics.data.report import dataset_report
from mlbasics.data.voc import read_voc_xml
from mlbasics.data.voc_folder import as_converted, read_split, read_voc_folder, split_records
from mlbasics.data.voc_xml import VocObject, write_voc
from mlbasics.geometry.boxes import box_iou
from mlbasics.workbook.exercises import exercise

CLASSES = ["raccoon"]
#: Exercise 13.1: the photo the lesson's panel skipped, to be labelled.
TARGET = "raccoon-2.jpg"
#: A label must cover the hand-drawn raccoon at least this well: mAP counts a detection from IoU 0.5, but a
#: label is what the detector learns to draw, so it must be tighter (two careful labellers agree better).
LABEL_IOU = 0.8

#: Exercise 13.2's photos: raccoon photos with no copy in the set (``datasets/splits/raccoon.json`` names the
#: copy groups), then one byte-identical pair, and which training photo is copied into validation.
LEAKY_STEMS = tuple(f"raccoon-{n}" for n in (*range(1, 11), *range(12, 21), *range(22, 27)))
LEAKY_PAIR = ("raccoon-11", "raccoon-116")
LEAKY_VALIDATION = 5
LEAKY_SOURCE = "raccoon-7"
#: The copy: the photo resized to this fraction and saved again as JPEG (other bytes, other pixels).
LEAKY_SCALE = 0.6


def _raccoon(kind: str, stem: str) -> Path:
    """The local copy of a raccoon photo (``kind`` "images") or its XML ("annotations"), fetched alone: a
    check verifies the few files it reads, not the whole set."""
    return fetch(f"raccoon/{kind}/{stem}.{'jpg' if kind == 'images' else 'xml'}")


def _truth(name: str) -> np.ndarray:
    """The hand-drawn boxes ``(n, 4)`` of raccoon photo ``name``."""
    return read_voc_xml(_raccoon("annotations", Path(name).stem), CLASSES).boxes[:, :4]


def _edges(box: np.ndarray, truth: np.ndarray) -> str:
    """Which edges of ``box`` are off the hand-drawn ``truth`` by more than a tenth of its size, in words."""
    width, height = truth[2] - truth[0], truth[3] - truth[1]
    off = []
    for index, (edge, size) in enumerate((("left", width), ("top", height), ("right", width), ("bottom", height))):
        if abs(box[index] - truth[index]) > 0.1 * size:
            off.append(edge)
    return ", ".join(off) if off else "every"


def _folder_of(answer: Any) -> Path:
    folder = getattr(getattr(answer, "photos", None), "folder", answer)  # a LabellingPanel, or its folder
    return Path(os.fspath(folder))


@exercise("13.1", f"The lesson's panel skipped {TARGET}. Label it as the panel saves a label (draw in the panel, "
                  "or panel.set_boxes([LabelBox(x_min, y_min, x_max, y_max, 'raccoon')]) in the photo's pixels) and "
                  "give the photo folder: the check reads it the way `yolo fit` does and compares your box with the "
                  "one drawn by hand.")
def labelled_for_fit(answer: Any) -> tuple[bool, str]:
    folder = _folder_of(answer)
    if not (folder / TARGET).is_file():
        return False, f"give the folder of photos the panel labels (it holds {TARGET}); {folder} does not."
    if not (folder / "annotations").is_dir():
        return False, ("nothing in this folder is labelled yet: the panel writes annotations/<photo>.xml once a "
                       "box has one of your classes, and fit reads only photos with an XML.")
    try:
        read = read_voc_folder(folder, CLASSES)  # what fit reads first
    except DataFileError as exc:
        return False, f"fit's reader finds nothing to train on in this folder: {exc.reason}."
    skipped = [e for e in read.skipped if Path(e.path).stem == Path(TARGET).stem]
    if skipped:
        return False, f"fit leaves {TARGET} out: {skipped[0].reason}."
    record = next((r for r in read.records if r.image.name == TARGET), None)
    if record is None:
        state = LabelFolder(folder, CLASSES)
        if TARGET in state.skipped:
            return False, (f"{TARGET} is still marked skipped and has no XML, so fit never sees it. Show it in the "
                           "panel again (previous), give its raccoon a box and check again.")
        return False, (f"{TARGET} has no XML, so fit never sees it. The panel saves only boxes with one of your "
                       "classes: a proposal still named 'object' is left out until you give it a class.")
    boxes = record.boxes[:, :4]
    others = [f"{r.image.name}: {len(r.boxes)} box(es)" for r in read.records if r.image.name != TARGET]
    seen = f"fit reads {len(read.records)} labelled photo(s) here ({TARGET}: {len(boxes)} box(es); {'; '.join(others)})"
    if not len(boxes):
        return False, (f"{seen}, and takes {TARGET} as a photo with no raccoon in it: it would learn that this "
                       "raccoon is background. Its XML has no box: save one with the class.")
    truth = _truth(TARGET)
    if boxes.max() <= 1.5:
        return False, (f"{seen}. Your box is at most a pixel or two wide: the panel takes pixels of the photo "
                       "(x_min, y_min, x_max, y_max), not fractions of its size.")
    ious = box_iou(truth[0], boxes)
    best = int(np.argmax(ious))
    as_corners = boxes[best].copy()
    as_corners[2:] += as_corners[:2]  # what was meant if the numbers were x, y, width, height
    if ious[best] < LABEL_IOU and box_iou(truth[0], as_corners[None])[0] >= LABEL_IOU:
        return False, (f"{seen}. The box's last two numbers look like a width and a height: a VOC box is "
                       "x_min, y_min, x_max, y_max (its corners).")
    if ious[best] < LABEL_IOU:
        return False, (f"{seen}. Your best box covers the hand-drawn raccoon at IoU {ious[best]:.2f}; a label "
                       f"should reach {LABEL_IOU} (the {_edges(boxes[best], truth[0])} edge(s) are off by more than a "
                       "tenth of the raccoon's size). The detector learns to draw what you draw.")
    extra = len(boxes) - len(truth)
    if extra > 0:
        return False, (f"{seen}. One box covers the raccoon (IoU {ious[best]:.2f}), and {extra} more box(es) are "
                       "labelled raccoon where the hand-drawn labels have none (COCO can propose one animal "
                       "twice): fit would teach the detector a raccoon that is not there. Keep one box per raccoon.")
    return True, (f"{seen}. Your box covers the hand-drawn raccoon at IoU {ious[best]:.2f}: run fit on this "
                  f"folder and {TARGET} trains (or validates) with it.")


def leaky_folder(destination: str | os.PathLike[str]) -> Path:
    """Write exercise 13.2's folder: labelled photos (LabelImg layout, ``images/`` and ``annotations/``, named
    ``photo-01.jpg`` ...) and ``split.json``, the validation photos a colleague chose. One validation photo is
    a training photo resized and saved again; two training photos are byte copies of each other. Writing it
    again gives the same files. Returns ``destination``."""
    root = Path(destination)
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "annotations").mkdir(exist_ok=True)
    names = _leaky_names()
    val = set(list(names.values())[:LEAKY_VALIDATION]) | {names[None]}
    for stem, name in names.items():
        stem = stem or LEAKY_SOURCE
        annotation = read_voc_xml(_raccoon("annotations", stem), CLASSES)
        scale = LEAKY_SCALE if name == names[None] else 1.0
        target = root / "images" / f"{name}.jpg"
        with Image.open(_raccoon("images", stem)) as original:
            photo = original.convert("RGB")
        if scale != 1.0:
            photo = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.Resampling.LANCZOS)
            photo.save(target, quality=85)
        else:
            target.write_bytes(_raccoon("images", stem).read_bytes())
        objects = [VocObject(CLASSES[int(c)], round(x0 * scale), round(y0 * scale), round(x1 * scale),
                             round(y1 * scale)) for x0, y0, x1, y1, c in annotation.boxes]
        write_voc(root / "annotations" / f"{name}.xml", f"{name}.jpg", (photo.width, photo.height, 3), objects,
                  folder="images")
    (root / "split.json").write_text(json.dumps({"val": sorted(val)}, indent=1) + "\n")
    return root


@functools.cache
def _leaky_copy() -> Path:
    """The check's own copy of :func:`leaky_folder` (the reader's may have been changed), written once a process."""
    return leaky_folder(tempfile.mkdtemp(prefix="exercise13-2-"))


def _stems(answer: Any) -> list[str]:
    items = [answer] if isinstance(answer, (str, os.PathLike)) else list(answer)
    return [Path(os.fspath(item)).stem for item in items]


@exercise("13.2", "leaky_folder() writes labelled photos and split.json, the validation photos a colleague chose. "
                  "Run the dataset report on its training and validation photos, find what leaks from one into the "
                  "other, and give the stems of the photos to leave out (as few as will do). The check leaves them "
                  "out and runs the report again.")
def leak_left_out(answer: Any) -> tuple[bool, str]:
    left_out = _stems(answer)
    folder = _leaky_copy()
    read = read_voc_folder(folder, CLASSES)
    unknown = sorted(set(left_out) - {r.stem for r in read.records})
    if unknown:
        return False, f"no photo {', '.join(unknown)} in leaky_folder(): give stems such as 'photo-01'."
    train, val, _ = split_records(read, val_stems=read_split(folder / "split.json"))
    kept_train = [r for r in train if r.stem not in left_out]
    kept_val = [r for r in val if r.stem not in left_out]
    if not kept_val:
        return False, "no validation photo is left: leave out only what leaks."
    report = dataset_report(as_converted(kept_train, CLASSES), as_converted(kept_val, CLASSES))
    leaks = report.train_val_overlap
    if leaks:
        hint = ""
        if set(left_out) & {stem for group in same_key_groups({r.stem: sha256_of(r.image) for r in train})
                            for stem in group}:
            hint = (" A copy inside training (same bytes) weighs that photo twice, but validation never sees it: "
                    "it does not flatter the score.")
        return False, (f"with {', '.join(left_out) or 'nothing'} left out the report still finds {len(leaks)} "
                       f"photo(s) in both training and validation (its train_val_overlap, found by the difference "
                       f"hash: a resized copy has other bytes).{hint}")
    if len(left_out) > 1:
        return False, (f"nothing leaks now, but you left out {len(left_out)} photos: one photo of the pair is "
                       "enough, and every photo left out is one less to train or measure on.")
    side = "validation" if left_out[0] in {r.stem for r in val} else "training"
    return True, (f"the report finds no photo on both sides now ({len(kept_train)} training, {len(kept_val)} "
                  f"validation; the copy came out of {side}). fit keeps copies together when it splits by itself, "
                  "but a split you give it is taken as it is: the report is how you catch a leak there.")


def _leaky_names() -> dict[str | None, str]:
    """Exercise 13.2's photo names by source stem (``None``: the resized copy), in the order they are
    written: the first :data:`LEAKY_VALIDATION` and the copy are the validation photos."""
    sources: list[str | None] = [*LEAKY_STEMS, *LEAKY_PAIR, None]
    order = np.random.default_rng(13).permutation(len(sources))  # names that say nothing of the source
    return {stem: f"photo-{index + 1:02d}" for stem, index in zip(sources, order)}


def leaky_pair() -> tuple[str, str]:
    """For the tests: the names of (the training original, its copy in validation) in :func:`leaky_folder`."""
    names = _leaky_names()
    return names[LEAKY_SOURCE], names[None]
