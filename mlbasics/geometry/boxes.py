"""Boxes and their overlap.

Corner boxes are ``(..., 4)`` = ``x_min, y_min, x_max, y_max`` in pixels; size-only boxes are
``(..., 2)`` = ``width, height``.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-12


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one corner box ``(4,)`` with corner boxes ``(n, 4)``: ``(n,)`` float64 in ``[0, 1]``."""
    box, boxes = np.asarray(box, dtype=np.float64), np.asarray(boxes, dtype=np.float64)
    wh = np.clip(np.minimum(box[2:], boxes[:, 2:]) - np.maximum(box[:2], boxes[:, :2]), 0, None)
    inter = wh[:, 0] * wh[:, 1]
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, _EPS)


def wh_iou(wh: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """IoU of sizes ``(n, 2)`` and sizes ``(k, 2)`` placed at the same corner: ``(n, k)``.

    This is how YOLO compares a box with an anchor: shape only, position ignored.
    """
    wh, anchors = np.asarray(wh, dtype=np.float64), np.asarray(anchors, dtype=np.float64)
    inter = np.minimum(wh[:, None, 0], anchors[None, :, 0]) * np.minimum(wh[:, None, 1], anchors[None, :, 1])
    union = wh[:, None, 0] * wh[:, None, 1] + anchors[None, :, 0] * anchors[None, :, 1] - inter
    return inter / np.maximum(union, _EPS)


def non_max_suppression(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Indices ``(k,)`` int64 of the corner boxes ``(n, 4)`` kept, best score first: each kept box
    removes the lower-scored boxes that overlap it by more than ``iou_threshold``."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep = []
    while order.size:
        best, order = order[0], order[1:]
        keep.append(best)
        order = order[box_iou(boxes[best], boxes[order]) <= iou_threshold]
    return np.array(keep, dtype=np.int64)
