"""Target assignment: which output cell and anchor is responsible for each ground-truth box.

Each box goes to the one anchor (over all scales) whose shape matches it best (IoU of width
and height), at the grid cell that holds the box centre. That cell's slot for that anchor
gets the box (centre and size relative to the image), objectness 1 and a one-hot class.
This is keras-yolo3's ``preprocess_true_boxes``, vectorised. With ``anchor_threshold`` > 0 a box
also goes to every other anchor whose shape IoU with it exceeds the threshold (YOLOv4's
``iou_thresh``): more positive slots per box, which matters when there are few boxes to learn from.
"""

from __future__ import annotations

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.geometry.boxes import wh_iou
from mlbasics.vision.yolo.spec import YoloSpec


def assign_targets(boxes: np.ndarray, spec: YoloSpec, anchor_threshold: float = 0.0) -> list[np.ndarray]:
    """Targets for a batch.

    ``boxes``: ``(batch, max_boxes, 5)`` = ``x_min, y_min, x_max, y_max, class_id`` in input
    pixels (``spec.input_size``); rows with zero width are padding. Returns one array per scale
    (coarsest first), ``(batch, grid, grid, 3, 5 + num_classes)`` float32 with ``x, y, w, h`` in
    ``[0, 1]`` of the image, objectness and one-hot class.
    """
    boxes = np.asarray(boxes, dtype=np.float32)
    if boxes.ndim != 3 or boxes.shape[-1] != 5:
        raise InputError(f"boxes must have shape (batch, max_boxes, 5), got {boxes.shape}")
    classes = boxes[..., 4].astype(np.int64)
    valid = (boxes[..., 2] > boxes[..., 0]) & (boxes[..., 3] > boxes[..., 1])
    if np.any(valid & ((classes < 0) | (classes >= spec.num_classes))):
        raise InputError(f"a box has a class id outside 0..{spec.num_classes - 1}: classes file and data disagree")
    centre = (boxes[..., 0:2] + boxes[..., 2:4]) / 2 / spec.input_size
    size = (boxes[..., 2:4] - boxes[..., 0:2]) / spec.input_size
    batch_index, box_index = np.nonzero(valid)
    shape_iou = wh_iou(size[batch_index, box_index] * spec.input_size, spec.anchors)  # (boxes, anchors)
    best = np.argmax(shape_iou, axis=1)
    targets = []
    for grid, mask in zip(spec.grids, spec.masks):
        target = np.zeros((boxes.shape[0], grid, grid, len(mask), 5 + spec.num_classes), dtype=np.float32)
        for slot, anchor in enumerate(mask):
            chosen = (best == anchor) | ((shape_iou[:, anchor] > anchor_threshold) if anchor_threshold > 0 else False)
            b, n = batch_index[chosen], box_index[chosen]
            xy = centre[b, n]
            col = np.clip(np.floor(xy[:, 0] * grid).astype(np.int64), 0, grid - 1)
            row = np.clip(np.floor(xy[:, 1] * grid).astype(np.int64), 0, grid - 1)
            target[b, row, col, slot, 0:2] = xy
            target[b, row, col, slot, 2:4] = size[b, n]
            target[b, row, col, slot, 4] = 1.0
            target[b, row, col, slot, 5:] = 0.0
            target[b, row, col, slot, 5 + classes[b, n]] = 1.0
        targets.append(target)
    return targets
