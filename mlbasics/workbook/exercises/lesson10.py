"""Exercises of lesson 10 (the face finder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlbasics.pipelines.faces.matching import match_counts
from mlbasics.pipelines.faces.naming import person_name
from mlbasics.workbook.exercises import exercise


def exercise_distances() -> tuple[np.ndarray, np.ndarray]:
    """Pair distances and same-person flags for exercise 10.2."""
    rng = np.random.default_rng(10)
    same = rng.uniform(0.2, 0.48, 30)
    other = rng.uniform(0.55, 1.0, 70)
    return np.concatenate([same, other]), np.r_[np.ones(30, bool), np.zeros(70, bool)]


@exercise("10.1", "Under which name does train() learn the photo train/maria_12.jpg?")
def _name(answer) -> tuple[bool, str]:
    truth = person_name(Path("train/maria_12.jpg"), Path("train"))
    if str(answer) == truth:
        return True, "right: trailing digits and the separator before them are dropped."
    return False, "a photo directly in train/ is named by its file name without the extension and trailing digits."


@exercise("10.2", "Give a threshold that matches every same-person pair of exercise_distances() "
                  "and no pair of different people.")
def _threshold(answer) -> tuple[bool, str]:
    counts = match_counts(*exercise_distances(), float(answer))
    if counts["missed"] == 0 and counts["false_matches"] == 0:
        return True, "right: it lies in the gap between the two histograms."
    if counts["missed"]:
        return False, f"{counts['missed']} same-person pairs are missed: the threshold is too low."
    return False, f"{counts['false_matches']} pairs of different people match: the threshold is too high."
