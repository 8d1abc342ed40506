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
* ``INFO: Created TensorFlow Lite XNNPACK delegate for CPU.`` (LiteRT, first inference)
* ``E0000 ... util.cc:...] oneDNN supports DT_INT32 only on platforms with AVX-512. Falling back
  to the default Eigen-based implementation ...`` (once per process, when a training step first runs an
  int32 op that oneDNN could take: TensorFlow's own fallback, nothing wrong)
* ``fully_quantize: 0, inference_type: 6, input_inference_type: FLOAT32, ...`` (the TFLite
  converter's calibrator, once per full-integer conversion: its settings, not a problem)

:func:`native_noise_filtered` runs a block with descriptor 2 pointed at a temporary file and, at
the end, writes every line that is *not* one of those (:data:`NATIVE_NOISE`) to ``sys.stderr``,
in order: real warnings and errors still reach the reader, synchronously, in the cell that made
them. :func:`install` (called once by ``import mlbasics``) wraps the first import of each of
:data:`NOISY_IMPORTS` in it and sets absl's Python verbosity to errors. It imports nothing
heavy. ``MLBASICS_NATIVE_LOGS=1`` in the environment turns all of it off, for debugging.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Sequence
from types import ModuleType

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
    )
)

#: Top-level packages whose first import prints native start-up lines.
NOISY_IMPORTS = ("tensorflow", "ai_edge_litert")

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


@contextlib.contextmanager
def native_noise_filtered() -> Iterator[None]:
    """Run the block with descriptor 2 captured; afterwards write the non-noise lines to ``sys.stderr``.

    Catches what C and C++ code write to stderr (and, outside Jupyter, Python's ``sys.stderr`` too,
    which writes to the same descriptor). Nested blocks are fine. Where descriptor 2 cannot be
    duplicated (no such descriptor), the block runs unfiltered.
    """
    if _disabled():
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as captured:
        _flush_stderr()
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            _flush_stderr()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = drop_native_noise(captured.read().decode("utf-8", errors="replace"))
            if kept:
                sys.stderr.write(kept)
                _flush_stderr()


def _flush_stderr() -> None:
    with contextlib.suppress(Exception):
        sys.stderr.flush()


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader's ``exec_module`` inside :func:`native_noise_filtered`."""

    def __init__(self, real: importlib.abc.Loader):
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The module keeps the real loader (importlib.resources and friends ask it for data).
        module.__loader__ = self.real
        if module.__spec__ is not None:
            module.__spec__.loader = self.real
        with native_noise_filtered():
            self.real.exec_module(module)
        _quiet_absl()


class QuietFirstImport(importlib.abc.MetaPathFinder):
    """A ``sys.meta_path`` finder that wraps the first import of each of ``names`` in
    :func:`native_noise_filtered`, then steps aside (it finds nothing itself)."""

    def __init__(self, names: Sequence[str]):
        self.pending = set(names)
        self._finding = False

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.pending or self._finding:
            return None
        self.pending.discard(fullname)
        self._finding = True
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            self._finding = False
        if spec is None or spec.loader is None:
            return None
        spec.loader = _QuietLoader(spec.loader)
        return spec


def _quiet_absl() -> None:
    """absl's Python logger to errors only (TensorFlow's Python notes go through it), once absl is
    imported; a verbosity the reader chose (anything but absl's default, WARNING) is kept."""
    absl_logging = sys.modules.get("absl.logging")
    if absl_logging is not None and absl_logging.get_verbosity() == absl_logging.WARNING:
        absl_logging.set_verbosity(absl_logging.ERROR)


def install() -> None:
    """Quiet native start-up noise for this process (idempotent; ``import mlbasics`` calls it).

    Sets ``TF_CPP_MIN_LOG_LEVEL=2`` unless the reader set it (TensorFlow's C++ INFO notes off,
    warnings and errors still shown), and puts a :class:`QuietFirstImport` for
    :data:`NOISY_IMPORTS` that are not imported yet at the front of ``sys.meta_path``.
    """
    if _disabled():
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if any(isinstance(finder, QuietFirstImport) for finder in sys.meta_path):
        return
    pending = [name for name in NOISY_IMPORTS if name not in sys.modules]
    if pending:
        sys.meta_path.insert(0, QuietFirstImport(pending))
    _quiet_absl()
