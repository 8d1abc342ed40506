"""Distances between every pair of training faces: what the match threshold has to separate."""

from __future__ import annotations

import numpy as np

from mlbasics.pipelines.faces.state import FaceState


def pair_distances(state: FaceState) -> tuple[np.ndarray, np.ndarray]:
    """``distances`` ``(pairs,)`` between all pairs of faces in ``state`` and ``same_person`` ``(pairs,)`` bool."""
    first, second = np.triu_indices(len(state.names), k=1)
    distances = np.linalg.norm(state.descriptors[first] - state.descriptors[second], axis=1)
    names = np.asarray(state.names)
    return distances, names[first] == names[second]
