"""Check a labelled photo set before training: what is in it and what will go wrong.

:func:`dataset_report` opens every photo once and reports, for the lessons, the CLI and the plot:

* images and boxes per class, photos with no box;
* the same photo twice (the same bytes, the same pixels, or looking alike: :mod:`~mlbasics.data.photo_hash`),
  and the same photo in training and validation (a validation score that flatters);
* box sizes as the network sees them (the photo letterboxed into ``input_size``), how well the anchors
  fit them (mean best IoU) and the boxes smaller than one cell of the finest grid (its stride);
* photos with an EXIF orientation other than 1: viewers (and this workbook's loader) turn them
  upright, LabelImg draws on the stored (raw) pixels, so boxes may fit one and not the other;
* broken files: a photo cut short is decoded as far as it goes and named; one that cannot be
  decoded at all is named and left out. Nothing stops the report.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.batch import each_usable
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.data.annotation_lines import Sample
from mlbasics.data.cache import sha256_of
from mlbasics.data.converted import Converted, box_problem
from mlbasics.geometry.boxes import wh_iou

#: Difference hashes this many bits apart or fewer are reported as look-alikes (a resized or re-saved copy).
LOOK_ALIKE_BITS = 5


@dataclass(frozen=True)
class PhotoFacts:
    """What one photo file is: hashes, size as viewed ``(width, height)``, EXIF orientation, damage."""

    image: Path
    sha256: str
    pixels_sha256: str
    look_hash: int
    size: tuple[int, int]
    orientation: int
    damage: str | None


def photo_facts(path: str | os.PathLike[str]) -> PhotoFacts:
    """Open ``path`` once (a file cut short decoded as far as it goes); ``DataFileError`` when it cannot be."""
    from mlbasics.data.photo_hash import difference_hash, pixels_sha256
    from mlbasics.io.images import exif_orientation, open_image_partial

    image, damage = open_image_partial(path)
    pixels = np.asarray(image)
    return PhotoFacts(Path(path), sha256_of(path), pixels_sha256(pixels), difference_hash(pixels), image.size,
                      exif_orientation(path), damage)


@dataclass(frozen=True)
class RotatedPhoto:
    """A photo with EXIF orientation ``orientation`` != 1, and which pixels its boxes fit:
    ``"raw"`` (as stored, LabelImg's way), ``"upright"`` (as viewed), ``"both"`` (cannot tell) or ``"neither"``."""

    image: str
    orientation: int
    boxes_fit: str


@dataclass(frozen=True)
class SmallBox:
    """Box ``box`` (1-based) of ``image``: ``width`` x ``height`` in input pixels, under the finest stride."""

    image: str
    box: int
    width: float
    height: float


@dataclass
class DatasetReport:
    """The facts :func:`dataset_report` found. Paths are text; ``box_sizes`` ``(n, 2)`` are box widths
    and heights in input pixels (in image pixels when no ``input_size`` was given)."""

    classes: list[str]
    images: int
    images_per_class: dict[str, int]
    boxes_per_class: dict[str, int]
    no_boxes: list[str]
    same_bytes: list[list[str]]
    same_pixels: list[list[str]]
    look_alike: list[tuple[str, str, int]]
    train_val_overlap: list[tuple[str, str, str]]
    rotated: list[RotatedPhoto]
    truncated: list[str]
    skipped: list[str]
    look_alike_bits: int = LOOK_ALIKE_BITS
    input_size: int | None = None
    strides: list[int] = field(default_factory=list)
    anchors: list[list[float]] | None = None
    mean_anchor_iou: float | None = None
    small_boxes: list[SmallBox] = field(default_factory=list)
    box_sizes: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    def to_json(self) -> dict[str, Any]:
        """Everything but ``box_sizes``, as JSON-ready values."""
        data = asdict(self)
        data.pop("box_sizes")
        return data

    def summary(self) -> str:
        """A few lines a person reads: counts, then each kind of problem with its count."""
        per_class = ", ".join(f"{name} {self.boxes_per_class[name]} in {self.images_per_class[name]}"
                              for name in self.classes)
        lines = [f"{self.images} images, {sum(self.boxes_per_class.values())} boxes ({per_class}), "
                 f"{len(self.no_boxes)} with no box"]
        facts = (("same bytes (copies)", len(self.same_bytes), "group(s)"),
                 ("same pixels, other bytes", len(self.same_pixels), "group(s)"),
                 (f"look alike (difference hash within {self.look_alike_bits} bits)", len(self.look_alike), "pair(s)"),
                 ("the same photo in training and validation", len(self.train_val_overlap), "pair(s)"),
                 ("EXIF-rotated", len(self.rotated), "photo(s)"),
                 ("truncated (decoded as far as it goes)", len(self.truncated), "photo(s)"),
                 ("skipped (unreadable or bad annotation)", len(self.skipped), "record(s)"))
        lines += [f"{what}: {count} {unit}" for what, count, unit in facts]
        if self.input_size:
            fit = "" if self.mean_anchor_iou is None else f", anchors' mean IoU {self.mean_anchor_iou:.3f}"
            lines.append(f"at input {self.input_size}: {len(self.small_boxes)} box(es) smaller than the finest "
                         f"stride {min(self.strides)} px{fit}")
        return "\n".join(lines)


def _boxes_fit(boxes: np.ndarray, upright: tuple[int, int], orientation: int) -> str:
    from mlbasics.io.images import SIDEWAYS_ORIENTATIONS

    raw = upright[::-1] if orientation in SIDEWAYS_ORIENTATIONS else upright
    fits = {name: all(box_problem(b, size) is None for b in boxes)
            for name, size in (("raw", raw), ("upright", upright))}
    if raw == upright or not len(boxes):
        return "both" if fits["raw"] else "neither"
    return "both" if all(fits.values()) else next((k for k, v in fits.items() if v), "neither")


def _boxes_outside(samples: Sequence[Sample], facts: Sequence[PhotoFacts]) -> list[str]:
    """``"<image>: box i ... is outside the WxH image"`` for each photo with a box outside it as viewed
    (upright); for an EXIF-rotated photo whose boxes fit the stored pixels, says so."""
    found = []
    for sample, fact in zip(samples, facts):
        problems = [(i, p) for i, box in enumerate(sample.boxes, start=1) if (p := box_problem(box, fact.size))]
        if problems:
            i, problem = problems[0]
            raw = _boxes_fit(sample.boxes, fact.size, fact.orientation) == "raw"
            hint = f" (EXIF orientation {fact.orientation}: the boxes fit the stored, unrotated pixels)" if raw else ""
            found.append(f"{sample.image}: box {i} {problem.removeprefix('box ')}{hint}")
    return found


def _facts_of(samples: Sequence[Sample], skipped: list[DataFileError]) -> dict[int, PhotoFacts]:
    """The facts of each sample's photo, by the sample's index; unreadable photos go to ``skipped``."""
    return dict(each_usable(range(len(samples)), lambda i: photo_facts(samples[i].image), skipped))


def _overlap(train: dict[int, PhotoFacts], val: dict[int, PhotoFacts], bits: int) -> list[tuple[str, str, str]]:
    """``(train photo, val photo, how)`` for each pair that is the same photo: same bytes, same pixels, or
    difference hashes within ``bits`` (the same pixels always have the same hash, so those are all candidates)."""
    from mlbasics.data.photo_hash import close_pairs

    t, v = list(train.values()), list(val.values())
    found = []
    for i, j, distance in close_pairs([f.look_hash for f in t], [f.look_hash for f in v], bits):
        how = ("same bytes" if t[i].sha256 == v[j].sha256 else "same pixels" if t[i].pixels_sha256 == v[j].pixels_sha256
               else f"look alike ({distance} bits)")
        found.append((str(t[i].image), str(v[j].image), how))
    return found


def _sizes(samples: Sequence[Sample], facts: Sequence[PhotoFacts], input_size: int | None) -> np.ndarray:
    """Box widths and heights ``(n, 2)``, scaled as letterboxing each photo into ``input_size`` scales them."""
    rows = []
    for sample, fact in zip(samples, facts):
        boxes = np.asarray(sample.boxes, dtype=np.float64).reshape(-1, 5)
        scale = input_size / max(fact.size) if input_size else 1.0
        rows.append(np.stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], axis=1) * scale)
    return np.concatenate(rows) if rows else np.zeros((0, 2))


