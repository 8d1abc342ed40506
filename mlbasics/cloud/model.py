"""The example model the cloud and export lessons train and ship: a tiny single-object detector.

Input ``(batch, size, size, 3)`` float32 RGB in ``[0, 1]``; outputs ``box``
``(batch, 4)`` (centre x, centre y, width, height as fractions of the image, sigmoid) and
``class`` ``(batch, classes)`` (softmax). It stands in for the YOLO detector with the
same file interface (annotation file in, ``.weights.h5`` and ``.keras`` out), small enough
to train in under a minute on a laptop CPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlbasics.validation import check_array, check_positive_int


def build_detector(image_size: int = 64, num_classes: int = 3) -> Any:
    """A Keras functional model: 3 conv blocks, a dense layer, a box head and a class head."""
    import keras
    from keras import layers

    image_size = check_positive_int("image_size", image_size)
    num_classes = check_positive_int("num_classes", num_classes)
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = inputs
    for filters in (16, 32, 48):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    box = layers.Dense(4, activation="sigmoid", name="box")(x)
    cls = layers.Dense(num_classes, activation="softmax", name="class")(x)
    return keras.Model(inputs, {"box": box, "class": cls}, name="tiny_detector")


def boxes_to_targets(boxes: np.ndarray, image_size: int) -> dict[str, np.ndarray]:
    """Pixel boxes ``(n, 5)`` -> training targets ``{"box": (n, 4) cx, cy, w, h in [0, 1], "class": (n,)}``."""
    boxes = check_array("boxes", boxes, shape=(None, 5))
    x0, y0, x1, y1 = (boxes[:, i] / image_size for i in range(4))
    centre = np.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], axis=1)
    return {"box": centre.astype(np.float32), "class": boxes[:, 4].astype(np.int32)}


@dataclass(frozen=True)
class Detection:
    """One decoded detection: pixel box ``(x_min, y_min, x_max, y_max)``, class id and its probability."""

    box: tuple[float, float, float, float]
    class_id: int
    score: float


def decode(outputs: dict[str, np.ndarray], image_size: int) -> list[Detection]:
    """Model outputs for a batch -> one :class:`Detection` per image, in pixels of the model input."""
    boxes = check_array("outputs['box']", outputs["box"], shape=(None, 4))
    probs = check_array("outputs['class']", outputs["class"], ndim=2)
    detections = []
    for (cx, cy, w, h), p in zip(boxes * image_size, probs):
        box = (float(cx - w / 2), float(cy - h / 2), float(cx + w / 2), float(cy + h / 2))
        detections.append(Detection(box, int(np.argmax(p)), float(np.max(p))))
    return detections


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two ``(x_min, y_min, x_max, y_max)`` boxes."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
