"""Anchor boxes: typical box sizes found by k-means with the distance 1 - IoU.

Boxes are compared by width and height only (as if they shared a corner), so a big and a
small box of the same shape are still far apart, which plain Euclidean k-means gets wrong.
Anchors are ``(k, 2)`` arrays of ``width, height`` in input pixels, sorted by area; which scale
uses which anchors is the detector's :class:`~mlbasics.vision.yolo.spec.YoloSpec`'s ``masks``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np

from mlbasics.core import limits
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.limits import Param
from mlbasics.core.seed import SEED
from mlbasics.core.validation import check_array, check_positive_int
from mlbasics.geometry.boxes import wh_iou
from mlbasics.io.files import atomic_write
from mlbasics.io.text import read_text

#: Anchors k-means makes unless told: tiny YOLOv3 has 6 (3 per scale), YOLOv3 9.
ANCHOR_COUNT = Param("k", 6, limits.ANCHORS, "anchors: 6 for tiny YOLOv3, 9 for YOLOv3")


def mean_iou(wh: np.ndarray, anchors: np.ndarray) -> float:
    """Average over boxes of the IoU with their best anchor: how well ``anchors`` cover ``wh``."""
    return float(wh_iou(wh, anchors).max(axis=1).mean())


def _seed_centres(wh: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ start: each next centre is drawn with probability growing with its distance (1 - IoU)
    to the centres so far, so the start covers small and large boxes alike."""
    centres = [wh[rng.integers(len(wh))]]
    for _ in range(k - 1):
        distance = 1.0 - wh_iou(wh, np.array(centres)).max(axis=1)
        weights = distance**2
        centres.append(wh[rng.choice(len(wh), p=weights / weights.sum())] if weights.sum() > 0
                       else wh[rng.integers(len(wh))])
    return np.array(centres, dtype=np.float64)


def _one_run(wh: np.ndarray, k: int, rng: np.random.Generator, iterations: int) -> np.ndarray:
    centres = _seed_centres(wh, k, rng)
    assignment = np.full(len(wh), -1)
    for _ in range(iterations):
        new = np.argmax(wh_iou(wh, centres), axis=1)  # nearest = smallest 1 - IoU
        if np.array_equal(new, assignment):
            break
        assignment = new
        for cluster in range(k):
            members = wh[assignment == cluster]
            if len(members):
                centres[cluster] = np.median(members, axis=0)
    return centres


def kmeans_anchors(wh: np.ndarray, k: int = ANCHOR_COUNT.default, *, seed: int = SEED.default, restarts: int = 5,
                   iterations: int = 300) -> np.ndarray:
    """Cluster box sizes ``(n, 2)`` into ``k`` anchors ``(k, 2)`` (sorted by area).

    Distance 1 - IoU, cluster centres are medians (as in keras-yolo3's ``kmeans.py``), started
    k-means++ style; the best of ``restarts`` seeded runs by :func:`mean_iou` wins.
    """
    wh = check_array("wh", wh, shape=(None, 2), dtype_kind="iuf").astype(np.float64)
    k = ANCHOR_COUNT.check(k)
    SEED.check(seed)
    if np.any(wh <= 0):
        raise InputError("wh has boxes with zero or negative width/height; validate the annotations first")
    if len(np.unique(wh, axis=0)) < k:
        raise InputError(f"k={k} anchors need at least {k} distinct box sizes, got {len(np.unique(wh, axis=0))}")
    rng = np.random.default_rng(seed)
    runs = [_one_run(wh, k, rng, iterations) for _ in range(check_positive_int("restarts", restarts))]
    best = max(runs, key=lambda centres: mean_iou(wh, centres))
    return best[np.argsort(best.prod(axis=1))]


def box_sizes(boxes: np.ndarray) -> np.ndarray:
    """Widths and heights ``(n, 2)`` of corner boxes ``(n, 4+)``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, np.shape(boxes)[-1])
    return np.stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], axis=1)


def input_box_sizes(boxes_and_sizes: Iterable[tuple[np.ndarray, tuple[int, int]]], input_size: int) -> np.ndarray:
    """Widths and heights ``(n, 2)`` of every box as the network sees it: each image's boxes ``(m, 4+)`` in
    pixels of its ``(width, height)``, scaled by the letterbox to ``input_size`` (what anchors are fitted to)."""
    from mlbasics.geometry.letterbox import letterbox_scale

    sizes = [box_sizes(boxes) * letterbox_scale(size, input_size) for boxes, size in boxes_and_sizes if len(boxes)]
    return np.concatenate(sizes) if sizes else np.zeros((0, 2))


def pixel_anchors(anchors: np.ndarray) -> np.ndarray:
    """Anchors ``(k, 2)`` rounded to whole pixels, ``(k, 2)`` float32: what :func:`read_anchors` gives back
    from the file :func:`write_anchors` writes."""
    anchors = check_array("anchors", anchors, shape=(None, 2), dtype_kind="iuf")
    return np.array([[int(round(w)), int(round(h))] for w, h in anchors], dtype=np.float32).reshape(-1, 2)


def write_anchors(path: str | os.PathLike[str], anchors: np.ndarray) -> None:
    """Write the keras-yolo3 anchors file: one line ``w,h,  w,h,  ...`` (rounded to pixels)."""
    with atomic_write(path, "w") as handle:
        handle.write(",  ".join(f"{int(w)},{int(h)}" for w, h in pixel_anchors(anchors)) + "\n")


def read_anchors(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an anchors file: ``(k, 2)`` float32; errors name the file and what is wrong."""
    text = read_text(path, missing="no such anchors file")  # a folder or FIFO is refused, a BOM is fine
    try:
        values = [float(v) for v in text.replace("\n", ",").split(",") if v.strip()]
    except ValueError:
        raise DataFileError(path, "anchors must be numbers: w,h,  w,h, ...") from None
    if not values or len(values) % 2:
        raise DataFileError(path, f"anchors need pairs w,h; got {len(values)} number(s)")
    anchors = np.array(values, dtype=np.float32).reshape(-1, 2)
    if np.any(anchors <= 0):
        raise DataFileError(path, "anchors must be positive")
    return anchors
