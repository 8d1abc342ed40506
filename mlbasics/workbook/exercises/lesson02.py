"""Exercises of lesson 02 (tensors and shapes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.geometry.colour import rgb_to_yuv
from mlbasics.workbook.exercises import exercise
from mlbasics.workbook.tensors import InputSpec, check_input, four_pixel_image

#: What the lesson's detector input takes (section "Catch shape bugs at the door").
DETECTOR_INPUT = InputSpec(shape=(None, 416, 416, 3), dtype="float32", value_range=(0.0, 1.0))


@exercise("02.1", "Build one batch for the detector (InputSpec (any, 416, 416, 3), float32, 0..1) that holds "
                  "two pictures: the letterboxed photo `square` and its mirror image (left and right swapped). "
                  "Give the batch.")
def mirrored_batch(answer: Any) -> tuple[bool, str]:
    try:
        batch = check_input(answer, DETECTOR_INPUT, name="your batch")
    except InputError as error:
        return False, f"check_input refuses it: {error}"
    if len(batch) != 2:
        return False, f"the batch holds {len(batch)} pictures; the exercise asks for two: the photo and its mirror."
    first, second = batch
    if np.ptp(first) < 0.05:
        return False, "the first picture is (nearly) one flat colour: start from `square`, the letterboxed photo."
    if np.array_equal(second, first):
        return False, "both pictures are the same: the second should be mirrored."
    if np.array_equal(second, first[::-1]):
        return False, "the second picture is upside down (rows reversed): a mirror swaps left and right, the columns."
    if np.array_equal(second, first[..., ::-1]):
        return False, "the second picture has its colour channels reversed (RGB -> BGR), not its left and right."
    if not np.array_equal(second, first[:, ::-1]):
        return False, "the second picture is not the first one mirrored: reverse the width axis of the first."
    return True, ("(2, 416, 416, 3): the batch axis holds the two pictures, and a mirror reverses axis 1 of each "
                  "(width) — the flip augmentation of lesson 07.")


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
