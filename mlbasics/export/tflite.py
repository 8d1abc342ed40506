"""Keras -> TensorFlow Lite (float32, float16, dynamic-range int8, full-integer int8), run with LiteRT's
interpreter.

Full-integer int8 (``int8-full``) quantises activations too, so it needs a *representative dataset*:
real inputs, pre-processed exactly as the app will feed them, that the converter runs through the
model to record each tensor's range (calibration). Its input and output tensors stay **float32**:
the converter puts one ``QUANTIZE`` op after the input and one ``DEQUANTIZE`` op before each output,
so the app feeds the same ``[0, 1]`` float frames as to every other format and reads the same grids,
and parity is checked the same way. Every operation in between runs on int8.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.errors import InputError
from mlbasics.core.quiet import native_noise_filtered, quiet_import
from mlbasics.export.formats import ExportError, conversion_failed, quiet_converter
from mlbasics.io.files import atomic_write

PRECISIONS = ("float32", "float16", "int8", "int8-full")
#: Fewest representative images accepted for ``int8-full``: too few and the recorded ranges are a
#: few images' ranges, not the camera's (TensorFlow's guide suggests about 100 to 500).
MIN_REPRESENTATIVE = 16


def check_representative(representative: np.ndarray | None, model: Any) -> np.ndarray:
    """``representative`` as float32 ``(n, height, width, 3)`` matching ``model``'s input, or an
    :class:`InputError` saying what full-integer quantisation needs."""
    if representative is None:
        raise InputError("tflite-int8-full: representative is None; full-integer quantisation needs real input "
                         f"images (at least {MIN_REPRESENTATIVE}, a few hundred is better) pre-processed as the app "
                         "feeds them (letterboxed, RGB, scaled to [0, 1], float32) to calibrate activation ranges")
    x = np.asarray(representative)
    expected = tuple(model.inputs[0].shape[1:])
    if x.ndim != 4 or x.shape[1:] != expected or len(x) < MIN_REPRESENTATIVE:
        raise InputError(f"tflite-int8-full: representative must be (n >= {MIN_REPRESENTATIVE}, *{expected}) images, "
                         f"got {x.shape}")
    if not np.issubdtype(x.dtype, np.floating) or x.min() < 0 or x.max() > 1:
        raise InputError(f"tflite-int8-full: representative must be float images scaled to [0, 1] as the model is fed, "
                         f"got {x.dtype} in [{x.min()}, {x.max()}] (0-255 pixels would calibrate every range "
                         "255 times too wide)")
    return x.astype(np.float32)


def tflite_bytes(model: Any, precision: str = "float32", representative: np.ndarray | None = None) -> bytes:
    """Convert ``model`` and return the ``.tflite`` flatbuffer.

    ``float16`` stores weights as float16; ``int8`` is dynamic-range quantisation (int8 weights,
    float activations, no calibration data needed); ``int8-full`` quantises weights and
    activations to int8 (``TFLITE_BUILTINS_INT8`` only, float32 input and outputs, see the module
    docstring), calibrated on ``representative`` ``(n, height, width, 3)`` float32 in [0, 1],
    which it requires.
    """
    with quiet_import():
        import tensorflow as tf

    if precision not in PRECISIONS:
        raise ExportError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if precision != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if precision == "int8-full":
        images = check_representative(representative, model)

        def calibration() -> Iterator[list[np.ndarray]]:
            for i in range(len(images)):
                yield [images[i : i + 1]]

        converter.representative_dataset = calibration
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    try:
        return convert_quietly(converter)
    except Exception as exc:  # noqa: BLE001 - TF raises several converter error types
        raise conversion_failed(f"tflite-{precision}", exc) from None


def convert_quietly(converter: Any) -> bytes:
    """``converter.convert()`` (a ``tf.lite.TFLiteConverter``) as bytes, without the converter's noise."""
    with quiet_converter(), warnings.catch_warnings():
        # int8-full with float32 input: the converter takes the input's range from calibration,
        # yet warns first that none was given as a flag.
        warnings.filterwarnings("ignore", "Statistics for quantized inputs were expected")
        return bytes(converter.convert())


def to_tflite(model: Any, path: str | os.PathLike[str], precision: str = "float32",
              representative: np.ndarray | None = None) -> Path:
    """Write ``model`` as a ``.tflite`` file at ``path`` (atomically); ``representative`` as in
    :func:`tflite_bytes` (``int8-full`` only)."""
    data = tflite_bytes(model, precision, representative)
    with atomic_write(path) as handle:
        handle.write(data)
    return Path(path)


def tensor_types(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What a ``.tflite`` file computes in: ``{"input": dtype name, "outputs": [dtype names],
    "ops": sorted operator names, "tensors": {dtype name: how many of its other tensors (weights,
    biases, activations) have it}}``."""
    with quiet_import("ai_edge_litert"):
        from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    ops = sorted({op["op_name"] for op in interpreter._get_ops_details()})  # noqa: SLF001 - no public op listing
    ends = {d["index"] for d in (*interpreter.get_input_details(), *interpreter.get_output_details())}
    tensors: dict[str, int] = {}
    for tensor in interpreter.get_tensor_details():
        if tensor["index"] not in ends:
            name = np.dtype(tensor["dtype"]).name
            tensors[name] = tensors.get(name, 0) + 1
    return {"input": np.dtype(interpreter.get_input_details()[0]["dtype"]).name,
            "outputs": [np.dtype(d["dtype"]).name for d in interpreter.get_output_details()],
            "ops": ops, "tensors": tensors}


def calibrated_input_range(path: str | os.PathLike[str]) -> tuple[float, float] | None:
    """The float range ``(low, high)`` a full-integer model's int8 input can hold: what calibration
    recorded on the representative images, turned into the input ``QUANTIZE`` op's scale and zero
    point (``value = scale * (q - zero_point)``, ``q`` in -128..127). ``None`` if the model has no
    quantised input (float32, float16 and dynamic-range files)."""
    with quiet_import("ai_edge_litert"):
        from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    first = interpreter.get_input_details()[0]["index"]
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    for op in interpreter._get_ops_details():  # noqa: SLF001 - no public op listing
        if op["op_name"] == "QUANTIZE" and first in op["inputs"]:
            scale, zero_point = tensors[op["outputs"][0]]["quantization"]
            return float(scale * (-128 - zero_point)), float(scale * (127 - zero_point))
    return None


class TfliteRunner:
    """Run a ``.tflite`` model: ``runner(x) -> {output name: array}`` for a batch ``x``.

    Uses the model's signature, so outputs come back by name (the raw output tensor order of
    an interpreter is not the Keras order). Runs one image at a time, as on a phone. Every
    format this package writes takes and returns float32 (``int8-full`` included).
    """

    def __init__(self, path: str | os.PathLike[str], num_threads: int = 1):
        with quiet_import("ai_edge_litert"):
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
