"""k-means anchors with 1 - IoU, and the keras-yolo3 anchors file."""

from __future__ import annotations

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.geometry.boxes import wh_iou
from mlbasics.vision.yolo.anchors import (
    box_sizes,
    kmeans_anchors,
    mean_iou,
    read_anchors,
    write_anchors,
)

PLANTED = np.array([[10, 14], [23, 27], [37, 58], [81, 82], [135, 169], [344, 319]], dtype=float)


def test_wh_iou_by_hand():
    np.testing.assert_allclose(wh_iou([[2, 2]], [[2, 2], [4, 4], [2, 1]]), [[1.0, 0.25, 0.5]])


def test_kmeans_recovers_planted_anchors():
    rng = np.random.default_rng(0)
    cloud = np.concatenate([centre * rng.normal(1.0, 0.05, (200, 2)) for centre in PLANTED])
    anchors = kmeans_anchors(cloud, 6, seed=1)
    np.testing.assert_allclose(anchors, PLANTED, rtol=0.06)
    assert mean_iou(cloud, anchors) > 0.85
    assert mean_iou(cloud, anchors) > mean_iou(cloud, kmeans_anchors(cloud, 2, seed=1))


def test_kmeans_rejects_bad_boxes():
    with pytest.raises(InputError, match="zero or negative"):
        kmeans_anchors(np.array([[1.0, 0.0], [2, 2], [3, 3]]), 2)
    with pytest.raises(InputError, match="k=3 anchors need at least 3 distinct"):
        kmeans_anchors(np.array([[1.0, 1.0], [1, 1], [2, 2]]), 3)
    with pytest.raises(InputError, match="wh must have shape"):
        kmeans_anchors(np.ones((4, 3)), 2)


def test_anchor_file_round_trip_and_errors(tmp_path):
    write_anchors(tmp_path / "a.txt", PLANTED)
    assert (tmp_path / "a.txt").read_text().startswith("10,14,  23,27,")
    np.testing.assert_array_equal(read_anchors(tmp_path / "a.txt"), PLANTED)
    (tmp_path / "odd.txt").write_text("10,14, 23")
    with pytest.raises(DataFileError, match="odd.txt: anchors need pairs"):
        read_anchors(tmp_path / "odd.txt")
    (tmp_path / "word.txt").write_text("10,x")
    with pytest.raises(DataFileError, match="word.txt: anchors must be numbers"):
        read_anchors(tmp_path / "word.txt")


def test_box_sizes():
    np.testing.assert_array_equal(box_sizes(np.array([[1, 2, 4, 8, 0]])), [[3, 6]])
