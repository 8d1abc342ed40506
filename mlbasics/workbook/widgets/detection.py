"""Lesson 08: score and NMS thresholds over validation images, with precision and recall."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from mlbasics.vision.yolo.decode import NMS_IOU, SCORE_THRESHOLD
from mlbasics.vision.yolo.detect import draw_detections
from mlbasics.vision.yolo.evaluate import Evaluation
from mlbasics.vision.yolo.metrics import Counts, match_counts
from mlbasics.vision.yolo.spec import YoloSpec
from mlbasics.workbook.viz.detection import show_detection_grid
from mlbasics.workbook.widgets.common import panel, wire


def thresholds_summary(score: float, nms: float, counts: Counts) -> str:
    """The panel's one line: thresholds, precision, recall and the counts behind them."""
    return (f"score ≥ {score:.2f}, NMS IoU {nms:.2f}: precision <b>{counts.precision:.3f}</b>, recall "
            f"<b>{counts.recall:.3f}</b> ({counts.true_positives} found, {counts.false_positives} false alarms, "
            f"{counts.missed} missed)")


def thresholds_panel(evaluation: Evaluation, images: np.ndarray, spec: YoloSpec, shown: int = 8) -> widgets.VBox:
    """Sliders for the score and NMS thresholds: the first ``shown`` letterboxed images ``(n, S, S, 3)``
    uint8 with their boxes, and precision/recall over all images of ``evaluation`` (its raw outputs are
    re-decoded with ``spec``, no network run)."""
    score = widgets.FloatSlider(value=SCORE_THRESHOLD.default, min=0.05, max=0.95, step=0.05, description="score")
    nms = widgets.FloatSlider(value=NMS_IOU.default, min=0.1, max=0.9, step=0.05, description="NMS IoU")
    summary, plot = widgets.HTML(), widgets.Output()

    def update() -> tuple[str, Figure]:
        found = evaluation.detect(spec, score.value, nms.value)
        counts = match_counts(found, evaluation.truths)
        drawn = [draw_detections(image, det, spec.class_names) for image, det in zip(images[:shown], found)]
        fig = show_detection_grid(drawn, [f"{len(det)} boxes" for det in found[:shown]], columns=4, size=2.2)
        return thresholds_summary(score.value, nms.value, counts), fig

    wire([score, nms], summary, plot, update)
    return panel("Score and NMS thresholds", [score, nms], summary, plot)
