"""Exercises of lesson 12 (export to mobile).

12.2 and 12.3 put the reader's code in front of the exported detector, as an app would: camera
frames go through it into lesson 07's detector (TFLite float32, :func:`lesson_detector`), and the
check reports what the detector finds (mAP@0.5 and the share of true boxes found, as lesson 08
measures them) beside what it finds with the right pre-processing, then names what is off.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mlbasics.core.quiet import quiet_import
from mlbasics.data.synthetic import SceneStyle, render_scene
from mlbasics.export.camera import ImageProxy, camerax_image, detection_quality
from mlbasics.export.parity import Runner, check_parity, detector_decoder
from mlbasics.export.tflite import TfliteRunner, calibrated_input_range, convert_quietly, tensor_types, to_tflite
from mlbasics.geometry.camera import rotate, yuv420_to_rgb
from mlbasics.geometry.colour import rgb_to_yuv
from mlbasics.geometry.letterbox import Letterbox, letterbox
from mlbasics.vision.yolo.decode import Detections
from mlbasics.vision.yolo.detect import Detector
from mlbasics.vision.yolo.model import tiny_yolo3
from mlbasics.vision.yolo.spec import YoloSpec
from mlbasics.workbook import lessons
from mlbasics.workbook.exercises import exercise


def _scenes(count: int, height: int, width: int, seed: int) -> np.ndarray:
    """``(count, height, width, 3)`` uint8 synthetic scenes: the shapes lesson 07 detects."""
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


# 12.2 and 12.3: the reader's pre-processing in front of the exported detector.

#: Camera frames each of 12.2 and 12.3 runs through the detector (a second or two with TFLite).
FRAMES = 16
#: Levels (of 255) a right answer may differ from the right pre-processing by: YUV rounding.
TOLERANCE = 3


@dataclass(frozen=True)
class ExerciseDetector:
    """The detector 12.2 and 12.3 run: ``run`` maps ``(n, s, s, 3)`` float32 in [0, 1] to raw grids by
    name (an exported model's runner), ``spec`` says how to decode them."""

    run: Runner
    spec: YoloSpec


@functools.cache
def lesson_detector() -> ExerciseDetector:
    """Lesson 07's detector exported to TFLite float32, the file an app ships: converted once and kept
    beside the weights in the cache (lesson 07 trains first if its weights are missing)."""
    weights = lessons.trained_weights()
    detector = Detector.load(weights)
    target = weights.with_name("exercises12.tflite")
    if not target.is_file() or target.stat().st_mtime < weights.stat().st_mtime:
        to_tflite(detector.model, target)
    return ExerciseDetector(TfliteRunner(target), detector.spec)


@dataclass(frozen=True)
class Measured:
    """What the detector found in the frames: mAP@0.5 and the share of true boxes found."""

    map50: float
    found: float

    def __str__(self) -> str:
        return f"{self.found:.0%} of the true boxes found, mAP@0.5 {self.map50:.2f}"


def _measure(detector: ExerciseDetector, inputs: np.ndarray, placements: Sequence[Letterbox],
             frame_sizes: Sequence[tuple[int, int]], truths: Sequence[np.ndarray]) -> Measured:
    """Run ``inputs`` ``(n, s, s, 3)`` float32 through the detector, map each frame's boxes back through
    its letterbox into the frame (``(width, height)``) and measure them against ``truths``."""
    found = detector_decoder(detector.spec, score_threshold=0.01)(detector.run(inputs.astype(np.float32)))
    back = []
    for det, placement, (width, height) in zip(found, placements, frame_sizes):
        boxes = np.clip(placement.boxes_to_original(det.boxes), 0, [width, height, width, height])
        back.append(Detections(boxes.reshape(-1, 4), det.scores, det.classes))
    quality = detection_quality(back, truths, detector.spec.num_classes)
    return Measured(quality["mAP@0.5"], quality["boxes found"])


def _camera_scenes(width: int, height: int, seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """:data:`FRAMES` upright RGB scenes ``(FRAMES, height, width, 3)`` uint8 and their true boxes."""
    rng = np.random.default_rng(seed)
    scenes = [render_scene(rng, SceneStyle(width, height)) for _ in range(FRAMES)]
    return np.stack([image for image, _ in scenes]), [boxes for _, boxes in scenes]


def _worst(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)).max())


def _closest(got: np.ndarray, mistakes: dict[str, np.ndarray], scale: float) -> str | None:
    """The hint of the mistake ``got`` reproduces (mean difference under :data:`TOLERANCE` levels of
    ``scale``), the closest one if several do."""
    errors = {hint: float(np.abs(got - wrong).mean()) for hint, wrong in mistakes.items() if wrong.shape == got.shape}
    near = {hint: error for hint, error in errors.items() if error <= TOLERANCE * scale / 255}
    return min(near, key=near.__getitem__) if near else None


