"""Exercises of lesson 13 (your own photos)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.geometry.letterbox import letterbox_scale
from mlbasics.workbook.exercises import exercise

#: raccoon-1.jpg's box as LabelImg saved it, and the photo's size.
BOX = (81, 88, 522, 408)
PHOTO = (650, 417)
#: Exercise 13.2: a box this wide in a photo of this size, letterboxed to this input.
WIDE, SIZE, INPUT = 40, (1000, 750), 224


def _yolo_line() -> np.ndarray:
    x0, y0, x1, y1 = BOX
    w, h = PHOTO
    return np.array([0, (x0 + x1) / 2 / w, (y0 + y1) / 2 / h, (x1 - x0) / w, (y1 - y0) / h])


@exercise("13.1", f"Write the YOLO txt line (class 0) of the box {BOX} (x_min, y_min, x_max, y_max) in a "
                  f"{PHOTO[0]}x{PHOTO[1]} photo.")
def yolo_line(answer: Any) -> tuple[bool, str]:
    try:
        values = np.array([float(v) for v in str(answer).split()])
    except ValueError:
        return False, "five numbers separated by spaces: class, centre x, centre y, width, height."
    truth = _yolo_line()
    if values.shape == truth.shape and np.allclose(values, truth, atol=5e-4):
        return True, "centre and size, each divided by the photo's width or height: the line survives any resize."
    return False, ("YOLO txt stores the box centre and size, not corners, each divided by the photo's width "
                   "(x values) or height (y values).")


@exercise("13.2", f"A {WIDE}-pixel-wide box in a {SIZE[0]}x{SIZE[1]} photo: how wide is it after letterboxing "
                  f"to {INPUT}x{INPUT}?")
def letterboxed_width(answer: Any) -> tuple[bool, str]:
    truth = WIDE * letterbox_scale(SIZE, INPUT)
    if abs(float(answer) - truth) <= 0.1:
        return True, (f"{truth:.2f} pixels: below the finest stride (16), one grid cell sees it as a speck; "
                      "a larger input, or tiles, would help.")
    return False, "the letterbox scales the longer side to the input size; the box shrinks by the same factor."
