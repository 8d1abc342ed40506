"""The picture of a dataset report: boxes per class, box sizes against anchors and strides, the problems found."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from mlbasics.data.report import DatasetReport


def plot_class_counts(ax: Axes, report: DatasetReport) -> None:
    """Boxes and images per class, side by side."""
    x = np.arange(len(report.classes))
    ax.bar(x - 0.2, [report.boxes_per_class[n] for n in report.classes], 0.4, label="boxes", color="#00798c")
    ax.bar(x + 0.2, [report.images_per_class[n] for n in report.classes], 0.4, label="images", color="#edae49")
    ax.set_xticks(x, report.classes, rotation=45 if len(report.classes) > 4 else 0, ha="right")
    ax.set(title=f"{report.images} images, {len(report.no_boxes)} without a box")
    ax.legend(fontsize=8)


def plot_box_sizes(ax: Axes, report: DatasetReport) -> None:
    """Every box (width, height), the anchors as outlines from the origin, the finest stride as a square."""
    from matplotlib.patches import Rectangle

    wh = report.box_sizes
    unit = "input px" if report.input_size else "image px"
    ax.scatter(wh[:, 0], wh[:, 1], s=6, alpha=0.4, c="#00798c", label=f"{len(wh)} boxes")
    top = float(wh.max()) * 1.05 if len(wh) else 1.0
    for w, h in report.anchors or []:
        ax.add_patch(Rectangle((0, 0), w, h, fill=False, ec="#d1495b", lw=1))
        top = max(top, w * 1.05, h * 1.05)
    if report.anchors:
        ax.plot([], [], c="#d1495b", label=f"{len(report.anchors)} anchors (IoU {report.mean_anchor_iou})")
    if report.strides:
        finest = min(report.strides)
        ax.add_patch(Rectangle((0, 0), finest, finest, color="#66a182", alpha=0.3,
                               label=f"under stride {finest}: {len(report.small_boxes)}"))
    title = f"box sizes at input {report.input_size}" if report.input_size else "box sizes"
    ax.set(xlim=(0, top), ylim=(0, top), xlabel=f"width ({unit})", ylabel=f"height ({unit})", title=title,
           aspect="equal")
    ax.legend(fontsize=8, loc="upper left")


def plot_problems(ax: Axes, report: DatasetReport) -> None:
    """One bar per kind of problem, with its count (all zero: a clean set)."""
    kinds = {"same bytes": len(report.same_bytes), "same pixels": len(report.same_pixels),
             "look alike": len(report.look_alike), "train & val": len(report.train_val_overlap),
             "EXIF-rotated": len(report.rotated), "truncated": len(report.truncated),
             "skipped": len(report.skipped), "no box": len(report.no_boxes)}
    y = np.arange(len(kinds))
    counts = list(kinds.values())
    ax.barh(y, counts, color=["#d1495b" if c else "#cccccc" for c in counts])
    for row, count in enumerate(counts):
        ax.text(count, row, f" {count}", va="center", fontsize=8)
    ax.set_yticks(y, list(kinds))
    ax.invert_yaxis()
    ax.set(title="problems found", xlim=(0, max(counts + [1]) * 1.2))


def plot_dataset_report(report: DatasetReport) -> Figure:
    """Three panels: class counts, box sizes (with anchors and the finest stride), problems found."""
    from mlbasics.workbook.viz.plots import figure

    fig, axes = figure(3, width=4.2, height=3.6)
    plot_class_counts(axes[0], report)
    plot_box_sizes(axes[1], report)
    plot_problems(axes[2], report)
    return fig
