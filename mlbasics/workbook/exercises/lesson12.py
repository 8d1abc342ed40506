"""Exercises of lesson 12 (export to mobile)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.geometry.colour import rgb_to_yuv
from mlbasics.workbook.exercises import exercise


@exercise("12.1", "Which TFLite precision makes the smallest file: 'float32', 'float16' or 'int8'?")
def smallest_precision(answer: Any) -> tuple[bool, str]:
    import keras

    from mlbasics.export.tflite import PRECISIONS, tflite_bytes
    from mlbasics.vision.yolo.model import tiny_yolo3

    keras.utils.set_random_seed(0)
    model = tiny_yolo3(32, 2, width=0.125)  # the lesson's network, small: sizes compare the same way
    sizes = {p: len(tflite_bytes(model, p)) for p in PRECISIONS}
    truth = min(sizes, key=sizes.__getitem__)
    if str(answer) == truth:
        return True, f"sizes in bytes here: {sizes}. Weights dominate the file: 1 byte each beats 2 or 4."
    return False, "look at the MB column of the lesson's table, or count bytes per weight for each precision."


@exercise("12.2", "Write fix(frame) that turns a YUV camera frame (uint8, (h, w, 3)) into the RGB frame the "
                  "model was trained on.")
def yuv_fix(answer: Any) -> tuple[bool, str]:
    rgb = np.random.default_rng(12).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    fixed = np.asarray(answer(rgb_to_yuv(rgb)))
    if fixed.shape != rgb.shape or fixed.dtype != np.uint8:
        return False, f"return a uint8 array of shape {rgb.shape}, got {fixed.dtype} {fixed.shape}"
    error = int(np.abs(fixed.astype(int) - rgb).max())
    if error <= 2:
        return True, "this conversion belongs in the app, before every call to the model."
    return False, f"pixels are off by up to {error} levels; mlbasics.workbook.tensors has the BT.601 inverse."


@exercise("12.3", "Which Core ML class reports, on the device, whether each operation of a model runs on the "
                  "CPU, the GPU or the Neural Engine? (its name, a string)")
def placement_api(answer: Any) -> tuple[bool, str]:
    if str(answer).strip() == "MLComputePlan":
        return True, ("macOS 14+ / iOS 17+: MLComputePlan.load(contentsOf:configuration:), then deviceUsage(for:) per "
                      "operation. Only the device knows; a Linux machine can list the operations, not place them.")
    return False, "the lesson's Core ML section prints the Swift that asks for the placement."
