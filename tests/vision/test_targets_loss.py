"""Target assignment and the YOLOv3 loss: zero for a perfect prediction, smaller nearer the truth."""

from __future__ import annotations

import numpy as np
import pytest

from mlbasics.core.errors import InputError
from mlbasics.vision.yolo.spec import YoloSpec
from mlbasics.vision.yolo.targets import assign_targets

ANCHORS = np.array([[8, 8], [16, 16], [24, 24], [40, 40], [64, 64], [100, 100]], dtype=np.float32)
CLASSES = ("a", "b", "c")
SPEC = YoloSpec(ANCHORS, CLASSES, input_size=64)  # grids 2x2 (anchors 3-5) and 4x4 (anchors 0-2)
SPEC_128 = YoloSpec(ANCHORS, CLASSES, input_size=128)


def _boxes(*rows):
    out = np.zeros((1, 4, 5), np.float32)
    out[0, : len(rows)] = rows
    return out


def test_box_goes_to_best_anchor_and_cell():
    coarse, fine = assign_targets(_boxes([30, 30, 70, 70, 1]), SPEC_128)  # 40x40 -> anchor 3
    assert coarse.shape == (1, 4, 4, 3, 8) and fine.shape == (1, 8, 8, 3, 8)
    assert fine[..., 4].sum() == 0 and coarse[..., 4].sum() == 1
    cell = coarse[0, 1, 1, 0]  # centre (50, 50) in a 4x4 grid of 32 px: row 1, col 1, slot 0 = anchor 3
    np.testing.assert_allclose(cell[:5], [50 / 128, 50 / 128, 40 / 128, 40 / 128, 1])
    np.testing.assert_array_equal(cell[5:], [0, 1, 0])


def test_small_box_goes_to_fine_grid_and_padding_is_ignored():
    _, fine = assign_targets(_boxes([0, 0, 16, 16, 2], [0, 0, 0, 0, 0]), SPEC_128)
    assert fine[0, 0, 0, 1, 4] == 1 and fine[..., 4].sum() == 1  # 16x16 -> anchor 1 -> slot 1


def test_anchor_threshold_adds_every_anchor_whose_shape_matches():
    box = _boxes([30, 30, 70, 70, 1])  # 40x40: shape IoU 1.0 with anchor 3, 0.39 with 64x64 (4), 0.36 with 24 (2)
    one = assign_targets(box, SPEC_128)
    assert sum(t[..., 4].sum() for t in one) == 1
    coarse, fine = assign_targets(box, SPEC_128, anchor_threshold=0.38)
    assert coarse[..., 4].sum() == 2 and fine[..., 4].sum() == 0
    assert coarse[0, 1, 1, 0, 4] == coarse[0, 1, 1, 1, 4] == 1  # anchors 3 and 4, the cell of the centre
    np.testing.assert_allclose(coarse[0, 1, 1, 1, :4], coarse[0, 1, 1, 0, :4])  # the same box in both slots
    coarse, fine = assign_targets(box, SPEC_128, anchor_threshold=0.35)
    assert coarse[..., 4].sum() == 2 and fine[0, 3, 3, 2, 4] == 1  # and anchor 2, on the fine grid (cell 50/16)


def test_targets_reject_class_mismatch_and_bad_boxes():
    with pytest.raises(InputError, match="class id outside 0..2"):
        assign_targets(_boxes([0, 0, 16, 16, 3]), SPEC_128)
    with pytest.raises(InputError, match=r"boxes must have shape \(batch, max_boxes, 5\)"):
        assign_targets(np.zeros((4, 5)), SPEC_128)


def _perfect_logits(targets, spec, sure=16.0):
    """Raw outputs that decode exactly to the targets (the inverse of the YOLO head)."""
    outputs = []
    for scale, target in enumerate(targets):
        grid = spec.grids[scale]
        has = target[..., 4:5] > 0
        offset = np.clip(target[..., 0:2] * grid - spec.cell_offsets(scale), 1e-6, 1 - 1e-6)
        txy = np.where(has, np.log(offset / (1 - offset)), 0.0)
        twh = np.where(has, np.log(np.maximum(target[..., 2:4] * spec.input_size / spec.scale_anchors(scale), 1e-9)),
                       0.0)
        obj = np.where(has, sure, -sure)
        cls = np.where(target[..., 5:] > 0, sure, -sure)
        outputs.append(np.concatenate([txy, twh, obj, cls], -1).reshape(*target.shape[:3], -1).astype(np.float32))
    return outputs


def _loss(outputs, targets, boxes, box_loss="yolo"):
    from mlbasics.vision.yolo.loss import yolo_loss_parts

    parts = yolo_loss_parts(outputs, targets, boxes, SPEC, box_loss=box_loss)
    return {k: float(v) for k, v in parts.items()}


def test_loss_is_zero_for_a_perfect_prediction_and_grows_away_from_it():
    boxes = _boxes([5, 6, 21, 20, 0], [20, 10, 60, 58, 2])
    targets = assign_targets(boxes, SPEC)
    perfect = _perfect_logits(targets, SPEC)
    parts = _loss(perfect, targets, boxes)
    assert set(parts) == {"xy", "wh", "objectness", "class"}
    assert all(abs(v) < 1e-3 for v in parts.values()), parts
    previous = 0.0
    rng = np.random.default_rng(0)
    noise = [rng.normal(0, 1, o.shape).astype(np.float32) for o in perfect]
    for step in (0.25, 0.5, 1.0, 2.0):  # moving away from the truth: every step costs more
        total = sum(_loss([p + step * n for p, n in zip(perfect, noise)], targets, boxes).values())
        assert total > previous
        previous = total


