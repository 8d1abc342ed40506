"""dlib's face models, with the model files that the ``face_recognition_models`` package ships.

The models are real, pretrained networks that come from PyPI, so everything runs offline:
a HOG face detector, a 5-point landmark predictor (to align faces) and a ResNet that turns
an aligned face into a 128-D descriptor. Two descriptors of the same person lie closer
than about 0.6 (Euclidean distance).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlbasics.core.errors import InputError

LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_FILE = "dlib_face_recognition_resnet_model_v1.dat"


@dataclass(frozen=True)
class Face:
    """One face found in an image: its box in pixels and its descriptor ``(128,)``."""

    top: int
    left: int
    width: int
    height: int
    descriptor: np.ndarray

    def rect(self) -> dict[str, int]:
        """The box in facebox's format."""
        return {"top": self.top, "left": self.left, "width": self.width, "height": self.height}


def model_folder() -> Path:
    """The ``models`` folder of the installed ``face_recognition_models`` package.

    Found without importing the package (it imports the deprecated ``pkg_resources``).
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the face models are missing: pip install -e '.[pipelines]' (face_recognition_models)")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@functools.lru_cache(maxsize=1)
def models_fingerprint() -> dict[str, str]:
    """dlib's version and the sha256 of each model file: results depend on exactly these."""
    import dlib

    fingerprint = {"dlib": dlib.__version__}
    for name in (LANDMARKS_FILE, DESCRIPTOR_FILE):
        fingerprint[name] = hashlib.sha256((model_folder() / name).read_bytes()).hexdigest()
    return fingerprint


def default_upsample(image: np.ndarray) -> int:
    """Upsampling steps for the detector: 1 for images up to 1000 px (finds faces of ~40 px), else 0."""
    return 1 if max(image.shape[:2]) <= 1000 else 0


class FaceModels:
    """The three dlib models, loaded once (about 2 s); :meth:`faces` analyses one image."""

    def __init__(self) -> None:
        import dlib

        folder = model_folder()
        self._detector = dlib.get_frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(folder / LANDMARKS_FILE))
        self._descriptor = dlib.face_recognition_model_v1(str(folder / DESCRIPTOR_FILE))

    def faces(self, image: np.ndarray, upsample: int | None = None) -> list[Face]:
        """Every face of an ``(height, width, 3)`` uint8 RGB image, left to right."""
        image = np.ascontiguousarray(image)
        steps = default_upsample(image) if upsample is None else upsample
        found = []
        height, width = image.shape[:2]
        for box in self._detector(image, steps):
            shape = self._landmarks(image, box)
            descriptor = np.asarray(self._descriptor.compute_face_descriptor(image, shape), dtype=np.float64)
            top, left = max(box.top(), 0), max(box.left(), 0)
            bottom, right = min(box.bottom(), height - 1), min(box.right(), width - 1)
            found.append(Face(top, left, right - left + 1, bottom - top + 1, descriptor))
        return sorted(found, key=lambda f: (f.left, f.top))
