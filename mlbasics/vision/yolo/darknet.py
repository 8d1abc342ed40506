"""Darknet's two files: the network description (``.cfg``) and the trained numbers (``.weights``).

A ``.cfg`` is a list of sections, one per layer after the first ``[net]``: ``[convolutional]``,
``[maxpool]``, ``[upsample]``, ``[route]``, ``[shortcut]`` and ``[yolo]`` are the ones YOLOv3 and
tiny-YOLOv3 use. Layers are numbered from 0 after ``[net]``; ``[route] layers=-1, 8`` concatenates
(on channels) the previous layer's output and layer 8's. Darknet strips every blank from a line
(``mask = 3,4,5`` reads as ``mask=3,4,5``); ``#`` and ``;`` start comment lines, and ``#`` ends a value.

A ``.weights`` file is a header, then float32 numbers (little-endian) for each convolutional layer
in cfg order, nothing between them:

- header: ``major, minor, revision`` (int32 each), then the count of images seen in training:
  int64 when ``major * 10 + minor >= 2`` (and both below 1000), else int32 (Darknet's ``parser.c``);
- a layer with ``batch_normalize=1``: ``beta`` (Darknet's "biases"), ``gamma`` ("scales"), running
  mean, running variance (``filters`` numbers each), then the kernel;
- a layer without: the convolution's bias, then the kernel;
- the kernel: ``filters * channels_in * size * size`` numbers in the order ``(out, in, h, w)``; Keras
  keeps ``(h, w, in, out)``.

The file says nothing about which layer a number belongs to: only the cfg does, so a file that is
too short or too long for its cfg is refused (naming the layer where it ran out), never half-loaded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.io.files import atomic_write
from mlbasics.io.paths import require_regular_file
from mlbasics.io.text import read_text

#: The sections this reader knows (Darknet's aliases ``[conv]``, ``[max]``, ``[network]`` included).
SECTION_KINDS = {"net": "net", "network": "net", "convolutional": "convolutional", "conv": "convolutional",
                 "maxpool": "maxpool", "max": "maxpool", "upsample": "upsample", "route": "route",
                 "shortcut": "shortcut", "yolo": "yolo"}
#: The header Darknet has written since 2017 (int64 seen counter).
CURRENT_VERSION = (0, 2, 0)
FLOAT = np.dtype("<f4")


@dataclass(frozen=True)
class Section:
    """One ``[kind]`` block: ``options`` maps each key to ``(value, line)``; ``index`` is the layer
    number (``-1`` for ``[net]``)."""

    kind: str
    line: int
    index: int
    options: dict[str, tuple[str, int]] = field(default_factory=dict)

    def where(self, key: str | None = None) -> int:
        """The line of ``key`` (or of the section header when the key is absent or ``None``)."""
        return self.options[key][1] if key in self.options else self.line

    def describe(self) -> str:
        return f"layer {self.index} [{self.kind}]" if self.index >= 0 else "[net]"


@dataclass(frozen=True)
class Layer:
    """A checked layer: its section, the shape it outputs ``(h, w, c)``, and what its kind needs.

    ``inputs``: absolute indices of the layers it reads (``[i - 1]`` for most, the resolved
    ``layers`` of a route, ``[i - 1, from]`` for a shortcut). Convolutions: ``filters, size, stride,
    padding, batch_normalize, activation, in_channels``; maxpool: ``size, stride``; upsample:
    ``stride``; yolo: ``mask``, ``anchors`` ``(n, 2)``, ``classes``.
    """

    section: Section
    shape: tuple[int, int, int]
    inputs: tuple[int, ...]
    values: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.section.kind

    @property
    def index(self) -> int:
        return self.section.index


@dataclass(frozen=True)
class Cfg:
    """A parsed, shape-checked ``.cfg``: ``net`` (its ``[net]`` section) and ``layers`` in order."""

    path: str
    net: Section
    layers: tuple[Layer, ...]

    def error(self, section: Section, key: str | None, reason: str) -> DataFileError:
        """A :class:`DataFileError` naming this cfg, the line of ``key`` in ``section``, and the key."""
        where = f"{section.describe()}" + (f", key {key!r}" if key else "")
        return DataFileError(self.path, f"{where}: {reason}", line=section.where(key))

    @property
    def convolutions(self) -> list[Layer]:
        """The ``[convolutional]`` layers in order: what a ``.weights`` file holds numbers for."""
        return [layer for layer in self.layers if layer.kind == "convolutional"]

    @property
    def yolo_layers(self) -> list[Layer]:
        return [layer for layer in self.layers if layer.kind == "yolo"]


# --- reading the text --------------------------------------------------------------------------


def parse_sections(text: str, path: str | os.PathLike[str] = "<cfg>") -> list[Section]:
    """The sections of cfg ``text`` in order, options unchecked; the first must be ``[net]``."""
    sections: list[Section] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = re.sub(r"\s+", "", raw)  # Darknet's strip(): every blank goes, inside too
        if not line or line[0] in "#;":
            continue
        line = line.split("#", 1)[0]  # "filters=255 # 3*(80+5)": Darknet's atoi stops there too
        if line[0] == "[":
            if not line.endswith("]"):
                raise DataFileError(path, f"section header without ']': {raw.strip()!r}", line=number)
            name = line[1:-1].lower()
            if name not in SECTION_KINDS:
                known = ", ".join(f"[{kind}]" for kind in dict.fromkeys(SECTION_KINDS.values()))
                raise DataFileError(path, f"section [{name}] is not supported here (known: {known})", line=number)
            kind = SECTION_KINDS[name]
            if not sections and kind != "net":
                raise DataFileError(path, f"the first section must be [net], got [{name}]", line=number)
            if sections and kind == "net":
                raise DataFileError(path, "a second [net] section", line=number)
            sections.append(Section(kind, number, len(sections) - 1))
            continue
        if not sections:
            raise DataFileError(path, f"an option before the first section: {raw.strip()!r}", line=number)
        key, equals, value = line.partition("=")
        if not equals or not key:
            raise DataFileError(path, f"expected key=value, got {raw.strip()!r}", line=number)
        options = sections[-1].options
        if key in options:
            raise DataFileError(path, f"key {key!r} given twice in {sections[-1].describe()} "
                                f"(first at line {options[key][1]})", line=number)
        options[key] = (value, number)
    if not sections:
        raise DataFileError(path, "no sections: not a Darknet .cfg file")
    return sections


def _int(cfg_path: str, section: Section, key: str, default: int | None, low: int = 0) -> int:
    if key not in section.options:
        if default is None:
            raise DataFileError(cfg_path, f"{section.describe()}: missing key {key!r}", line=section.line)
        return default
    value, line = section.options[key]
    try:
        number = int(value)
    except ValueError:
        raise DataFileError(cfg_path, f"{section.describe()}, key {key!r}: expected an integer, got {value!r}",
                            line=line) from None
    if number < low:
        raise DataFileError(cfg_path, f"{section.describe()}, key {key!r}: must be >= {low}, got {number}", line=line)
    return number


def _numbers(cfg_path: str, section: Section, key: str) -> list[float]:
    """The comma-separated numbers of ``key`` (Darknet reads anchors with ``atof``)."""
    if key not in section.options:
        raise DataFileError(cfg_path, f"{section.describe()}: missing key {key!r}", line=section.line)
    value, line = section.options[key]
    try:
        numbers = [float(part) for part in value.split(",") if part != ""]
    except ValueError:
        numbers = []
    if not numbers or not all(np.isfinite(numbers)):
        raise DataFileError(cfg_path, f"{section.describe()}, key {key!r}: expected comma-separated numbers, "
                            f"got {value!r}", line=line)
    return numbers


def _ints(cfg_path: str, section: Section, key: str) -> list[int]:
    """The comma-separated whole numbers of ``key`` (layer indices, anchor indices)."""
    numbers = _numbers(cfg_path, section, key)
    value, line = section.options[key]
    if any(n != int(n) for n in numbers):
        raise DataFileError(cfg_path, f"{section.describe()}, key {key!r}: expected whole numbers, got {value!r}",
                            line=line)
    return [int(n) for n in numbers]


# --- the layers and their shapes -----------------------------------------------------------------


def _convolutional(path: str, s: Section, shape: tuple[int, int, int]) -> tuple[tuple[int, int, int], dict]:
    filters = _int(path, s, "filters", 1, low=1)
    size = _int(path, s, "size", 1, low=1)
    stride = _int(path, s, "stride", 1, low=1)
    padding = size // 2 if _int(path, s, "pad", 0) else _int(path, s, "padding", 0)
    values = {"filters": filters, "size": size, "stride": stride, "padding": padding,
              "batch_normalize": _int(path, s, "batch_normalize", 0), "in_channels": shape[2],
              "activation": s.options.get("activation", ("logistic", 0))[0]}
    h, w = ((n + 2 * padding - size) // stride + 1 for n in shape[:2])
    if h < 1 or w < 1:
        raise DataFileError(path, f"{s.describe()}: the input {shape[0]}x{shape[1]} is smaller than its kernel",
                            line=s.line)
    return (h, w, filters), values


def _maxpool(path: str, s: Section, shape: tuple[int, int, int]) -> tuple[tuple[int, int, int], dict]:
    stride = _int(path, s, "stride", 1, low=1)
    size = _int(path, s, "size", stride, low=1)
    padding = _int(path, s, "padding", size - 1)
    h, w = ((n + padding - size) // stride + 1 for n in shape[:2])
    return (h, w, shape[2]), {"size": size, "stride": stride, "padding": padding}


def _resolve(path: str, s: Section, key: str, value: int) -> int:
    index = s.index + value if value < 0 else value
    if not 0 <= index < s.index:
        raise DataFileError(path, f"{s.describe()}, key {key!r}: {value} points at layer {index}, "
                            f"which is not an earlier layer", line=s.where(key))
    return index


def _yolo(path: str, s: Section, shape: tuple[int, int, int]) -> dict:
    anchors = _numbers(path, s, "anchors")
    if len(anchors) % 2:
        raise DataFileError(path, f"{s.describe()}, key 'anchors': an odd count of numbers ({len(anchors)}); "
                            "expected width,height pairs", line=s.where("anchors"))
    pairs = np.array(anchors, dtype=np.float32).reshape(-1, 2)
    mask = _ints(path, s, "mask") if "mask" in s.options else list(range(len(pairs)))
    if any(not 0 <= m < len(pairs) for m in mask):
        raise DataFileError(path, f"{s.describe()}, key 'mask': {mask} names anchors beyond the "
                            f"{len(pairs)} given", line=s.where("mask"))
    classes = _int(path, s, "classes", 20, low=1)
    if shape[2] != len(mask) * (5 + classes):
        raise DataFileError(path, f"{s.describe()}, key 'classes': {len(mask)} anchors x (5 + {classes} classes) "
                            f"= {len(mask) * (5 + classes)} channels, but the layer before gives {shape[2]}",
                            line=s.where("classes"))
    return {"mask": tuple(mask), "anchors": pairs, "classes": classes}


def build_cfg(sections: Sequence[Section], path: str | os.PathLike[str] = "<cfg>") -> Cfg:
    """Check the sections and work out every layer's output shape ``(h, w, c)``, as Darknet does."""
    path = str(path)
    net, body = sections[0], sections[1:]
    shape = (_int(path, net, "height", None, low=1), _int(path, net, "width", None, low=1),
             _int(path, net, "channels", None, low=1))
    if not body:
        raise DataFileError(path, "no layers after [net]", line=net.line)
    layers: list[Layer] = []
    for s in body:
        before = shape
        inputs: tuple[int, ...] = (s.index - 1,) if s.index else ()
        values: dict = {}
        if s.kind == "convolutional":
            shape, values = _convolutional(path, s, before)
        elif s.kind == "maxpool":
            shape, values = _maxpool(path, s, before)
        elif s.kind == "upsample":
            stride = _int(path, s, "stride", 2, low=1)
            shape, values = (before[0] * stride, before[1] * stride, before[2]), {"stride": stride}
        elif s.kind == "route":
            inputs = tuple(_resolve(path, s, "layers", v) for v in _ints(path, s, "layers"))
            shapes = [layers[i].shape for i in inputs]
            if len({sh[:2] for sh in shapes}) != 1:
                raise DataFileError(path, f"{s.describe()}, key 'layers': layers {list(inputs)} have different "
                                    f"sizes {[sh[:2] for sh in shapes]}", line=s.where("layers"))
            shape = (shapes[0][0], shapes[0][1], sum(sh[2] for sh in shapes))
        elif s.kind == "shortcut":
            source = _resolve(path, s, "from", _ints(path, s, "from")[0])
            if layers[source].shape != before:
                raise DataFileError(path, f"{s.describe()}, key 'from': layer {source} gives {layers[source].shape}, "
                                    f"the layer before gives {before}", line=s.where("from"))
            inputs, values = (s.index - 1, source), {"activation": s.options.get("activation", ("linear", 0))[0]}
        elif s.kind == "yolo":
            values = _yolo(path, s, before)
        layers.append(Layer(s, shape, inputs, values))
    return Cfg(path, net, tuple(layers))


