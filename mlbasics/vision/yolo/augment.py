"""Augmentation for real photos (the YOLOv4/v5 recipe), in NumPy and Pillow, seeded per epoch.

Photos are decoded and letterboxed once at a size larger than the network input (``decode_size``),
so zooming in keeps detail. Every epoch each training image is either

* a **mosaic** (probability ``mosaic``): four photos, each scaled to the input size, placed around a
  random centre on a canvas twice the input size, as YOLOv4/v5's ``load_mosaic`` does; or
* a **single photo**,

then **zoomed** by a random factor in ``[1 - scale, 1 + scale]`` about the centre, **shifted** by up to
``translate`` of the input size, **flipped** left-right with probability ``flip`` (one affine warp)
and **colour-jittered** (brightness, saturation). Boxes move with the pixels; a box cut to less than
``MIN_VISIBLE`` of its area, or to under 2 pixels, is dropped.

Randomness comes from ``numpy.random.default_rng([seed, epoch])``: the same seed gives the same
images in every epoch, also after a resumed run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from mlbasics.core import limits
from mlbasics.core.errors import InputError
from mlbasics.core.quiet import quiet_import
from mlbasics.core.seed import SEED
from mlbasics.vision.yolo.data import MAX_BOXES, MIN_BOX_PIXELS, LoadedSet
from mlbasics.vision.yolo.spec import YoloSpec
from mlbasics.vision.yolo.targets import assign_targets

#: A box must keep at least this fraction of its area inside the picture after a crop.
MIN_VISIBLE = 0.25
#: The grey that fills where no photo is (the letterbox's grey).
FILL = 128


@dataclass(frozen=True)
class PhotoAugmentation:
    """Probabilities and ranges of the photo augmentations (see the module docstring)."""

    mosaic: float = 0.5
    scale: float = 0.5
    translate: float = 0.1
    flip: float = 0.5
    brightness: float = 0.3
    saturation: float = 0.5

    def __post_init__(self) -> None:
        for name in ("mosaic", "flip", "translate", "brightness", "saturation"):
            limits.PROBABILITY.check(name, getattr(self, name))
        limits.ZOOM.check("scale", self.scale)


def _valid(boxes: np.ndarray) -> np.ndarray:
    return boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]


def _warp(source: np.ndarray, boxes: np.ndarray, size: int, zoom: float, centre: tuple[float, float],
          shift: tuple[float, float], flip: bool) -> tuple[np.ndarray, np.ndarray]:
    """Map ``source`` so that ``centre`` lands at the output's centre + ``shift``, scaled by ``zoom``
    (mirrored if ``flip``); output ``(size, size, 3)`` uint8 and the moved, clipped boxes ``(m, 5)``."""
    sign = -1.0 if flip else 1.0
    out_x, out_y = size / 2 + shift[0], size / 2 + shift[1]
    picture, factor = Image.fromarray(source), 1.0
    if zoom < 0.95:  # shrink with Pillow's antialiasing first: an affine warp alone would alias
        side = max(1, round(source.shape[0] * zoom))
        factor = side / source.shape[0]
        picture = picture.resize((side, side), Image.Resampling.BILINEAR)
    rest, cx, cy = zoom / factor, centre[0] * factor, centre[1] * factor
    # Pillow wants the inverse map: source = A @ output
    inverse = (sign / rest, 0.0, cx - sign * out_x / rest, 0.0, 1.0 / rest, cy - out_y / rest)
    image = picture.transform((size, size), Image.Transform.AFFINE, inverse, resample=Image.Resampling.BILINEAR,
                              fillcolor=(FILL,) * 3)
    xs = (boxes[:, [0, 2]] - centre[0]) * zoom * sign + out_x
    ys = (boxes[:, [1, 3]] - centre[1]) * zoom + out_y
    moved = np.stack([xs.min(axis=1), ys.min(axis=1), xs.max(axis=1), ys.max(axis=1)], axis=1)
    clipped = np.clip(moved, 0.0, float(size))
    area = np.prod(moved[:, 2:] - moved[:, :2], axis=1)
    kept_area = np.prod(clipped[:, 2:] - clipped[:, :2], axis=1)
    keep = ((clipped[:, 2] - clipped[:, 0] >= MIN_BOX_PIXELS) & (clipped[:, 3] - clipped[:, 1] >= MIN_BOX_PIXELS)
            & (kept_area >= MIN_VISIBLE * np.maximum(area, 1e-9)))
    return np.asarray(image), np.concatenate([clipped, boxes[:, 4:5]], axis=1)[keep]


def _resized(image: np.ndarray, boxes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A stored square image scaled to ``size`` and its boxes."""
    if image.shape[0] == size:
        return image, boxes
    factor = size / image.shape[0]
    small = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR))
    return small, np.concatenate([boxes[:, :4] * factor, boxes[:, 4:5]], axis=1)


