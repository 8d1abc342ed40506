"""Exercises of lesson 06 (detection data and anchors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.geometry.boxes import box_iou
from mlbasics.workbook.exercises import exercise

BOX_A = (10, 10, 50, 50)
BOX_B = (30, 30, 70, 70)
BROKEN_LINE = "images/cat.jpg 120,40,80,90,0 10,10,30,30,7"


@exercise("06.1", f"What is the IoU of the boxes {BOX_A} and {BOX_B} (x_min, y_min, x_max, y_max)?")
def iou_by_hand(answer: Any) -> tuple[bool, str]:
    truth = float(box_iou(np.array(BOX_A, float), np.array([BOX_B], float))[0])
    if np.isclose(float(answer), truth, atol=0.005):
        return True, "overlap 20x20 = 400, union 1600 + 1600 - 400 = 2800."
    return False, "IoU = overlap area / (area A + area B - overlap area); the overlap is a 20x20 square."


@exercise("06.2", f"Fix this annotation line for a 2-class classes file (give the corrected line): {BROKEN_LINE!r}")
def fix_line(answer: Any) -> tuple[bool, str]:
    from mlbasics.data.annotation_lines import parse_line

    try:
        sample = parse_line(str(answer), num_classes=2, base=Path("."), check_images=False)
    except ValueError as exc:
        return False, f"the validator still says: {exc}"
    if len(sample.boxes) != 2:
        return False, "keep both boxes: fix them, do not drop them."
    if not np.array_equal(sample.boxes[0, :4], [80, 40, 120, 90]):
        return False, "the first box has x_min and x_max swapped: swap them back, keep y as it is."
    return True, "the corners are in order and every class id is in the classes file."
