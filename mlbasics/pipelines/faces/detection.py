"""Which faces the detector must find: a policy chosen by the smallest face, not by image size.

dlib's HOG face detector (and its CNN detector, ``mmod_human_face_detector.dat``) finds faces
down to about :data:`SMALLEST_FOUND` pixels in the image it is given. To find smaller faces the
image is enlarged first, to skip small ones (and save time) it is shrunk: the image is scaled by
``SMALLEST_FOUND / min_face_size`` and the boxes are scaled back. Measured on dlib's hand-labelled
PASCAL VOC face boxes (``python -m benchmarks faces``): HOG at ``min_face_size=40`` finds every
face of 37 px and up; at 48 it misses most 37-px faces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.core.limits import Choices, Param, Range

DETECTORS = ("hog", "cnn")
DETECTOR = Param("detector", "hog", Choices(DETECTORS),
                 "dlib's HOG detector or its CNN detector (slower on a CPU)")
#: Smallest face side (px) each dlib detector finds in the image it is given (dlib's docs: about 80 × 80).
SMALLEST_FOUND = 80
#: Below this the image would be scaled up more than 4× (16× the pixels, memory and time).
LOWEST_MIN_FACE_SIZE = 20
#: The default finds faces of about 40 px: the smallest hand-labelled faces of the VOC boxes are 37 px.
MIN_FACE_SIZE = Param("min_face_size", 40,
                      Range(LOWEST_MIN_FACE_SIZE, 10_000, "pixels: no photo has a face this large",
                            low_reason=f"below {LOWEST_MIN_FACE_SIZE} px the image would be enlarged more than "
                                       f"{SMALLEST_FOUND // LOWEST_MIN_FACE_SIZE}×"),
                      f"smallest face to find, side of its box in pixels (>= {LOWEST_MIN_FACE_SIZE}): smaller finds "
                      "more, larger is faster")


def check_detector(detector: object) -> str:
    """``detector`` if it names one of :data:`DETECTORS`, else ``InputError``."""
    return str(DETECTOR.check(detector))


def check_min_face_size(min_face_size: object) -> int:
    """``min_face_size`` as an int >= :data:`LOWEST_MIN_FACE_SIZE` pixels, else ``InputError``."""
    if isinstance(min_face_size, bool) or not isinstance(min_face_size, (int, np.integer)):
        raise InputError(f"min_face_size must be a whole number of pixels, got {min_face_size!r}")
    if min_face_size < LOWEST_MIN_FACE_SIZE:
        raise InputError(f"min_face_size must be at least {LOWEST_MIN_FACE_SIZE} px (the image would be enlarged "
                         f"more than {SMALLEST_FOUND // LOWEST_MIN_FACE_SIZE}×), got {min_face_size}")
    return int(min_face_size)


@dataclass(frozen=True)
class DetectionPolicy:
    """Find faces of at least ``min_face_size`` pixels (side of the box) with dlib's ``detector``."""

    min_face_size: int = MIN_FACE_SIZE.default
    detector: str = DETECTOR.default

    def __post_init__(self) -> None:
        check_min_face_size(self.min_face_size)
        check_detector(self.detector)

    @property
    def scale(self) -> float:
        """The factor the image is resized by before detection (> 1 enlarges)."""
        return SMALLEST_FOUND / self.min_face_size

    def tag(self) -> str:
        """A short name for cache keys and records: results depend on the policy."""
        return f"{self.detector}{self.min_face_size}"


def scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """``(height, width)`` of the image scaled by ``scale``, at least 1 px each."""
    return max(1, round(height * scale)), max(1, round(width * scale))


def scale_boxes(boxes: np.ndarray, scale: float, height: int, width: int) -> np.ndarray:
    """Boxes ``(n, 4)`` = ``left, top, right, bottom`` (exclusive) found in the scaled image, in the
    original ``height × width`` image's pixels: divided by ``scale``, rounded, clipped; int ``(n, 4)``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) / scale
    out = np.rint(boxes).astype(np.int64)
    out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, width)
    out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, height)
    return out

