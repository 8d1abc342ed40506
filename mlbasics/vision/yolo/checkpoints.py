"""Callbacks that keep the detector's own weights on disk while it trains."""

from __future__ import annotations

import os
from pathlib import Path

import keras


class DetectorCheckpoint(keras.callbacks.Callback):
    """After every epoch, write the detector's weights (not the training wrapper's) to ``path``
    atomically, so ``mlbasics yolo detect --weights`` can use a run that is still going."""

    def __init__(self, path: str | os.PathLike[str]):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch, logs=None):
        from mlbasics.vision.cnn import save_keras

        save_keras(self.model.detector, self.path)
