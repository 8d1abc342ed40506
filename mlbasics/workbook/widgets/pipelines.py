"""Control panels of lessons 09 and 10: embedding neighbours and the face-match threshold."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from mlbasics.pipelines.embeddings_map import nearest_neighbours
from mlbasics.pipelines.faces.matching import MATCH_THRESHOLD, match_counts
from mlbasics.workbook.viz.plots import figure, show_images
from mlbasics.workbook.widgets.common import panel, wire


def neighbours_summary(labels: Sequence[str], index: int, found: Sequence[int]) -> str:
    """How many of the neighbours found for image ``index`` share its class."""
    same = sum(labels[i] == labels[index] for i in found)
    return f"image {index} ({labels[index]}): {same} of its {len(found)} nearest neighbours are {labels[index]}s too"


def neighbours_panel(embeddings: np.ndarray, images: np.ndarray, labels: Sequence[str], k: int = 5) -> widgets.VBox:
    """Pick an image with a slider; see the ``k`` images whose embeddings are nearest to it.

    ``embeddings``: ``(n, dim)``; ``images``: ``(n, height, width, 3)`` thumbnails; ``labels``: ``n`` class names.
    """
    slider = widgets.IntSlider(value=0, min=0, max=len(embeddings) - 1, description="image")
    summary, plot = widgets.HTML(), widgets.Output()

    def update() -> tuple[str, Figure]:
        found = list(nearest_neighbours(embeddings, slider.value, k))
        shown = [slider.value, *found]
        titles = ["query: " + str(labels[slider.value])] + [str(labels[i]) for i in found]
        return neighbours_summary(labels, slider.value, found), show_images([images[i] for i in shown], titles, 1.6)

    wire([slider], summary, plot, update)
    return panel("Nearest neighbours in embedding space", [slider], summary, plot)


def threshold_summary(distances: np.ndarray, same_person: np.ndarray, threshold: float) -> str:
    """The pair counts a threshold gives, as one line."""
    counts = match_counts(distances, same_person, threshold)
    return (f"threshold {threshold:.2f}: {counts['matched']} same-person pairs matched, {counts['missed']} missed, "
            f"{counts['false_matches']} different-people pairs wrongly matched, {counts['rejected']} rejected")


def threshold_panel(distances: np.ndarray, same_person: np.ndarray) -> widgets.VBox:
    """A slider for the match threshold over pair ``distances`` ``(n_pairs,)``: histogram and the counts it gives."""
    same = np.asarray(same_person, dtype=bool)
    slider = widgets.FloatSlider(value=MATCH_THRESHOLD.default, min=0.2, max=1.0, step=0.02, description="threshold")
    summary, plot = widgets.HTML(), widgets.Output()
    bins = np.linspace(0, max(1.2, float(np.max(distances))), 40).tolist()

    def update() -> tuple[str, Figure]:
        fig, (ax,) = figure(1, 6, 2.8)
        ax.hist(distances[same], bins=bins, alpha=0.6, label="same person")
        ax.hist(distances[~same], bins=bins, alpha=0.6, label="different people")
        ax.axvline(slider.value, color="k", linestyle="--", label=f"threshold {slider.value:.2f}")
        ax.set_xlabel("descriptor distance")
        ax.legend(fontsize=8)
        return threshold_summary(distances, same, slider.value), fig

    wire([slider], summary, plot, update)
    return panel("Face-match threshold", [slider], summary, plot)