#: Hints of 12.2 and 12.3 that are about colour: a shape detector trained with colour jitter may not notice.
_COLOUR = ("YUV", "BGR", "U and V", "colours")


def _explained(hint: str, yours: Measured, reference: Measured) -> str:
    """``hint`` as a sentence, with a word on why the detector barely moved when a colour mistake did not
    move it."""
    text = f"{hint[0].upper()}{hint[1:]}" + ("" if hint.endswith("?") else ".")
    if any(word in hint for word in _COLOUR) and yours.map50 >= reference.map50 - 0.05:
        text += (" This detector hardly notices (it learned shapes, trained with colour jitter), but it was not "
                 "fed what it was trained on: a detector whose classes differ by colour would.")
    return text


def _stretched(frame: np.ndarray, size: int) -> np.ndarray:
    return np.asarray(Image.fromarray(frame).resize((size, size), Image.Resampling.BICUBIC))


def _at_top(frame: np.ndarray, size: int, fill: int = 128) -> np.ndarray:
    square = np.full((size, size, 3), fill, dtype=np.uint8)
    square[: frame.shape[0], : frame.shape[1]] = frame
    return square


@exercise("12.2", "Write prepare(frame), the app's step before every call to the detector. The camera gives "
                  "a YUV frame ((h, w, 3) uint8, BT.601 full range, as rgb_to_yuv makes it), wider than tall; the "
                  "detector takes one (s, s, 3) float32 square, made as training made it. The check runs the "
                  "exported detector on 16 frames through your prepare, maps the boxes back through the "
                  "lesson's letterbox and compares what it finds with the right pre-processing.")
