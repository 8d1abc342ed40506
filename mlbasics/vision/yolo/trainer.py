"""A Keras model wrapper whose ``train_step`` computes the YOLOv3 loss and logs its parts.

The 2018 Keras code attached the loss with a ``Lambda`` layer; Keras 3 symbolic tensors do not
allow that, so the loss lives in ``train_step``/``test_step`` here and ``fit`` works as usual
(callbacks, progress bar, TensorBoard, ``BackupAndRestore``).

A step whose loss or gradients are not finite (a broken sample, an overflow) is skipped whole:
the weights, batch norm's moving statistics, the optimizer's moments and its step counter stay as
they were. Its loss is still logged, so the epoch's mean loss shows NaN and the skip is visible.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from mlbasics.vision.yolo.loss import PARTS, yolo_loss_parts
from mlbasics.vision.yolo.spec import YoloSpec


class YoloTrainer(keras.Model):
    """Wraps ``detector`` (image -> raw outputs, as ``spec`` describes) for training; data are
    ``(images, (*targets, boxes))`` as :func:`~mlbasics.vision.yolo.data.make_dataset` gives them."""

    def __init__(self, detector: keras.Model, spec: YoloSpec, ignore_threshold: float = 0.5, **kwargs: Any):
        super().__init__(**kwargs)
        self.detector = detector
        self.spec = spec
        self.ignore_threshold = ignore_threshold
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", *PARTS)}

    def call(self, images: Any, training: bool = False) -> Any:
        return self.detector(images, training=training)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def _parts(self, images: Any, labels: Any, training: bool) -> dict[str, Any]:
        *targets, boxes = labels
        outputs = self.detector(images, training=training)
        return yolo_loss_parts(outputs, targets, boxes, self.spec, self.ignore_threshold)

    def _record(self, parts: dict[str, Any], loss: Any) -> dict[str, Any]:
        self.trackers["loss"].update_state(loss)
        for name in PARTS:
            self.trackers[name].update_state(parts[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def _moving_statistics(self) -> list[Any]:
        """The variables a training forward pass assigns: moving mean and variance of the batch norm
        layers that learn (frozen ones run in inference mode and assign nothing)."""
        return [variable for layer in self.detector.layers
                if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
                for variable in (layer.moving_mean, layer.moving_variance)]

    def train_step(self, data: Any) -> dict[str, Any]:
        images, labels = data
        variables = self.detector.trainable_variables
        if not self.optimizer.built:  # build outside tf.cond: a branch cannot create the moment variables
            self.optimizer.build(variables)
        statistics = self._moving_statistics()
        before = [tf.identity(variable) for variable in statistics]  # read before the forward pass assigns them
        with tf.GradientTape() as tape:
            parts = self._parts(images, labels, training=True)
            loss = tf.add_n(list(parts.values()))
        gradients = tape.gradient(loss, variables)
        finite = tf.reduce_all([tf.math.is_finite(loss)]
                               + [tf.reduce_all(tf.math.is_finite(g)) for g in gradients if g is not None])

        def step() -> Any:
            self.optimizer.apply(gradients, variables)
            return tf.constant(True)

        def skip() -> Any:
            # one broken batch must not poison the moving statistics that inference uses
            for variable, value in zip(statistics, before):
                variable.assign(value)
            return tf.constant(False)

        tf.cond(finite, step, skip)
        return self._record(parts, loss)

    def test_step(self, data: Any) -> dict[str, Any]:
        images, labels = data
        parts = self._parts(images, labels, training=False)
        return self._record(parts, tf.add_n(list(parts.values())))
