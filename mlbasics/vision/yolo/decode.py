"""From raw outputs to boxes: decode each grid, keep confident boxes, suppress duplicates per class.

Everything here is NumPy, so it can be read, tested and run without TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlbasics.core import limits
from mlbasics.core.errors import InputError
from mlbasics.core.numeric import sigmoid
from mlbasics.geometry.boxes import non_max_suppression
from mlbasics.vision.yolo.spec import YoloSpec

#: Detection's two thresholds, declared once: every function that decodes boxes, ``yolo detect``'s options,
#: the exported web page and the widgets take these defaults (evaluation and COCO's label proposals use
#: lower score thresholds, with their reasons beside them).
SCORE_THRESHOLD = limits.Param("score_threshold", 0.3, limits.SCORE,
                               "smallest score (objectness x class probability) a box needs to be kept")
NMS_IOU = limits.Param("nms_iou", 0.45, limits.OVERLAP,
                       "IoU above which non-maximum suppression drops the lower-scored box of the same class")


@dataclass(frozen=True)
class Detections:
    """Boxes ``(n, 4)`` = ``x_min, y_min, x_max, y_max`` in pixels, ``scores (n,)``, ``classes (n,)`` int."""

    boxes: np.ndarray
    scores: np.ndarray
    classes: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    def to_records(self, class_names: Sequence[str]) -> list[dict]:
        """One JSON-ready dict per detection: class name, score and box (rounded pixels)."""
        return [
            {"class": class_names[int(c)], "score": round(float(s), 4), "box": [round(float(v), 1) for v in box]}
            for box, s, c in zip(self.boxes, self.scores, self.classes)
        ]


def decode_output(raw: np.ndarray, spec: YoloSpec, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """One image's output of ``scale`` (0 = coarsest) ``(g, g, 3 * (5 + C))`` -> corner boxes
    ``(g*g*3, 4)`` in input pixels and class scores ``(g*g*3, C)`` = objectness x class probability."""
    grid = spec.grids[scale]
    raw = np.asarray(raw, dtype=np.float64).reshape(grid, grid, len(spec.masks[scale]), 5 + spec.num_classes)
    xy = (sigmoid(raw[..., 0:2]) + spec.cell_offsets(scale)) / grid * spec.input_size
    wh = np.exp(np.minimum(raw[..., 2:4], 10.0)) * spec.scale_anchors(scale)
    boxes = np.concatenate([xy - wh / 2, xy + wh / 2], axis=-1).reshape(-1, 4)
    scores = (sigmoid(raw[..., 4:5]) * sigmoid(raw[..., 5:])).reshape(-1, spec.num_classes)
    return boxes, scores


def mirror_boxes(boxes: np.ndarray, width: float) -> np.ndarray:
    """Corner boxes ``(n, 4)`` of an image ``width`` pixels wide, mirrored left to right."""
    return np.stack([width - boxes[:, 2], boxes[:, 1], width - boxes[:, 0], boxes[:, 3]], axis=1)


def detect_from_outputs(
    outputs: Sequence[np.ndarray],
    spec: YoloSpec,
    score_threshold: float = SCORE_THRESHOLD.default,
    nms_iou: float = NMS_IOU.default,
    max_detections: int = 100,
    flipped_outputs: Sequence[np.ndarray] | None = None,
) -> list[Detections]:
    """Detections for each image of a batch of raw outputs ``(batch, g, g, 3 * (5 + C))``, one array
    per scale, coarsest first.

    Boxes are in input pixels (map them to the original image with the letterbox). Per-class NMS:
    a circle never suppresses a square. ``flipped_outputs``: the raw outputs of the same images
    mirrored left to right (test-time flip); their boxes are mirrored back and join the candidates
    before NMS, so each object is seen twice and the better-placed box wins.
    """
    SCORE_THRESHOLD.check(score_threshold)
    NMS_IOU.check(nms_iou)
    for name, given in (("outputs", outputs), ("flipped_outputs", flipped_outputs or outputs)):
        if len(given) != len(spec.grids):
            raise InputError(f"{name}: the {spec.model} model has {len(spec.grids)} scales, got {len(given)} arrays")
    results = []
    for index in range(len(outputs[0])):
        decoded = [decode_output(out[index], spec, scale) for scale, out in enumerate(outputs)]
        if flipped_outputs is not None:
            decoded += [(mirror_boxes(boxes, spec.input_size), scores) for boxes, scores in
                        (decode_output(out[index], spec, scale) for scale, out in enumerate(flipped_outputs))]
        boxes = np.concatenate([d[0] for d in decoded])
        scores = np.concatenate([d[1] for d in decoded])
        kept_boxes, kept_scores, kept_classes = [], [], []
        for cls in range(spec.num_classes):
            candidates = np.nonzero(scores[:, cls] >= score_threshold)[0]
            if not candidates.size:
                continue
            keep = candidates[non_max_suppression(boxes[candidates], scores[candidates, cls], nms_iou)]
            kept_boxes.append(boxes[keep])
            kept_scores.append(scores[keep, cls])
            kept_classes.append(np.full(len(keep), cls))
        if kept_scores:
            all_scores = np.concatenate(kept_scores)
            order = np.argsort(-all_scores, kind="stable")[:max_detections]
            results.append(Detections(np.concatenate(kept_boxes)[order], all_scores[order],
                                      np.concatenate(kept_classes)[order]))
        else:
            results.append(Detections(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64)))
    return results
