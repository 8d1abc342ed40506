"""What a YOLO detector is, in one object: its anchors, classes, input size, width and kind.

Training, target assignment, the loss, decoding, evaluation, export checks and the widgets all
need the same few values; a :class:`YoloSpec` carries them together, checks them once, and
derives what follows from them (anchor masks, grid sizes and strides per scale). Beside every
trained detector's ``<name>.weights.h5`` training writes ``<name>.config.json``, which
:meth:`YoloSpec.write` writes and :meth:`YoloSpec.read` reads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.validation import check_positive_float
from mlbasics.data.annotation_lines import read_classes
from mlbasics.io.files import write_json
from mlbasics.io.text import parse_json, read_text
from mlbasics.vision.yolo.anchors import read_anchors

#: The two networks: tiny YOLOv3 (two output scales) and YOLOv3 (three).
MODELS = ("tiny", "full")
#: Which anchors each output scale uses, coarsest grid (largest anchors) first.
MASKS = {"tiny": ((3, 4, 5), (0, 1, 2)), "full": ((6, 7, 8), (3, 4, 5), (0, 1, 2))}
#: Output stride of each scale, coarsest first: the backbone halves the image five times (32),
#: and each finer scale upsamples the one before by 2.
STRIDES = {"tiny": (32, 16), "full": (32, 16, 8)}
#: The keys of ``<name>.config.json`` (``batch_norm_epsilon`` is optional: files written before it
#: existed are Keras's default).
CONFIG_KEYS = ("model", "input_size", "width", "classes", "anchors")
#: Keras's batch-norm epsilon, what every detector the workbook trains from scratch uses.
KERAS_BATCH_NORM_EPSILON = 1e-3
#: Darknet's: it divides by ``sqrt(variance) + 1e-6`` (``normalize_cpu``), which ``sqrt(variance + 1e-6)``
#: matches to float32 precision in practice. A model loaded from Darknet weights uses it, or its outputs
#: are not Darknet's (with Keras's 1e-3 the published tiny-YOLOv3's logits differ by up to 0.3).
DARKNET_BATCH_NORM_EPSILON = 1e-6
WEIGHTS_SUFFIX = ".weights.h5"
CONFIG_SUFFIX = ".config.json"


def check_model(model: Any) -> str:
    """Return ``model`` if it is ``"tiny"`` or ``"full"``."""
    if model not in MODELS:
        raise InputError(f"model must be 'tiny' or 'full', got {model!r}")
    return str(model)


def check_input_size(size: Any) -> int:
    """Return ``size`` if it is a positive multiple of 32 (the network halves it 5 times), else raise."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 32 or size % 32:
        raise InputError(f"input size must be a multiple of 32 (e.g. 160, 192, 416), got {size!r}")
    return int(size)


def check_num_classes(num_classes: Any) -> int:
    """Return ``num_classes`` if it is an integer >= 1."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise InputError(f"num_classes must be an integer >= 1, got {num_classes!r}")
    return int(num_classes)


def check_anchors(anchors: Any, model: str) -> np.ndarray:
    """``anchors`` as a read-only ``(k, 2)`` float32 array of positive widths and heights, with ``k``
    the number the ``model``'s masks use (6 tiny, 9 full)."""
    needed = sum(len(mask) for mask in MASKS[check_model(model)])
    try:
        array = np.array(anchors, dtype=np.float32)
    except (TypeError, ValueError):
        raise InputError(f"anchors must be (k, 2) numbers, width and height in input pixels, got {anchors!r}") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise InputError(f"anchors must have shape (k, 2), width and height in input pixels, got {array.shape}")
    if len(array) != needed:
        raise InputError(f"anchors: the {model} model needs {needed}, got {len(array)}")
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise InputError("anchors must be finite and positive (width and height in input pixels)")
    array.setflags(write=False)
    return array