def parse_cfg(text: str, path: str | os.PathLike[str] = "<cfg>") -> Cfg:
    """A checked :class:`Cfg` from cfg ``text`` (``path`` only names it in errors)."""
    return build_cfg(parse_sections(text, path), path)


def read_cfg(path: str | os.PathLike[str]) -> Cfg:
    """Read and check a Darknet ``.cfg`` file; anything wrong is a :class:`DataFileError` naming the
    file, the line and the key."""
    return parse_cfg(read_text(path, missing="no such Darknet .cfg file"), path)


# --- the .weights file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConvWeights:
    """One convolution's numbers in Keras's layout: ``kernel`` ``(size, size, in, filters)``; either
    ``batch_norm`` = ``(gamma, beta, mean, variance)`` each ``(filters,)``, or ``bias`` ``(filters,)``."""

    kernel: np.ndarray
    bias: np.ndarray | None = None
    batch_norm: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


@dataclass(frozen=True)
class DarknetWeights:
    """A ``.weights`` file: header ``version`` ``(major, minor, revision)``, ``seen`` (images seen in
    training) and one :class:`ConvWeights` per ``[convolutional]`` layer of its cfg, in order."""

    version: tuple[int, int, int]
    seen: int
    layers: tuple[ConvWeights, ...]


