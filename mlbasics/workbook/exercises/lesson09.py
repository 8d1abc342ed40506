"""Exercises of lesson 09 (the embedding pipeline)."""

from __future__ import annotations

import numpy as np

from mlbasics.pipelines.embeddings_map import pca_2d
from mlbasics.workbook.exercises import exercise

#: Lesson 09's cost model of one inference call: fixed overhead and cost per image, in seconds.
CALL_OVERHEAD_S = 0.09
PER_IMAGE_S = 0.004


def exercise_embeddings() -> np.ndarray:
    """``(60, 16)`` embeddings of three classes for exercise 09.1."""
    rng = np.random.default_rng(9)
    centres = rng.normal(0, 3, size=(3, 16))
    return np.concatenate([c + rng.normal(0, 1, size=(20, 16)) for c in centres])


@exercise("09.1", "What share of the variance (0..1) do the first two principal components of "
                  "exercise_embeddings() keep?")
def _variance_kept(answer) -> tuple[bool, str]:
    truth = float(pca_2d(exercise_embeddings())[1].sum())
    if abs(float(answer) - truth) < 0.01:
        return True, "right: that share is what the 2-D map can show of the embeddings' spread."
    if float(answer) > 1:
        return False, "give a share between 0 and 1, not a percentage."
    return False, "pca_2d returns (points, explained); add up the two explained shares."


@exercise("09.2", "A model call costs CALL_OVERHEAD_S plus PER_IMAGE_S per image. How many times more "
                  "images per second does a batch of 64 give than one image per call?")
def _batch_speedup(answer) -> tuple[bool, str]:
    per_image = 1 / (CALL_OVERHEAD_S + PER_IMAGE_S)
    batched = 64 / (CALL_OVERHEAD_S + 64 * PER_IMAGE_S)
    if abs(float(answer) - batched / per_image) < 0.05 * batched / per_image:
        return True, "right: the fixed cost per call is paid once for 64 images instead of 64 times."
    return False, "images/s = images per call / seconds per call; compute it for 1 and for 64, then divide."
