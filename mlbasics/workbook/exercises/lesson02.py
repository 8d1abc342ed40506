"""Exercises of lesson 02 (tensors and shapes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.geometry.colour import rgb_to_yuv
from mlbasics.workbook.exercises import exercise
from mlbasics.workbook.tensors import four_pixel_image


@exercise("02.1", "Shape of a batch of 8 RGB images of 416x416, channels-last, as a tuple.")
def batch_shape(answer: Any) -> tuple[bool, str]:
    if tuple(answer) == (8, 416, 416, 3):
        return True, "(batch, height, width, channels): the layout Keras uses by default."
    if sorted(tuple(answer)) == sorted((8, 416, 416, 3)):
        return False, "the right numbers in the wrong order: batch first, channels last."
    return False, "four axes: batch, height, width, channels."


@exercise("02.2", "The four-pixel image in channels-first layout (an array of shape (3, 2, 2)).")
def channels_first(answer: Any) -> tuple[bool, str]:
    array = np.asarray(answer)
    truth = np.moveaxis(four_pixel_image(), -1, 0)
    if array.shape != truth.shape:
        return False, f"shape should be (channels, height, width) = {truth.shape}, got {array.shape}."
    if np.array_equal(array, truth):
        return True, "array[0] is now the whole red plane: the red value of every pixel."
    return False, "right shape, wrong order of values: move the last axis to the front, don't reshape."


@exercise("02.3", "The luma Y (0-255, rounded to an int) of pure green (0, 255, 0) in BT.601.")
def green_luma(answer: Any) -> tuple[bool, str]:
    truth = int(rgb_to_yuv(np.array([[[0, 255, 0]]], dtype=np.uint8))[0, 0, 0])
    if int(answer) == truth:
        return True, "green carries most of the brightness our eyes see: 0.587 of it."
    return False, "Y = 0.299 R + 0.587 G + 0.114 B."
