"""The training job: ``python -m mlbasics.cloud.trainer --annotation-file ... --job-dir ...``.

The same command runs on a laptop, under ``mlbasics cloud run-local`` and as the module
of a Vertex AI custom job. Every file goes through :mod:`mlbasics.cloud.storage`, so each
path may be local or ``gs://``. Its arguments are those of the detector trainer
(``--annotation-file``, ``--classes-file``, ``--weights-stage``, ``--weights-final``,
``--job-dir``), so that trainer can replace this one in a job spec unchanged.

Outputs: ``--weights-stage`` after stage 1 (warm-up at a higher learning rate),
``--weights-final`` after stage 2 (lower learning rate), the whole model as
``model.keras`` in ``$AIP_MODEL_DIR`` (else ``<job-dir>/model``) and ``training_log.csv``
in ``$AIP_TENSORBOARD_LOG_DIR`` (else ``<job-dir>/logs``), updated after every epoch.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.cloud.annotations import Annotation, read_annotations, read_classes
from mlbasics.cloud.storage import PathLike, gs_atomic_write, gs_copy_file, gs_makedirs, gs_read_many, is_gcs, join
from mlbasics.errors import DataFileError, InputError

LOG_NAME = "training_log.csv"
MODEL_NAME = "model.keras"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mlbasics.cloud.trainer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotation-file", required=True, help="annotation lines (local path or gs://)")
    parser.add_argument("--classes-file", required=True, help="class names, one per line")
    parser.add_argument("--job-dir", default=None, help="output folder; default: the parent of $AIP_MODEL_DIR")
    parser.add_argument("--weights-stage", default="stage1.weights.h5", help="stage-1 weights (relative to job dir)")
    parser.add_argument("--weights-final", default="final.weights.h5", help="final weights (relative to job dir)")
    parser.add_argument("--image-size", type=int, default=64, help="model input side in pixels")
    parser.add_argument("--epochs-stage", type=int, default=4, help="epochs of stage 1")
    parser.add_argument("--epochs-final", type=int, default=4, help="epochs of stage 2")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--val-split", type=float, default=0.1, help="fraction of images held out for validation")
    parser.add_argument("--seed", type=int, default=42)
    return parser


def output_paths(args: argparse.Namespace, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Where each output goes, from the arguments and the AIP_* variables a managed job sets."""
    env = os.environ if environ is None else environ
    job_dir = args.job_dir
    if job_dir is None:
        model_dir = env.get("AIP_MODEL_DIR")
        if not model_dir:
            raise InputError("--job-dir is required when AIP_MODEL_DIR is not set (outside a managed job)")
        job_dir = model_dir.rstrip("/").rsplit("/", 1)[0]

    def under_job(name: str) -> str:
        return name if (is_gcs(name) or Path(name).is_absolute()) else join(job_dir, name)

    return {
        "job_dir": job_dir,
        "weights_stage": under_job(args.weights_stage),
        "weights_final": under_job(args.weights_final),
        "model": join(env.get("AIP_MODEL_DIR") or join(job_dir, "model"), MODEL_NAME),
        "log": join(env.get("AIP_TENSORBOARD_LOG_DIR") or join(job_dir, "logs"), LOG_NAME),
    }


def load_examples(annotations: list[Annotation], image_size: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images ``(n, size, size, 3)`` float32 in [0, 1], their first box ``(n, 5)`` in model-input
    pixels, and the messages for images that were skipped (unreadable or without a box)."""
    from mlbasics.basics.tensors import letterbox
    from mlbasics.io.images import load_image_bytes

    data = gs_read_many([a.image for a in annotations])
    images, boxes, skipped = [], [], []
    for annotation in annotations:
        raw = data[annotation.image]
        if len(annotation.boxes) == 0:
            skipped.append(f"{annotation.image}: no box")
            continue
        try:
            if isinstance(raw, DataFileError):
                raise raw
            image = load_image_bytes(raw, name=annotation.image)
        except DataFileError as exc:
            skipped.append(str(exc))
            continue
        square, placement = letterbox(image, image_size)
        box = annotation.boxes[:1].copy()
        box[:, :4] = placement.boxes_to_input(box[:, :4])
        images.append(square.astype(np.float32) / 255.0)
        boxes.append(box)
    if not images:
        raise DataFileError(annotations[0].image, f"no usable image among {len(annotations)}: {skipped[:3]}")
    return np.stack(images), np.concatenate(boxes).astype(np.float32), skipped


def _save_keras_file(save: Any, suffix: str, destination: str) -> None:
    """Call ``save(local_path)`` into a temporary file, then copy it (atomically) to ``destination``."""
    with tempfile.TemporaryDirectory(prefix="mlbasics-save-") as tmp:
        local = Path(tmp, "out" + suffix)
        save(str(local))
        gs_copy_file(local, destination)


class _CsvLog:
    """A Keras callback that rewrites the whole CSV log (local or gs://) after every epoch."""

    def __new__(cls, path: str, stage: int, rows: list[dict[str, float]]) -> Any:
        import keras

        class Callback(keras.callbacks.Callback):
            def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
                row = {"stage": stage, "epoch": len(rows) + 1, **{k: float(v) for k, v in (logs or {}).items()}}
                rows.append(row)
                print("epoch " + " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                          for k, v in row.items() if k != "learning_rate"), flush=True)
                buffer = io.StringIO()
                writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), extrasaction="ignore")
                writer.writeheader()
                writer.writerows(rows)
                with gs_atomic_write(path, "w") as handle:
                    handle.write(buffer.getvalue())

        return Callback()


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Run both stages and write every output; returns the paths written and the last losses."""
    import keras

    from mlbasics.cloud.model import boxes_to_targets, build_detector
    from mlbasics.seed import seed_everything

    paths = output_paths(args)
    gs_makedirs(paths["job_dir"])
    classes = read_classes(args.classes_file)
    annotations = read_annotations(args.annotation_file, len(classes))
    images, boxes, skipped = load_examples(annotations, args.image_size)
    for message in skipped:
        print(f"skipped {message}", file=sys.stderr, flush=True)
    seed_everything(args.seed)
    targets = boxes_to_targets(boxes, args.image_size)
    model = build_detector(args.image_size, len(classes))
    rows: list[dict[str, float]] = []
    for stage, (epochs, rate, weights) in enumerate(
        [(args.epochs_stage, 3e-3, paths["weights_stage"]), (args.epochs_final, 1e-3, paths["weights_final"])], 1
    ):
        model.compile(optimizer=keras.optimizers.Adam(rate),
                      loss={"box": "mse", "class": "sparse_categorical_crossentropy"},
                      loss_weights={"box": 10.0, "class": 1.0})
        model.fit(images, targets, batch_size=args.batch_size, epochs=epochs, validation_split=args.val_split,
                  verbose=0, shuffle=True, callbacks=[_CsvLog(paths["log"], stage, rows)])
        _save_keras_file(model.save_weights, ".weights.h5", weights)
        print(f"stage {stage} weights -> {weights}", flush=True)
    _save_keras_file(model.save, ".keras", paths["model"])
    print(f"model -> {paths['model']}", flush=True)
    return {"paths": paths, "images": len(images), "skipped": len(skipped), "last": rows[-1]}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        summary = train(args)
    except (DataFileError, InputError) as exc:
        print(f"trainer: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps({"done": summary["paths"], "images": summary["images"], "skipped": summary["skipped"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
