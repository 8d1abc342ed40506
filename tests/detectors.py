"""A stand-in for a trained detector, shared by the tests and the web benchmark (not part of the library:
no lesson or command needs a detector with made-up weights)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.vision.yolo.spec import YoloSpec


def stand_in_detector(spec: YoloSpec, images: np.ndarray, seed: int = 3) -> Any:
    """``spec``'s network with seeded random weights, its prediction layers rescaled on ``images``
    ``(n, S, S, 3)`` float32 in [0, 1] so the logits look like a trained detector's: box centres spread 1,
    sizes 0.3 (boxes near anchor size), objectness mostly low (bias -3), class scores spread 2. Fresh
    random weights give every score about 0.25 and boxes of any size. Returns the Keras model."""
    import keras

    from mlbasics.vision.yolo.model import build_detector

    keras.utils.set_random_seed(seed)
    model = build_detector(spec)
    anchors, fields = len(spec.masks[0]), 5 + spec.num_classes
    spread = np.array([1.0, 1.0, 0.3, 0.3, 2.0] + [2.0] * spec.num_classes)
    raw_outputs = model.predict(images, verbose=0)
    for raw in raw_outputs:
        layer = next(layer for layer in model.layers if layer.name.startswith("output_")
                     and tuple(layer.output.shape[1:]) == raw.shape[1:])
        kernel, bias = layer.get_weights()
        std = raw.reshape(-1, anchors, fields).std(axis=0)
        kernel = (kernel.reshape(*kernel.shape[:3], anchors, fields) * spread / np.maximum(std, 1e-6))
        bias = bias.reshape(anchors, fields).copy()
        bias[:, 4] = -3.0
        layer.set_weights([kernel.reshape(*kernel.shape[:3], -1), bias.reshape(-1)])
    return model
