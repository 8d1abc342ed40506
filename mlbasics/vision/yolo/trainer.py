"""A Keras model wrapper whose ``train_step`` computes the YOLOv3 loss and logs its parts.

The 2018 Keras code attached the loss with a ``Lambda`` layer; Keras 3 symbolic tensors do not
allow that, so the loss lives in ``train_step``/``test_step`` here and ``fit`` works as usual
(callbacks, progress bar, TensorBoard, ``BackupAndRestore``).

A step whose loss or gradients are not finite (a broken sample, an overflow) is skipped whole:
the weights, batch norm's moving statistics, the optimizer's moments and its step counter stay as
they were. Its loss is still logged, so the epoch's mean loss shows NaN and the skip is visible.

Under a ``tf.distribute`` strategy with several replicas (:mod:`mlbasics.vision.yolo.distribute`)
each replica computes the loss as the mean over *its* part of the global batch; the gradient is
taken of that loss divided by the number of replicas, so the optimizer's sum over replicas is the
gradient of the mean over the global batch, as one process would compute it. Whether a step is
finite is decided over all replicas together (one all-reduce): every replica takes the same branch,
so the collective inside the optimizer's update runs on all of them or on none.
"""

from __future__ import annotations

from typing import Any

from mlbasics.core.quiet import quiet_import

with quiet_import():
    import keras
    import tensorflow as tf

from mlbasics.vision.yolo.loss import PARTS, yolo_loss_parts
from mlbasics.vision.yolo.spec import YoloSpec


class YoloTrainer(keras.Model):
    """Wraps ``detector`` (image -> raw outputs, as ``spec`` describes) for training; data are
    ``(images, (*targets, boxes))`` as :func:`~mlbasics.vision.yolo.data.make_dataset` gives them."""

    def __init__(self, detector: keras.Model, spec: YoloSpec, ignore_threshold: float = 0.5, box_loss: str = "yolo",
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.box_loss = box_loss
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
        return yolo_loss_parts(outputs, targets, boxes, self.spec, self.ignore_threshold, self.box_loss)

    def _record(self, parts: dict[str, Any], loss: Any) -> dict[str, Any]:
        self.trackers["loss"].update_state(loss)
        for name in PARTS:
            self.trackers[name].update_state(parts[name])
        results = {name: tracker.result() for name, tracker in self.trackers.items()}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3.15 averages a step's logs over workers along axis 0, which a scalar lacks
            results = {name: tf.reshape(value, (1,)) for name, value in results.items()}
        return results

    def _moving_statistics(self) -> list[Any]:
        """The variables a training forward pass assigns: moving mean and variance of the batch norm
        layers that learn (frozen ones run in inference mode and assign nothing)."""
        return [variable for layer in self.detector.layers
                if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable
                for variable in (layer.moving_mean, layer.moving_variance)]

    def _maybe_symbolic_build(self, iterator: Any = None, data_batch: Any = None) -> None:
        """Build what ``fit`` needs before its first step. Keras 3 (3.15) does it by averaging the first
        batch over the replicas, which fails under ``MultiWorkerMirroredStrategy`` ("Attempt to convert a
        value (PerReplica...) to a Tensor", keras-team/keras#20585). This wrapper's layers are built before
        ``fit`` (``train`` calls it once), so only the optimizer is left: built here, outside any step."""
        if getattr(self, "optimizer", None) is not None and not self.optimizer.built:
            with self.distribute_strategy.scope():
                self.optimizer.build(self.detector.trainable_variables)

    def train_step(self, data: Any) -> dict[str, Any]:
        images, labels = data
        variables = self.detector.trainable_variables
        if not self.optimizer.built:  # build outside tf.cond: a branch cannot create the moment variables
            self.optimizer.build(variables)
        statistics = self._moving_statistics()
        before = [tf.identity(variable) for variable in statistics]  # read before the forward pass assigns them
        replicas = tf.distribute.get_replica_context()
        with tf.GradientTape() as tape:
            parts = self._parts(images, labels, training=True)
            loss = tf.add_n(list(parts.values()))
            share = loss if replicas is None else loss / replicas.num_replicas_in_sync  # mean over the global batch
        gradients = tape.gradient(share, variables)
        finite = tf.reduce_all([tf.math.is_finite(loss)]
                               + [tf.reduce_all(tf.math.is_finite(g)) for g in gradients if g is not None])
        if replicas is not None and replicas.num_replicas_in_sync > 1:  # one decision for all replicas
            broken = replicas.all_reduce(tf.distribute.ReduceOp.SUM, 1.0 - tf.cast(finite, tf.float32))
            finite = broken < 0.5  # no replica had a non-finite loss or gradient: the same on every replica
            replicas.merge_call(self._update_all_replicas, args=(finite, gradients, variables, statistics, before))
        else:
            tf.cond(finite, lambda: self._update(gradients, variables), lambda: self._restore(statistics, before))
        return self._record(parts, loss)

    def test_step(self, data: Any) -> dict[str, Any]:
        images, labels = data
        parts = self._parts(images, labels, training=False)
        return self._record(parts, tf.add_n(list(parts.values())))

    def _update(self, gradients: list[Any], variables: list[Any]) -> Any:
        self.optimizer.apply(gradients, variables)
        return tf.constant(True)

    def _restore(self, statistics: list[Any], before: list[Any]) -> Any:
        # one broken batch must not poison the moving statistics that inference uses
        for variable, value in zip(statistics, before):
            variable.assign(value)
        return tf.constant(False)

    def _update_all_replicas(self, strategy: Any, finite: Any, gradients: list[Any], variables: list[Any],
                             statistics: list[Any], before: list[Any]) -> None:
        """Update or restore on every replica at once, from the cross-replica context (a ``merge_call``):
        the optimizer's update all-reduces the gradients, and TensorFlow cannot run that inside a
        ``tf.cond`` in a replica's step. ``finite`` is the same on every replica (all-reduced)."""
        decision = strategy.experimental_local_results(finite)[0]

        def update() -> Any:
            strategy.extended.call_for_each_replica(self._update, args=(gradients, variables))
            return tf.constant(True)

        def restore() -> Any:
            strategy.extended.call_for_each_replica(self._restore, args=(statistics, before))
            return tf.constant(False)

        tf.cond(decision, update, restore)