def test_giou_box_loss_is_zero_when_right_and_grows_with_the_box_error():
    from mlbasics.vision.yolo.loss import giou

    centre, size = np.array([[0.5, 0.5]], np.float32), np.array([[0.2, 0.2]], np.float32)
    assert float(giou(centre, size, centre, size)[0, 0]) == pytest.approx(1.0)
    half = float(giou(centre, size * np.array([[0.5, 1.0]], np.float32), centre, size)[0, 0])
    assert half == pytest.approx(0.5)  # half the box: IoU 0.5, the hull is the true box
    apart = float(giou(centre + np.array([[0.4, 0.0]], np.float32), size, centre, size)[0, 0])
    assert apart == pytest.approx(-1 / 3)  # apart: IoU 0, and a third of the 0.6 x 0.2 hull is empty
    boxes = _boxes([5, 6, 21, 20, 0], [20, 10, 60, 58, 2])
    targets = assign_targets(boxes, SPEC)
    perfect = _perfect_logits(targets, SPEC)
    parts = _loss(perfect, targets, boxes, box_loss="giou")
    assert all(abs(v) < 1e-3 for v in parts.values()), parts
    shifted = [p.copy() for p in perfect]
    for p in shifted:
        p[..., 0::8] += 1.0  # every slot's tx moved: the assigned boxes shift right
    assert _loss(shifted, targets, boxes, box_loss="giou")["xy"] > 0.05


def test_loss_has_no_nan_for_tiny_boxes_or_empty_images():
    boxes = _boxes([10, 10, 10.01, 10.01, 1])  # a degenerate box
    targets = assign_targets(boxes, SPEC)
    outputs = [np.full(t.shape[:3] + (24,), 30.0, np.float32) for t in targets]  # extreme logits
    parts = _loss(outputs, targets, boxes)
    assert all(np.isfinite(v) for v in parts.values())
    empty = np.zeros((1, 4, 5), np.float32)
    assert all(np.isfinite(v) for v in _loss(outputs, assign_targets(empty, SPEC), empty).values())


def test_ignore_mask_spares_good_unassigned_predictions():
    """A slot that is not responsible but predicts the box well is not punished for objectness."""
    boxes = _boxes([16, 16, 48, 48, 0])
    targets = assign_targets(boxes, SPEC)
    perfect = _perfect_logits(targets, SPEC)
    neighbour = [o.copy() for o in perfect]
    coarse = neighbour[0].reshape(1, 2, 2, 3, 8)
    assigned = np.argwhere(targets[0][..., 4] > 0)[0]
    other_slot = (assigned[3] + 1) % 3
    coarse[0, assigned[1], assigned[2], other_slot, :4] = coarse[0, assigned[1], assigned[2], assigned[3], :4]
    coarse[0, assigned[1], assigned[2], other_slot, 2:4] += np.log(ANCHORS[3 + assigned[3]] / ANCHORS[3 + other_slot])
    coarse[0, assigned[1], assigned[2], other_slot, 4] = 5.0  # confident, but not the responsible slot
    assert _loss(neighbour, targets, boxes)["objectness"] < 1e-3


def test_a_step_with_a_nan_loss_changes_nothing():
    """A NaN image gives a NaN loss: the step is skipped whole (weights, batch norm statistics, Adam's
    moments and step counter), and the next good step trains as usual."""
    import keras
    import tensorflow as tf

    from mlbasics.vision.yolo.model import build_detector
    from mlbasics.vision.yolo.trainer import YoloTrainer

    keras.utils.set_random_seed(0)
    spec = YoloSpec(ANCHORS / 2, ("shape",), input_size=32, width=0.125)
    trainer = YoloTrainer(build_detector(spec), spec)
    trainer(np.zeros((1, 32, 32, 3), np.float32))
    trainer.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
    images = np.random.default_rng(0).random((2, 32, 32, 3)).astype(np.float32)
    boxes = np.zeros((2, 4, 5), np.float32)
    boxes[:, 0] = [4, 6, 20, 18, 0]

    def step(batch):
        return trainer.fit(tf.data.Dataset.from_tensors((batch, (*assign_targets(boxes, spec), boxes))),
                           shuffle=False, verbose=0).history["loss"][0]

    def state():
        return ([v.numpy().copy() for v in trainer.detector.weights],
                [v.numpy().copy() for v in trainer.optimizer.variables], int(trainer.optimizer.iterations))

    assert np.isfinite(step(images))  # Adam's moments are non-zero from here on
    weights, optimizer, iterations = state()
    broken = images.copy()
    broken[0, 3, 3, 1] = np.nan
    assert np.isnan(step(broken)), "the broken batch's loss is still logged"
    after_weights, after_optimizer, after_iterations = state()
    assert after_iterations == iterations == 1
    assert all(np.array_equal(a, b) for a, b in zip(weights, after_weights))
    assert all(np.array_equal(a, b) for a, b in zip(optimizer, after_optimizer))
    step(images)
    assert int(trainer.optimizer.iterations) == 2
    assert not all(np.array_equal(a, v.numpy()) for a, v in zip(weights, trainer.detector.weights))
