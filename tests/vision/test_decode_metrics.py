"""Decoding, per-class NMS and VOC AP / mAP on cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from mlbasics.core.errors import InputError
from mlbasics.geometry.boxes import non_max_suppression
from mlbasics.vision.yolo.decode import Detections, decode_output, detect_from_outputs
from mlbasics.vision.yolo.metrics import average_precision, evaluate_detections
from mlbasics.vision.yolo.spec import YoloSpec


def test_decode_one_cell():
    anchors = np.array([[4, 4], [6, 6], [8, 8], [10, 20], [30, 30], [40, 40]], dtype=np.float32)
    spec = YoloSpec(anchors, ("a", "b"), input_size=64)  # coarse scale: 2x2 grid, anchors 3-5
    raw = np.full((2, 2, 3, 7), -20.0)  # 3 anchors, 2 classes
    raw[1, 0, 0, :5] = [0.0, 0.0, np.log(2.0), 0.0, 20.0]  # centre of cell (row 1, col 0), width 2x anchor 3
    raw[1, 0, 0, 5:] = [20.0, -20.0]
    boxes, scores = decode_output(raw.reshape(2, 2, 21), spec, 0)
    index = (1 * 2 + 0) * 3 + 0
    np.testing.assert_allclose(boxes[index], [16 - 10, 48 - 10, 16 + 10, 48 + 10])
    assert scores[index, 0] == pytest.approx(1.0) and scores[index, 1] < 1e-6


def test_nms_by_hand():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]], dtype=float)
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    # box 3 (0.95) overlaps 0 (IoU 0.9) and 1 (IoU ~0.63): both go; box 2 is elsewhere
    assert non_max_suppression(boxes, scores, 0.5).tolist() == [3, 2]
    assert non_max_suppression(boxes, scores, 0.95).tolist() == [3, 0, 1, 2]


def test_nms_is_per_class_and_scores_are_thresholded():
    raw = np.full((1, 1, 3, 7), -20.0)
    for slot, cls in ((0, 0), (1, 1), (2, 0)):
        raw[0, 0, slot, :5] = [0, 0, 0, 0, 20.0]
        raw[0, 0, slot, 5 + cls] = 20.0 if slot < 2 else 0.0  # slot 2: class 0 at score 0.5
    spec = YoloSpec(np.full((6, 2), 10.0), ("a", "b"), input_size=32)  # grids 1x1 and 2x2
    outputs = [raw.reshape(1, 1, 1, 21), np.full((1, 2, 2, 21), -20.0)]  # nothing on the fine grid
    found = detect_from_outputs(outputs, spec, score_threshold=0.3)
    assert sorted(found[0].classes.tolist()) == [0, 1], "same box, other class: kept; same class: suppressed"
    found = detect_from_outputs(outputs, spec, score_threshold=0.3, nms_iou=0.99)
    assert len(found[0]) == 2, "identical boxes (IoU 1) are still suppressed"
    with pytest.raises(InputError, match="score_threshold"):
        detect_from_outputs(outputs, spec, score_threshold=1.5)
    with pytest.raises(InputError, match="the tiny model has 2 scales, got 1"):
        detect_from_outputs(outputs[:1], spec)


def test_test_time_flip_mirrors_the_flipped_boxes_back_before_nms():
    from mlbasics.vision.yolo.decode import mirror_boxes

    np.testing.assert_allclose(mirror_boxes(np.array([[10.0, 20, 30, 40]]), 100), [[70, 20, 90, 40]])
    anchors = np.array([[4, 4], [6, 6], [8, 8], [10, 20], [30, 30], [40, 40]], dtype=np.float32)
    spec = YoloSpec(anchors, ("a",), input_size=64)  # coarse 2x2 grid (anchors 3-5), fine 4x4
    coarse = np.full((1, 2, 2, 3, 6), -20.0)
    coarse[0, 1, 0, 0] = [0.0, 0.0, 0.0, 0.0, 20.0, 20.0]  # one sure 10x20 box centred at (16, 48)
    outputs = [coarse.reshape(1, 2, 2, 18), np.full((1, 4, 4, 18), -20.0)]
    found = detect_from_outputs(outputs, spec)[0]
    np.testing.assert_allclose(found.boxes, [[11, 38, 21, 58]])
    # The mirrored image's network saw the box at x = 64 - 16 = 48: as raw outputs, the same box; mirrored
    # back, it lands at x = 48 in this image: a second object, not a duplicate.
    both = detect_from_outputs(outputs, spec, flipped_outputs=outputs)[0]
    np.testing.assert_allclose(sorted(both.boxes.tolist()), [[11, 38, 21, 58], [43, 38, 53, 58]])
    # A box in the middle is seen in the same place both ways: NMS keeps one.
    middle = np.full((1, 2, 2, 3, 6), -20.0)
    middle[0, 1, 1, 0] = [-20.0, 0.0, 0.0, 0.0, 20.0, 20.0]  # centre x = 32 (left edge of cell col 1)
    outputs = [middle.reshape(1, 2, 2, 18), np.full((1, 4, 4, 18), -20.0)]
    assert len(detect_from_outputs(outputs, spec, flipped_outputs=outputs)[0]) == 1
    with pytest.raises(InputError, match="flipped_outputs"):
        detect_from_outputs(outputs, spec, flipped_outputs=outputs[:1])


def test_average_precision_by_hand():
    # ranking TP, FP, TP with 2 truths: recall .5 .5 1, precision 1 .5 .667
    recall, precision = np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 2 / 3])
    assert average_precision(recall, precision) == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    # 11-point: recall thresholds 0..0.5 -> 1.0 (6 points), 0.6..1.0 -> 2/3 (5 points)
    assert average_precision(recall, precision, "11-point") == pytest.approx((6 + 5 * 2 / 3) / 11)
    with pytest.raises(InputError, match="interpolation"):
        average_precision(recall, precision, "cubic")


def _det(boxes, scores, classes):
    return Detections(np.array(boxes, float).reshape(-1, 4), np.array(scores, float), np.array(classes))


def test_map_by_hand():
    truths = [np.array([[0, 0, 10, 10, 0], [20, 20, 30, 30, 1]]), np.array([[0, 0, 10, 10, 0]])]
    detections = [
        _det([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], [0.9, 0.8, 0.6], [0, 0, 1]),  # TP, dup FP, TP
        _det([[50, 50, 60, 60]], [0.7], [0]),  # FP: the truth at (0,0) is missed
    ]
    result = evaluate_detections(detections, truths, 2)
    # class 0 ranking 0.9 TP, 0.8 FP (duplicate), 0.7 FP; 2 truths -> recall .5, precision 1 -> AP 0.5
    assert result.ap[0] == pytest.approx(0.5)
    assert result.ap[1] == pytest.approx(1.0)
    assert result.map == pytest.approx(0.75)
    assert evaluate_detections(detections, truths, 2, iou_threshold=0.95).ap[1] == pytest.approx(1.0)


def test_map_ignores_classes_without_truth_and_checks_lengths():
    result = evaluate_detections([_det([[0, 0, 1, 1]], [0.5], [1])], [np.array([[0, 0, 1, 1, 0]])], 3)
    assert result.ap[0] == 0.0 and result.map == 0.0  # class 2 has no truth: not in the mean
    with pytest.raises(InputError, match="detections for 1 images but ground truth for 2"):
        evaluate_detections([_det([], [], [])], [np.zeros((0, 5))] * 2, 1)


def test_match_counts_by_hand():
    from mlbasics.vision.yolo.metrics import match_counts

    truths = [np.array([[0, 0, 10, 10, 0], [20, 20, 30, 30, 1]])]
    found = [_det([[0, 0, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30]], [0.9, 0.8, 0.7], [0, 0, 0])]
    counts = match_counts(found, truths)
    # one hit; the duplicate and the wrong-class box are false alarms; the class-1 box is missed
    assert (counts.true_positives, counts.false_positives, counts.missed) == (1, 2, 1)
    assert counts.precision == pytest.approx(1 / 3) and counts.recall == pytest.approx(0.5)