def prepare_frames(answer: Any) -> tuple[bool, str]:
    detector = lesson_detector()
    size = detector.spec.input_size
    rgb, truths = _camera_scenes(size, size * 3 // 4, seed=122)
    frames = rgb_to_yuv(rgb)
    placed = [letterbox(frame, size) for frame in rgb]
    placements = [placement for _, placement in placed]
    right = np.stack([square for square, _ in placed]).astype(np.float32) / 255
    got = []
    for frame in frames:
        square = np.asarray(answer(frame.copy()), dtype=np.float32)
        if square.shape != (size, size, 3):
            square = square[0] if square.shape == (1, size, size, 3) else square
        if square.shape != (size, size, 3):
            if square.shape == frame.shape:
                return False, (f"prepare returned the frame's own shape {frame.shape}; the detector takes a "
                               f"{size}x{size} square: fit the frame in without stretching it (letterbox).")
            return False, f"prepare should return ({size}, {size}, 3) float32 for the detector, got {square.shape}"
        got.append(square)
    inputs = np.stack(got)
    sizes = [(size, size * 3 // 4)] * FRAMES
    yours, reference = (_measure(detector, x, placements, sizes, truths) for x in (inputs, right))
    measured = (f"On {FRAMES} camera frames, through your prepare the detector gives {yours}; through the right "
                f"one {reference}.")
    worst = _worst(inputs, right) * 255
    if worst <= TOLERANCE:
        return True, (f"{measured} The app runs this before every call, and maps the boxes back through the "
                      "same letterbox.")
    if inputs.max() > 1.5:
        return False, (f"{measured} Your values reach {inputs.max():.0f}: the model was trained on pixels "
                       "divided by 255, and 255 times larger inputs push every activation far out of range.")
    mistakes = {
        "the frame is still YUV: brightness went in as red and colour differences as green and blue": np.stack(
            [letterbox(frame, size)[0] for frame in frames]),
        "the frame is stretched to the square, so every box comes back through the letterbox at the wrong "
        "height: keep the aspect ratio and pad": np.stack([_stretched(frame, size) for frame in rgb]),
        "the frame sits at the top of the square: training centred it, padding both sides alike, so every "
        "box comes back shifted": np.stack([_at_top(frame, size) for frame in rgb]),
        "the padding is black: training padded with grey (128)": np.stack(
            [letterbox(frame, size, fill=0)[0] for frame in rgb]),
        "the colour channels are reversed (BGR): the model was trained on RGB": right[..., ::-1] * 255,
    }
    hint = _closest(inputs, {h: w.astype(np.float32) / 255 for h, w in mistakes.items()}, 1.0)
    if hint is None:
        return False, (f"{measured} Your input differs from the right one by up to {worst:.0f} levels: "
                       "convert the colours back to RGB, letterbox to the square with grey padding, scale to [0, 1].")
    return False, f"{measured} {_explained(hint, yours, reference)}"


@exercise("12.3", "An Android phone's CameraX hands your analyzer an image: image.planes are Y, U and V "
                  "(YUV_420_888; each plane has .buffer, .row_stride and .pixel_stride), image.width x "
                  "image.height is the frame as the sensor sees it, and image.rotation_degrees says how far to "
                  "turn it clockwise to make it upright. This phone's frames are video range, BT.601. Write "
                  "read(image) returning the upright RGB frame (h, w, 3) uint8. The check runs the exported "
                  "detector on 16 frames read by your function and compares with the right reading.")
def camerax_read(answer: Any) -> tuple[bool, str]:
    detector = lesson_detector()
    size = detector.spec.input_size
    upright, truths = _camera_scenes(size * 3 // 4, size, seed=123)  # held upright: taller than wide
    images = [camerax_image(frame, rotation_degrees=90) for frame in upright]

    def read_right(image: ImageProxy, full_range: bool = False, matrix: str = "bt601", swap: bool = False,
                   pixel_stride: int | None = None, degrees: int | None = None) -> np.ndarray:
        y, u, v = image.planes
        u, v = (v, u) if swap else (u, v)
        rgb = yuv420_to_rgb(y.buffer, u.buffer, v.buffer, image.width, image.height, y_row_stride=y.row_stride,
                            uv_row_stride=u.row_stride, uv_pixel_stride=pixel_stride or u.pixel_stride,
                            full_range=full_range, matrix=matrix)
        return rotate(rgb, image.rotation_degrees if degrees is None else degrees)

    truth = np.stack([read_right(image) for image in images])
    got = [np.asarray(answer(image)) for image in images]
    shapes = {frame.shape for frame in got}
    if len(shapes) != 1 or any(frame.ndim != 3 or frame.shape[2] != 3 for frame in got):
        return False, f"read should return one (h, w, 3) RGB frame per image, got shapes {sorted(shapes)}"
    frames = np.stack(got)
    if frames.dtype != np.uint8:
        return False, f"return uint8 RGB (0-255, as the camera's bytes), got {frames.dtype}"
    placed = [letterbox(frame, size) for frame in frames]
    right_placed = [letterbox(frame, size) for frame in truth]
    yours = _measure(detector, np.stack([s for s, _ in placed]) / 255, [p for _, p in placed],
                     [(f.shape[1], f.shape[0]) for f in frames], truths)
    reference = _measure(detector, np.stack([s for s, _ in right_placed]) / 255, [p for _, p in right_placed],
                         [(f.shape[1], f.shape[0]) for f in truth], truths)
    measured = (f"On {FRAMES} camera frames read by your function the detector gives {yours}; with the right "
                f"reading {reference}.")
    if frames.shape[1:3] == truth.shape[2:0:-1]:
        return False, (f"{measured} Your frames are {frames.shape[2]} wide and {frames.shape[1]} tall, the "
                       "sensor's sideways view: the detector finds the shapes, but its boxes land on the wrong "
                       "places of the upright picture. Turn the frame by image.rotation_degrees.")
    if frames.shape != truth.shape:
        return False, f"{measured} The upright frames are {truth.shape[1:]}; yours are {frames.shape[1:]}."
    worst = _worst(frames, truth)
    if worst <= TOLERANCE:
        return True, (f"{measured} An analyzer does this once per frame before the letterbox; the planes' strides "
                      "and the rotation come with each image, so read them from it, never assume them.")
    mistakes = {
        "the frame is upside down: rotation_degrees is clockwise (numpy's rot90 turns anticlockwise)":
            np.stack([read_right(image, degrees=(image.rotation_degrees + 180) % 360) for image in images]),
        "U and V are swapped, so blues turn orange and reds turn blue: which plane is U?":
            np.stack([read_right(image, swap=True) for image in images]),
        "the colours are scrambled: U and V samples sit pixel_stride bytes apart in their buffers":
            np.stack([read_right(image, pixel_stride=1) for image in images]),
        "the colours are a little off everywhere: which range do this phone's frames use?":
            np.stack([read_right(image, full_range=True) for image in images]),
        "the colours are a little off everywhere: which colour matrix do this phone's frames use?":
            np.stack([read_right(image, matrix="bt709") for image in images]),
    }
    hint = _closest(frames.astype(np.float32), {h: w.astype(np.float32) for h, w in mistakes.items()}, 255.0)
    if hint is None:
        return False, (f"{measured} Your pixels are off by up to {worst:.0f} levels: each plane's rows are "
                       "row_stride bytes long and its samples pixel_stride bytes apart.")
    return False, f"{measured} {_explained(hint, yours, reference)}"
