"""The allowed interval of every numeric parameter a user gives, with the reason for its upper end, and
:class:`Param`: a user-facing parameter declared once (name, default, interval, help).

A value that parses but cannot be run (``--input-size 1073741824``, ``--width 1e5``, ``--seed 2**64``,
``--shards 10**12``) used to end in ``MemoryError``, ``ResourceExhaustedError`` or ``ValueError`` after
the work had started. Each :class:`Range` here is declared once: the ``mlbasics`` command builds the
option's argparse type from it (:func:`mlbasics.cli._args.in_range`, the flag is named in the refusal,
before any work), and the library checks a value with :meth:`Range.check` (the parameter is named).
The bounds are generous: far beyond what any lesson or photo set uses, and well short of what exhausts
a machine or overflows a type.

A :class:`Param` is declared beside the function or config that owns it (``SCORE_THRESHOLD`` in
:mod:`mlbasics.vision.yolo.decode`, ``VAL_FRACTION`` in :mod:`mlbasics.data.voc_folder`): the library's
signatures take ``param.default``, check with :meth:`Param.check`, and the command line's option
(:func:`mlbasics.cli._args.add_param`) gets its flag, argparse type, default and help from the same
object, like scikit-learn's ``_parameter_constraints`` and Ultralytics' one ``default.yaml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from mlbasics.core.errors import InputError


@dataclass(frozen=True)
class Range:
    """``low <= value <= high`` (``low < value`` when ``low_open``, ``value < high`` when ``high_open``),
    integers only when ``integer``, and multiples of ``multiple_of`` when it is given. ``reason`` explains
    the upper end, ``low_reason`` (if any) the lower one."""

    low: float
    high: float
    reason: str
    integer: bool = True
    low_open: bool = False
    high_open: bool = False
    multiple_of: int | None = None
    low_reason: str = ""

    def describe(self) -> str:
        """``"an integer in 1..10,000"``, ``"a multiple of 32 in 32..2,048"`` or ``"a number in (0, 1)"``."""
        if self.integer:
            kind = f"a multiple of {self.multiple_of}" if self.multiple_of else "an integer"
            return f"{kind} in {self.low:,.0f}..{self.high:,.0f}"
        return f"a number in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}{')' if self.high_open else ']'}"

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed (``"must be ... (reason), got ..."``), or None."""
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or (self.integer and not float(value).is_integer()) or not math.isfinite(value):
            return f"must be {self.describe()}, got {value!r}"
        too_low = value <= self.low if self.low_open else value < self.low
        if too_low:
            why = f" ({self.low_reason})" if self.low_reason else ""
            return f"must be {self.describe()}{why}, got {value!r}"
        if value >= self.high if self.high_open else value > self.high:
            return f"must be {self.describe()} ({self.reason}), got {value!r}"
        if self.multiple_of and value % self.multiple_of:
            return f"must be {self.describe()} ({self.reason}), got {value!r}"
        return None

    def check(self, name: str, value: Any) -> Any:
        """``value`` if allowed, else :class:`InputError` naming the parameter ``name``."""
        problem = self.problem(value)
        if problem:
            raise InputError(f"{name} {problem}")
        return int(value) if self.integer else float(value)


