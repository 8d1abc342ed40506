"""Camera frames versus training images: the pre-processing an app must repeat exactly.

Phone cameras deliver YUV frames (NV21 on Android, 420f on iOS) and photos that are
stored sideways with an orientation tag. A detector trained on RGB, letterboxed, upright
images finds far less if the app skips a step; these functions measure how much, with the
YOLO track's metrics (mAP@0.5 and the share of true boxes found).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mlbasics.geometry.colour import rgb_to_yuv, yuv_to_rgb

#: What the app does to a camera frame before the model sees it.
PIPELINES = {
    "RGB (as trained)": lambda frames: frames,
    "YUV fed as RGB (bug)": lambda frames: rgb_to_yuv(frames),
    "YUV converted to RGB (fix)": lambda frames: yuv_to_rgb(rgb_to_yuv(frames)),
    "rotated 90° (EXIF ignored)": lambda frames: np.rot90(frames, k=1, axes=(1, 2)).copy(),
    "0-255, not scaled (bug)": lambda frames: frames.astype(np.float32) * 255,  # the model divides by 255
}


def detection_quality(detections: Sequence, truths: Sequence[np.ndarray], num_classes: int,
                      score_threshold: float = 0.3) -> dict[str, float]:
    """``{"mAP@0.5": ..., "boxes found": ...}``: mAP over all detections, and the share of true boxes
    ``(m, 5)`` per image matched (same class, IoU >= 0.5) by a detection scoring >= ``score_threshold``."""
    from mlbasics.vision.yolo.decode import Detections
    from mlbasics.vision.yolo.metrics import evaluate_detections, match_counts

    confident = [Detections(d.boxes[d.scores >= score_threshold], d.scores[d.scores >= score_threshold],
                            d.classes[d.scores >= score_threshold]) for d in detections]
    return {"mAP@0.5": evaluate_detections(detections, truths, num_classes).map,
            "boxes found": match_counts(confident, truths).recall}


def compare_pipelines(detect: Callable[[np.ndarray], Sequence], frames: np.ndarray, truths: Sequence[np.ndarray],
                      num_classes: int) -> dict[str, dict[str, float]]:
    """:func:`detection_quality` of ``detect`` (frames in 0-255 -> detections per frame; it scales by
    1/255 as training did) on ``frames`` (``(n, s, s, 3)`` ``uint8`` RGB, letterboxed) after each of
    :data:`PIPELINES`; ``truths`` are the upright frames' boxes."""
    return {name: detection_quality(detect(step(frames)), truths, num_classes) for name, step in PIPELINES.items()}
