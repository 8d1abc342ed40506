"""Lesson 05: a small convolutional classifier whose body is the tiny-YOLOv3 backbone.

Trained on single-object crops of the synthetic shapes, its convolutions learn edges,
corners and shapes; lesson 07 copies them into the detector (by layer name) and first trains
only the detection head on top: transfer learning, with a backbone we trained ourselves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlbasics.core import limits
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.limits import Param
from mlbasics.core.quiet import quiet_import
from mlbasics.core.seed import SEED, seed_everything
from mlbasics.core.validation import check_array, check_positive_int
from mlbasics.io.files import atomic_path
from mlbasics.io.keras_models import load_keras_model
from mlbasics.vision.yolo.model import backbone_layer_names, tiny_backbone

#: What :func:`train_backbone_classifier` (``mlbasics yolo backbone``) trains unless told.
BACKBONE_WIDTH = Param("width", 1.0, limits.WIDTH, "fraction of the published filters")
CROP_SIZE = Param("input_size", 64, limits.IMAGE_SIDE, "crop side in pixels")
TRAIN_COUNT = Param("train_count", 3000, limits.TRAIN_COUNT, "training crops (classes in turn)")
CLASSIFIER_EPOCHS = Param("epochs", 8, limits.EPOCHS, "training epochs")


@dataclass(frozen=True)
class TrainedClassifier:
    """Where the classifier was saved, its per-epoch history and how long training took."""

    path: Path
    history: dict[str, list[float]]
    seconds: float

    @property
    def val_accuracy(self) -> float:
        return float(self.history["val_accuracy"][-1])


#: Classic 3x3 kernels to try by hand: what a first convolution layer often learns.
KERNELS = {
    "vertical edges": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=np.float64),
    "horizontal edges": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64),
    "blur": np.full((3, 3), 1 / 9),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
}


def convolve2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Slide ``kernel`` ``(k, k)`` over a grey image ``(H, W)`` ('valid' padding, no flip, as deep-learning
    libraries do): output ``(H - k + 1, W - k + 1)``, each pixel the sum of the window times the kernel."""
    image = check_array("image", image, ndim=2).astype(np.float64)
    kernel = check_array("kernel", kernel, ndim=2).astype(np.float64)
    windows = np.lib.stride_tricks.sliding_window_view(image, kernel.shape)
    return np.einsum("ijkl,kl->ij", windows, kernel)


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: str = "same") -> int:
    """Side of a convolution's (or pooling's) output for an input side ``size``.

    ``"same"`` pads so that only the stride shrinks it: ``ceil(size / stride)``; ``"valid"`` does not
    pad: ``floor((size - kernel) / stride) + 1``.
    """
    if padding == "same":
        return -(-size // stride)
    if padding == "valid":
        return (size - kernel) // stride + 1
    raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")


def conv_params(in_channels: int, filters: int, kernel: int, bias: bool = True) -> int:
    """Weights of a ``kernel x kernel`` convolution: one ``kernel x kernel x in_channels`` filter per output
    channel, plus a bias each."""
    return kernel * kernel * in_channels * filters + (filters if bias else 0)


def build_backbone_classifier(input_size: int = 64, num_classes: int = 4, width: float = 1.0):
    """``(batch, S, S, 3)`` floats in ``[0, 1]`` -> tiny-YOLOv3 backbone -> global average pool ->
    softmax ``(batch, num_classes)``."""
    with quiet_import():
        import keras
        from keras import layers


    inputs = keras.Input((input_size, input_size, 3), name="image")
    _, features = tiny_backbone(inputs, width)
    pooled = layers.GlobalAveragePooling2D(name="pool")(features)
    outputs = layers.Dense(check_positive_int("num_classes", num_classes), activation="softmax", name="class")(pooled)
    return keras.Model(inputs, outputs, name="backbone_classifier")


def embedding_model(classifier):
    """The classifier without its head, as an image embedder for a pipeline:
    ``(batch, S, S, 3)`` raw pixels 0..255 -> ``(batch, channels)``, the pooled backbone features.

    It takes raw pixels (a ``Rescaling`` layer divides by 255, as the classifier was trained on
    ``[0, 1]``), so a pipeline feeds it decoded images as they are.
    """
    with quiet_import():
        import keras
        from keras import layers

    features = keras.Model(classifier.inputs, classifier.get_layer("pool").output, name="backbone_features")
    inputs = keras.Input(classifier.input_shape[1:], name="pixels")
    return keras.Model(inputs, features(layers.Rescaling(1 / 255.0)(inputs)), name="backbone_embedder")


def save_keras(model, path: str | os.PathLike[str]) -> Path:
    """Save a model as ``.keras`` (or weights as ``.weights.h5``) atomically: Keras picks the format
    from the name, and :func:`~mlbasics.io.files.atomic_path` gives it a temporary path with the same name."""
    target = Path(path)
    if not target.name.endswith((".keras", ".weights.h5")):
        raise ValueError(f"path must end in .keras or .weights.h5, got {target.name!r}")
    with atomic_path(target) as staged:
        (model.save_weights if target.name.endswith(".weights.h5") else model.save)(staged)
    return target


def train_backbone_classifier(
    path: str | os.PathLike[str],
    *,
    width: float = BACKBONE_WIDTH.default,
    input_size: int = CROP_SIZE.default,
    train_count: int = TRAIN_COUNT.default,
    val_count: int = 400,
    epochs: int = CLASSIFIER_EPOCHS.default,
    batch_size: int = 32,
    seed: int = SEED.default,
    callbacks: Sequence = (),
    verbose: int = 0,
) -> TrainedClassifier:
    """Train the classifier on :func:`~mlbasics.data.synthetic.object_crops` and save it (``.keras``)."""
    with quiet_import():
        import keras

    from mlbasics.data.synthetic import SHAPE_CLASSES, object_crops

    for param, value in ((BACKBONE_WIDTH, width), (CROP_SIZE, input_size), (TRAIN_COUNT, train_count),
                         (CLASSIFIER_EPOCHS, epochs), (SEED, seed)):
        param.check(value)
    seed_everything(seed)
    start = time.perf_counter()
    images, labels = object_crops(train_count, input_size, seed=seed)
    val_images, val_labels = object_crops(check_positive_int("val_count", val_count), input_size, seed=seed + 1)
    model = build_backbone_classifier(input_size, len(SHAPE_CLASSES), width)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(images.astype(np.float32) / 255.0, labels, batch_size=batch_size,
                        epochs=check_positive_int("epochs", epochs), verbose=verbose, callbacks=list(callbacks),
                        validation_data=(val_images.astype(np.float32) / 255.0, val_labels))
    save_keras(model, path)
    return TrainedClassifier(Path(path), {k: [float(v) for v in vs] for k, vs in history.history.items()},
                             time.perf_counter() - start)


def load_classifier(path: str | os.PathLike[str]):
    """Load a saved classifier in Keras's safe mode (no arbitrary code from the file)."""
    if not Path(path).is_file():
        raise DataFileError(path, "no saved classifier; train it with train_backbone_classifier")
    return load_keras_model(path)


def copy_backbone(source, target) -> list[str]:
    """Copy every ``backbone*`` layer's weights from ``source`` to ``target`` by name; return the names.

    Raises if the two backbones differ (another ``width``), naming the first mismatching layer.
    """
    names = backbone_layer_names(source)
    missing = sorted(set(names) - set(backbone_layer_names(target)))
    if not names or missing:
        raise InputError(f"the models do not share a backbone (missing in target: {missing or 'all'})")
    for name in names:
        weights = source.get_layer(name).get_weights()
        layer = target.get_layer(name)
        if [w.shape for w in weights] != [w.shape for w in layer.get_weights()]:
            raise InputError(f"backbone layer {name!r} has other shapes in the two models (different width?)")
        layer.set_weights(weights)
    return names


def feature_maps(model, image: np.ndarray, layer_names: Sequence[str]) -> list[np.ndarray]:
    """Activations of the named layers for one image ``(S, S, 3)`` in ``[0, 1]``: ``[(h, w, channels), ...]``."""
    with quiet_import():
        import keras

    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in layer_names])
    outputs = probe.predict(np.asarray(image, dtype=np.float32)[None], verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return [np.asarray(o)[0] for o in outputs]


def shape_walk(model) -> list[tuple[str, str, tuple, int]]:
    """One row per layer: name, type, output shape (without batch) and parameter count."""
    return [(layer.name, type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params())
            for layer in model.layers]
