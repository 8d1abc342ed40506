"""Keep native libraries' start-up chatter out of the lessons; every other message still shows.

TensorFlow, LiteRT and their converters log from C++ straight to file descriptor 2, bypassing
Python's ``sys.stderr`` and ``logging``, so ``contextlib.redirect_stderr`` cannot catch it and
``TF_CPP_MIN_LOG_LEVEL`` does not cover all of it: TensorFlow 2.21 logs its oneDNN notice through
absl *before* it reads that variable. What reaches a lesson, and is noise there:

* ``WARNING: All log messages before absl::InitializeLog() is called are written to STDERR``
* ``I0000 ... port.cc:...] oneDNN custom operations are on ...`` (twice per ``import tensorflow``)
* ``I0000 ... cpu_feature_guard.cc:...] This TensorFlow binary is optimized ...`` and its
  ``To enable the following instructions: ...`` continuation line
* ``E0000 ... node_def_util.cc:...] NodeDef mentions attribute Truncate ...`` (the TFLite
  converter, for models with Cast ops; harmless, the converted model is right)
* ``W0000 ... tf_tfl_flatbuffer_helpers.cc:...] Ignored output_format.`` and ``Ignored
  drop_control_dependency.`` (the TFLite converter, every conversion: options Keras models do not use)
* ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` (LiteRT, first inference)
* ``E0000 ... util.cc:...] oneDNN supports DT_INT32 only on platforms with AVX-512. Falling back
  to the default Eigen-based implementation ...`` (once per process, when a training step first runs an
  int32 op that oneDNN could take: TensorFlow's own fallback, nothing wrong)
* ``fully_quantize: 0, inference_type: 6, input_inference_type: FLOAT32, ...`` (the TFLite
  converter's calibrator, once per full-integer conversion: its settings, not a problem)

Nothing here acts when ``mlbasics`` is imported; each filter is scoped to the block that makes the noise,
like :mod:`mlbasics.pipelines.beam_noise`:

* :func:`native_noise_filtered` runs a block with descriptor 2 pointed into a pipe. A small forwarding
  process reads it line by line and writes every line that is *not* one of :data:`NATIVE_NOISE` to
  where descriptor 2 pointed before, as it arrives: real warnings and errors still reach the reader,
  and a native abort's reason too, since the forwarder outlives a process that aborts.
* :func:`quiet_import` wraps the library's imports of TensorFlow, Keras and LiteRT: the first one in a
  process runs in :func:`native_noise_filtered` with ``TF_CPP_MIN_LOG_LEVEL=1`` (TensorFlow's C++ INFO
  notes off; warnings and errors still shown) set for the import only, unless the reader set it.
  TensorFlow reads the variable once, while it is imported; afterwards the environment is as it was,
  so nothing leaks into JupyterLab kernels, Dask workers or jobs started later. absl's Python logger
  goes to errors (a verbosity the reader chose is kept).

``MLBASICS_NATIVE_LOGS=1`` in the environment turns all of it off, for debugging.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator

#: Native log lines that say nothing about the reader's work. Matched against each whole line.
NATIVE_NOISE: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern)
    for pattern in (
        r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
        r"^[IW]\d{4} [\d:. ]+\d+ port\.cc:\d+\] oneDNN custom operations are on",
        r"^[IW]\d{4} [\d:. ]+\d+ cpu_feature_guard\.cc:\d+\] ",
        r"^To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags\.$",
        r"^E\d{4} [\d:. ]+\d+ node_def_util\.cc:\d+\] NodeDef mentions attribute Truncate which is not in the op",
        r"^INFO: Created TensorFlow Lite XNNPACK delegate for CPU\.$",
        r"^fully_quantize: \d+, inference_type: \d+, input_inference_type: \w+, output_inference_type: \w+$",
        r"^E\d{4} [\d:. ]+\d+ util\.cc:\d+\] oneDNN supports DT_INT32 only on platforms with AVX-512\.",
        r"^W\d{4} [\d:. ]+\d+ tf_tfl_flatbuffer_helpers\.cc:\d+\] Ignored (output_format|drop_control_dependency)\.$",
    )
)

#: The variable TensorFlow reads, once, for the lowest level of C++ log lines it prints (0 = INFO, 1 = WARNING).
VARIABLE = "TF_CPP_MIN_LOG_LEVEL"

#: Set to ``1`` to see every native log line (nothing is filtered, absl's verbosity is left alone).
OPT_OUT_VARIABLE = "MLBASICS_NATIVE_LOGS"


def is_native_noise(line: str) -> bool:
    """Whether one line of native stderr output is known start-up or converter noise."""
    return any(pattern.search(line) for pattern in NATIVE_NOISE)


def drop_native_noise(text: str) -> str:
    """``text`` without its :func:`is_native_noise` lines (line ends of the kept lines are kept)."""
    return "".join(line for line in text.splitlines(keepends=True) if not is_native_noise(line.rstrip("\r\n")))


def _disabled() -> bool:
    return os.environ.get(OPT_OUT_VARIABLE, "").strip().lower() in ("1", "true", "yes")


#: The forwarding process: reads lines from stdin, writes those no pattern of argv[1] (JSON) matches to stdout.
_FORWARDER = """
import json, re, sys
noise = [re.compile(p) for p in json.loads(sys.argv[1])]
out = sys.stdout.buffer
for raw in sys.stdin.buffer:
    line = raw.decode("utf-8", "replace").rstrip("\\r\\n")
    if not any(p.search(line) for p in noise):
        out.write(raw)
        out.flush()
