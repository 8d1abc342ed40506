"""The allowed interval of every numeric parameter a user gives, with the reason for its upper end.

A value that parses but cannot be run (``--input-size 1073741824``, ``--width 1e5``, ``--seed 2**64``,
``--shards 10**12``) used to end in ``MemoryError``, ``ResourceExhaustedError`` or ``ValueError`` after
the work had started. Each :class:`Range` here is declared once: the ``mlbasics`` command builds the
option's argparse type from it (:func:`mlbasics.cli._args.in_range`, the flag is named in the refusal,
before any work), and the library checks a value with :meth:`Range.check` (the parameter is named).
The bounds are generous: far beyond what any lesson or photo set uses, and well short of what exhausts
a machine or overflows a type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mlbasics.core.errors import InputError


@dataclass(frozen=True)
class Range:
    """``low <= value <= high`` (``low < value`` when ``low_open``), integers only when ``integer``."""

    low: float
    high: float
    reason: str
    integer: bool = True
    low_open: bool = False

    def describe(self) -> str:
        """``"an integer in 1..10,000"`` or ``"a number in (0, 4]"``."""
        if self.integer:
            return f"an integer in {self.low:,.0f}..{self.high:,.0f}"
        return f"a number in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed (``"must be ... (reason), got ..."``), or None."""
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or (self.integer and not float(value).is_integer()) or not math.isfinite(value):
            return f"must be {self.describe()}, got {value!r}"
        too_low = value <= self.low if self.low_open else value < self.low
        if too_low:
            return f"must be {self.describe()}, got {value!r}"
        if value > self.high:
            return f"must be {self.describe()} ({self.reason}), got {value!r}"
        return None

    def check(self, name: str, value: Any) -> Any:
        """``value`` if allowed, else :class:`InputError` naming the parameter ``name``."""
        problem = self.problem(value)
        if problem:
            raise InputError(f"{name} {problem}")
        return int(value) if self.integer else float(value)


# --- training and models -----------------------------------------------------------------------------------
SEED = Range(0, 2**32 - 1, "NumPy's and TensorFlow's random seeds are 32-bit")
EPOCHS = Range(1, 10_000, "at least days of training: a typo, not a plan")
EPOCHS_OR_NONE = Range(0, 10_000, "at least days of training: a typo, not a plan")
INPUT_SIZE = Range(32, 2048, "memory grows with the square of the side: a 2048-pixel input already needs "
                              "gigabytes per image in the first layers")
WIDTH = Range(0, 4, "a fraction of the published filter counts; 4 times the filters is 16 times the weights",
              integer=False, low_open=True)
BATCH_SIZE = Range(1, 4096, "a batch is held in memory at once")
LEARNING_RATE = Range(0, 10, "larger steps make any of these networks diverge at once", integer=False,
                      low_open=True)
ANCHORS = Range(1, 100, "tiny YOLOv3 uses 6 and YOLOv3 9; every anchor adds outputs to every grid cell")
TRAIN_COUNT = Range(1, 1_000_000, "the crops are made and held in memory")

# --- images and data sets -------------------------------------------------------------------------------------
IMAGE_SIDE = Range(1, 4096, "a side of 4096 pixels is already 16 megapixels per image in memory")
IMAGES_TO_WRITE = Range(0, 100_000, "each image is written to disk")
COUNT = Range(1, 10_000_000, "more than any photo set this workbook handles")

# --- pipelines, export, machines ------------------------------------------------------------------------------
SHARDS = Range(1, 10_000, "one task and one output file per shard: more shards than photos leaves them empty")
EXPORT_CHECKS = Range(1, 1000, "each check runs every exported model once more")
WORKERS = Range(1, 256, "one process each")
ACCELERATORS = Range(0, 16, "no machine type has more than 16 accelerators")
REPLICAS = Range(1, 1000, "each replica is a billed machine")
PORT = Range(1, 65535, "TCP ports end at 65535")
SECONDS = Range(0, 3600, "an hour", integer=False, low_open=True)
FACE_SIZE = Range(1, 10_000, "pixels: no photo has a face this large")
FACE_DISTANCE = Range(0, 2, "face descriptors are unit vectors: no two are farther apart than 2", integer=False,
                      low_open=True)
