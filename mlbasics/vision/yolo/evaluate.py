"""Measuring a detector on a letterboxed set: detections for every image, then AP per class and mAP.

Boxes stay in the letterboxed input frame on both sides; IoU does not change under the
letterbox's uniform scale and shift, so the result equals measuring in original pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mlbasics.vision.yolo.data import LoadedSet
from mlbasics.vision.yolo.decode import NMS_IOU, SCORE_THRESHOLD, Detections, detect_from_outputs
from mlbasics.vision.yolo.metrics import MapResult, evaluate_detections, match_counts
from mlbasics.vision.yolo.spec import YoloSpec

#: mAP is measured over the whole ranking, so detections are kept down to a low score.
EVAL_SCORE_THRESHOLD = 0.01


@dataclass(frozen=True)
class Evaluation:
    """The mAP result plus the raw outputs it came from (so thresholds can be re-applied cheaply);
    ``flipped_outputs`` are the mirrored images' outputs when the test-time flip was used."""

    result: MapResult
    detections: list[Detections]
    truths: list[np.ndarray]
    outputs: list[np.ndarray]
    flipped_outputs: list[np.ndarray] | None = None

    def detect(self, spec: YoloSpec, score_threshold: float, nms_iou: float) -> list[Detections]:
        """The detections at other thresholds, from the stored outputs (no network run)."""
        return detect_from_outputs(self.outputs, spec, score_threshold, nms_iou, flipped_outputs=self.flipped_outputs)

    def without_flip(self, spec: YoloSpec, score_threshold: float = EVAL_SCORE_THRESHOLD,
                     nms_iou: float = NMS_IOU.default) -> MapResult:
        """AP and mAP of the unflipped outputs alone, re-decoded (no network run): measuring with and
        without the test-time flip takes one pass over the images each way, not two."""
        detections = detect_from_outputs(self.outputs, spec, score_threshold, nms_iou)
        return evaluate_detections(detections, self.truths, spec.num_classes)


def truths_of(data: LoadedSet) -> list[np.ndarray]:
    """Ground-truth boxes ``(m, 5)`` of each image, padding removed."""
    return [boxes[boxes[:, 2] > boxes[:, 0]] for boxes in data.boxes]


def raw_outputs(model: Any, images: np.ndarray, batch_size: int = 32) -> list[np.ndarray]:
    """``model``'s raw outputs for letterboxed ``uint8`` images ``(n, S, S, 3)``, coarsest scale first.

    Direct calls on ``batch_size`` images at a time, not ``model.predict``: ``predict`` builds a
    ``tf.function`` that is traced again for every new batch shape (one photo, a last partial batch) and
    for a model that is training, so repeated calls (mAP every few epochs, ``detect`` photo by photo) made
    TensorFlow warn about retracing and cost a trace each."""
    parts: list[list[np.ndarray]] = []
    for start in range(0, len(images), batch_size):
        batch = images[start:start + batch_size].astype(np.float32) / 255.0
        outputs = model(batch, training=False)
        parts.append([np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])])
    if not parts:
        return [np.zeros((0, *o.shape[1:]), np.float32) for o in model.outputs]
    return [np.concatenate(scale) for scale in zip(*parts)]


def evaluate_model(model: Any, data: LoadedSet, spec: YoloSpec, score_threshold: float = EVAL_SCORE_THRESHOLD,
                   nms_iou: float = NMS_IOU.default, flip: bool = False) -> Evaluation:
    """Run ``model`` (raw outputs, as ``spec`` describes) over ``data`` (letterboxed to
    ``spec.input_size``) and measure AP per class and mAP@0.5 (all-point). ``flip``: also run it on
    the images mirrored left to right and join both detections before NMS (test-time flip; twice the work)."""
    outputs = raw_outputs(model, data.images)
    flipped = raw_outputs(model, data.images[:, :, ::-1]) if flip else None
    detections = detect_from_outputs(outputs, spec, score_threshold, nms_iou, flipped_outputs=flipped)
    truths = truths_of(data)
    return Evaluation(evaluate_detections(detections, truths, spec.num_classes), detections, truths, outputs, flipped)


def failure_cases(evaluation: Evaluation, score_threshold: float = SCORE_THRESHOLD.default,
                  count: int = 8) -> list[tuple[int, int, int]]:
    """The images the detector gets most wrong at ``score_threshold``: ``(index, false alarms, misses)``,
    worst first, only images with at least one error."""
    errors = []
    for index, (found, truth) in enumerate(zip(evaluation.detections, evaluation.truths)):
        kept = found.scores >= score_threshold
        counts = match_counts([Detections(found.boxes[kept], found.scores[kept], found.classes[kept])], [truth])
        if counts.false_positives or counts.missed:
            errors.append((index, counts.false_positives, counts.missed))
    return sorted(errors, key=lambda e: (-(e[1] + e[2]), e[0]))[:count]
