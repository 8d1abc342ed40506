"""Pascal-VOC average precision per class and mAP@0.5.

A detection is a true positive when it overlaps a not-yet-matched ground-truth box of its class
by IoU >= 0.5 (the best-overlapping box is tried, as in the VOC devkit); otherwise it is a false
positive, and so is a second detection of an already matched box. Detections of a class are
ranked by score over the whole set; precision and recall are computed down the ranking.

AP is the area under the precision-recall curve with VOC2010+ **all-point interpolation**
(precision at each recall is the best precision at that recall or higher), or the older
VOC2007 **11-point** interpolation on request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.geometry.boxes import box_iou
from mlbasics.vision.yolo.decode import Detections


@dataclass(frozen=True)
class ClassCurve:
    """Precision and recall down the score ranking of one class, and its AP."""

    precision: np.ndarray
    recall: np.ndarray
    scores: np.ndarray
    ap: float
    num_truths: int


@dataclass(frozen=True)
class MapResult:
    """AP per class, their mean (classes with no ground truth are left out) and the curves."""

    ap: dict[int, float]
    curves: dict[int, ClassCurve]
    iou_threshold: float
    interpolation: str

    @property
    def map(self) -> float:
        values = [self.ap[c] for c, curve in self.curves.items() if curve.num_truths]
        return float(np.mean(values)) if values else 0.0


def average_precision(recall: np.ndarray, precision: np.ndarray, interpolation: str = "all-points") -> float:
    """Area under a precision-recall curve (``recall`` ascending), interpolated the VOC way."""
    recall, precision = np.asarray(recall, dtype=np.float64), np.asarray(precision, dtype=np.float64)
    if interpolation == "11-point":
        return float(np.mean([precision[recall >= t].max() if np.any(recall >= t) else 0.0
                              for t in np.linspace(0, 1, 11)]))
    if interpolation != "all-points":
        raise InputError(f"interpolation must be 'all-points' or '11-point', got {interpolation!r}")
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]  # best precision at this recall or higher
    steps = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def _class_curve(detections: Sequence[Detections], truths: Sequence[np.ndarray], cls: int, iou_threshold: float,
                 interpolation: str) -> ClassCurve:
    gt = [t[t[:, 4] == cls, :4] for t in truths]
    num_truths = sum(len(g) for g in gt)
    found = [(float(s), image, box) for image, d in enumerate(detections)
             for box, s, c in zip(d.boxes, d.scores, d.classes) if c == cls]
    found.sort(key=lambda item: -item[0])
    matched = [np.zeros(len(g), dtype=bool) for g in gt]
    hits = np.zeros(len(found))
    for rank, (_, image, box) in enumerate(found):
        if len(gt[image]):
            overlaps = box_iou(np.asarray(box, dtype=np.float64), gt[image].astype(np.float64))
            best = int(np.argmax(overlaps))
            if overlaps[best] >= iou_threshold and not matched[image][best]:
                matched[image][best] = True
                hits[rank] = 1
    true_pos = np.cumsum(hits)
    recall = true_pos / max(num_truths, 1)
    precision = true_pos / np.arange(1, len(found) + 1)
    ap = average_precision(recall, precision, interpolation) if num_truths else 0.0
    return ClassCurve(precision, recall, np.array([f[0] for f in found]), ap, num_truths)


def evaluate_detections(
    detections: Sequence[Detections],
    truths: Sequence[np.ndarray],
    num_classes: int,
    iou_threshold: float = 0.5,
    interpolation: str = "all-points",
) -> MapResult:
    """AP per class and mAP: ``detections`` and ``truths`` (each ``(m, 5)`` corner boxes + class)
    are per image, in the same order and the same pixel frame."""
    if len(detections) != len(truths):
        raise InputError(f"got detections for {len(detections)} images but ground truth for {len(truths)}")
    truths = [np.asarray(t, dtype=np.float64).reshape(-1, 5) for t in truths]
    curves = {c: _class_curve(detections, truths, c, iou_threshold, interpolation) for c in range(num_classes)}
    return MapResult({c: curve.ap for c, curve in curves.items()}, curves, iou_threshold, interpolation)


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and missed boxes at one operating point, over all classes."""

    true_positives: int
    false_positives: int
    missed: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        total = self.true_positives + self.missed
        return self.true_positives / total if total else 1.0


def match_counts(detections: Sequence[Detections], truths: Sequence[np.ndarray], iou_threshold: float = 0.5) -> Counts:
    """Count hits, false alarms and misses of the given detections (no ranking: all of them count).

    This is what a user of the detector sees at one score threshold, where AP summarises all of them.
    """
    if len(detections) != len(truths):
        raise InputError(f"got detections for {len(detections)} images but ground truth for {len(truths)}")
    hits = false = total = 0
    for found, truth in zip(detections, truths):
        truth = np.asarray(truth, dtype=np.float64).reshape(-1, 5)
        total += len(truth)
        matched = np.zeros(len(truth), dtype=bool)
        for index in np.argsort(-found.scores, kind="stable"):
            same = np.nonzero((truth[:, 4] == found.classes[index]) & ~matched)[0]
            if same.size:
                overlaps = box_iou(np.asarray(found.boxes[index], dtype=np.float64), truth[same, :4])
                if overlaps.max() >= iou_threshold:
                    matched[same[int(np.argmax(overlaps))]] = True
                    hits += 1
                    continue
            false += 1
    return Counts(hits, false, total - hits)


def plot_pr_curves(ax, result: MapResult, class_names: Sequence[str]) -> None:
    """Precision against recall for each class, AP in the legend."""
    for cls, curve in result.curves.items():
        if curve.num_truths:
            ax.plot(np.concatenate([[0], curve.recall]), np.concatenate([[1], curve.precision]),
                    label=f"{class_names[cls]} AP {curve.ap:.2f}")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.02),
           title=f"mAP@{result.iou_threshold:g} = {result.map:.3f} ({result.interpolation})")
    ax.legend(fontsize=8, loc="lower left")
