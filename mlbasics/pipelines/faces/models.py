"""dlib's face models, with the model files that the ``face_recognition_models`` package ships.

The models are real, pretrained networks that come from PyPI, so everything runs offline:
a face detector (HOG, or a CNN; ``detection`` says which and at what scale), a 5-point landmark
predictor (to align faces) and a ResNet that turns an aligned face into a 128-D descriptor (dlib's
network and weights, run with NumPy: ``descriptor_net``).
Two descriptors of the same person lie closer than about 0.6 (Euclidean distance).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.pipelines.faces.descriptor_net import CHIP_SIZE, read_descriptor_net
from mlbasics.pipelines.faces.detection import DetectionPolicy, scale_boxes, scaled_size
from mlbasics.pipelines.faces.saved_detector import frontal_face_detector

LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
DESCRIPTOR_FILE = "dlib_face_recognition_resnet_model_v1.dat"
CNN_DETECTOR_FILE = "mmod_human_face_detector.dat"
#: What ``compute_face_descriptor`` of dlib uses: the chip is the face plus 25% on each side.
CHIP_PADDING = 0.25
#: Which code computes the descriptors (part of the fingerprint: cached analyses and states made by
#: dlib's own network, which agrees to about 1e-6, are not mixed with these).
DESCRIPTOR_CODE = "mlbasics.descriptor_net/1"


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

    fingerprint = {"dlib": dlib.__version__, "descriptor": DESCRIPTOR_CODE}
    fingerprint[LANDMARKS_FILE] = hashlib.sha256((model_folder() / LANDMARKS_FILE).read_bytes()).hexdigest()
    fingerprint[DESCRIPTOR_FILE] = hashlib.sha256(_descriptor_file()).hexdigest()
    return fingerprint


@functools.lru_cache(maxsize=1)
def _descriptor_file() -> bytes:
    """The descriptor network's 22 MB, read once per process for its fingerprint and its weights (the
    network's last layer is a view of these bytes, so keeping them costs nothing more)."""
    return (model_folder() / DESCRIPTOR_FILE).read_bytes()


class FaceModels:
    """dlib's detector (HOG or CNN, as ``policy`` says), landmark and descriptor models, loaded once
    (about 0.2 s; the HOG detector from the data cache, see ``saved_detector``); :meth:`faces` analyses
    one image."""

    def __init__(self, policy: DetectionPolicy | None = None) -> None:
        import dlib

        self.policy = DetectionPolicy() if policy is None else policy
        folder = model_folder()
        if self.policy.detector == "cnn":
            self._cnn = dlib.cnn_face_detection_model_v1(str(folder / CNN_DETECTOR_FILE))
        else:
            self._hog = frontal_face_detector()
        self._landmarks = dlib.shape_predictor(str(folder / LANDMARKS_FILE))
        self._descriptor = read_descriptor_net(folder / DESCRIPTOR_FILE, _descriptor_file())

    def boxes(self, image: np.ndarray) -> np.ndarray:
        """Face boxes of an ``(height, width, 3)`` uint8 RGB image, int ``(n, 4)`` = ``left, top, right,
        bottom`` (exclusive), found in the image scaled by the policy's :attr:`~DetectionPolicy.scale`
        (HOG looks at its grey version)."""
        from PIL import Image

        height, width = image.shape[:2]
        scale = self.policy.scale
        picture = Image.fromarray(image)
        if self.policy.detector == "hog":  # HOG on grey: ~20% less time, the same boxes on the VOC faces
            picture = picture.convert("L")
        if scale != 1:
            picture = picture.resize(scaled_size(height, width, scale)[::-1], Image.Resampling.BILINEAR)
        scaled = np.asarray(picture)
        if self.policy.detector == "cnn":
            found = [d.rect for d in self._cnn(scaled, 0)]
        else:
            found = list(self._hog(scaled, 0))
        raw = [[r.left(), r.top(), r.right() + 1, r.bottom() + 1] for r in found]
        return scale_boxes(np.array(raw, dtype=np.float64), scale, height, width)

    def faces(self, image: np.ndarray) -> list[Face]:
        """Every face of an ``(height, width, 3)`` uint8 RGB image, left to right."""
        import dlib

        image = np.ascontiguousarray(image)
        boxes = [box for box in self.boxes(image) if box[2] > box[0] and box[3] > box[1]]  # not wholly outside
        if not boxes:
            return []
        shapes = dlib.full_object_detections(
            [self._landmarks(image, dlib.rectangle(int(left), int(top), int(right) - 1, int(bottom) - 1))
             for left, top, right, bottom in boxes])
        chips = np.stack(dlib.get_face_chips(image, shapes, size=CHIP_SIZE, padding=CHIP_PADDING))
        descriptors = self._descriptor.descriptors(chips)
        found = [Face(int(top), int(left), int(right - left), int(bottom - top), descriptor)
                 for (left, top, right, bottom), descriptor in zip(boxes, descriptors)]
        return sorted(found, key=lambda f: (f.left, f.top))
