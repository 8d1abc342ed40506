"""Callbacks for detector training: keep its weights on disk, measure mAP as it learns."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlbasics.core.quiet import native_noise_filtered, quiet_import
from mlbasics.vision.cnn import save_keras
from mlbasics.vision.yolo.evaluate import evaluate_model

with quiet_import():
    import keras

from mlbasics.vision.yolo.data import LoadedSet
from mlbasics.vision.yolo.spec import YoloSpec


class DetectorCheckpoint(keras.callbacks.Callback):
    """After every epoch, write the detector's weights (not the training wrapper's) to ``path``
    atomically, so ``mlbasics yolo detect --weights`` can use a run that is still going."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        save_keras(self.model.detector, self.path)


class TrainingClock(keras.callbacks.Callback):
    """Adds ``train_seconds`` to each epoch's logs: time spent inside epochs (training and validation
    loss), counted on from ``offset`` (the time of earlier runs of a resumed job). Callbacks after it
    (e.g. mAP measurement) are not counted."""

    def __init__(self, offset: float = 0.0) -> None:
        super().__init__()
        self.total = offset
        self._began = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._began = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.total += time.perf_counter() - self._began
        if logs is not None:
            logs["train_seconds"] = self.total


@contextlib.contextmanager
def averaged_weights(model: keras.Model) -> Iterator[None]:
    """Inside the block, ``model``'s trainable weights are its optimizer's moving average of them
    (``use_ema=True``; what the stage saves at its end); without one nothing changes."""
    optimizer = getattr(model, "optimizer", None)
    averages = getattr(optimizer, "_model_variables_moving_average", None)
    if optimizer is None or not getattr(optimizer, "use_ema", False) or not averages:
        yield
        return
    variables = optimizer._trainable_variables
    saved = [variable.numpy() for variable in variables]
    for variable, average in zip(variables, averages):
        variable.assign(average)
    try:
        yield
    finally:
        for variable, value in zip(variables, saved):
            variable.assign(value)


class MapEvaluation(keras.callbacks.Callback):
    """Every ``every`` epochs (and after the last), measure mAP@0.5 on ``data`` and put it in the epoch's
    logs as ``val_map`` (NaN on the other epochs, so every row of a CSV log has the column). With an
    average of the weights (``ema_momentum``), the average is measured, as it is what is saved."""

    def __init__(self, data: LoadedSet, spec: YoloSpec, every: int = 1) -> None:
        super().__init__()
        self.data, self.spec, self.every = data, spec, every

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        last = epoch + 1 == self.params.get("epochs")
        value = float("nan")
        if (epoch + 1) % self.every == 0 or last:
            with averaged_weights(self.model):
                value = evaluate_model(self.model.detector, self.data, self.spec).result.map
        if logs is not None:
            logs["val_map"] = value


class QuietFirstEpoch(keras.callbacks.Callback):
    """Runs the first epoch inside :func:`~mlbasics.core.quiet.native_noise_filtered`: TensorFlow logs
    its once-per-process native notices when a step's kernels first run (see ``NATIVE_NOISE``); every
    other line written meanwhile reaches stderr as it is written."""

    def __init__(self) -> None:
        super().__init__()
        self._filter: contextlib.ExitStack | None = None
        self._used = False

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if not self._used:
            self._used = True
            self._filter = contextlib.ExitStack()
            self._filter.enter_context(native_noise_filtered())

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.release()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self.release()

    def release(self) -> None:
        """Stop filtering (idempotent); called after each epoch and, by the trainer, when fit stops on an error."""
        if self._filter is not None:
            stack, self._filter = self._filter, None
            stack.close()
