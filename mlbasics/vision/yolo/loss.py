"""The YOLOv3 loss, in four parts that are logged separately.

For each output scale (raw logits ``(batch, g, g, 3 * (5 + C))``):

* **xy**: where the box centre sits in its cell: cross-entropy between ``sigmoid(tx, ty)`` and
  the true offset, *minus its minimum* (the entropy of the target), so a perfect prediction
  scores 0 and the gradient is the one keras-yolo3 uses;
* **wh**: box size: squared error of ``tw, th`` against ``log(true size / anchor)``;
* **objectness**: is there an object here: cross-entropy against 1 at assigned slots and 0
  elsewhere, except slots whose predicted box already overlaps a true box by more than
  ``ignore_threshold`` IoU (they are neither rewarded nor punished);
* **class**: one-vs-all cross-entropy of the class scores at assigned slots.

xy and wh are weighted by ``2 - w * h`` so small boxes count more. Every part is summed over
cells and averaged over the batch. Logarithms and divisions are guarded with an epsilon, so
padding rows and tiny boxes never give NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlbasics.core.quiet import quiet_import
from mlbasics.vision.yolo.spec import YoloSpec

EPSILON = 1e-7
PARTS = ("xy", "wh", "objectness", "class")


def yolo_head(raw: Any, spec: YoloSpec, scale: int) -> tuple[Any, Any, Any]:
    """Decode output ``scale`` (0 = coarsest) ``(batch, g, g, 3*(5+C))`` into ``(raw, xy, wh)``.

    ``raw`` is reshaped to ``(batch, g, g, 3, 5 + C)``; ``xy`` and ``wh`` ``(batch, g, g, 3, 2)``
    are box centres and sizes as fractions of the image.
    """
    with quiet_import():
        import tensorflow as tf

    grid = spec.grids[scale]
    raw = tf.reshape(raw, (-1, grid, grid, len(spec.masks[scale]), 5 + spec.num_classes))
    xy = (tf.sigmoid(raw[..., 0:2]) + tf.constant(spec.cell_offsets(scale), dtype=raw.dtype)) / grid
    anchors = tf.constant(spec.scale_anchors(scale) / spec.input_size, dtype=raw.dtype)
    wh = tf.exp(tf.minimum(raw[..., 2:4], 10.0)) * anchors
    return raw, xy, wh


def _iou_xywh(pred_xy: Any, pred_wh: Any, true_boxes: Any) -> Any:
    """IoU of predicted boxes ``(b, g, g, 3, 2)`` x2 with true boxes ``(b, n, 4)`` (x, y, w, h): ``(b, g, g, 3, n)``."""
    with quiet_import():
        import tensorflow as tf

    p_min, p_max = pred_xy - pred_wh / 2, pred_xy + pred_wh / 2
    t = true_boxes[:, None, None, None, :, :]
    t_min, t_max = t[..., 0:2] - t[..., 2:4] / 2, t[..., 0:2] + t[..., 2:4] / 2
    inter_wh = tf.maximum(tf.minimum(p_max[..., None, :], t_max) - tf.maximum(p_min[..., None, :], t_min), 0.0)
    inter = inter_wh[..., 0] * inter_wh[..., 1]
    union = (pred_wh[..., 0] * pred_wh[..., 1])[..., None] + t[..., 2] * t[..., 3] - inter
    return inter / tf.maximum(union, EPSILON)


def _bce_logits(labels: Any, logits: Any) -> Any:
    with quiet_import():
        import tensorflow as tf

    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)


def _entropy(p: Any) -> Any:
    with quiet_import():
        import tensorflow as tf

    p = tf.clip_by_value(p, EPSILON, 1 - EPSILON)
    return -(p * tf.math.log(p) + (1 - p) * tf.math.log(1 - p))


def corner_to_xywh(boxes: Any, input_size: int) -> Any:
    """``(b, n, 5)`` corner boxes in pixels -> ``(b, n, 4)`` centre/size as fractions of the image."""
    with quiet_import():
        import tensorflow as tf

    boxes = tf.cast(boxes, tf.float32)
    xy = (boxes[..., 0:2] + boxes[..., 2:4]) / 2 / input_size
    wh = tf.maximum(boxes[..., 2:4] - boxes[..., 0:2], 0.0) / input_size
    return tf.concat([xy, wh], axis=-1)


def giou(pred_xy: Any, pred_wh: Any, true_xy: Any, true_wh: Any) -> Any:
    """Generalised IoU of boxes given by centre and size, element by element: IoU minus the share of
    their enclosing box that neither covers (Rezatofighi et al. 2019); in ``(-1, 1]``, shape ``(..., 1)``."""
    with quiet_import():
        import tensorflow as tf

    p_min, p_max = pred_xy - pred_wh / 2, pred_xy + pred_wh / 2
    t_min, t_max = true_xy - true_wh / 2, true_xy + true_wh / 2
    inter_wh = tf.maximum(tf.minimum(p_max, t_max) - tf.maximum(p_min, t_min), 0.0)
    inter = inter_wh[..., 0:1] * inter_wh[..., 1:2]
    union = pred_wh[..., 0:1] * pred_wh[..., 1:2] + true_wh[..., 0:1] * true_wh[..., 1:2] - inter
    hull_wh = tf.maximum(p_max, t_max) - tf.minimum(p_min, t_min)
    hull = hull_wh[..., 0:1] * hull_wh[..., 1:2]
    return inter / tf.maximum(union, EPSILON) - (hull - union) / tf.maximum(hull, EPSILON)


#: Box losses: ``yolo`` (xy cross-entropy + wh squared error, YOLOv3) or ``giou`` (1 - GIoU of the whole box,
#: logged as the ``xy`` part with ``wh`` 0).
BOX_LOSSES = ("yolo", "giou")


def yolo_loss_parts(outputs: Sequence[Any], targets: Sequence[Any], true_boxes: Any, spec: YoloSpec,
                    ignore_threshold: float = 0.5, box_loss: str = "yolo") -> dict[str, Any]:
    """The four loss parts (scalars), summed over scales and averaged over the batch.

    ``outputs``: raw model outputs ``(b, g, g, 3*(5+C))``, coarsest first; ``targets``: from
    :func:`~mlbasics.vision.yolo.targets.assign_targets`; ``true_boxes``: ``(b, n, 5)`` corner
    boxes in input pixels (padding rows zero), used for the ignore mask.
    """
    with quiet_import():
        import tensorflow as tf

    truth_xywh = corner_to_xywh(true_boxes, spec.input_size)
    batch = tf.cast(tf.shape(outputs[0])[0], tf.float32)
    totals = {name: tf.constant(0.0) for name in PARTS}
    for scale, (output, target) in enumerate(zip(outputs, targets)):
        raw, pred_xy, pred_wh = yolo_head(tf.cast(output, tf.float32), spec, scale)
        target = tf.cast(target, tf.float32)
        has_object = target[..., 4:5]
        true_offset = tf.clip_by_value(target[..., 0:2] * spec.grids[scale] - spec.cell_offsets(scale), 0.0, 1.0)
        ratio = target[..., 2:4] * spec.input_size / spec.scale_anchors(scale)
        true_twth = tf.where(has_object > 0, tf.math.log(tf.maximum(ratio, EPSILON)), tf.zeros_like(ratio))
        weight = has_object * (2.0 - target[..., 2:3] * target[..., 3:4])

        best_iou = tf.reduce_max(_iou_xywh(pred_xy, pred_wh, truth_xywh), axis=-1, keepdims=True)
        ignore = tf.stop_gradient(tf.cast(best_iou < ignore_threshold, tf.float32))

        if box_loss == "giou":
            xy = weight * (1.0 - giou(pred_xy, pred_wh, target[..., 0:2], target[..., 2:4]))
            wh = tf.zeros_like(xy)
        else:
            xy = weight * (_bce_logits(true_offset, raw[..., 0:2]) - _entropy(true_offset))
            wh = weight * 0.5 * tf.square(true_twth - raw[..., 2:4])
        bce_object = _bce_logits(has_object, raw[..., 4:5])
        objectness = has_object * bce_object + (1 - has_object) * bce_object * ignore
        classes = has_object * _bce_logits(target[..., 5:], raw[..., 5:])
        for name, value in zip(PARTS, (xy, wh, objectness, classes)):
            totals[name] += tf.reduce_sum(value) / batch
    return totals
