"""Start the detector's objectness where the data are: a prior on the output biases.

With zero biases every one of the ``3 g^2`` slots per scale starts at objectness 0.5, so the first
steps are spent pushing thousands of background slots down, with a loss in the hundreds, and on a
small data set that push can bury the few object slots for dozens of epochs. Setting the objectness
bias to ``log(p / (1 - p))`` with ``p`` about one object per image over the slots (as YOLOv5 and
RetinaNet do) starts training where the answer "mostly background" already is.
"""

from __future__ import annotations

import math
from typing import Any

from mlbasics.vision.yolo.spec import YoloSpec


def set_objectness_prior(detector: Any, spec: YoloSpec, objects_per_image: float = 1.0) -> None:
    """Set the objectness biases of ``detector``'s output layers (``output_stride*``, coarsest first)
    to ``logit(objects_per_image / (3 g^2))`` for grid ``g``; the other biases are left as they are."""
    outputs = [layer for layer in detector.layers if layer.name.startswith("output_stride")]
    outputs.sort(key=lambda layer: -int(layer.name.removeprefix("output_stride")))
    for layer, grid, mask in zip(outputs, spec.grids, spec.masks):
        kernel, bias = layer.get_weights()
        p = min(objects_per_image / (len(mask) * grid * grid), 0.5)
        for slot in range(len(mask)):
            bias[slot * (5 + spec.num_classes) + 4] = math.log(p / (1 - p))
        layer.set_weights([kernel, bias])
