"""Pictures of the YOLO lessons: box clouds with anchors, feature maps, loss parts, detections."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from mlbasics.vision.yolo.decode import SCORE_THRESHOLD, Detections
from mlbasics.vision.yolo.detect import draw_boxes, draw_detections
from mlbasics.vision.yolo.evaluate import Evaluation, failure_cases


def plot_anchor_cloud(ax: Axes, wh: np.ndarray, anchors: np.ndarray, title: str = "") -> None:
    """Every box as a dot (width, height), each anchor as a red outline from the origin."""
    ax.scatter(wh[:, 0], wh[:, 1], s=4, alpha=0.3, c="#00798c", label=f"{len(wh)} boxes")
    for w, h in anchors:
        ax.add_patch(Rectangle((0, 0), w, h, fill=False, ec="#d1495b", lw=1))
    ax.scatter(anchors[:, 0], anchors[:, 1], s=60, marker="x", c="#d1495b", label=f"{len(anchors)} anchors")
    top = max(wh.max(), anchors.max()) * 1.05
    ax.set(xlim=(0, top), ylim=(0, top), xlabel="box width (px)", ylabel="box height (px)", title=title, aspect="equal")
    ax.legend(fontsize=8, loc="upper left")


def plot_feature_maps(maps: Sequence[np.ndarray], names: Sequence[str], channels: int = 4) -> Figure:
    """The first ``channels`` channels of each feature map ``(h, w, c)``: one row per layer."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(maps), channels, figsize=(1.6 * channels, 1.6 * len(maps)), layout="constrained",
                             squeeze=False)
    for row, (fmap, name) in enumerate(zip(maps, names)):
        for col in range(channels):
            ax = axes[row][col]
            if col < fmap.shape[-1]:
                ax.imshow(fmap[..., col], cmap="viridis", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        axes[row][0].set_ylabel(f"{name}\n{fmap.shape[0]}x{fmap.shape[1]}x{fmap.shape[2]}", fontsize=8)
    fig.set_dpi(72)
    return fig


def plot_loss_parts(ax: Axes, history: dict[str, list[float]], frozen_epochs: int = 0) -> None:
    """Each loss part per epoch on a log scale; a dashed line where the backbone was unfrozen."""
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    for name in ("loss", "xy", "wh", "objectness", "class"):
        if name in history:
            ax.plot(epochs, history[name], marker=".", label=name, lw=2 if name == "loss" else 1)
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], "k--", label="validation loss")
    if frozen_epochs:
        ax.axvline(frozen_epochs + 0.5, color="grey", ls=":", label="backbone unfrozen")
    ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="loss (per image)", title="loss parts")
    ax.legend(fontsize=7, ncol=2)


def show_detection_grid(images: Sequence[np.ndarray], titles: Sequence[str], columns: int = 4,
                        size: float = 2.4) -> Figure:
    """Images (already drawn on) in a grid with titles; low dpi keeps saved notebooks small."""
    import matplotlib.pyplot as plt

    rows = (len(images) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, size * rows), layout="constrained",
                             squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, title in zip(axes.ravel(), images, titles):
        ax.imshow(image)
        ax.set_title(title, fontsize=8)
    fig.set_dpi(72)
    return fig


def plot_map_curve(ax: Axes, curve: Sequence[tuple[float, int, float]], target: float | None = None) -> None:
    """Validation mAP against training minutes."""
    seconds, _, values = zip(*curve) if curve else ((), (), ())
    ax.plot(np.array(seconds) / 60, values, "o-")
    if target is not None:
        ax.axhline(target, color="grey", ls="--", label=f"target {target:g}")
        ax.legend(fontsize=8)
    ax.set(xlabel="training time (min)", ylabel="mAP@0.5", ylim=(0, 1), title="validation mAP while training")



def plot_assignment(ax: Axes, image: np.ndarray, boxes: np.ndarray, grid: int, cells: np.ndarray,
                    title: str = "") -> None:
    """An image with its ``grid x grid`` cells drawn, the true boxes, and the responsible cells
    ``cells`` ``(n, 2)`` = ``row, col`` shaded."""
    size = image.shape[0]
    step = size / grid
    ax.imshow(image)
    for line in np.arange(1, grid) * step:
        ax.axhline(line, color="white", lw=0.5)
        ax.axvline(line, color="white", lw=0.5)
    for row, col in cells:
        ax.add_patch(Rectangle((col * step, row * step), step, step, color="yellow", alpha=0.35))
    for x0, y0, x1, y1, _ in boxes:
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, ec="red", lw=1.5))
        ax.plot((x0 + x1) / 2, (y0 + y1) / 2, "r+")
    ax.set_title(title, fontsize=9)
    ax.axis("off")


def show_failures(evaluation: Evaluation, images: np.ndarray, class_names: Sequence[str],
                  names: Sequence[str] | None = None, score_threshold: float = SCORE_THRESHOLD.default, count: int = 8,
                  columns: int = 4, size: float = 2.4) -> Figure | None:
    """The ``count`` images ``(n, S, S, 3)`` the detector gets most wrong at ``score_threshold``: each with
    its true boxes (thin) and the detections kept, titled ``NAME: F false, M missed`` (``NAME`` from
    ``names``, else ``#index``). None when no image has an error."""
    panels, titles = [], []
    for index, false_alarms, misses in failure_cases(evaluation, score_threshold, count):
        found, truth = evaluation.detections[index], evaluation.truths[index]
        keep = found.scores >= score_threshold
        drawn = draw_boxes(images[index], truth[:, :4], [""] * len(truth), [5] * len(truth), width=1)
        panels.append(draw_detections(drawn, Detections(found.boxes[keep], found.scores[keep], found.classes[keep]),
                                      class_names))
        titles.append(f"{names[index] if names is not None else f'#{index}'}: {false_alarms} false, {misses} missed")
    return show_detection_grid(panels, titles, columns=columns, size=size) if panels else None
