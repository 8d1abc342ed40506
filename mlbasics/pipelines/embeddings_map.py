"""Embeddings as a picture: PCA down to 2-D and a scatter plot coloured by class."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np

from mlbasics.core.validation import check_array, check_same_length


def pca_2d(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project ``(n, dim)`` embeddings onto their two main directions.

    Returns ``points`` ``(n, 2)`` and ``explained`` ``(2,)``: the share of the variance each
    direction keeps (0..1). Needs at least two embeddings.
    """
    x = check_array("embeddings", embeddings, ndim=2, min_length=2).astype(np.float64)
    centred = x - x.mean(axis=0)
    _, singular, directions = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    total = variance.sum()
    explained = variance[:2] / total if total > 0 else np.zeros(min(2, len(variance)))
    points = centred @ directions[:2].T
    if points.shape[1] < 2:  # one-dimensional embeddings: the second axis is flat
        points = np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
        explained = np.pad(explained, (0, 2 - len(explained)))
    return points, explained


def cluster_separation(points: np.ndarray, labels: Sequence[str]) -> float:
    """How well classes separate: mean distance between class centres / mean spread within a class.

    About 0-1 for mixed-up classes; well above 2 when each class forms its own cluster.
    """
    points = check_array("points", points, ndim=2, min_length=2)
    names = np.asarray(labels)
    check_same_length(("points", "labels"), points, names)
    classes = np.unique(names)
    if len(classes) < 2:
        raise ValueError(f"labels must hold at least two classes, got {classes.tolist()}")
    centres = np.stack([points[names == c].mean(axis=0) for c in classes])
    spread = np.mean([np.linalg.norm(points[names == c] - centres[i], axis=1).mean() for i, c in enumerate(classes)])
    gaps = [np.linalg.norm(a - b) for i, a in enumerate(centres) for b in centres[i + 1:]]
    return float(np.mean(gaps) / max(spread, 1e-12))


def plot_embedding_map(points: np.ndarray, labels: Sequence[str], explained: np.ndarray | None = None, ax=None):
    """Scatter ``points`` ``(n, 2)``, one colour per label; returns the matplotlib figure."""
    import matplotlib.pyplot as plt

    points = check_array("points", points, shape=(None, 2))
    label_array = np.asarray(labels)
    check_same_length(("points", "labels"), points, label_array)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    for label in np.unique(label_array):
        mine = label_array == label
        ax.scatter(points[mine, 0], points[mine, 1], s=10, alpha=0.7, label=f"{label} ({mine.sum()})")
    names = ("PC 1", "PC 2") if explained is None else \
        tuple(f"PC {i + 1} ({e:.0%} of variance)" for i, e in enumerate(explained))
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_title("Embeddings reduced to 2-D (PCA)")
    ax.legend(fontsize=8, markerscale=2)
    return ax.figure


def embedding_map_png(embeddings: np.ndarray, labels: Sequence[str]) -> bytes:
    """The PCA scatter plot of ``(n, dim)`` embeddings as PNG bytes (for a pipeline to store)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    points, explained = pca_2d(embeddings)
    figure = plot_embedding_map(points, labels, explained)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def nearest_neighbours(embeddings: np.ndarray, index: int, k: int = 5) -> np.ndarray:
    """Indices ``(k,)`` of the ``k`` embeddings nearest to ``embeddings[index]`` (itself left out)."""
    x = check_array("embeddings", embeddings, ndim=2)
    if not 0 <= index < len(x):
        raise IndexError(f"index must be in [0, {len(x)}), got {index}")
    distances = np.linalg.norm(x - x[index], axis=1)
    distances[index] = np.inf
    return np.argsort(distances, kind="stable")[:k]
