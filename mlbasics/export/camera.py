"""Camera frames versus training images: the pre-processing an app must repeat exactly.

Phone cameras deliver YUV frames (NV21 on Android, 420f on iOS) and photos that are
stored sideways with an orientation tag. A model trained on RGB, letterboxed, upright
images gets garbage if the app skips a step; these functions measure how much.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlbasics.basics.tensors import rgb_to_yuv, yuv_to_rgb
from mlbasics.cloud.model import Detection, iou

#: What the app does to a camera frame before the model sees it.
PIPELINES = {
    "RGB (as trained)": lambda frames: frames,
    "YUV fed as RGB (bug)": lambda frames: rgb_to_yuv(frames),
    "YUV converted to RGB (fix)": lambda frames: yuv_to_rgb(rgb_to_yuv(frames)),
    "rotated 90° (EXIF ignored)": lambda frames: np.rot90(frames, k=1, axes=(1, 2)).copy(),
}


def detection_quality(detections: list[Detection], boxes: np.ndarray) -> dict[str, float]:
    """Share of images with the right class, and mean IoU with the true box (``boxes`` ``(n, 5)``)."""
    right = [d.class_id == int(b[4]) for d, b in zip(detections, boxes)]
    ious = [iou(d.box, tuple(float(v) for v in b[:4])) for d, b in zip(detections, boxes)]
    return {"accuracy": float(np.mean(right)), "mean_iou": float(np.mean(ious))}


def compare_pipelines(detect: Callable[[np.ndarray], list[Detection]], frames: np.ndarray,
                      boxes: np.ndarray) -> dict[str, dict[str, float]]:
    """:func:`detection_quality` of ``detect`` on ``frames`` (``(n, h, w, 3)`` ``uint8`` RGB)
    after each of :data:`PIPELINES`."""
    return {name: detection_quality(detect(step(frames)), boxes) for name, step in PIPELINES.items()}
