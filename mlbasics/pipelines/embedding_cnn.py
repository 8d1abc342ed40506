"""A small CNN that turns an image into an embedding, trained on synthetic shapes.

Lesson 05's CNN can replace it later: the pipeline takes any saved ``.keras`` model whose
input is ``(batch, height, width, 3)`` pixels in 0..255 and whose output is
``(batch, dim)``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlbasics.pipelines.shapes import SHAPES, make_shapes
from mlbasics.seed import seed_everything
from mlbasics.validation import check_positive_int


@dataclass(frozen=True)
class TrainedEmbedder:
    """Where the embedding model was saved and how well its classifier head did."""

    path: Path
    train_accuracy: float
    val_accuracy: float
    seconds: float


def build_embedding_cnn(size: int = 64, dim: int = 32, classes: int = len(SHAPES)):
    """Return ``(classifier, embedder)`` sharing layers.

    ``embedder``: ``(batch, size, size, 3)`` raw pixels -> ``(batch, dim)``;
    ``classifier``: the same plus a softmax head ``(batch, classes)`` used for training.
    """
    import keras
    from keras import layers

    inputs = keras.Input((size, size, 3), name="pixels")
    x = layers.Rescaling(1 / 255.0)(inputs)
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    embedding = layers.Dense(dim, activation="relu", name="embedding")(x)
    outputs = layers.Dense(classes, activation="softmax", name="class")(embedding)
    return keras.Model(inputs, outputs, name="shape_classifier"), keras.Model(inputs, embedding, name="shape_embedder")


def train_embedding_cnn(
    path: str | os.PathLike[str],
    *,
    train_count: int = 1600,
    epochs: int = 6,
    size: int = 64,
    dim: int = 32,
    seed: int = 0,
) -> TrainedEmbedder:
    """Train the shape classifier and save its embedding part as a ``.keras`` file at ``path``."""
    import time

    import keras

    from mlbasics.io.files import atomic_write

    train_count = check_positive_int("train_count", train_count)
    epochs = check_positive_int("epochs", epochs)
    if Path(path).suffix != ".keras":
        raise ValueError(f"path must end in .keras, got {os.fspath(path)!r}")
    seed_everything(seed)
    start = time.perf_counter()
    images, labels = make_shapes(train_count, size, seed=seed)
    val_images, val_labels = make_shapes(400, size, seed=seed + 1)
    classifier, embedder = build_embedding_cnn(size, dim)
    classifier.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"])
    history = classifier.fit(images.astype(np.float32), labels, batch_size=32, epochs=epochs, verbose=0,
                             validation_data=(val_images.astype(np.float32), val_labels))
    # Keras chooses the format from the file name, so save under a .keras temporary name.
    target = Path(path)
    tmp = target.with_name(f".{target.stem}.tmp.keras")
    embedder.save(tmp)
    with atomic_write(target) as out:
        out.write(tmp.read_bytes())
    tmp.unlink()
    return TrainedEmbedder(target, float(history.history["accuracy"][-1]),
                           float(history.history["val_accuracy"][-1]), time.perf_counter() - start)


def cached_embedding_cnn(path: str | os.PathLike[str] | None = None) -> Path:
    """The trained shape embedder at ``path`` (default: in the data cache), trained first if missing."""
    from mlbasics.data import cache_dir

    target = Path(path) if path is not None else cache_dir() / "models" / "shape_embedder.keras"
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        train_embedding_cnn(target)
    return target
