"""The input pipeline: annotation samples -> letterboxed images in memory -> tf.data with augmentation.

Images are decoded and letterboxed once (:func:`load_samples`; a sample whose image cannot
be read is reported and skipped). Each epoch, :func:`make_dataset` shuffles, augments with
transforms that move the boxes along (horizontal flip, scale and translation jitter, colour
jitter), batches, assigns targets and prefetches the next batch while the model trains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlbasics.core.batch import each_usable, require_usable
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.quiet import quiet_import
from mlbasics.core.seed import SEED
from mlbasics.data.annotation_lines import Sample
from mlbasics.vision.yolo.spec import YoloSpec
from mlbasics.vision.yolo.targets import assign_targets

#: At most this many boxes per image are kept (the rest of a crowded image is cut).
MAX_BOXES = 20
#: After augmentation a box must keep this many pixels of width and height, else it is dropped.
MIN_BOX_PIXELS = 2.0


@dataclass
class LoadedSet:
    """Letterboxed images ``(n, S, S, 3)`` uint8, boxes ``(n, MAX_BOXES, 5)`` in input pixels
    (padding rows zero), and the images skipped, each error naming the image and the reason."""

    images: np.ndarray
    boxes: np.ndarray
    skipped: list[DataFileError] = field(default_factory=list)


def load_samples(samples: Sequence[Sample], input_size: int) -> LoadedSet:
    """Decode and letterbox every sample's image to ``input_size``; map its boxes into the square.

    An image that cannot be decoded (truncated, too large, ...) is skipped and named in
    ``LoadedSet.skipped``; when none can, a :class:`DataFileError` names the first.
    """
    from mlbasics.geometry.letterbox import letterbox
    from mlbasics.io.images import load_image

    images, boxes = [], []
    skipped: list[DataFileError] = []
    for sample, image in each_usable(samples, lambda sample: load_image(sample.image), skipped):
        square, placement = letterbox(image, input_size)
        padded = np.zeros((MAX_BOXES, 5), dtype=np.float32)
        kept = sample.boxes[:MAX_BOXES]
        padded[: len(kept), :4] = placement.boxes_to_input(kept[:, :4])
        padded[: len(kept), 4] = kept[:, 4]
        images.append(square)
        boxes.append(padded)
    require_usable(len(images), skipped, where="<no samples>", what="image")
    return LoadedSet(np.stack(images), np.stack(boxes), skipped)


def _augment(image: Any, boxes: Any, input_size: int, jitter: float) -> tuple[Any, Any]:
    """Flip, scale/translate and colour-jitter one image ``(S, S, 3)`` float32 and its boxes ``(MAX_BOXES, 5)``."""
    with quiet_import():
        import tensorflow as tf

    size = float(input_size)
    valid = boxes[:, 2] > boxes[:, 0]
    flip = tf.random.uniform(()) < 0.5
    image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
    flipped_x = tf.stack([size - boxes[:, 2], boxes[:, 1], size - boxes[:, 0], boxes[:, 3]], axis=1)
    corners = tf.where(flip, flipped_x, boxes[:, :4])

    scale = tf.random.uniform((), 1.0 - jitter, 1.0 + jitter)
    new = tf.cast(tf.round(size * scale), tf.int32)
    resized = tf.image.resize(image, (new, new))
    big = tf.maximum(new, input_size)
    pad_y, pad_x = (tf.random.uniform((), 0, big - new + 1, dtype=tf.int32) for _ in range(2))
    canvas = tf.image.pad_to_bounding_box(resized - 0.5, pad_y, pad_x, big, big) + 0.5
    crop_y, crop_x = (tf.random.uniform((), 0, big - input_size + 1, dtype=tf.int32) for _ in range(2))
    image = tf.image.crop_to_bounding_box(canvas, crop_y, crop_x, input_size, input_size)
    shift = tf.cast(tf.stack([pad_x - crop_x, pad_y - crop_y] * 2), tf.float32)
    corners = tf.clip_by_value(corners * scale + shift, 0.0, size)

    keep = valid & (corners[:, 2] - corners[:, 0] >= MIN_BOX_PIXELS) & (corners[:, 3] - corners[:, 1] >= MIN_BOX_PIXELS)
    boxes = tf.where(keep[:, None], tf.concat([corners, boxes[:, 4:5]], axis=1), tf.zeros_like(boxes))

    image = tf.image.random_hue(image, 0.05)
    image = tf.image.random_saturation(image, 0.7, 1.3)
    image = tf.image.random_brightness(image, 0.15)
    return tf.clip_by_value(image, 0.0, 1.0), boxes


def make_dataset(
    data: LoadedSet,
    spec: YoloSpec,
    batch_size: int,
    *,
    augment: bool = True,
    shuffle: bool = True,
    jitter: float = 0.3,
    seed: int = SEED.default,
) -> Any:
    """A ``tf.data.Dataset`` of ``(images, (target_0, ..., target_k, boxes))`` batches.

    ``images``: ``(batch, S, S, 3)`` float32 in ``[0, 1]`` with ``S = spec.input_size``; targets:
    ``(batch, g, g, 3, 5 + C)`` per scale, coarsest first; ``boxes``: ``(batch, MAX_BOXES, 5)``
    corner boxes in input pixels.
    """
    with quiet_import():
        import tensorflow as tf

    if data.images.shape[1:3] != (spec.input_size, spec.input_size):
        raise InputError(f"data: images are {data.images.shape[2]}x{data.images.shape[1]}, the spec's input_size "
                         f"is {spec.input_size}: load the samples at that size")
    dataset = tf.data.Dataset.from_tensor_slices((data.images, data.boxes))
    if shuffle:
        dataset = dataset.shuffle(len(data.images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(lambda image, boxes: (tf.cast(image, tf.float32) / 255.0, boxes),
                          num_parallel_calls=tf.data.AUTOTUNE)
    if augment:
        dataset = dataset.map(lambda image, boxes: _augment(image, boxes, spec.input_size, jitter),
                              num_parallel_calls=tf.data.AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=shuffle)

    def with_targets(images: Any, boxes: Any) -> tuple[Any, tuple[Any, ...]]:
        targets = tf.numpy_function(lambda b: assign_targets(b, spec), [boxes], [tf.float32] * len(spec.masks))
        for target, grid, mask in zip(targets, spec.grids, spec.masks):
            target.set_shape((None, grid, grid, len(mask), 5 + spec.num_classes))
        return images, (*targets, boxes)

    return dataset.map(with_targets, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