def seen_is_int64(version: tuple[int, int, int]) -> bool:
    """Whether a file with this header version stores ``seen`` as int64 (else int32), as Darknet decides."""
    major, minor, _ = version
    return major * 10 + minor >= 2 and major < 1000 and minor < 1000


def header_size(version: tuple[int, int, int]) -> int:
    """Bytes of the header: three int32 and the seen counter (8 or 4 bytes)."""
    return 12 + (8 if seen_is_int64(version) else 4)


def _conv_counts(layer: Layer) -> tuple[int, int]:
    """``(per-filter vectors, kernel numbers)`` of a convolution: 4 or 1 vectors of ``filters``."""
    v = layer.values
    filters, size, channels = int(v["filters"]), int(v["size"]), int(v["in_channels"])
    return (4 if v["batch_normalize"] else 1), filters * channels * size * size


def float_count(cfg: Cfg) -> int:
    """How many float32 numbers a ``.weights`` file for ``cfg`` holds after its header."""
    return sum(vectors * int(layer.values["filters"]) + kernel
               for layer in cfg.convolutions for vectors, kernel in [_conv_counts(layer)])


def _read_header(data: bytes, path: str) -> tuple[tuple[int, int, int], int, int]:
    if len(data) < 16:
        raise DataFileError(path, f"{len(data)} bytes: too short for a Darknet .weights header (16 or 20 bytes)")
    major, minor, revision = (int(n) for n in np.frombuffer(data, "<i4", 3))
    version = (major, minor, revision)
    if not all(0 <= n < 1000 for n in version):
        raise DataFileError(path, f"not a Darknet .weights header: version {major}.{minor}.{revision} (Darknet "
                            "writes 0.1.0 to 0.2.5; versions of 1000 and more mean transposed dense layers, "
                            "which YOLO has none of)")
    start = header_size(version)
    if len(data) < start:
        raise DataFileError(path, f"{len(data)} bytes: too short for a version {major}.{minor} header ({start} bytes)")
    seen = int(np.frombuffer(data, "<i8" if seen_is_int64(version) else "<i4", 1, 12)[0])
    return version, seen, start


