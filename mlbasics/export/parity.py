"""Does the exported model give the same answers as Keras? Numbers and decoded boxes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlbasics.core import limits
from mlbasics.core.limits import Param
from mlbasics.geometry.boxes import box_iou
from mlbasics.vision.yolo.decode import NMS_IOU, SCORE_THRESHOLD, detect_from_outputs

if TYPE_CHECKING:
    from mlbasics.vision.yolo.spec import YoloSpec

Runner = Callable[[np.ndarray], dict[str, np.ndarray]]
#: Tolerance a float32 export must meet.
FLOAT32_TOLERANCE = 1e-4

#: How many random inputs ``mlbasics export`` runs through Keras and each exported file.
CHECK = Param("check", 8, limits.EXPORT_CHECKS, "random inputs compared against Keras")


def keras_outputs(model: Any, x: np.ndarray) -> dict[str, np.ndarray]:
    """Keras predictions for ``x`` as ``{output name: array}`` whatever the model's output structure."""
    out = model.predict(x, verbose=0)
    if isinstance(out, dict):
        return {k: np.asarray(v) for k, v in out.items()}
    out = out if isinstance(out, (list, tuple)) else [out]
    return {name: np.asarray(v) for name, v in zip(model.output_names, out)}


def align(reference: dict[str, np.ndarray], candidate: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``candidate`` renamed to ``reference``'s names: by name if they agree, else by unique shape."""
    if set(reference) == set(candidate):
        return candidate
    aligned = {}
    for name, value in reference.items():
        same = [k for k, v in candidate.items() if v.shape == value.shape]
        if len(same) != 1:
            shapes = [(k, v.shape) for k, v in candidate.items()]
            raise ValueError(f"cannot match output {name!r} {value.shape} among {shapes}")
        aligned[name] = candidate[same[0]]
    return aligned


Decoder = Callable[[dict[str, np.ndarray]], list[Any]]


def detector_decoder(spec: YoloSpec, score_threshold: float = SCORE_THRESHOLD.default,
                     nms_iou: float = NMS_IOU.default) -> Decoder:
    """Raw YOLO grids ``{name: (batch, g, g, 3 * (5 + C))}`` of the detector ``spec`` describes -> one
    :class:`~mlbasics.vision.yolo.decode.Detections` per image, with the YOLO track's decode and
    per-class NMS. Grids are taken coarsest first by their size, whatever their names."""
    def decode(outputs: dict[str, np.ndarray]) -> list[Any]:
        grids = sorted(outputs.values(), key=lambda grid: grid.shape[1])
        return detect_from_outputs(grids, spec, score_threshold, nms_iou)

    return decode


def same_detections(a: Any, b: Any, iou_threshold: float = 0.9) -> bool:
    """True when two :class:`~mlbasics.vision.yolo.decode.Detections` hold the same boxes: as many,
    and each box of ``a`` pairs with its own box of ``b`` of the same class at IoU >= ``iou_threshold``."""
    if len(a) != len(b):
        return False
    free = np.ones(len(b), dtype=bool)
    for box, cls in zip(a.boxes, a.classes):
        candidates = np.nonzero(free & (b.classes == cls))[0]
        if not candidates.size:
            return False
        ious = box_iou(np.asarray(box, dtype=np.float64), np.asarray(b.boxes[candidates], dtype=np.float64))
        best = int(np.argmax(ious))
        if ious[best] < iou_threshold:
            return False
        free[candidates[best]] = False
    return True


@dataclass(frozen=True)
class Parity:
    """Largest absolute difference per output, and the share of images whose decoded detections
    agree (:func:`same_detections`) — ``None`` when no decoder was given."""

    max_abs_diff: dict[str, float]
    boxes_agree: float | None

    @property
    def worst(self) -> float:
        return max(self.max_abs_diff.values())


def compare(reference: dict[str, np.ndarray], candidate: dict[str, np.ndarray], decode: Decoder | None = None,
            iou_threshold: float = 0.9) -> Parity:
    """Compare two sets of outputs for the same images."""
    candidate = align(reference, candidate)
    diffs = {name: float(np.max(np.abs(reference[name] - candidate[name]))) for name in reference}
    agree = None
    if decode is not None:
        pairs = zip(decode(reference), decode({name: candidate[name] for name in reference}))
        agree = float(np.mean([same_detections(a, b, iou_threshold) for a, b in pairs]))
    return Parity(diffs, agree)


def check_parity(model: Any, runner: Runner, x: np.ndarray, **kwargs: Any) -> Parity:
    """Run Keras and the exported model on the same batch ``x`` and :func:`compare` them."""
    return compare(keras_outputs(model, x), runner(x), **kwargs)
