"""Exercises of lesson 10 (the face finder): choose a match threshold and check what it does."""

from __future__ import annotations

import numpy as np

from mlbasics.pipelines.faces.matching import match_counts
from mlbasics.workbook.exercises import exercise


def exercise_distances() -> tuple[np.ndarray, np.ndarray]:
    """Pair distances and same-person flags for exercise 10.1: the two groups do not overlap."""
    rng = np.random.default_rng(10)
    same = rng.uniform(0.2, 0.48, 30)
    other = rng.uniform(0.55, 1.0, 70)
    return np.concatenate([same, other]), np.r_[np.ones(30, bool), np.zeros(70, bool)]


def door_camera_distances() -> tuple[np.ndarray, np.ndarray]:
    """Pair distances and same-person flags for exercise 10.2: the groups overlap, as with real cameras
    (bad light, profiles), so no threshold gets everything right. The closest pair of different people
    is at 0.55, and no same-person pair lies between 0.51 and 0.55."""
    rng = np.random.default_rng(102)
    same = rng.uniform(0.25, 0.7, 80)
    same = same[(same < 0.51) | (same >= 0.55)][:40]
    other = rng.uniform(0.56, 1.0, 120)
    other[0] = 0.55
    return np.concatenate([same, other]), np.r_[np.ones(len(same), bool), np.zeros(len(other), bool)]


def _best_door_threshold() -> float:
    """The highest threshold with no false match: just at the closest pair of different people
    (a pair matches when its distance is *below* the threshold)."""
    distances, same = door_camera_distances()
    return float(distances[~same].min())


@exercise("10.1", "Give a threshold that matches every same-person pair of exercise_distances() "
                  "and no pair of different people.")
def _threshold(answer) -> tuple[bool, str]:
    counts = match_counts(*exercise_distances(), float(answer))
    if counts["missed"] == 0 and counts["false_matches"] == 0:
        return True, "right: it lies in the gap between the two histograms."
    if counts["missed"]:
        return False, f"{counts['missed']} same-person pairs are missed: the threshold is too low."
    return False, f"{counts['false_matches']} pairs of different people match: the threshold is too high."


@exercise("10.2", "A door camera opens for the people it was trained on. It must never open for a stranger "
                  "(no false match), and should open for its residents as often as possible. Try thresholds "
                  "on door_camera_distances() with match_counts (or threshold_panel) and give the best one.")
def _door_threshold(answer) -> tuple[bool, str]:
    distances, same = door_camera_distances()
    counts = match_counts(distances, same, float(answer))
    best = match_counts(distances, same, _best_door_threshold())
    recall = counts["matched"] / int(same.sum())
    if counts["false_matches"]:
        return False, (f"{counts['false_matches']} pair(s) of different people match: a stranger gets in. "
                       "Lower the threshold.")
    if counts["matched"] < best["matched"]:
        return False, (f"no stranger gets in, but only {recall:.0%} of the residents' pairs match: a higher "
                       "threshold would still let no stranger in. Raise it until just before the first false match.")
    return True, (f"no false match, and {recall:.0%} of the residents' pairs match: the rest are locked out. Here no "
                  "threshold gets both right; a product that must do better needs better descriptors or photos, not a "
                  "different number.")
