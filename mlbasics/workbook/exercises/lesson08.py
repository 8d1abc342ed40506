"""Exercises of lesson 08 (evaluating and using the detector)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.geometry.boxes import non_max_suppression
from mlbasics.vision.yolo.metrics import average_precision
from mlbasics.workbook.exercises import exercise

RANKING = "TP, TP, FP, TP, FP"
TRUTHS = 4
NMS_BOXES = np.array([[0, 0, 10, 10], [2, 0, 12, 10], [5, 0, 15, 10], [30, 30, 40, 40]], dtype=float)
NMS_SCORES = np.array([0.9, 0.8, 0.7, 0.6])


def _ap_of_ranking() -> float:
    hits = np.array([1.0 if item.strip() == "TP" else 0.0 for item in RANKING.split(",")])
    true_pos = np.cumsum(hits)
    return average_precision(true_pos / TRUTHS, true_pos / np.arange(1, len(hits) + 1))


@exercise("08.1", f"Detections ranked by score are {RANKING}; there are {TRUTHS} true boxes. What is the AP "
                  "(all-point interpolation)?")
def ap_by_hand(answer: Any) -> tuple[bool, str]:
    truth = _ap_of_ranking()
    if np.isclose(float(answer), truth, atol=0.005):
        return True, "recall steps of 0.25 at precision 1, 1 and 0.75 (the 4th box is never found)."
    return False, ("write recall and precision after each detection; AP adds, for each recall step, the best "
                   "precision at that recall or beyond.")


@exercise("08.2", "Four boxes of one class: (0,0,10,10) 0.9, (2,0,12,10) 0.8, (5,0,15,10) 0.7, (30,30,40,40) 0.6. "
                  "How many are left after NMS with IoU threshold 0.5?")
def nms_by_hand(answer: Any) -> tuple[bool, str]:
    truth = len(non_max_suppression(NMS_BOXES, NMS_SCORES, 0.5))
    if int(answer) == truth:
        return True, "the second box overlaps the first by 0.67 and goes; the third overlaps it by only 0.33 and stays."
    return False, "take the best box, drop every box overlapping it by more than 0.5 IoU, repeat with the rest."