def mosaic_canvas(images: list[np.ndarray], boxes: list[np.ndarray], size: int,
                  centre: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Four square images (scaled to ``size``) around ``centre`` on a ``(2 size, 2 size, 3)`` canvas,
    top-left, top-right, bottom-left, bottom-right; their boxes ``(m, 5)`` clipped to the canvas."""
    canvas = np.full((2 * size, 2 * size, 3), FILL, dtype=np.uint8)
    xc, yc = centre
    placed = []
    for corner, (image, found) in enumerate(zip(images, boxes)):
        tile, found = _resized(image, found, size)
        x0, y0 = (xc - size if corner in (0, 2) else xc), (yc - size if corner in (0, 1) else yc)
        cx0, cy0 = max(x0, 0), max(y0, 0)
        cx1, cy1 = min(x0 + size, 2 * size), min(y0 + size, 2 * size)
        canvas[cy0:cy1, cx0:cx1] = tile[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0]
        placed.append(np.concatenate([found[:, :4] + [x0, y0, x0, y0], found[:, 4:5]], axis=1))
    joined = np.concatenate(placed) if placed else np.zeros((0, 5))
    joined[:, :4] = np.clip(joined[:, :4], 0, 2 * size)
    return canvas, joined


def augment_one(data: LoadedSet, index: int, size: int, settings: PhotoAugmentation,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One augmented training image ``(size, size, 3)`` float32 in ``[0, 1]`` and its boxes
    ``(MAX_BOXES, 5)`` in input pixels (padding rows zero), from image ``index`` of ``data``
    (decoded at ``data.images.shape[1] >= size``)."""
    zoom = rng.uniform(1.0 - settings.scale, 1.0 + settings.scale)
    shift = tuple(rng.uniform(-settings.translate, settings.translate, 2) * size)
    flip = bool(rng.random() < settings.flip)
    if rng.random() < settings.mosaic:
        chosen = [index, *rng.integers(0, len(data.images), 3)]
        centre = tuple(int(v) for v in rng.uniform(0.5 * size, 1.5 * size, 2))
        source, boxes = mosaic_canvas([data.images[i] for i in chosen], [_valid(data.boxes[i]) for i in chosen],
                                      size, (centre[0], centre[1]))
        middle = float(size)
    else:
        source, boxes = data.images[index], _valid(data.boxes[index])
        middle = source.shape[0] / 2
        zoom *= size / source.shape[0]
    image, boxes = _warp(source, boxes, size, zoom, (middle, middle), (shift[0], shift[1]), flip)
    pixels = image.astype(np.float32) / 255.0
    grey = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    pixels = grey[..., None] + (pixels - grey[..., None]) * rng.uniform(1 - settings.saturation,
                                                                          1 + settings.saturation)
    pixels = pixels * rng.uniform(1 - settings.brightness, 1 + settings.brightness)
    padded = np.zeros((MAX_BOXES, 5), dtype=np.float32)
    padded[: min(len(boxes), MAX_BOXES)] = boxes[:MAX_BOXES]
    return np.clip(pixels, 0.0, 1.0), padded


class PhotoBatches:
    """Batches ``(images, (*targets, boxes))`` of augmented photos, one epoch per iteration.

    ``epoch`` chooses the random stream (set by :meth:`callback` at the start of each epoch, so a
    resumed run sees the same images as an uninterrupted one).
    """

    def __init__(self, data: LoadedSet, spec: YoloSpec, batch_size: int, settings: PhotoAugmentation,
                 seed: int = SEED.default, anchor_threshold: float = 0.0) -> None:
        if data.images.shape[1] < spec.input_size:
            raise InputError(f"data: images are {data.images.shape[1]} pixels, smaller than the input size "
                             f"{spec.input_size}: decode them at least that large")
        self.data, self.spec, self.batch_size, self.settings, self.seed = data, spec, batch_size, settings, seed
        self.anchor_threshold = anchor_threshold
        self.epoch = 0

    def __len__(self) -> int:
        return max(len(self.data.images) // self.batch_size, 1)

    def batches(self) -> Iterator[tuple[np.ndarray, tuple[np.ndarray, ...]]]:
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(len(self.data.images))
        size = self.spec.input_size
        for step in range(len(self)):
            chosen = order[step * self.batch_size:(step + 1) * self.batch_size]
            if len(chosen) < self.batch_size:  # fewer images than one batch: repeat some
                chosen = np.resize(order, self.batch_size)
            pairs = [augment_one(self.data, int(i), size, self.settings, rng) for i in chosen]
            images = np.stack([p[0] for p in pairs])
            boxes = np.stack([p[1] for p in pairs])
            yield images, (*assign_targets(boxes, self.spec, self.anchor_threshold), boxes)

    def dataset(self) -> Any:
        """A ``tf.data.Dataset`` over :meth:`batches` that prefetches while the model trains."""
        with quiet_import():
            import tensorflow as tf

        size, spec = self.spec.input_size, self.spec
        signature = (tf.TensorSpec((None, size, size, 3), tf.float32),
                     (*(tf.TensorSpec((None, g, g, len(m), 5 + spec.num_classes), tf.float32)
                        for g, m in zip(spec.grids, spec.masks)),
                      tf.TensorSpec((None, MAX_BOXES, 5), tf.float32)))
        dataset = tf.data.Dataset.from_generator(self.batches, output_signature=signature)
        return dataset.apply(tf.data.experimental.assert_cardinality(len(self))).prefetch(2)

    def callback(self) -> Any:
        """A Keras callback that sets :attr:`epoch` when each epoch begins."""
        with quiet_import():
            import keras

        owner = self

        class _Epoch(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
                owner.epoch = epoch

        return _Epoch()
