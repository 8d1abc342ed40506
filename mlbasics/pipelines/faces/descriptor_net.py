"""dlib's face-descriptor ResNet, read from its real model file and run with NumPy.

dlib's ``face_recognition_model_v1`` turns an aligned 150 × 150 face chip into a 128-D descriptor.
The ``dlib-bin`` wheel is built without BLAS, so its network runs about 0.1 s a face here; the same
network as NumPy matrix products (OpenBLAS) takes about 0.01 s a face and gives the same descriptors
to within 1e-6 (``tests/pipelines/test_descriptor_net.py`` compares the two on real faces).

The file (``dlib_face_recognition_resnet_model_v1.dat`` from ``face_recognition_models``) is dlib's
serialisation of the network of dlib's ``dnn_face_recognition_ex.cpp``, input side first::

    input_rgb_image_sized<150>      (pixel - channel mean) / 256, means stored in the file
    con 7×7/2 + affine + relu       32 filters, no padding            -> 72 × 72
    max_pool 3×3/2                                                    -> 35 × 35
    residual blocks                 con 3×3 + affine + relu + con 3×3 + affine, added to the block's
                                    input, relu; a block whose first con has stride 2 (no padding)
                                    adds its input average-pooled 2×2/2 instead
    avg_pool_everything, fc 256 -> 128 without bias

Only the layers with parameters are read (``con_4``, ``affine_``, ``fc_2`` records, in file order); the
rest of the structure is the fixed one above, and every shape is checked against it. Two tensors of
different sizes are added as dlib adds them: the larger shape, zeros where one has no element.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mlbasics.core.errors import DataFileError, InputError

CHIP_SIZE = 150
#: Chips run through the network together: the first layer's im2col holds about 3 MB per chip.
CHIPS_AT_ONCE = 32
_RECORD = re.compile(rb"\x01\x05con_4|\x01\x07affine_|\x01\x04fc_2|\x01\x15input_rgb_image_sized")


class _Reader:
    """dlib's serialisation primitives over ``data`` from ``position``."""

    def __init__(self, data: bytes, position: int) -> None:
        self.data, self.position = data, position

    def integer(self) -> int:
        """dlib's integers: one byte (low 4 bits: byte count, bit 7: negative), then little-endian bytes."""
        head = self.data[self.position]
        count = head & 0x0F
        start = self.position + 1
        value = int.from_bytes(self.data[start:start + count], "little")
        self.position = start + count
        return -value if head & 0x80 else value

    def real(self) -> float:
        """dlib's portable floats: an integer mantissa and an integer power of two."""
        mantissa = self.integer()
        return float(mantissa) * 2.0 ** self.integer()

    def text(self) -> str:
        length = self.integer()
        start = self.position
        self.position += length
        return self.data[start:self.position].decode("ascii")

    def tensor(self) -> np.ndarray:
        """A tensor record (version 2): four sizes, then little-endian float32 values, ``(n, k, rows, cols)``."""
        version = self.integer()
        if version != 2:
            raise ValueError(f"tensor version {version}, expected 2")
        shape = tuple(self.integer() for _ in range(4))
        count = int(np.prod(shape))
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.position)
        self.position += 4 * count
        return values.reshape(shape)


@dataclass(frozen=True)
class _Conv:
    """A convolution with its affine layer folded in: ``weights (size*size*in, out)``, ``bias (out,)``."""

    weights: np.ndarray
    bias: np.ndarray
    size: int
    stride: int
    padding: int


@dataclass(frozen=True)
class DescriptorNet:
    """The network's parameters: channel ``means (3,)``, ``stem``, residual ``blocks`` (pairs of
    convolutions) and ``projection (256, 128)``; :meth:`descriptors` runs it."""

    means: np.ndarray
    stem: _Conv
    blocks: tuple[tuple[_Conv, _Conv], ...]
    projection: np.ndarray

    def descriptors(self, chips: np.ndarray) -> np.ndarray:
        """Descriptors of aligned face chips.

        Args:
            chips: ``(n, 150, 150, 3)`` uint8 RGB, as ``dlib.get_face_chips(image, shapes, 150, 0.25)`` makes.

        Returns:
            ``(n, 128)`` float64.
        """
        chips = np.asarray(chips)
        if chips.ndim != 4 or chips.shape[1:] != (CHIP_SIZE, CHIP_SIZE, 3) or chips.dtype != np.uint8:
            raise InputError(f"chips must be (n, {CHIP_SIZE}, {CHIP_SIZE}, 3) uint8, got {chips.shape} {chips.dtype}")
        parts = [self._run(chips[i:i + CHIPS_AT_ONCE]) for i in range(0, len(chips), CHIPS_AT_ONCE)]
        return np.concatenate(parts) if parts else np.zeros((0, self.projection.shape[1]))

    def _run(self, chips: np.ndarray) -> np.ndarray:
        x = (chips.astype(np.float32) - self.means) / np.float32(256)
        x = np.maximum(_convolve(x, self.stem), 0)
        x = sliding_window_view(x, (3, 3), axis=(1, 2))[:, ::2, ::2].max(axis=(-2, -1))
        for first, second in self.blocks:
            branch = _convolve(np.maximum(_convolve(x, first), 0), second)
            shortcut = _average_pool_2x2(x) if first.stride == 2 else x
            x = np.maximum(_add_padded(branch, shortcut), 0)
        return (x.mean(axis=(1, 2)) @ self.projection).astype(np.float64)


