"""The faces of one image, cached by the image's content hash.

Detecting faces and computing descriptors is the slow part of every stage (about 0.15 s
a face). Its result depends only on the image's bytes and the model files, so it is kept
in a cache folder under ``sha256(image)`` and the models' fingerprint: train, identify and
re-runs after new data reuse it, and a renamed or copied image costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.data.cache import sha256_of
from mlbasics.io.files import write_json
from mlbasics.io.images import load_image
from mlbasics.pipelines.faces.detection import DetectionPolicy
from mlbasics.pipelines.faces.models import Face, FaceModels, models_fingerprint


def _fingerprint_tag() -> str:
    return hashlib.sha256(json.dumps(models_fingerprint(), sort_keys=True).encode()).hexdigest()[:12]


class AnalysisCache:
    """Faces per image content hash and detection policy, one small JSON file each, in ``folder``.

    ``policy`` (default :class:`DetectionPolicy`: HOG, faces of 40 px and up) says which faces are
    found; entries of another policy are kept apart.
    """

    def __init__(self, folder: str | os.PathLike[str], policy: DetectionPolicy | None = None):
        self.folder = Path(folder)
        self.policy = DetectionPolicy() if policy is None else policy

    def _path(self, sha: str) -> Path:
        return self.folder / sha[:2] / f"{sha}-{_fingerprint_tag()}-{self.policy.tag()}.json"

    def get(self, sha: str) -> list[Face] | None:
        """The cached faces of the image with content hash ``sha``, or ``None``."""
        path = self._path(sha)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return [Face(**f["rect"], descriptor=np.asarray(f["descriptor"], dtype=np.float64)) for f in data["faces"]]
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None  # missing or damaged entries are recomputed

    def put(self, sha: str, faces: list[Face]) -> None:
        """Store ``faces`` for content hash ``sha`` (atomically)."""
        write_json(self._path(sha), {"faces": [{"rect": f.rect(), "descriptor": f.descriptor.tolist()} for f in faces]})


def analyse_file(path: str | os.PathLike[str], models: FaceModels | None, cache: AnalysisCache
                 ) -> tuple[str, list[Face], bool]:
    """``(sha256, faces, from_cache)`` of the image at ``path``.

    ``models`` may be ``None``: they are then loaded, with the cache's policy, if the image is
    not in the cache. Raises ``DataFileError`` for unreadable images.
    """
    sha = sha256_of(path)
    cached = cache.get(sha)
    if cached is not None:
        return sha, cached, True
    image = load_image(path)
    if models is None:
        models = FaceModels(cache.policy)
    elif models.policy != cache.policy:
        raise InputError(f"the models detect with {models.policy} but the cache holds {cache.policy}: use one policy")
    faces = models.faces(image)
    cache.put(sha, faces)
    return sha, faces, False
