"""Using a trained detector: load it from its weights and config, find objects in images, draw them.

``Detector.detect(image)`` letterboxes the image, runs the network, decodes and suppresses
boxes, and maps them back to the original image's pixels.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.batch import each_usable, require_usable
from mlbasics.core.errors import DataFileError
from mlbasics.io.files import write_json
from mlbasics.io.keras_models import check_keras_weights, load_keras_weights
from mlbasics.io.outputs import (
    check_no_input_overwritten,
    check_output_location,
    relative_to_common_folder,
    unique_output_name,
)
from mlbasics.vision.yolo.decode import NMS_IOU, SCORE_THRESHOLD, Detections, detect_from_outputs
from mlbasics.vision.yolo.evaluate import raw_outputs
from mlbasics.vision.yolo.model import build_detector
from mlbasics.vision.yolo.spec import YoloSpec, config_path_for

#: One colour per class (cycled), readable on light and dark backgrounds.
BOX_COLOURS = ((230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240))


@dataclass
class Detector:
    """A trained network (image -> raw outputs) with the :class:`YoloSpec` that says how to use it."""

    model: Any
    spec: YoloSpec

    @classmethod
    def load(cls, weights: str | os.PathLike[str], config: str | os.PathLike[str] | None = None) -> Detector:
        """Load ``weights`` (``.weights.h5``) and its spec, ``config`` or else the ``.config.json``
        training wrote beside them (:func:`~mlbasics.vision.yolo.spec.config_path_for`)."""
        check_keras_weights(weights)  # before the config: a wrong --weights is named first
        config_path = Path(config) if config else config_path_for(Path(weights))
        return cls.with_weights(YoloSpec.read(config_path), weights, of=f"the model of {config_path.name}")

    @classmethod
    def with_weights(cls, spec: YoloSpec, weights: str | os.PathLike[str], *,
                     of: str = "the model of its spec") -> Detector:
        """``spec``'s network with ``weights`` (``.weights.h5``) loaded: a spec in memory, such as the one
        training was just given; weights that do not fit are an error saying they do not fit ``of``."""
        model = build_detector(spec)
        load_keras_weights(model, weights, of=of)
        return cls(model, spec)

    def raw_outputs(self, squares: np.ndarray) -> list[np.ndarray]:
        """Raw outputs for letterboxed ``uint8`` images ``(batch, S, S, 3)``, coarsest scale first."""
        return raw_outputs(self.model, squares)

    def detect_batch(self, images: Sequence[np.ndarray], score_threshold: float = SCORE_THRESHOLD.default,
                     nms_iou: float = NMS_IOU.default, flip: bool = False) -> list[Detections]:
        """Detections for each ``(H, W, 3)`` ``uint8`` image, boxes in that image's pixels. ``flip``: also
        run the images mirrored left to right and join both before NMS (test-time flip; twice the work)."""
        from mlbasics.geometry.letterbox import letterbox

        placed = [letterbox(image, self.spec.input_size) for image in images]
        squares = np.stack([square for square, _ in placed])
        outputs = self.raw_outputs(squares)
        flipped = self.raw_outputs(squares[:, :, ::-1]) if flip else None
        found = detect_from_outputs(outputs, self.spec, score_threshold, nms_iou, flipped_outputs=flipped)
        results = []
        for (image, (_, box_map)), det in zip(zip(images, placed), found):
            boxes = box_map.boxes_to_original(det.boxes) if len(det) else det.boxes
            height, width = image.shape[:2]
            boxes = np.clip(boxes, 0, [width, height, width, height])
            results.append(Detections(boxes, det.scores, det.classes))
        return results

    def detect(self, image: np.ndarray, score_threshold: float = SCORE_THRESHOLD.default,
               nms_iou: float = NMS_IOU.default, flip: bool = False) -> Detections:
        """Detections for one image (``flip``: see :meth:`detect_batch`)."""
        return self.detect_batch([image], score_threshold, nms_iou, flip)[0]


def draw_boxes(image: np.ndarray, boxes: np.ndarray, labels: Sequence[str], classes: Sequence[int] | np.ndarray,
               width: int = 2) -> np.ndarray:
    """A copy of ``image`` ``(H, W, 3)`` ``uint8`` with each box ``(n, 4)`` outlined and labelled
    (an empty label: outline only)."""
    from PIL import Image, ImageDraw

    canvas = Image.fromarray(np.asarray(image, dtype=np.uint8))
    draw = ImageDraw.Draw(canvas)
    for box, label, cls in zip(np.asarray(boxes).reshape(-1, 4), labels, classes):
        colour = BOX_COLOURS[int(cls) % len(BOX_COLOURS)]
        x0, y0, x1, y1 = (float(v) for v in box)
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=width)
        if not label:
            continue
        text_y = y0 - 11 if y0 >= 11 else y1 + 1
        draw.rectangle((x0, text_y, x0 + 6 * len(label) + 2, text_y + 10), fill=colour)
        draw.text((x0 + 1, text_y - 1), label, fill=(255, 255, 255))
    return np.asarray(canvas)


def draw_detections(image: np.ndarray, detections: Detections, class_names: Sequence[str]) -> np.ndarray:
    """``image`` with detections drawn as ``name score``."""
    labels = [f"{class_names[int(c)]} {s:.2f}" for c, s in zip(detections.classes, detections.scores)]
    return draw_boxes(image, detections.boxes, labels, detections.classes)


def output_names(images: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str]
                 ) -> tuple[list[str], list[str]]:
    """``(relative paths, output names)`` of ``images`` for :func:`detect_files`, after refusing an output that
    would overwrite an input or an ``out_dir`` that is or holds an input's folder (callers check this before
    loading a detector: nothing is done for a run that would be refused)."""
    out = Path(out_dir)
    # Inputs keep their path relative to the folder that holds them all, so a/x.jpg and b/x.jpg get
    # different outputs; no output may be one of the inputs (``--out`` pointed at the photos).
    relatives = relative_to_common_folder(images)
    outputs = [unique_output_name(relative, ".jpg") for relative in relatives]
    check_no_input_overwritten([out / name for name in outputs], images)
    # nor land among the photos: --out the photos' folder or a folder above it (mixing with the user's files)
    check_output_location(out, sorted({os.path.dirname(os.path.abspath(p)) for p in images}), inside_ok=True)
    return relatives, outputs


def detect_files(detector: Detector, images: Sequence[str | os.PathLike[str]], out_dir: str | os.PathLike[str],
                 score_threshold: float = SCORE_THRESHOLD.default, nms_iou: float = NMS_IOU.default,
                 flip: bool = False) -> dict[str, Any]:
    """Detect in each image file; write ``out_dir/<path>.jpg`` with boxes and ``out_dir/detections.json``.

    ``<path>`` is the image's path relative to the folder holding all ``images`` (a non-JPEG input gets a
    short hash in its name); an output that would overwrite an input, and an ``out_dir`` that is or holds
    the folder of an input, are refused before any work.

    ``flip``: the test-time flip (:meth:`Detector.detect_batch`). An unreadable image (missing,
    truncated, not an image, too large) is reported in the JSON
    (``"error"``, in input order) and skipped, not fatal. When no image at all can be read, a
    :class:`DataFileError` says so and nothing is written: an earlier ``detections.json`` stays.
    """
    from mlbasics.io.images import load_image, save_image

    SCORE_THRESHOLD.check(score_threshold)
    NMS_IOU.check(nms_iou)
    out = Path(out_dir)
    relatives, outputs = output_names(images, out)
    skipped: list[DataFileError] = []
    done: dict[int, dict[str, Any]] = {}
    for (index, _path), image in each_usable(list(enumerate(images)), lambda item: load_image(item[1]), skipped):
        found = detector.detect(image, score_threshold, nms_iou, flip)
        entry: dict[str, Any] = {"image": relatives[index],
                                 "detections": found.to_records(detector.spec.class_names), "output": outputs[index]}
        save_image(draw_detections(image, found, detector.spec.class_names), out / entry["output"])
        done[index] = entry
    require_usable(len(done), skipped, where=out, what="image")
    errors = iter(skipped)  # the skipped images, in input order
    report = {"images": [done[index] if index in done else {"image": relatives[index], "error": next(errors).reason}
                         for index in range(len(images))]}
    write_json(out / "detections.json", report)
    return report
