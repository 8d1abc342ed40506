"""Lesson 05: pick a kernel and an image, see what one convolution makes of it."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from mlbasics.vision.cnn import KERNELS, convolve2d
from mlbasics.workbook.viz.plots import figure
from mlbasics.workbook.widgets.common import panel, wire


def convolution_panel(images: np.ndarray, labels: list[str]) -> widgets.VBox:
    """A kernel menu and an image slider over ``images`` ``(n, H, W, 3)`` uint8."""
    kernel = widgets.Dropdown(options=list(KERNELS), value="vertical edges", description="kernel")
    index = widgets.IntSlider(value=0, min=0, max=len(images) - 1, description="image")
    summary, plot = widgets.HTML(), widgets.Output()

    def update() -> tuple[str, Figure]:
        grey = images[index.value].mean(axis=2)
        out = convolve2d(grey, KERNELS[kernel.value])
        fig, (left, right) = figure(2, 2.8, 2.8)
        left.imshow(images[index.value], interpolation="nearest")
        left.set_title(labels[index.value], fontsize=9)
        right.imshow(out, cmap="RdBu_r", vmin=-np.abs(out).max(), vmax=np.abs(out).max(), interpolation="nearest")
        right.set_title(kernel.value, fontsize=9)
        for ax in (left, right):
            ax.axis("off")
        fig.set_dpi(72)
        text = (f"{kernel.value} on a {labels[index.value]}: {grey.shape[0]}×{grey.shape[1]} → "
                f"{out.shape[0]}×{out.shape[1]}, strongest response {np.abs(out).max():.0f}")
        return text, fig

    wire([kernel, index], summary, plot, update)
    return panel("One convolution", [kernel, index], summary, plot)
