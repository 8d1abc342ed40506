"""How many labelled faces a detection policy finds: recall, precision and time per image.

Matching rule (PASCAL VOC's): a found box is a hit if its IoU with a not yet matched labelled box
is at least ``iou_threshold`` (0.5), labelled boxes taken best-overlap first; a found box that
matches no labelled box but overlaps an ``ignore`` box by that much is don't-care, any other is a
false alarm. dlib's detectors give no usable score here, so every found box counts (one operating
point, what a user of ``identify`` gets).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlbasics.data.dlib_xml import LabelledBoxes
from mlbasics.geometry.boxes import box_iou
from mlbasics.io.images import load_image
from mlbasics.pipelines.faces.detection import DetectionPolicy
from mlbasics.pipelines.faces.models import FaceModels
from mlbasics.vision.yolo.metrics import Counts


def match_faces(found: np.ndarray, truth: np.ndarray, ignored: np.ndarray, iou_threshold: float = 0.5) -> Counts:
    """Hits, false alarms and misses of found boxes ``(n, 4)`` against labelled ``(k, 4)`` and
    don't-care boxes ``(m, 4)`` (all ``x_min, y_min, x_max, y_max``) in one image."""
    found = np.asarray(found, dtype=np.float64).reshape(-1, 4)
    truth = np.asarray(truth, dtype=np.float64).reshape(-1, 4)
    ignored = np.asarray(ignored, dtype=np.float64).reshape(-1, 4)
    overlaps = np.array([box_iou(box, truth) for box in found]).reshape(len(found), len(truth))
    hit_found = np.zeros(len(found), dtype=bool)
    hit_truth = np.zeros(len(truth), dtype=bool)
    for flat in np.argsort(-overlaps, axis=None, kind="stable"):  # greedy, best overlap first
        i, j = np.unravel_index(flat, overlaps.shape)
        if overlaps[i, j] < iou_threshold:
            break
        if not hit_found[i] and not hit_truth[j]:
            hit_found[i] = hit_truth[j] = True
    false = 0
    for box in found[~hit_found]:
        if not (len(ignored) and box_iou(box, ignored).max() >= iou_threshold):
            false += 1
    return Counts(int(hit_found.sum()), false, int((~hit_truth).sum()))


@dataclass(frozen=True)
class PolicyScore:
    """A policy's counts over a labelled set and its mean detection time per image (boxes only): wall
    seconds, and CPU seconds of this process (steadier on a busy machine; dlib detects on one thread)."""

    policy: DetectionPolicy
    counts: Counts
    seconds_per_image: float
    cpu_seconds_per_image: float

    def row(self) -> dict[str, object]:
        """One table row: detector, min face size, recall, precision, hits / false / missed, s per image."""
        c = self.counts
        return {"detector": self.policy.detector, "min_face_size": self.policy.min_face_size,
                "recall": round(c.recall, 3), "precision": round(c.precision, 3), "found": c.true_positives,
                "false": c.false_positives, "missed": c.missed, "s_per_image": round(self.seconds_per_image, 3),
                "cpu_s_per_image": round(self.cpu_seconds_per_image, 3)}


def score_policy(policy: DetectionPolicy, labelled: Sequence[LabelledBoxes], iou_threshold: float = 0.5) -> PolicyScore:
    """Run ``policy``'s detector on every labelled image and count hits against its boxes."""
    models = FaceModels(policy)
    total = Counts(0, 0, 0)
    seconds = cpu = 0.0
    for item in labelled:
        image = load_image(item.image)
        start, start_cpu = time.perf_counter(), time.process_time()
        found = models.boxes(image)
        seconds += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        counts = match_faces(found, item.boxes, item.ignored, iou_threshold)
        total = Counts(total.true_positives + counts.true_positives, total.false_positives + counts.false_positives,
                       total.missed + counts.missed)
    return PolicyScore(policy, total, seconds / max(len(labelled), 1), cpu / max(len(labelled), 1))


def face_sizes(labelled: Sequence[LabelledBoxes]) -> np.ndarray:
    """The side (mean of width and height, px) of every labelled, not ignored box: ``(n,)``."""
    boxes = np.concatenate([item.boxes for item in labelled]) if labelled else np.zeros((0, 4))
    return (boxes[:, 2] - boxes[:, 0] + boxes[:, 3] - boxes[:, 1]) / 2