def _convolve(x: np.ndarray, conv: _Conv) -> np.ndarray:
    """``x (n, h, w, in)`` -> ``(n, h', w', out)``: cross-correlation as im2col and one matrix product."""
    if conv.padding:
        p = conv.padding
        x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    windows = sliding_window_view(x, (conv.size, conv.size), axis=(1, 2))[:, ::conv.stride, ::conv.stride]
    n, rows, cols = windows.shape[:3]
    columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * rows * cols, -1)
    return (columns @ conv.weights + conv.bias).reshape(n, rows, cols, -1)


def _average_pool_2x2(x: np.ndarray) -> np.ndarray:
    """2 × 2 average pooling, stride 2, no padding: ``(n, h, w, c)`` -> ``(n, (h-2)//2+1, (w-2)//2+1, c)``."""
    n, height, width, channels = x.shape
    rows, cols = (height - 2) // 2 + 1, (width - 2) // 2 + 1
    return x[:, :2 * rows, :2 * cols].reshape(n, rows, 2, cols, 2, channels).mean(axis=(2, 4))


def _add_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b`` as dlib's ``add_prev`` does it: the larger of each size, zeros where one has no element."""
    if a.shape == b.shape:
        return a + b
    out = np.zeros(tuple(max(i, j) for i, j in zip(a.shape, b.shape)), dtype=np.float32)
    out[tuple(slice(0, s) for s in a.shape)] += a
    out[tuple(slice(0, s) for s in b.shape)] += b
    return out


def read_descriptor_net(path: str | os.PathLike[str], data: bytes | None = None) -> DescriptorNet:
    """Read dlib's face ResNet from ``path`` (or from ``data``, its bytes already read; see the module
    docstring for the structure it must have).

    Raises ``DataFileError`` naming the file and the record when it is not that network.
    """
    data = Path(path).read_bytes() if data is None else data
    try:
        return _build(data)
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"not dlib's face descriptor network: {exc}") from None


def _build(data: bytes) -> DescriptorNet:
    means: np.ndarray | None = None
    convs: list[_Conv] = []
    projection: np.ndarray | None = None
    channels = 3
    pending: tuple[np.ndarray, int, int, int, int] | None = None  # a con_ waiting for its affine_
    for match in _RECORD.finditer(data):
        reader = _Reader(data, match.start())
        kind = reader.text()
        if kind == "input_rgb_image_sized":
            means = np.array([reader.real() for _ in range(3)], dtype=np.float32)
            size = (reader.integer(), reader.integer())
            if size != (CHIP_SIZE, CHIP_SIZE):
                raise ValueError(f"input size {size}, expected {CHIP_SIZE} × {CHIP_SIZE}")
        elif kind == "con_4":
            if pending is not None:
                raise ValueError(f"con_ record {len(convs) + 1} has no affine_ after it")
            params = reader.tensor().ravel()
            filters, rows, cols, stride_y, stride_x, pad_y, pad_x = (reader.integer() for _ in range(7))
            if rows != cols or stride_y != stride_x or pad_y != pad_x:
                raise ValueError(f"con_ record {len(convs) + 1} is not square ({rows}×{cols}, stride {stride_y},"
                                 f"{stride_x}, padding {pad_y},{pad_x})")
            if params.size != filters * channels * rows * rows + filters:
                raise ValueError(f"con_ record {len(convs) + 1} has {params.size} values, expected "
                                 f"{filters * channels * rows * rows + filters} for {channels} input channels")
            pending = (params, filters, rows, stride_y, pad_y)
        elif kind == "affine_":
            if pending is None:
                raise ValueError("an affine_ record without a con_ before it")
            convs.append(_folded(pending, channels, reader.tensor().ravel()))
            channels, pending = pending[1], None
        else:  # fc_2
            outputs, inputs = reader.integer(), reader.integer()
            if inputs != channels:
                raise ValueError(f"fc_ has {inputs} inputs, the last con_ has {channels} filters")
            projection = np.ascontiguousarray(reader.tensor().reshape(inputs, outputs))
    if means is None or projection is None or pending is not None or len(convs) % 2 != 1:
        raise ValueError(f"expected an input layer, a stem con_, pairs of con_ and an fc_; found "
                         f"{len(convs)} con_/affine_ pairs, input {'found' if means is not None else 'missing'}, "
                         f"fc_ {'found' if projection is not None else 'missing'}")
    blocks = tuple((convs[i], convs[i + 1]) for i in range(1, len(convs), 2))
    return DescriptorNet(means, convs[0], blocks, projection)


def _folded(con: tuple[np.ndarray, int, int, int, int], channels: int, affine: np.ndarray) -> _Conv:
    """A con_ with the affine_ after it folded in: ``w * gamma``, ``b * gamma + beta`` per filter."""
    params, filters, size, stride, padding = con
    if affine.size != 2 * filters:
        raise ValueError(f"affine_ has {affine.size} values, expected {2 * filters}")
    gamma, beta = affine[:filters], affine[filters:]
    count = filters * channels * size * size
    weights = params[:count].reshape(filters, channels, size, size).transpose(2, 3, 1, 0) * gamma
    bias = params[count:] * gamma + beta
    return _Conv(np.ascontiguousarray(weights.reshape(-1, filters), dtype=np.float32),
                 bias.astype(np.float32), size, stride, padding)