def read_weights(path: str | os.PathLike[str], cfg: Cfg) -> DarknetWeights:
    """The numbers of a ``.weights`` file for ``cfg``, checked to fill its convolutions exactly.

    A file that ends inside a layer names that layer (its cfg line); bytes left after the last
    layer are an error too (the file belongs to another cfg).
    """
    from pathlib import Path


    name = str(path)
    require_regular_file(path, missing="no such Darknet .weights file")
    data = Path(path).read_bytes()
    version, seen, offset = _read_header(data, name)
    needed, available = float_count(cfg), (len(data) - offset) // 4
    layers = []
    for layer in cfg.convolutions:
        vectors, kernel = _conv_counts(layer)
        filters, size, channels = (int(layer.values[k]) for k in ("filters", "size", "in_channels"))
        count = vectors * filters + kernel
        if (len(data) - offset) // 4 < count:
            raise DataFileError(name, f"ends inside {layer.section.describe()} (cfg {cfg.path}:{layer.section.line}): "
                                f"it needs {count} numbers, {(len(data) - offset) // 4} are left; the cfg needs "
                                f"{needed} in all, the file has {available}: wrong or truncated file")
        numbers = np.frombuffer(data, FLOAT, count, offset).astype(np.float32)  # a native-order copy
        offset += 4 * count
        head, kernel_numbers = numbers[: vectors * filters].reshape(vectors, filters), numbers[vectors * filters:]
        keras_kernel = kernel_numbers.reshape(filters, channels, size, size).transpose(2, 3, 1, 0).copy()
        if vectors == 4:
            beta, gamma, mean, variance = head
            layers.append(ConvWeights(keras_kernel, batch_norm=(gamma, beta, mean, variance)))
        else:
            layers.append(ConvWeights(keras_kernel, bias=head[0]))
    if offset != len(data):
        raise DataFileError(name, f"{len(data) - offset} bytes left after the last layer "
                            f"({cfg.convolutions[-1].section.describe()}): the cfg needs {4 * needed} bytes after "
                            f"the {header_size(version)}-byte header, the file has {len(data) - header_size(version)};"
                            " it belongs to another cfg")
    return DarknetWeights(version, seen, tuple(layers))


