"""Embeddings as a picture: PCA down to 2-D and a scatter plot coloured by class."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.core.validation import check_array, check_same_length


@dataclass(frozen=True)
class MapProjection:
    """A 2-D PCA projection: ``mean (dim,)``, ``directions (2, dim)`` (unit rows; a zero row when the
    embeddings have only one dimension) and ``explained (2,)``, the share of the variance each direction
    keeps (0..1)."""

    mean: np.ndarray
    directions: np.ndarray
    explained: np.ndarray

    def project(self, embeddings: np.ndarray) -> np.ndarray:
        """``(n, dim)`` embeddings -> ``(n, 2)`` float64 points."""
        x = check_array("embeddings", embeddings, shape=(None, len(self.mean))).astype(np.float64)
        return (x - self.mean) @ self.directions.T

    def to_json(self) -> str:
        return json.dumps({"mean": self.mean.tolist(), "directions": self.directions.tolist(),
                           "explained": self.explained.tolist()}) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, source: str) -> MapProjection:
        """Read :meth:`to_json`'s text; ``DataFileError`` naming ``source`` if it is not that."""
        try:
            raw = json.loads(text)
            mean, directions, explained = (np.asarray(raw[k], dtype=np.float64)
                                           for k in ("mean", "directions", "explained"))
        except (ValueError, TypeError, KeyError) as exc:
            raise DataFileError(source, f"not a map projection: {exc}") from None
        if mean.ndim != 1 or directions.shape != (2, len(mean)) or explained.shape != (2,):
            raise DataFileError(source, f"map projection shapes mean {mean.shape}, directions {directions.shape}, "
                                        f"explained {explained.shape}; expected (dim,), (2, dim), (2,)")
        return cls(mean, directions, explained)


def fit_map_projection(embeddings: np.ndarray) -> MapProjection:
    """The two main directions of ``(n, dim)`` embeddings (PCA; needs at least two embeddings)."""
    x = check_array("embeddings", embeddings, ndim=2, min_length=2).astype(np.float64)
    mean = x.mean(axis=0)
    _, singular, directions = np.linalg.svd(x - mean, full_matrices=False)
    variance = singular**2
    total = variance.sum()
    explained = variance[:2] / total if total > 0 else np.zeros(min(2, len(variance)))
    directions = directions[:2]
    if len(directions) < 2:  # one-dimensional embeddings: the second axis is flat
        directions = np.pad(directions, ((0, 2 - len(directions)), (0, 0)))
        explained = np.pad(explained, (0, 2 - len(explained)))
    return MapProjection(mean, directions, explained)


def pca_2d(embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project ``(n, dim)`` embeddings onto their two main directions.

    Returns ``points`` ``(n, 2)`` and ``explained`` ``(2,)``: the share of the variance each
    direction keeps (0..1). Needs at least two embeddings.
    """
    projection = fit_map_projection(embeddings)
    return projection.project(embeddings), projection.explained


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


def embedding_map_png(embeddings: np.ndarray, labels: Sequence[str], projection: MapProjection | None = None
                      ) -> bytes:
    """The scatter plot of ``(n, dim)`` embeddings as PNG bytes (for a pipeline to store), projected
    with ``projection`` (default: PCA fitted on these embeddings)."""
    # A bare Figure draws with Agg for PNG without pyplot: the caller's backend and figure list stay as they are.
    from matplotlib.figure import Figure

    if projection is None:
        projection = fit_map_projection(embeddings)
    figure = Figure(figsize=(5.5, 4.5))
    plot_embedding_map(projection.project(embeddings), labels, projection.explained, ax=figure.subplots())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return buffer.getvalue()


def nearest_neighbours(embeddings: np.ndarray, index: int, k: int = 5) -> np.ndarray:
    """Indices ``(k,)`` of the ``k`` embeddings nearest to ``embeddings[index]`` (itself left out)."""
    x = check_array("embeddings", embeddings, ndim=2)
    if not 0 <= index < len(x):
        raise IndexError(f"index must be in [0, {len(x)}), got {index}")
    distances = np.linalg.norm(x - x[index], axis=1)
    distances[index] = np.inf
    return np.argsort(distances, kind="stable")[:k]
