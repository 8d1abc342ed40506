"""Keras -> TensorFlow Lite (float32, float16, dynamic-range int8), run with LiteRT's interpreter."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.quiet import native_noise_filtered
from mlbasics.export.formats import ExportError, conversion_failed, quiet_converter
from mlbasics.io.files import atomic_write

PRECISIONS = ("float32", "float16", "int8")


def tflite_bytes(model: Any, precision: str = "float32") -> bytes:
    """Convert ``model`` and return the ``.tflite`` flatbuffer.

    ``float16`` stores weights as float16; ``int8`` is dynamic-range quantisation (int8
    weights, float activations, no calibration data needed).
    """
    import tensorflow as tf

    if precision not in PRECISIONS:
        raise ExportError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if precision != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "float16":
        converter.target_spec.supported_types = [tf.float16]
    try:
        with quiet_converter():
            return bytes(converter.convert())
    except Exception as exc:  # noqa: BLE001 - TF raises several converter error types
        raise conversion_failed(f"tflite-{precision}", exc) from None


def to_tflite(model: Any, path: str | os.PathLike[str], precision: str = "float32") -> Path:
    """Write ``model`` as a ``.tflite`` file at ``path`` (atomically)."""
    data = tflite_bytes(model, precision)
    with atomic_write(path) as handle:
        handle.write(data)
    return Path(path)


class TfliteRunner:
    """Run a ``.tflite`` model: ``runner(x) -> {output name: array}`` for a batch ``x``.

    Uses the model's signature, so outputs come back by name (the raw output tensor order of
    an interpreter is not the Keras order). Runs one image at a time, as on a phone.
    """

    def __init__(self, path: str | os.PathLike[str], num_threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self.interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        # LiteRT announces its XNNPACK delegate on stderr when tensors are first allocated; do that
        # here, filtered, rather than in the first (timed) call.
        with native_noise_filtered():
            self.interpreter.allocate_tensors()
        signatures = self.interpreter.get_signature_list()
        self.signature = next(iter(signatures))
        self.input_name = signatures[self.signature]["inputs"][0]
        self._run = self.interpreter.get_signature_runner(self.signature)

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        results = [self._run(**{self.input_name: x[i : i + 1].astype(np.float32)}) for i in range(len(x))]
        return {name: np.concatenate([r[name] for r in results]) for name in results[0]}
