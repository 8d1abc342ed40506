"""From raw outputs to boxes: decode each grid, keep confident boxes, suppress duplicates per class.

Everything here is NumPy, so it can be read, tested and run without TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlbasics.core.numeric import sigmoid
from mlbasics.core.validation import check_fraction
from mlbasics.geometry.boxes import non_max_suppression


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


def decode_output(raw: np.ndarray, anchors: np.ndarray, num_classes: int, input_size: int):
    """One image's output ``(g, g, 3 * (5 + C))`` -> corner boxes ``(g*g*3, 4)`` in input pixels and
    class scores ``(g*g*3, C)`` = objectness x class probability."""
    grid = raw.shape[0]
    raw = raw.reshape(grid, grid, len(anchors), 5 + num_classes).astype(np.float64)
    cols, rows = np.meshgrid(np.arange(grid), np.arange(grid))
    cells = np.stack([cols, rows], axis=-1)[:, :, None, :]
    xy = (sigmoid(raw[..., 0:2]) + cells) / grid * input_size
    wh = np.exp(np.minimum(raw[..., 2:4], 10.0)) * np.asarray(anchors)
    boxes = np.concatenate([xy - wh / 2, xy + wh / 2], axis=-1).reshape(-1, 4)
    scores = (sigmoid(raw[..., 4:5]) * sigmoid(raw[..., 5:])).reshape(-1, num_classes)
    return boxes, scores


def detect_from_outputs(
    outputs: Sequence[np.ndarray],
    anchors: np.ndarray,
    masks: Sequence[Sequence[int]],
    num_classes: int,
    input_size: int,
    score_threshold: float = 0.3,
    nms_iou: float = 0.45,
    max_detections: int = 100,
) -> list[Detections]:
    """Detections for each image of a batch of raw outputs (one array per scale, coarsest first).

    Boxes are in input pixels (map them to the original image with the letterbox). Per-class NMS:
    a circle never suppresses a square.
    """
    check_fraction("score_threshold", score_threshold)
    check_fraction("nms_iou", nms_iou, allow_zero=False)
    anchors = np.asarray(anchors, dtype=np.float64)
    results = []
    for index in range(len(outputs[0])):
        decoded = [decode_output(np.asarray(out[index]), anchors[list(mask)], num_classes, input_size)
                   for out, mask in zip(outputs, masks)]
        boxes = np.concatenate([d[0] for d in decoded])
        scores = np.concatenate([d[1] for d in decoded])
        kept_boxes, kept_scores, kept_classes = [], [], []
        for cls in range(num_classes):
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
