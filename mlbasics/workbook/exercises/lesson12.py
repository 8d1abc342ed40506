"""Exercises of lesson 12 (export to mobile)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.quiet import quiet_import
from mlbasics.export.camera import camera_buffer
from mlbasics.export.parity import check_parity
from mlbasics.export.tflite import TfliteRunner, calibrated_input_range, convert_quietly, tensor_types
from mlbasics.geometry.camera import nv12_to_rgb, rotate
from mlbasics.geometry.colour import rgb_to_yuv
from mlbasics.vision.yolo.model import tiny_yolo3
from mlbasics.workbook.exercises import exercise


def _scenes(count: int, height: int, width: int, seed: int) -> np.ndarray:
    """``(count, height, width, 3)`` uint8 synthetic scenes: the shapes lesson 07 detects."""
    from mlbasics.data.synthetic import SceneStyle, render_scene

    rng = np.random.default_rng(seed)
    return np.stack([render_scene(rng, SceneStyle(width, height))[0] for _ in range(count)])


@exercise("12.1", "Write full_int8(converter, frames): set up the tf.lite.TFLiteConverter `converter` for "
                  "full-integer int8 (weights AND activations), calibrated on `frames` ((n, s, s, 3) uint8 "
                  "letterboxed RGB frames; the model is fed float32 scaled to [0, 1]). The check converts a small "
                  "detector with it and measures what calibration recorded.")
def full_int8_setup(answer: Any) -> tuple[bool, str]:
    with quiet_import():
        import keras
        import tensorflow as tf


    keras.utils.set_random_seed(12)
    model = tiny_yolo3(64, 3, width=0.125)  # the lesson's network, small and untrained: ranges matter, not skill
    frames = _scenes(40, 64, 64, seed=12)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    answer(converter, frames[:32])
    data = convert_quietly(converter)
    path = Path(tempfile.mkdtemp(prefix="exercise12-1-"), "model.tflite")
    path.write_bytes(data)
    types = tensor_types(path)
    if "float32" in types["tensors"]:
        return False, (f"{types['tensors']['float32']} tensors between input and outputs are still float32: "
                       "activations are not quantised. Full integer needs calibration data and an int8-only op set.")
    if types["input"] != "float32":
        return False, (f"the input became {types['input']}: fine on a device, but this exercise (like the lesson) "
                       "keeps float32 input and outputs so the app feeds the same frames as to every other format")
    low, high = calibrated_input_range(path) or (0.0, 0.0)
    if not (low <= 0.01 and 0.5 <= high <= 1.05):
        return False, (f"calibration recorded an input range of [{low:.3g}, {high:.3g}], but the model is fed [0, 1]: "
                       "the representative data must be what the model is fed, pre-processed the same way.")
    parity = check_parity(model, TfliteRunner(path), frames[32:].astype(np.float32) / 255)
    return True, (f"all int8 between float32 ends, input range [{low:.2f}, {high:.2f}], {len(data) / 1e3:.0f} kB, "
                  f"grids within {parity.worst:.3f} of Keras on 8 other frames. The lesson's format does the same.")


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


@exercise("12.3", "Write read(y, uv, width, height, stride) that turns an iPhone camera buffer into the upright "
                  "RGB frame (h, w, 3) uint8 the model needs. The buffer: NV12 '420f' (full range, BT.601), y and "
                  "uv flat uint8 planes whose rows are `stride` bytes (bytesPerRow, padded), width x height as the "
                  "sensor sees it, the sensor mounted so the frame must be turned 90° clockwise.")
def nv12_read(answer: Any) -> tuple[bool, str]:
    upright = _scenes(1, 48, 64, seed=3)[0]  # not square: a missing or wrong turn shows in the shape or the picture
    y, uv, width, height, stride = camera_buffer(upright, full_range=True, matrix="bt601", row_padding=64,
                                                 sensor_rotation=90)
    def right_but(full_range: bool = True, matrix: str = "bt601") -> np.ndarray:
        rgb = nv12_to_rgb(y, uv, width, height, y_row_stride=stride, uv_row_stride=stride, full_range=full_range,
                          matrix=matrix)
        return rotate(rgb, 90)

    truth = right_but()
    got = np.asarray(answer(y.copy(), uv.copy(), width, height, stride))
    if got.shape == truth.shape[1::-1] + (3,):
        return False, "height and width are swapped: the sensor's frame is sideways; turn it to make it upright."
    if got.shape != truth.shape or got.dtype != np.uint8:
        return False, f"return a uint8 array of shape {truth.shape}, got {got.dtype} {got.shape}"
    error = int(np.abs(got.astype(int) - truth).max())
    if error <= 2:
        return True, ("this is the step an app writes once per camera API (CameraX: yuv420_to_rgb with its row and "
                      "pixel strides, rotationDegrees).")
    mistakes = {"it is upside down: the turn goes the other way round": rotate(truth, 180),
                "the colours are off a little everywhere: which range does '420f' use?": right_but(full_range=False),
                "the colours are off a little everywhere: which colour matrix does the buffer use?":
                    right_but(matrix="bt709")}
    for hint, wrong in mistakes.items():
        if int(np.abs(got.astype(int) - wrong).max()) <= 2:
            return False, hint
    return False, (f"pixels are off by up to {error} levels. Each plane's rows are {stride} bytes long, not "
                   f"{width}: mlbasics.geometry.camera reads padded planes.")
