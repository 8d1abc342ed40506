"""Does the exported model give the same answers as Keras? Numbers and decoded boxes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Runner = Callable[[np.ndarray], dict[str, np.ndarray]]
#: Tolerance a float32 export must meet.
FLOAT32_TOLERANCE = 1e-4


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
            raise ValueError(f"cannot match output {name!r} {value.shape} among {[(k, v.shape) for k, v in candidate.items()]}")
        aligned[name] = candidate[same[0]]
    return aligned


@dataclass(frozen=True)
class Parity:
    """Largest absolute difference per output, and the share of images whose decoded
    detection agrees (same class, IoU >= 0.9) — ``None`` when no decoder was given."""

    max_abs_diff: dict[str, float]
    boxes_agree: float | None

    @property
    def worst(self) -> float:
        return max(self.max_abs_diff.values())


def compare(reference: dict[str, np.ndarray], candidate: dict[str, np.ndarray],
            decode: Callable[[dict[str, np.ndarray]], list[Any]] | None = None, iou_threshold: float = 0.9) -> Parity:
    """Compare two sets of outputs for the same images."""
    from mlbasics.cloud.model import iou

    candidate = align(reference, candidate)
    diffs = {name: float(np.max(np.abs(reference[name] - candidate[name]))) for name in reference}
    agree = None
    if decode is not None:
        pairs = zip(decode(reference), decode(candidate))
        matches = [a.class_id == b.class_id and iou(a.box, b.box) >= iou_threshold for a, b in pairs]
        agree = float(np.mean(matches))
    return Parity(diffs, agree)


def check_parity(model: Any, runner: Runner, x: np.ndarray, **kwargs: Any) -> Parity:
    """Run Keras and the exported model on the same batch ``x`` and :func:`compare` them."""
    return compare(keras_outputs(model, x), runner(x), **kwargs)