def _check_layer(layer: Layer, weights: ConvWeights, cfg: Cfg) -> None:
    filters, size, channels = (int(layer.values[k]) for k in ("filters", "size", "in_channels"))
    if weights.kernel.shape != (size, size, channels, filters):
        raise cfg.error(layer.section, None,
                        f"kernel {weights.kernel.shape}, the cfg needs {(size, size, channels, filters)}")
    if bool(layer.values["batch_normalize"]) != (weights.batch_norm is not None):
        raise cfg.error(layer.section, "batch_normalize", "the weights " +
                        ("have" if weights.batch_norm is not None else "lack") + " batch normalisation")


def weights_bytes(weights: DarknetWeights, cfg: Cfg) -> bytes:
    """``weights`` in Darknet's ``.weights`` layout for ``cfg`` (each layer checked against it)."""
    if len(weights.layers) != len(cfg.convolutions):
        raise DataFileError(cfg.path, f"{len(cfg.convolutions)} convolutional layers, the weights have "
                            f"{len(weights.layers)}")
    seen_type = "<i8" if seen_is_int64(weights.version) else "<i4"
    parts = [np.array(weights.version, "<i4").tobytes(), np.array([weights.seen], seen_type).tobytes()]
    for layer, conv in zip(cfg.convolutions, weights.layers):
        _check_layer(layer, conv, cfg)
        if conv.batch_norm is not None:
            gamma, beta, mean, variance = conv.batch_norm
            head = [beta, gamma, mean, variance]
        elif conv.bias is not None:
            head = [conv.bias]
        else:
            raise cfg.error(layer.section, None, "a convolution without batch normalisation needs a bias")
        parts += [np.asarray(v, FLOAT).tobytes() for v in head]
        parts.append(np.ascontiguousarray(np.asarray(conv.kernel, FLOAT).transpose(3, 2, 0, 1)).tobytes())
    return b"".join(parts)


def write_weights(path: str | os.PathLike[str], weights: DarknetWeights, cfg: Cfg) -> None:
    """Write ``weights`` as a Darknet ``.weights`` file for ``cfg``, atomically."""
    data = weights_bytes(weights, cfg)
    with atomic_write(path) as handle:
        handle.write(data)