def dataset_report(train: Converted, val: Converted | None = None, *, anchors: np.ndarray | None = None,
                   input_size: int | None = None, strides: Sequence[int] = (),
                   look_alike_bits: int = LOOK_ALIKE_BITS) -> DatasetReport:
    """Report on the photos and boxes of ``train`` (and ``val``, for overlap between them).

    Args:
        train, val: samples read by any reader (:func:`~mlbasics.data.convert.read_annotations`); their
            skipped records are listed in the report's ``skipped``.
        anchors: ``(k, 2)`` anchor widths and heights in input pixels (a YOLO anchors file), optional.
        input_size: the network's square input; box sizes are then letterboxed to it.
        strides: the network's output strides (tiny YOLOv3: 32, 16); boxes narrower or lower than the
            smallest are listed in ``small_boxes``. Needs ``input_size``.
        look_alike_bits: difference hashes this close count as the same photo resized or re-saved.

    Every photo is decoded once; one that cannot be is named in ``skipped`` and left out of the counts.
    """
    from mlbasics.data.photo_hash import look_alike_pairs, same_key_groups

    if strides and not input_size:
        raise InputError("strides: box sizes are compared with the strides at an input_size; give it too")
    skipped = [str(p) for p in train.problems + (val.problems if val else [])]
    errors: list[DataFileError] = []
    facts = _facts_of(train.samples, errors)
    val_facts = _facts_of(val.samples, errors) if val else {}
    skipped += [str(e) for e in errors]
    usable = [train.samples[i] for i in facts]
    usable_facts = list(facts.values())
    skipped += _boxes_outside(usable, usable_facts)
    names = train.classes
    per_image = [set(int(c) for c in s.boxes[:, 4]) for s in usable]
    by_path = {str(f.image): f for f in facts.values()}
    look = {path: f.look_hash for path, f in by_path.items()}
    same_pixels = [g for g in same_key_groups({p: f.pixels_sha256 for p, f in by_path.items()})
                   if len({by_path[p].sha256 for p in g}) > 1]
    sizes = _sizes(usable, usable_facts, input_size)
    report = DatasetReport(
        classes=list(names), images=len(usable),
        images_per_class={n: sum(i in s for s in per_image) for i, n in enumerate(names)},
        boxes_per_class={n: int(sum((s.boxes[:, 4] == i).sum() for s in usable)) for i, n in enumerate(names)},
        no_boxes=[str(s.image) for s in usable if not len(s.boxes)],
        same_bytes=same_key_groups({p: f.sha256 for p, f in by_path.items()}),
        same_pixels=same_pixels,
        look_alike=[(a, b, d) for a, b, d in look_alike_pairs(look, look_alike_bits)
                    if by_path[a].pixels_sha256 != by_path[b].pixels_sha256],
        train_val_overlap=_overlap(facts, val_facts, look_alike_bits),
        rotated=[RotatedPhoto(str(s.image), f.orientation, _boxes_fit(s.boxes, f.size, f.orientation))
                 for s, f in zip(usable, usable_facts) if f.orientation != 1],
        truncated=[f"{f.image}: {f.damage}" for f in (*facts.values(), *val_facts.values()) if f.damage],
        skipped=skipped, look_alike_bits=look_alike_bits, input_size=input_size, strides=list(strides), box_sizes=sizes)
    if anchors is not None and len(sizes):
        report.anchors = np.asarray(anchors, dtype=float).round(2).tolist()
        report.mean_anchor_iou = round(float(wh_iou(sizes, np.asarray(anchors)).max(axis=1).mean()), 4)
    if strides:
        finest = min(strides)
        index = [(str(s.image), i) for s in usable for i in range(1, len(s.boxes) + 1)]
        report.small_boxes = [SmallBox(image, i, round(float(w), 1), round(float(h), 1))
                              for (image, i), (w, h) in zip(index, sizes) if min(w, h) < finest]
    return report