def check_class_names(class_names: Any) -> tuple[str, ...]:
    """``class_names`` as a tuple of distinct, non-empty strings (at least one)."""
    if isinstance(class_names, str) or not isinstance(class_names, Sequence):
        raise InputError(f"class_names must be a list of names, got {class_names!r}")
    names = tuple(class_names)
    check_num_classes(len(names))
    if not all(isinstance(name, str) and name for name in names):
        raise InputError(f"class_names must be non-empty strings, got {list(names)!r}")
    if len(set(names)) != len(names):
        raise InputError(f"class_names must be distinct, got {list(names)!r}")
    return names


def grid_sizes(input_size: int, model: str) -> tuple[int, ...]:
    """Output grid side of each scale, coarsest first: ``input_size / stride`` (160 tiny: ``(5, 10)``)."""
    size = check_input_size(input_size)
    return tuple(size // stride for stride in STRIDES[check_model(model)])


@dataclass(frozen=True, eq=False)
class YoloSpec:
    """Everything about a detector except its weights.

    ``anchors``: ``(k, 2)`` float32, width and height in input pixels (k = 6 tiny, 9 full, sorted by
    area as :func:`~mlbasics.vision.yolo.anchors.kmeans_anchors` gives them); ``class_names``: one
    per class id; ``input_size``: the square input side in pixels, a multiple of 32; ``width``: the
    fraction of the published filter counts; ``model``: ``"tiny"`` or ``"full"``.
    """

    anchors: np.ndarray
    class_names: tuple[str, ...]
    input_size: int = 416
    width: float = 1.0
    model: str = "tiny"
    batch_norm_epsilon: float = KERAS_BATCH_NORM_EPSILON

    def __post_init__(self) -> None:
        # frozen: the checked values are set through object.__setattr__, once, here
        object.__setattr__(self, "model", check_model(self.model))
        object.__setattr__(self, "input_size", check_input_size(self.input_size))
        object.__setattr__(self, "width", check_positive_float("width", self.width))
        object.__setattr__(self, "class_names", check_class_names(self.class_names))
        object.__setattr__(self, "anchors", check_anchors(self.anchors, self.model))
        object.__setattr__(self, "batch_norm_epsilon",
                           check_positive_float("batch_norm_epsilon", self.batch_norm_epsilon))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, YoloSpec):
            return NotImplemented
        return (self.model, self.input_size, self.width, self.class_names, self.batch_norm_epsilon) == (
            other.model, other.input_size, other.width, other.class_names, other.batch_norm_epsilon) and np.array_equal(
            self.anchors, other.anchors)

    __hash__ = None  # type: ignore[assignment]  # equal specs may hold different arrays

    @property
    def num_classes(self) -> int:
        """How many classes: ``len(class_names)``."""
        return len(self.class_names)

    @property
    def masks(self) -> tuple[tuple[int, ...], ...]:
        """Anchor indices of each scale, coarsest first: ``((3, 4, 5), (0, 1, 2))`` for tiny."""
        return MASKS[self.model]

    @property
    def strides(self) -> tuple[int, ...]:
        """Input pixels per grid cell of each scale, coarsest first: ``(32, 16)`` tiny, ``(32, 16, 8)`` full."""
        return STRIDES[self.model]

    @property
    def grids(self) -> tuple[int, ...]:
        """Grid side of each scale, coarsest first: ``(13, 26)`` for tiny at 416."""
        return grid_sizes(self.input_size, self.model)

    @property
    def channels(self) -> int:
        """Channels of each output: ``3 * (5 + num_classes)`` (per anchor: box, objectness, class scores)."""
        return len(self.masks[0]) * (5 + self.num_classes)

    @property
    def output_shapes(self) -> list[tuple[int, int, int]]:
        """The network's output shapes without batch: ``[(g, g, channels)]`` per scale, coarsest first."""
        return [(grid, grid, self.channels) for grid in self.grids]

    def scale_anchors(self, scale: int) -> np.ndarray:
        """The anchors ``(3, 2)`` float32 (input pixels) of output scale ``scale`` (0 = coarsest)."""
        return self.anchors[list(self.masks[scale])]

    def cell_offsets(self, scale: int) -> np.ndarray:
        """``(g, g, 1, 2)`` float32: column and row of each cell of scale ``scale``'s grid, indexed
        ``[row, col]`` (add to a cell-relative centre, divide by ``g``: fraction of the image)."""
        grid = self.grids[scale]
        cols, rows = np.meshgrid(np.arange(grid), np.arange(grid))
        return np.stack([cols, rows], axis=-1)[:, :, None, :].astype(np.float32)

    def to_json(self) -> dict[str, Any]:
        """The ``.config.json`` record: ``model``, ``input_size``, ``width``, ``classes``, ``anchors`` and,
        where it is not Keras's default, ``batch_norm_epsilon``."""
        record: dict[str, Any] = {"model": self.model, "input_size": self.input_size, "width": self.width,
                                  "classes": list(self.class_names), "anchors": self.anchors.tolist()}
        if self.batch_norm_epsilon != KERAS_BATCH_NORM_EPSILON:
            record["batch_norm_epsilon"] = self.batch_norm_epsilon
        return record

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the config file (atomically), e.g. to :func:`config_path_for` of the weights."""
        write_json(path, self.to_json())

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> YoloSpec:
        """Read a config file; anything wrong with it is a :class:`DataFileError` naming the file."""
        # UTF-8 (a byte order mark is fine); a folder or FIFO is refused before it is opened
        text = read_text(path, missing="no detector config (training writes it beside the weights)")
        return cls.from_json(parse_json(text, path), path)

    @classmethod
    def from_json(cls, record: Any, source: str | os.PathLike[str] = "<config>") -> YoloSpec:
        """A spec from a parsed config record; errors name ``source`` and the key."""
        if not isinstance(record, dict):
            raise DataFileError(source, f"expected a JSON object with keys {', '.join(CONFIG_KEYS)}")
        for key in CONFIG_KEYS:
            if key not in record:
                raise DataFileError(source, f"missing key {key!r}")
        try:
            return cls(record["anchors"], record["classes"], record["input_size"], record["width"], record["model"],
                       record.get("batch_norm_epsilon", KERAS_BATCH_NORM_EPSILON))
        except InputError as exc:
            raise DataFileError(source, str(exc)) from None

    @classmethod
    def from_files(cls, anchors: str | os.PathLike[str], classes: str | os.PathLike[str], *, input_size: int = 416,
                   width: float = 1.0, model: str = "tiny") -> YoloSpec:
        """A spec from a keras-yolo3 anchors file and classes file; a wrong anchor count names the file."""
        model = check_model(model)  # an argument, not the file: checked first, so its error names no file
        class_names = read_classes(classes)
        array = read_anchors(anchors)
        try:
            check_anchors(array, model)
        except InputError as exc:
            raise DataFileError(anchors, str(exc)) from None
        return cls(array, tuple(class_names), input_size, width, model)


@overload
def config_path_for(weights: str) -> str: ...
@overload
def config_path_for(weights: os.PathLike[str]) -> Path: ...
def config_path_for(weights: str | os.PathLike[str]) -> str | Path:
    """``final.weights.h5`` -> ``final.config.json``, the detector's spec beside its weights.

    A string stays a string, so ``gs://`` URLs work too; a path stays a :class:`~pathlib.Path`.
    """
    if isinstance(weights, str):
        folder, slash, name = weights.rpartition("/")
        return folder + slash + _config_name(name)
    path = Path(weights)
    return path.with_name(_config_name(path.name))


def _config_name(weights_name: str) -> str:
    """The config file name for a weights file name (a suffix other than ``.weights.h5``: replaced)."""
    stem = weights_name[: -len(WEIGHTS_SUFFIX)] if weights_name.endswith(WEIGHTS_SUFFIX) else Path(weights_name).stem
    return stem + CONFIG_SUFFIX
