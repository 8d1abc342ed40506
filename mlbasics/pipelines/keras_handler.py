"""A Beam ``ModelHandler`` for Keras 3 models: a ``.keras`` file or a ``keras.applications`` backbone.

Beam's ``RunInference`` calls :meth:`KerasModelHandler.load_model` once per worker (it
keeps the model in a shared handle) and hands :meth:`run_inference` its elements. Here each
element is already a stack of images ``(n, height, width, 3)``, batched (and loaded) upstream,
so Beam moves one element per batch instead of one per image; ``predict_on_batch`` on the
stack is the fast path. (The stock TensorFlow handler needs ``tensorflow-hub`` and calls the
model eagerly.)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.core.quiet import quiet_import
from mlbasics.io.files import atomic_write
from mlbasics.io.keras_models import load_keras_model
from mlbasics.io.storage import is_remote
from mlbasics.pipelines.beam_noise import known_beam_noise_dropped

with known_beam_noise_dropped():
    from apache_beam.ml.inference.base import ModelHandler, PredictionResult

#: Backbones by name: the ``keras.applications`` module whose ``preprocess_input`` they need.
BACKBONES = {
    "MobileNetV3Small": "mobilenet_v3",
    "MobileNetV3Large": "mobilenet_v3",
    "MobileNetV2": "mobilenet_v2",
    "EfficientNetB0": "efficientnet",
    "ResNet50": "resnet50",
}


def load_embedder(model: str | os.PathLike[str], *, weights: str | None = None, image_size: int = 224) -> Any:
    """Load ``model``: a ``.keras`` file, local or remote (``gs://``: copied by :func:`local_copy` first),
    through :func:`~mlbasics.io.keras_models.load_keras_model` (safe mode: no code from the file runs),
    or a backbone name from :data:`BACKBONES` (``weights``
    ``None`` or ``"imagenet"``, which downloads the weights) wrapped with its ``preprocess_input``
    for ``(batch, image_size, image_size, 3)`` raw pixels."""
    with quiet_import():
        import keras

    name = os.fspath(model)
    if name in BACKBONES:
        constructor = getattr(keras.applications, name)
        backbone = constructor(weights=weights, include_top=False, pooling="avg",
                               input_shape=(image_size, image_size, 3))
        preprocess = getattr(keras.applications, BACKBONES[name]).preprocess_input
        inputs = keras.Input((image_size, image_size, 3))
        return keras.Model(inputs, backbone(preprocess(inputs)), name=f"{name}_embedder")
    if not name.endswith(".keras"):
        raise InputError(f"model must be a .keras file or one of {sorted(BACKBONES)}, got {name!r}")
    return load_keras_model(local_copy(name) if is_remote(name) else name)


def local_copy(url: str) -> str:
    """A local copy of a remote model file (``gs://...``, read through Beam's file systems, so a Dataflow
    worker reads it with the job's credentials) at ``<tmp>/mlbasics-models/<sha1 of the URL>.keras``,
    written atomically each time the model is loaded (once per process: the handler caches the model).
    The copy is then loaded like a local file (safe mode)."""
    import hashlib
    import tempfile

    from apache_beam.io.filesystems import FileSystems


    target = os.path.join(tempfile.gettempdir(), "mlbasics-models",
                          hashlib.sha1(url.encode()).hexdigest() + ".keras")
    try:
        with FileSystems.open(url) as source, atomic_write(target) as handle:
            while chunk := source.read(1 << 20):
                handle.write(chunk)
    except OSError as exc:
        raise InputError(f"cannot read the model {url} ({exc})") from None
    return target


def model_image_size(model) -> tuple[int, int]:
    """``(height, width)`` the model takes; raises if its input is not ``(batch, h, w, 3)``."""
    shape = tuple(model.input_shape)
    if len(shape) != 4 or shape[3] != 3 or shape[1] is None or shape[2] is None:
        raise InputError(f"the model must take images of shape (batch, height, width, 3), its input is {shape}")
    return int(shape[1]), int(shape[2])


def _file_stamp(model: str) -> tuple[int, int] | None:
    """``(size, mtime)`` of a local model file (a changed file is loaded again), else ``None``."""
    try:
        stat = os.stat(model)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=2)
def _cached_embedder(model: str, weights: str | None, image_size: int, stamp: tuple[int, int] | None) -> Any:
    """One model per process: Beam's DaskRunner sets up a DoFn for every partition, not once per worker."""
    return load_embedder(model, weights=weights, image_size=image_size)


def predict_padded(model: Any, images: np.ndarray) -> np.ndarray:
    """``model.predict_on_batch`` of ``images`` ``(n, h, w, 3)`` -> ``(n, dim)``, the stack padded with zeros
    to the next power of two rows.

    Keras traces the model once per batch shape. Every shard's last batch has its own size, so without
    padding each one paid a new trace (measured: 8 shards made predicting 0.65 s slower on 2,000 images);
    with it a run sees at most one shape per power of two. In inference mode rows do not depend on each
    other, so the padding rows change nothing but the work."""
    count = len(images)
    rows = 1 << max(count - 1, 0).bit_length()
    if rows > count:
        images = np.concatenate([images, np.zeros((rows - count, *images.shape[1:]), dtype=images.dtype)])
    return np.asarray(model.predict_on_batch(images.astype(np.float32)))[:count]


class KerasModelHandler(ModelHandler[np.ndarray, PredictionResult, Any]):
    """Runs a Keras model on stacks of images ``(n, height, width, 3)``; the inference of each
    stack is ``(n, dim)``, one embedding per image.

    With ``stacks_per_call`` 1 (the default) RunInference's own batching is skipped: each
    element is already a stack of the batch size the pipeline chose, and Beam's batching emits
    its last batch from ``finish_bundle``, which Beam's DaskRunner drops (measured: 448 of 500
    elements arrived). A larger ``stacks_per_call`` lets Beam join that many stacks into one
    ``predict_on_batch`` call, on runners that keep ``finish_bundle`` output.
    """

    def __init__(self, model: str, *, weights: str | None = None, image_size: int = 224,
                 stacks_per_call: int = 1):
        super().__init__()
        self._model = os.fspath(model)
        self._weights = weights
        self._image_size = image_size
        self._batching = {"min_batch_size": 1, "max_batch_size": stacks_per_call}

    def load_model(self):
        return _cached_embedder(self._model, self._weights, self._image_size, _file_stamp(self._model))

    def should_skip_batching(self) -> bool:
        return self._batching["max_batch_size"] == 1

    def run_inference(self, batch: Sequence[np.ndarray], model, inference_args: dict[str, Any] | None = None
                      ) -> Iterable[PredictionResult]:
        outputs = predict_padded(model, np.concatenate(batch))
        ends = np.cumsum([len(stack) for stack in batch])[:-1]
        return [PredictionResult(stack, output) for stack, output in zip(batch, np.split(outputs, ends))]

    def batch_elements_kwargs(self) -> dict[str, int]:
        return dict(self._batching)

    def get_num_bytes(self, batch: Sequence[np.ndarray]) -> int:
        return sum(example.nbytes for example in batch)

    def get_metrics_namespace(self) -> str:
        return "mlbasics_keras"
