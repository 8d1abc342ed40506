"""One call to export a Keras model to any of :data:`~mlbasics.export.formats.FORMATS`."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.export.coreml import to_coreml
from mlbasics.export.formats import FORMATS, ExportError, ExportResult, check_format, size_of
from mlbasics.export.onnx import OnnxRunner, to_onnx
from mlbasics.export.parity import Runner
from mlbasics.export.tflite import TfliteRunner, check_representative, to_tflite
from mlbasics.io.keras_models import load_keras_model
from mlbasics.vision.yolo.detect import Detector


def load_model(path: str | os.PathLike[str]) -> Any:
    """Load a ``.keras`` file in safe mode (no arbitrary code from the file, see
    :func:`~mlbasics.io.keras_models.load_keras_model`), or a detector's ``.weights.h5`` with the
    ``.config.json`` training wrote beside it."""
    path = Path(path)
    if path.name.endswith(".weights.h5"):
        return Detector.load(path).model
    if path.suffix != ".keras":
        raise ExportError(f"{path.name}: expected a .keras model file or a detector's .weights.h5 "
                          "(other .h5 files lack the architecture)")
    return load_keras_model(path)


def export_model(model: Any, out_dir: str | os.PathLike[str], formats: Iterable[str] = FORMATS,
                 stem: str = "model", representative: np.ndarray | None = None) -> list[ExportResult]:
    """Export ``model`` to each format as ``out_dir/<stem>-<format><suffix>``.

    ``representative`` ``(n, height, width, 3)`` float32 in [0, 1]: real inputs pre-processed as
    the app feeds them, used (and required, :class:`~mlbasics.core.errors.InputError` without
    them) by ``tflite-int8-full`` to calibrate activation ranges; the other formats ignore it.
    Each file is written atomically: a format that fails raises :class:`ExportError`
    and leaves no file of its own behind.
    """
    formats = [check_format(name) for name in formats]
    if "tflite-int8-full" in formats:  # refuse before writing any file
        check_representative(representative, model)
    results = []
    for name in formats:
        suffix = FORMATS[name][0]
        path = Path(out_dir, f"{stem}-{name}{suffix}")
        if name.startswith("tflite-"):
            to_tflite(model, path, name.removeprefix("tflite-"), representative)
        elif name == "onnx":
            to_onnx(model, path)
        else:
            to_coreml(model, path)
        results.append(ExportResult(name, path, size_of(path)))
    return results


def runner(result: ExportResult) -> Runner | None:
    """A CPU runner for an exported model, or None for Core ML (which runs only on Apple systems)."""
    if result.format.startswith("tflite-"):
        return TfliteRunner(result.path)
    if result.format == "onnx":
        return OnnxRunner(result.path)
    return None
