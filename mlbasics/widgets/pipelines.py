"""Control panels of lessons 09 and 10: embedding neighbours and the face-match threshold."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlbasics.pipelines.embeddings_map import nearest_neighbours
from mlbasics.pipelines.faces.matching import DEFAULT_THRESHOLD, match_counts


def neighbours_panel(embeddings: np.ndarray, images: np.ndarray, labels: Sequence[str], k: int = 5):
    """Pick an image with a slider; see the ``k`` images whose embeddings are nearest to it."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    def show(index: int) -> None:
        found = nearest_neighbours(embeddings, index, k)
        figure, axes = plt.subplots(1, k + 1, figsize=(1.6 * (k + 1), 1.9))
        for ax, i in zip(axes, [index, *found]):
            ax.imshow(images[i])
            ax.set_title(("query\n" if i == index else "") + str(labels[i]), fontsize=8)
            ax.axis("off")
        plt.show()

    slider = widgets.IntSlider(value=0, min=0, max=len(embeddings) - 1, description="image")
    return widgets.interactive(show, index=slider)


def threshold_panel(distances: np.ndarray, same_person: np.ndarray):
    """A slider for the match threshold over pair distances: histogram and the counts it gives."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    same = np.asarray(same_person, dtype=bool)

    def show(threshold: float) -> None:
        figure, ax = plt.subplots(figsize=(6, 2.8))
        bins = np.linspace(0, max(1.2, float(np.max(distances))), 40)
        ax.hist(distances[same], bins=bins, alpha=0.6, label="same person")
        ax.hist(distances[~same], bins=bins, alpha=0.6, label="different people")
        ax.axvline(threshold, color="k", linestyle="--", label=f"threshold {threshold:.2f}")
        ax.set_xlabel("descriptor distance")
        ax.legend(fontsize=8)
        plt.show()
        print(match_counts(distances, same, threshold))

    slider = widgets.FloatSlider(value=DEFAULT_THRESHOLD, min=0.2, max=1.0, step=0.02, description="threshold")
    return widgets.interactive(show, threshold=slider)
