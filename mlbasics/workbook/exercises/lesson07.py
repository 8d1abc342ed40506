"""Exercises of lesson 07 (training tiny-YOLOv3)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.geometry.boxes import wh_iou
from mlbasics.vision.yolo.model import expected_output_shapes
from mlbasics.workbook.exercises import exercise

ANCHORS = np.array([[10, 14], [23, 27], [37, 58], [81, 82], [135, 169], [344, 319]])


@exercise("07.1", "Tiny YOLOv3 at 320x320 input with 4 classes: give its two output shapes, without the batch "
                  "axis, as a list of (height, width, channels).")
def output_shapes_320(answer: Any) -> tuple[bool, str]:
    truth = expected_output_shapes(320, 4)
    given = [tuple(int(v) for v in shape) for shape in answer]
    if given == truth:
        return True, "strides 32 and 16 give 10x10 and 20x20; 3 anchors x (4 box + 1 objectness + 4 classes) = 27."
    if len(given) != 2:
        return False, "tiny YOLOv3 has two outputs: the coarse grid first."
    if [g[:2] for g in given] != [t[:2] for t in truth]:
        return False, "the grids are the input size divided by 32 and by 16."
    return False, "channels: each of the 3 anchors per cell predicts 4 box numbers, 1 objectness and one per class."


@exercise("07.2", f"With the anchors {ANCHORS.tolist()}, which anchor index is a 30x60 box assigned to?")
def best_anchor(answer: Any) -> tuple[bool, str]:
    truth = int(np.argmax(wh_iou(np.array([[30, 60]]), ANCHORS)[0]))
    if int(answer) == truth:
        return True, "it has the highest IoU with the box (compared as if both sat at the same corner)."
    return False, "compute the IoU of a 30x60 box with each anchor placed at the same corner; take the largest."
