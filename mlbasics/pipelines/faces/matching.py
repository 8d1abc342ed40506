"""Naming faces: nearest training face, a distance threshold, the facebox JSON format."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlbasics.core import limits
from mlbasics.core.limits import Param
from mlbasics.core.validation import check_array, check_positive_float
from mlbasics.pipelines.faces.models import Face
from mlbasics.pipelines.faces.state import FaceState

#: dlib's own advice: two descriptors closer than this are very likely the same person.
MATCH_THRESHOLD = Param("threshold", 0.6, limits.FACE_DISTANCE, "largest descriptor distance that counts as a match")


def nearest(descriptors: np.ndarray, state: FaceState) -> tuple[np.ndarray, np.ndarray]:
    """For ``(n, 128)`` descriptors: index ``(n,)`` of the nearest training face and its distance ``(n,)``."""
    query = check_array("descriptors", descriptors, shape=(None, 128), min_length=0)
    if len(state.names) == 0 or len(query) == 0:
        return np.zeros(len(query), dtype=int), np.full(len(query), np.inf)
    distances = np.linalg.norm(query[:, None, :] - state.descriptors[None, :, :], axis=2)
    index = distances.argmin(axis=1)
    return index, distances[np.arange(len(query)), index]


def facebox_result(faces: Sequence[Face], state: FaceState, threshold: float = MATCH_THRESHOLD.default) -> dict:
    """The facebox answer for one image: ``{"success", "facesCount", "faces": [...]}``.

    Each face has ``rect``, ``matched`` (distance below ``threshold``), ``name`` and ``id``
    (the matched training photo) when matched, ``confidence`` = 1 - distance (0..1, clipped)
    and the raw ``distance``.
    """
    threshold = check_positive_float("threshold", threshold)
    descriptors = np.stack([f.descriptor for f in faces]) if faces else np.zeros((0, 128))
    index, distance = nearest(descriptors, state)
    entries = []
    for face, i, d in zip(faces, index, distance):
        matched = bool(d < threshold)
        entries.append({
            "rect": face.rect(),
            "matched": matched,
            "name": state.names[i] if matched else "",
            "id": state.sources[i] if matched else "",
            "confidence": round(float(np.clip(1 - d, 0, 1)), 4) if np.isfinite(d) else 0.0,
            "distance": round(float(d), 4) if np.isfinite(d) else None,
        })
    return {"success": True, "facesCount": len(entries), "faces": entries}


def cluster_faces(descriptors: np.ndarray, threshold: float = MATCH_THRESHOLD.default) -> np.ndarray:
    """Group ``(n, 128)`` descriptors of unknown people: cluster label ``(n,)`` per face.

    dlib's Chinese-whispers graph clustering: faces closer than ``threshold`` are linked.
    """
    import dlib

    x = check_array("descriptors", descriptors, shape=(None, 128))
    threshold = check_positive_float("threshold", threshold)
    vectors = [dlib.vector(row.tolist()) for row in x]
    return np.asarray(dlib.chinese_whispers_clustering(vectors, threshold), dtype=int)


def match_counts(distances: np.ndarray, same_person: np.ndarray, threshold: float) -> dict[str, int]:
    """For a threshold: how many same-person pairs are matched/missed and other pairs wrongly matched."""
    distances = check_array("distances", distances, ndim=1)
    same = np.asarray(same_person, dtype=bool)
    below = distances < check_positive_float("threshold", threshold)
    return {"matched": int((below & same).sum()), "missed": int((~below & same).sum()),
            "false_matches": int((below & ~same).sum()), "rejected": int((~below & ~same).sum())}
