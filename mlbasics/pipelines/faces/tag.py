"""Stage 3, tag: draw each matched person's label image over their face, or a box and the name.

Inputs: the images, their identify JSON and an optional folder of label images
(``labels/<name>.jpg``). A tagged image is redrawn only when the image, its JSON or a
label image it uses changed.

The output folder may not be, contain or lie inside an input folder. A tagged image keeps its
input's relative path; one whose suffix is not ``.jpg``/``.jpeg`` gets a short hash in its name
(``x.png`` -> ``x-<hash>.jpg``), so it never lands on another input's output.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image, ImageDraw

from mlbasics.core.errors import DataFileError
from mlbasics.data.cache import sha256_of
from mlbasics.io.files import remove_stale_temporaries
from mlbasics.io.images import load_image, save_image
from mlbasics.io.outputs import check_output_location, unique_output_name
from mlbasics.io.paths import display_path
from mlbasics.pipelines.faces.records import (
    identified_path,
    list_photos,
    list_photos_checked,
    read_records,
    remove_outputs,
    write_records,
)

MATCHED_COLOUR = (46, 204, 113)
UNKNOWN_COLOUR = (200, 200, 200)


@dataclass
class TagReport:
    """Counts and the problems met (missing label images, unknown names, unreadable images)."""

    tagged: int = 0
    reused: int = 0
    removed: int = 0
    warnings: list[str] = field(default_factory=list)


def label_images(labels_dir: str | os.PathLike[str] | None) -> dict[str, Path]:
    """``{name: path}`` of ``labels/<name>.<image suffix>``."""
    if labels_dir is None:
        return {}
    return {PurePosixPath(r).stem: Path(labels_dir) / r for r in list_photos(labels_dir) if "/" not in r}


def draw_tags(image: np.ndarray, result: dict, labels: dict[str, np.ndarray]) -> np.ndarray:
    """``image`` ``(h, w, 3)`` with each face of the facebox ``result`` tagged: a matched face with a
    label image gets it pasted over the face box; others get a box and the name (or ``?``)."""
    canvas = Image.fromarray(image)
    draw = ImageDraw.Draw(canvas)
    line = max(2, min(canvas.size) // 150)
    for face in result.get("faces", []):
        r = face["rect"]
        box = (r["left"], r["top"], r["left"] + r["width"], r["top"] + r["height"])
        name = face.get("name") if face.get("matched") else ""
        if name in labels:
            canvas.paste(Image.fromarray(labels[name]).resize((r["width"], r["height"])), box[:2])
            continue
        colour = MATCHED_COLOUR if name else UNKNOWN_COLOUR
        draw.rectangle(box, outline=colour, width=line)
        draw.text((box[0] + line, box[3] + line), name or "?", fill=colour)
    return np.asarray(canvas)


def tagged_path(out_dir: str | os.PathLike[str], relative: str) -> Path:
    """Where the tagged copy of image ``relative`` goes: the same relative path for a JPEG, else
    ``<stem>-<hash>.jpg`` (:func:`mlbasics.io.outputs.unique_output_name`)."""
    if PurePosixPath(relative).suffix.lower() in (".jpg", ".jpeg"):
        return Path(out_dir) / unique_output_name(relative)
    return Path(out_dir) / unique_output_name(relative, ".jpg")


def tag(images_dir: str | os.PathLike[str], identified_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
        *, labels_dir: str | os.PathLike[str] | None = None, known_names: list[str] | None = None) -> TagReport:
    """Bring ``out_dir`` up to date: one tagged ``.jpg`` per image that has a successful identify JSON."""
    check_output_location(out_dir, [images_dir, identified_dir, labels_dir])
    remove_stale_temporaries(out_dir)
    report = TagReport()
    labels = label_images(labels_dir)
    if known_names is not None:
        for name in sorted(set(labels) - set(known_names)):
            report.warnings.append(f"{labels[name].name}: nobody named {name!r} was trained; label not used")
    pixels: dict[str, np.ndarray] = {}
    for name, path in sorted(labels.items()):
        try:
            pixels[name] = load_image(path)
        except DataFileError as exc:
            report.warnings.append(f"{exc}; drew a box and the name instead")
    label_sha = {name: sha256_of(labels[name]) for name in pixels}
    records = read_records(out_dir)
    new_records = {}
    missing_labels: set[str] = set()
    photos, skipped = list_photos_checked(images_dir)
    report.warnings += [f"{display_path(relative)}: {reason}; skipped" for relative, reason in skipped.items()]
    for relative in photos:
        source = identified_path(identified_dir, relative)
        if not source.is_file():
            report.warnings.append(f"{display_path(relative)}: no identify result; run identify first")
            continue
        result = json.loads(source.read_text(encoding="utf-8"))
        if not result.get("success"):
            continue
        names = sorted({f["name"] for f in result["faces"] if f.get("matched")})
        missing_labels.update(n for n in names if n not in labels)
        deps = hashlib.sha256(json.dumps([source.read_text(encoding="utf-8"),
                                          [label_sha.get(n, "") for n in names]]).encode()).hexdigest()
        record = {"input": sha256_of(Path(images_dir) / relative), "deps": deps}
        target = tagged_path(out_dir, relative)
        new_records[relative] = record
        if records.get(relative) == record and target.is_file():
            report.reused += 1
            continue
        try:
            save_image(draw_tags(load_image(Path(images_dir) / relative), result, pixels), target)
            report.tagged += 1
        except DataFileError as exc:
            report.warnings.append(str(exc))
            new_records.pop(relative)
    for name in sorted(missing_labels):
        report.warnings.append(f"no label image for {name!r} (labels/{name}.jpg): drew a box and the name")
    gone = [r for r in records if r not in new_records]
    if gone:  # records first: a kill between the two steps never leaves a record without its file
        write_records(out_dir, {r: v for r, v in records.items() if r not in gone})
        remove_outputs(out_dir, [tagged_path(out_dir, r) for r in gone])
    report.removed = len(gone)
    write_records(out_dir, new_records)
    return report
