"""Exercises of lesson 06 (detection data and anchors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.data.annotation_lines import parse_line
from mlbasics.geometry.boxes import box_iou
from mlbasics.workbook.exercises import exercise

BOX_A = (10, 10, 50, 50)
BOX_B = (30, 30, 70, 70)
#: Exercise 06.2: a line from a tool that counts classes from 1, for the classes file ``cat``, ``dog``.
CLASSES_06_2 = ("cat", "dog")
BROKEN_LINE = "images/cat.jpg 120,40,80,90,1 10,10,30,30,2"


@exercise("06.1", f"What is the IoU of the boxes {BOX_A} and {BOX_B} (x_min, y_min, x_max, y_max)?")
def iou_by_hand(answer: Any) -> tuple[bool, str]:
    truth = float(box_iou(np.array(BOX_A, float), np.array([BOX_B], float))[0])
    if np.isclose(float(answer), truth, atol=0.005):
        return True, "overlap 20x20 = 400, union 1600 + 1600 - 400 = 2800."
    return False, "IoU = overlap area / (area A + area B - overlap area); the overlap is a 20x20 square."


@exercise("06.2", f"The classes file lists {', '.join(CLASSES_06_2)} (ids 0 and 1). An annotation tool that counts "
                  f"classes from 1 (cat = 1, dog = 2) and mixed up one box's corners wrote {BROKEN_LINE!r}: the first "
                  "box is the cat, the second the dog. Give the corrected line (as a string).")
def fix_line(answer: Any) -> tuple[bool, str]:
    try:
        sample = parse_line(str(answer), num_classes=len(CLASSES_06_2), base=Path("."), check_images=False)
    except ValueError as exc:
        return False, f"the validator still says: {exc}"
    if len(sample.boxes) != 2:
        return False, "keep both boxes: fix them, do not drop them."
    if not np.array_equal(sample.boxes[0, :4], [80, 40, 120, 90]):
        return False, "look at the first box's x values: x_min must be the smaller one; keep y as it is."
    if not np.array_equal(sample.boxes[1, :4], [10, 10, 30, 30]):
        return False, "the second box's corners were right: keep them."
    if sample.boxes[:, 4].astype(int).tolist() != [0, 1]:
        return False, ("the validator accepts any id below 2, but is each id the line number of its class in the "
                       "classes file, counting from 0?")
    return True, "the corners are in order and each class id counts from 0, as the classes file does."
