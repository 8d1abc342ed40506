"""Lesson 06: choose k and see the k-means anchors over the cloud of box sizes, with their mean IoU."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from mlbasics.vision.yolo.anchors import kmeans_anchors, mean_iou
from mlbasics.workbook.viz.detection import plot_anchor_cloud
from mlbasics.workbook.viz.plots import figure
from mlbasics.workbook.widgets.common import panel, wire


def anchors_summary(k: int, anchors: np.ndarray, iou: float) -> str:
    """The panel's one line: k, mean IoU and the anchors as ``w×h``."""
    sizes = ", ".join(f"{int(round(w))}×{int(round(h))}" for w, h in anchors)
    return f"k = {k} anchors: mean IoU <b>{iou:.3f}</b> ({sizes})"


def anchors_panel(wh: np.ndarray, k: int = 6) -> widgets.VBox:
    """A k slider (1-9) over the box sizes ``wh`` ``(n, 2)``."""
    slider = widgets.IntSlider(value=k, min=1, max=9, description="k")
    summary, plot = widgets.HTML(), widgets.Output()

    def update() -> tuple[str, Figure]:
        anchors = kmeans_anchors(wh, slider.value, restarts=2)
        iou = mean_iou(wh, anchors)
        fig, (ax,) = figure(1, 4.2, 4.0)
        plot_anchor_cloud(ax, wh, anchors, title=f"k = {slider.value}: mean IoU {iou:.3f}")
        return anchors_summary(slider.value, anchors, iou), fig

    wire([slider], summary, plot, update)
    return panel("Anchors by k-means (distance 1 − IoU)", [slider], summary, plot)
