"""What every exporter returns and raises, and the list of formats."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mlbasics.core.errors import InputError, MlbasicsError
from mlbasics.core.quiet import native_noise_filtered

#: ``name -> (suffix, short description)``; the name is what ``mlbasics export --formats`` takes.
FORMATS = {
    "tflite-float32": (".tflite", "TensorFlow Lite, float32 weights (Android, iOS via LiteRT)"),
    "tflite-float16": (".tflite", "TensorFlow Lite, float16 weights: half the size, GPU delegates like it"),
    "tflite-int8": (".tflite", "TensorFlow Lite, dynamic-range int8 weights: a quarter of the size"),
    "tflite-int8-full": (".tflite", "TensorFlow Lite, full-integer int8 (weights and activations, calibrated on "
                                    "representative images; float32 input and outputs): integer-only NPUs"),
    "onnx": (".onnx", "ONNX (onnxruntime on Android, iOS, Windows, web)"),
    "coreml": (".mlpackage", "Core ML ML program (iPhone CPU, GPU and Neural Engine)"),
}


class ExportError(MlbasicsError, ValueError):
    """A model cannot be exported to a format; the message names the format and what to change."""


@dataclass(frozen=True)
class ExportResult:
    """One exported file (or ``.mlpackage`` folder) and its size in bytes."""

    format: str
    path: Path
    size_bytes: int


def check_format(name: str) -> str:
    if name not in FORMATS:
        raise InputError(f"format must be one of {sorted(FORMATS)}, got {name!r}")
    return name


def size_of(path: Path) -> int:
    """Bytes of a file, or of every file under a folder."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def unsupported_ops(message: str) -> list[str]:
    """Operation names a converter's error message complains about (best effort, may be empty)."""
    patterns = (r"'tf\.(\w+)' op is neither", r"TF op '(\w+)' not implemented", r"No Op registered for (\w+)",
                r"Unsupported ops: Counter\(\{'(\w+)'")
    found = [m for p in patterns for m in re.findall(p, message)]
    return sorted(set(found))


def conversion_failed(format_name: str, exc: BaseException) -> ExportError:
    """An :class:`ExportError` that names the unsupported operations when the message shows them."""
    ops = unsupported_ops(str(exc))
    if ops:
        return ExportError(f"{format_name}: the model uses operation(s) {ops} that {format_name} does not support; "
                           "replace the layer that uses them with standard layers (Conv2D, Dense, pooling, "
                           "activations) or compute that step in the app")
    return ExportError(f"{format_name}: conversion failed ({type(exc).__name__}: {str(exc)[-400:]})")


#: A progress bar's line (tqdm's ``50%|#####     | 3/6 [00:01<00:01, 2.1 passes/s]``): coremltools draws them.
PROGRESS_BAR = re.compile(r"\d+%\|.*\|")


def without_progress_bars(text: str) -> str:
    """``text`` without the lines (split at ``\\r`` and ``\\n``) that are progress bars; other lines kept, in order."""
    kept = [line for line in re.split(r"[\r\n]+", text) if line.strip() and not PROGRESS_BAR.search(line)]
    return "".join(f"{line}\n" for line in kept)


@contextlib.contextmanager
def quiet_converter(*loggers: str, hide_stderr: bool = False) -> Iterator[None]:
    """Silence what converters print: TensorFlow's notes on temporary SavedModel folders (machine
    paths), the named ``loggers`` below ERROR and, with ``hide_stderr``, progress bars (every other
    line written to ``sys.stderr`` meanwhile, a warning for instance, is passed on when the block ends)."""
    chosen = [logging.getLogger(name) for name in ("tensorflow", *loggers)]
    levels = [logger.level for logger in chosen]
    for logger in chosen:
        logger.setLevel(logging.ERROR)
    errors = io.StringIO()
    try:
        # The TFLite converter's C++ code also logs straight to descriptor 2 ("NodeDef mentions
        # attribute Truncate"): native_noise_filtered drops those known lines and passes the rest on.
        with native_noise_filtered(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(errors) if hide_stderr else contextlib.nullcontext():
            yield
    finally:
        for logger, level in zip(chosen, levels):
            logger.setLevel(level)
        kept = without_progress_bars(errors.getvalue())
        if kept:
            sys.stderr.write(kept)
