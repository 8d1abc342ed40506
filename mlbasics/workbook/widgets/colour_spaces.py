"""Lesson 02: what a network sees when a camera's YUV frame is fed to it as RGB."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from mlbasics.geometry.colour import rgb_to_yuv, yuv_to_rgb
from mlbasics.workbook.tensors import yuv_misread
from mlbasics.workbook.viz.plots import show_images
from mlbasics.workbook.widgets.common import panel, wire

VIEWS = ("RGB (what the camera saw)", "YUV bytes read as RGB (the bug)", "YUV converted back to RGB (the fix)")


def colour_view(image: np.ndarray, view: str) -> np.ndarray:
    """The ``(height, width, 3)`` ``uint8`` image as shown by one of :data:`VIEWS`."""
    if view == VIEWS[0]:
        return image
    if view == VIEWS[1]:
        return yuv_misread(image)
    if view == VIEWS[2]:
        return yuv_to_rgb(rgb_to_yuv(image))
    raise ValueError(f"view must be one of {VIEWS}, got {view!r}")


def colour_summary(image: np.ndarray, view: str) -> str:
    """Mean absolute difference between the view and the true RGB image, in levels."""
    diff = np.abs(colour_view(image, view).astype(int) - image.astype(int)).mean()
    return f"mean difference from the true RGB image: {diff:.1f} levels of 255"


def colour_panel(image: np.ndarray) -> widgets.VBox:
    """A drop-down of the three views of ``image``."""
    view = widgets.Dropdown(options=VIEWS, value=VIEWS[0], description="show", layout=widgets.Layout(width="420px"))
    summary, plot = widgets.HTML(), widgets.Output()

    def update() -> tuple[str, Figure]:
        return colour_summary(image, view.value), show_images([colour_view(image, view.value)], [view.value], 3.0)

    wire([view], summary, plot, update)
    return panel("RGB / YUV explorer", [view], summary, plot)
