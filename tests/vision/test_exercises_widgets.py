"""Lessons 05-08: exercises give hints not answers; widget panels build and their functions work."""

from __future__ import annotations

import numpy as np
import pytest

from mlbasics.vision.cnn import KERNELS, conv_output_size, conv_params, convolve2d
from mlbasics.workbook.exercises import check, prompt

RIGHT_AND_WRONG = {
    "05.1": ((32, 32, 16), (64, 64, 16)),
    "05.2": (4640, 4608),
    "06.1": (1 / 7, 0.5),
    "06.2": ("images/cat.jpg 80,40,120,90,0 10,10,30,30,1", "images/cat.jpg 80,40,120,90,1 10,10,30,30,0"),
    "07.1": ([(10, 10, 27), (20, 20, 27)], [(10, 10, 24), (20, 20, 24)]),
    "07.2": (2, 3),
    "08.1": (0.6875, 0.75),
    "08.2": (3, 2),
}


@pytest.mark.parametrize("exercise_id", sorted(RIGHT_AND_WRONG))
def test_right_answer_passes_wrong_answer_gets_a_hint(exercise_id):
    right, wrong = RIGHT_AND_WRONG[exercise_id]
    assert check(exercise_id, right).correct, check(exercise_id, right).message
    feedback = check(exercise_id, wrong)
    assert not feedback.correct and feedback.message
    assert str(right) not in feedback.message
    assert prompt(exercise_id)


def test_fix_line_hints_follow_the_mistake_left():
    """06.2: every mistake left in the line gets its own hint; none needs a class that is not in the file."""
    hints = {
        "images/cat.jpg 120,40,80,90,1 10,10,30,30,2": "the validator still says",
        "images/cat.jpg 80,40,120,90,1": "keep both boxes",
        "images/cat.jpg 120,40,80,90,0 10,10,30,30,1": "the validator still says",
        "images/cat.jpg 80,40,120,90,1 10,10,30,30,2": "class id 2 is outside",
        "images/cat.jpg 80,40,120,90,1 10,10,30,30,1": "counting from 0",
    }
    for line, hint in hints.items():
        feedback = check("06.2", line)
        assert not feedback.correct and hint in feedback.message, (line, feedback.message)


def test_convolution_helpers():
    image = np.zeros((5, 5))
    image[:, 3:] = 9
    out = convolve2d(image, KERNELS["vertical edges"])
    assert out.shape == (3, 3) and out[0, 0] == 0 and out[0, 1] == -36 and out[0, 2] == -36
    assert conv_output_size(64, 3, 1, "same") == 64 and conv_output_size(64, 3, 1, "valid") == 62
    assert conv_output_size(63, 2, 2, "same") == 32
    assert conv_params(3, 16, 3) == 448 and conv_params(3, 16, 3, bias=False) == 432


def test_anchor_panel_summary_changes_with_k():
    from mlbasics.workbook.widgets.anchors import anchors_panel

    wh = np.random.default_rng(0).uniform(10, 80, (300, 2))
    box = anchors_panel(wh)
    summary = box.children[2]
    assert "k = 6 anchors" in summary.value
    box.children[1].children[0].value = 2
    assert "k = 2 anchors" in summary.value and "mean IoU" in summary.value
    assert "mlbasics-panel" in box._dom_classes


def test_convolution_panel():
    from mlbasics.data.synthetic import object_crops
    from mlbasics.workbook.widgets.convolution import convolution_panel

    crops, labels = object_crops(4, 32)
    box = convolution_panel(crops, [str(label) for label in labels])
    assert "vertical edges on a 0: 32×32 → 30×30" in box.children[2].value


def test_thresholds_panel_counts():
    from mlbasics.vision.yolo.decode import Detections
    from mlbasics.vision.yolo.evaluate import Evaluation
    from mlbasics.vision.yolo.metrics import evaluate_detections
    from mlbasics.vision.yolo.spec import YoloSpec
    from mlbasics.workbook.widgets.detection import thresholds_panel

    anchors = np.array([[8, 8], [16, 16], [24, 24], [40, 40], [48, 48], [60, 60]], dtype=np.float32)
    spec = YoloSpec(anchors, ("shape",), input_size=64)
    raw = [np.full((1, 2, 2, 3 * 6), -10.0, np.float32), np.full((1, 4, 4, 3 * 6), -10.0, np.float32)]
    coarse = raw[0].reshape(1, 2, 2, 3, 6)
    coarse[0, 0, 0, 0, :] = [0, 0, 0, 0, 10, 10]  # a 40x40 box of class 0 centred at (16, 16), score ~1
    truths = [np.array([[-4, -4, 36, 36, 0], [40, 40, 60, 60, 0]], dtype=float)]
    empty = Detections(np.zeros((0, 4)), np.zeros(0), np.zeros(0, int))
    evaluation = Evaluation(evaluate_detections([empty], truths, 1), [empty], truths, raw)
    box = thresholds_panel(evaluation, np.zeros((1, 64, 64, 3), np.uint8), spec)
    assert "precision <b>1.000</b>, recall <b>0.500</b> (1 found, 0 false alarms, 1 missed)" in box.children[2].value
