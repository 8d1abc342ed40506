"""A Keras model wrapper whose ``train_step`` computes the YOLOv3 loss and logs its parts.

The 2018 Keras code attached the loss with a ``Lambda`` layer; Keras 3 symbolic tensors do not
allow that, so the loss lives in ``train_step``/``test_step`` here and ``fit`` works as usual
(callbacks, progress bar, TensorBoard, ``BackupAndRestore``).
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from mlbasics.vision.yolo.loss import PARTS, yolo_loss_parts


class YoloTrainer(keras.Model):
    """Wraps ``detector`` (image -> raw outputs) for training; data are ``(images, (*targets, boxes))``."""

    def __init__(self, detector: keras.Model, anchors: np.ndarray, masks: Sequence[Sequence[int]], num_classes: int,
                 ignore_threshold: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.detector = detector
        self.anchors = np.asarray(anchors, dtype=np.float32)
        self.masks = tuple(tuple(m) for m in masks)
        self.num_classes = num_classes
        self.input_size = int(detector.inputs[0].shape[1])
        self.ignore_threshold = ignore_threshold
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", *PARTS)}

    def call(self, images, training=False):
        return self.detector(images, training=training)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _parts(self, images, labels, training: bool):
        *targets, boxes = labels
        outputs = self.detector(images, training=training)
        return yolo_loss_parts(outputs, targets, boxes, self.anchors, self.masks, self.num_classes, self.input_size,
                               self.ignore_threshold)

    def _record(self, parts, loss):
        self.trackers["loss"].update_state(loss)
        for name in PARTS:
            self.trackers[name].update_state(parts[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def train_step(self, data):
        images, labels = data
        with tf.GradientTape() as tape:
            parts = self._parts(images, labels, training=True)
            loss = tf.add_n(list(parts.values()))
        variables = self.detector.trainable_variables
        gradients = tape.gradient(loss, variables)
        # A NaN gradient (from a broken sample) would destroy every weight: skip such a step.
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(g)) for g in gradients if g is not None])
        gradients = [tf.where(finite, g, tf.zeros_like(g)) if g is not None else g for g in gradients]
        self.optimizer.apply(gradients, variables)
        return self._record(parts, loss)

    def test_step(self, data):
        images, labels = data
        parts = self._parts(images, labels, training=False)
        return self._record(parts, tf.add_n(list(parts.values())))
