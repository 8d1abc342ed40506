"""Keras -> ONNX with tf2onnx, run with onnxruntime."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.quiet import quiet_import
from mlbasics.export.formats import conversion_failed, quiet_converter
from mlbasics.io.files import atomic_write

OPSET = 17


def onnx_bytes(model: Any, opset: int = OPSET) -> bytes:
    """Convert ``model`` (batch axis left free) and check onnxruntime can load the result."""
    import onnxruntime as ort
    with quiet_import():
        import tensorflow as tf
        import tf2onnx

    spec = tuple(tf.TensorSpec((None, *t.shape[1:]), tf.float32, name=t.name) for t in model.inputs)
    try:
        with quiet_converter():
            proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=opset)
        data = proto.SerializeToString()
        # tf2onnx only logs unsupported ops and writes them anyway: loading the graph catches them.
        ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - tf2onnx and onnxruntime raise many types
        raise conversion_failed("onnx", exc) from None
    return bytes(data)


def to_onnx(model: Any, path: str | os.PathLike[str], opset: int = OPSET) -> Path:
    """Write ``model`` as an ``.onnx`` file at ``path`` (atomically)."""
    data = onnx_bytes(model, opset)
    with atomic_write(path) as handle:
        handle.write(data)
    return Path(path)


class OnnxRunner:
    """Run an ``.onnx`` model on the CPU: ``runner(x) -> {output name: array}``, one image at a time."""

    def __init__(self, path: str | os.PathLike[str], num_threads: int = 1):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads
        self.path = Path(path)
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name
        self.output_names = [o.name for o in self.session.get_outputs()]

    def __call__(self, x: np.ndarray) -> dict[str, np.ndarray]:
        results = [self.session.run(None, {self.input_name: x[i : i + 1].astype(np.float32)}) for i in range(len(x))]
        return {name: np.concatenate([r[k] for r in results]) for k, name in enumerate(self.output_names)}