"""


@contextlib.contextmanager
def native_noise_filtered() -> Iterator[None]:
    """Run the block with descriptor 2 filtered: lines of :data:`NATIVE_NOISE` are dropped, every other
    line reaches the previous descriptor 2 as it is written (through a forwarding process).

    Catches what C and C++ code write to stderr (and, outside Jupyter, Python's ``sys.stderr`` too,
    which writes to the same descriptor). Nested blocks are fine. Where descriptor 2 cannot be
    duplicated (no such descriptor) or the forwarder cannot start, the block runs unfiltered.
    """
    if _disabled():
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    read_end, write_end = os.pipe()
    try:
        patterns = json.dumps([pattern.pattern for pattern in NATIVE_NOISE])
        forwarder = subprocess.Popen([sys.executable, "-I", "-S", "-c", _FORWARDER, patterns], stdin=read_end,
                                     stdout=saved, stderr=subprocess.DEVNULL, close_fds=True)
    except OSError:
        os.close(saved)
        yield
        return
    finally:
        os.close(read_end)
    _flush_stderr()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        _flush_stderr()
        os.dup2(saved, 2)
        os.close(saved)
        # Descriptor 2 was the pipe's last write end here (unless a process started in the block still
        # holds it): the forwarder reads to the end and exits, so what follows prints after the block's lines.
        with contextlib.suppress(subprocess.TimeoutExpired):
            forwarder.wait(timeout=10)


def _flush_stderr() -> None:
    with contextlib.suppress(Exception):
        sys.stderr.flush()


def _quiet_absl() -> None:
    """absl's Python logger to errors only (TensorFlow's Python notes go through it), once absl is
    imported; a verbosity the reader chose (anything but absl's default, WARNING) is kept."""
    absl_logging = sys.modules.get("absl.logging")
    if absl_logging is not None and absl_logging.get_verbosity() == absl_logging.WARNING:
        absl_logging.set_verbosity(absl_logging.ERROR)


@contextlib.contextmanager
def quiet_import(module: str = "tensorflow") -> Iterator[None]:
    """Run a block that imports ``module`` (or something that imports it: Keras, tf2onnx and coremltools
    import TensorFlow) with its start-up lines filtered, if this is its first import in the process.

    Afterwards it is a no-op costing a dictionary look-up. While the first import runs,
    ``TF_CPP_MIN_LOG_LEVEL`` is ``1`` unless the reader set it; the environment is restored after it.
    """
    if module in sys.modules or _disabled():
        yield
        return
    chosen = VARIABLE in os.environ
    if not chosen:
        os.environ[VARIABLE] = "1"
    try:
        with native_noise_filtered():
            yield
    finally:
        if not chosen:
            os.environ.pop(VARIABLE, None)
        _quiet_absl()