@dataclass(frozen=True)
class Choices:
    """One of ``values`` (names such as ``"tiny"``, ``"full"``)."""

    values: tuple[str, ...]

    def describe(self) -> str:
        """``"one of 'tiny', 'full'"``."""
        return "one of " + ", ".join(repr(value) for value in self.values)

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or None."""
        return None if value in self.values else f"must be {self.describe()}, got {value!r}"

    def check(self, name: str, value: Any) -> Any:
        """``value`` if allowed, else :class:`InputError` naming the parameter ``name``."""
        problem = self.problem(value)
        if problem:
            raise InputError(f"{name} {problem}")
        return value


@dataclass(frozen=True)
class Param:
    """A user-facing parameter, declared once: ``name`` (the Python keyword; the flag is ``--name`` with
    dashes), ``default``, the ``allowed`` interval or choices and the ``help`` the command line shows."""

    name: str
    default: Any
    allowed: Range | Choices
    help: str

    @property
    def flag(self) -> str:
        """``"--score-threshold"`` for ``score_threshold``."""
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> Any:
        """``value`` if allowed, else :class:`InputError` naming the parameter."""
        return self.allowed.check(self.name, value)


def setting(default: Any, allowed: Range | Choices, help: str) -> Any:
    """A dataclass field declared as a :class:`Param`: ``epochs: int = setting(20, EPOCHS, "total epochs")``.
    The field keeps its default; its interval and help ride in the field's metadata, where
    :func:`params_of` finds them."""
    return field(default=default, metadata={"allowed": allowed, "help": help})


def setting_of(param: Param) -> Any:
    """A dataclass field declared as ``param`` (a parameter shared with functions, such as the seed)."""
    return setting(param.default, param.allowed, param.help)


def params_of(cls: type) -> dict[str, Param]:
    """The :class:`Param` of every field of the dataclass ``cls`` declared with :func:`setting`, by name."""
    return {f.name: Param(f.name, f.default, f.metadata["allowed"], f.metadata["help"])
            for f in fields(cls) if "allowed" in f.metadata}


def check_params(instance: Any) -> None:
    """Each field of the dataclass ``instance`` declared with :func:`setting` against its interval or
    choices; an :class:`InputError` names the field."""
    for param in params_of(type(instance)).values():
        param.check(getattr(instance, param.name))


# --- shares and thresholds ------------------------------------------------------------------------------------
SCORE = Range(0, 1, "a score is a probability: none reaches 1, so a threshold of 1 keeps nothing", integer=False,
              high_open=True)
OVERLAP = Range(0, 1, "IoU 0 would suppress boxes that do not overlap at all, and 1 none", integer=False,
                low_open=True, high_open=True)
SHARE = Range(0, 1, "a share of the photos: both sides of the split need some", integer=False, low_open=True,
              high_open=True)
PROBABILITY = Range(0, 1, "a probability or a share of the picture", integer=False)
SHARE_OR_NONE = Range(0, 1, "a share: all of them would leave nothing", integer=False, high_open=True)

# --- training and models -----------------------------------------------------------------------------------
SEED = Range(0, 2**32 - 1, "NumPy's and TensorFlow's random seeds are 32-bit")
EPOCHS = Range(1, 10_000, "at least days of training: a typo, not a plan")
EPOCHS_OR_NONE = Range(0, 10_000, "at least days of training: a typo, not a plan")
INPUT_SIZE = Range(32, 2048, "a YOLO input's side is a multiple of its coarsest stride, 32; memory grows with "
                              "its square: a 2048-pixel input already needs gigabytes per image in the first layers",
                   multiple_of=32)
WIDTH = Range(0, 4, "a fraction of the published filter counts; 4 times the filters is 16 times the weights",
              integer=False, low_open=True)
BATCH_SIZE = Range(1, 4096, "a batch is held in memory at once")
LEARNING_RATE = Range(0, 10, "larger steps make any of these networks diverge at once", integer=False,
                      low_open=True)
ANCHORS = Range(1, 100, "tiny YOLOv3 uses 6 and YOLOv3 9; every anchor adds outputs to every grid cell")
TRAIN_COUNT = Range(1, 1_000_000, "the crops are made and held in memory")
MOMENTUM = Range(0, 1, "an average with momentum 1 never leaves the first weights (0: no average)", integer=False,
                high_open=True)
IOU = Range(0, 1, "an intersection over union", integer=False)
ZOOM = Range(0, 1, "zooming out by 100% would shrink a photo to nothing", integer=False, high_open=True)
ANCHOR_IOU = Range(0, 1, "at IoU 1 no anchor but an exact copy of the box would qualify (0: the one best anchor)",
                   integer=False, high_open=True)
DECODE_SCALE = Range(1, 4, "photos are decoded at this many times the input side; memory grows with its square",
                     integer=False)

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
