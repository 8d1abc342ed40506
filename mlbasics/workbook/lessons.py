"""The YOLO lessons' shared set-up: one place for the sizes they agree on, and the functions that
re-create what an earlier lesson saved.

Lesson 05 trains the backbone, lesson 06 writes the data and anchors, lesson 07 trains the
detector, lesson 08 evaluates it, and lesson 09 embeds images with lesson 05's backbone. At the end, two
small readers for lesson 10's face-finder runs.
Everything lands in ``<cache>/yolo`` (``MLBASICS_CACHE``). A reader who opens lesson 08 first
gets the same files: each function below makes what is missing by calling the same library
code the lesson calls, and returns at once when it exists.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlbasics.core import limits
from mlbasics.core.limits import Param
from mlbasics.data import cache_dir
from mlbasics.data.annotation_lines import read_annotation_lines, voc_to_lines, write_lines
from mlbasics.data.cache import sha256_of
from mlbasics.data.synthetic import SHAPE_CLASSES, SceneStyle, VocDataset
from mlbasics.vision.cnn import embedding_model, load_classifier, save_keras, train_backbone_classifier
from mlbasics.vision.yolo.anchors import box_sizes, kmeans_anchors, write_anchors
from mlbasics.vision.yolo.spec import YoloSpec
from mlbasics.vision.yolo.train import TrainConfig, train

if TYPE_CHECKING:
    from mlbasics.vision.yolo.spec import YoloSpec
    from mlbasics.vision.yolo.train import TrainConfig

#: The detector's input: 160x160 gives 5x5 and 10x10 grids, sized for a 2-core CPU.
INPUT_SIZE = 160
#: Fraction of the published tiny-YOLOv3 filter counts (16 ... 1024).
WIDTH = 0.25
#: Lesson 05 trains the backbone on crops of this size.
CROP_SIZE = 64
#: Images per split; ``test`` is held out for the final mAP.
SPLITS = {"train": 2000, "val": 200, "test": 240}
#: ``mlbasics yolo make-data``'s options: the lessons' set unless told otherwise.
SPLIT_SIZES = {split: Param(split, count, limits.IMAGES_TO_WRITE, f"{split} images (0: no {split} split)")
               for split, count in SPLITS.items()}
IMAGE_SIZE = Param("image_size", INPUT_SIZE, limits.IMAGE_SIDE, "image side in pixels")
STYLE = SceneStyle(INPUT_SIZE, INPUT_SIZE)


def root() -> Path:
    """``<cache>/yolo``, created if missing."""
    folder = cache_dir() / "yolo"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def dataset() -> VocDataset:
    """The synthetic shapes set in VOC layout (written on first use, about 20 s)."""
    from mlbasics.data.synthetic import write_voc_dataset

    return write_voc_dataset(root() / "shapes_voc", SPLITS, STYLE, seed=0)


def annotation_file(split: str) -> Path:
    """Annotation lines of ``split`` (``train``, ``val``, ``test``), converted from the VOC files."""
    voc = dataset()
    target = voc.root / f"{split}.txt"
    if not target.is_file() or target.stat().st_mtime < (voc.root / "dataset.json").stat().st_mtime:
        write_lines(target, voc_to_lines(voc.root, split, SHAPE_CLASSES))
    return target


def anchors_file(k: int = 6) -> Path:
    """``anchors.txt`` from k-means over the training boxes (written on first use)."""
    import numpy as np


    target = root() / f"anchors_{k}.txt"
    if not target.is_file():
        report = read_annotation_lines(annotation_file("train"), len(SHAPE_CLASSES), check_images=False)
        boxes = np.concatenate([s.boxes for s in report.samples])
        write_anchors(target, kmeans_anchors(box_sizes(boxes), k))
    return target


def spec() -> YoloSpec:
    """The workbook detector: tiny YOLOv3 at :data:`INPUT_SIZE` and :data:`WIDTH`, the shape classes and
    :func:`anchors_file`'s anchors (as lesson 07 trains it)."""
    return YoloSpec.from_files(anchors_file(), dataset().classes_file, input_size=INPUT_SIZE, width=WIDTH,
                               model="tiny")


def backbone_path() -> Path:
    """Where lesson 05 saves the trained backbone classifier."""
    return root() / "backbone_classifier.keras"


def backbone(**kwargs: Any) -> Path:
    """The trained backbone classifier, trained first (lesson 05's call) if missing."""
    if not backbone_path().is_file():
        train_backbone_classifier(backbone_path(), width=WIDTH, input_size=CROP_SIZE, **kwargs)
    return backbone_path()


def embedder() -> Path:
    """Lesson 05's classifier without its head, saved as the embedding model lesson 09's pipeline
    runs (made from :func:`backbone`, which is trained first if missing)."""
    target = root() / "backbone_embedder.keras"
    if not target.is_file() or target.stat().st_mtime < backbone().stat().st_mtime:
        save_keras(embedding_model(load_classifier(backbone())), target)
    return target


def train_config(**overrides: Any) -> TrainConfig:
    """The lesson-07 training run: :class:`~mlbasics.vision.yolo.train.TrainConfig` with the workbook's
    files and sizes; ``overrides`` change any field."""
    voc = dataset()
    config = TrainConfig(
        annotations=str(annotation_file("train")), val_annotations=str(annotation_file("val")),
        classes=str(voc.classes_file), anchors=str(anchors_file()), backbone=str(backbone()),
        job_dir=str(root() / "job"), input_size=INPUT_SIZE, width=WIDTH,
        batch_size=16, epochs_frozen=2, epochs=16, learning_rate_frozen=2e-3, learning_rate=2e-3, map_every=2,
    )
    return replace(config, **overrides)


def trained_weights() -> Path:
    """Lesson 07's final weights, trained first (the same call lesson 07 makes) if missing."""
    config = train_config()
    final = config.paths()[1]
    if not final.is_file():
        train(config, verbose=0)
    return final


# Lesson 10 (the face finder): reading what `dvc repro` did, and why a photo was reused.

def dvc_stage_reports(log: str) -> dict[str, dict[str, Any] | None]:
    """Each stage's JSON report from the output of ``dvc repro`` (what :func:`~mlbasics.pipelines.faces.
    workspace.run` returns), in run order; ``None`` for a stage DVC skipped because its inputs did not change.

    DVC prints ``Running stage 'NAME':``, the command, then the command's output: the ``mlbasics faces``
    commands print their report as indented JSON, from a line ``{`` to a line ``}``.
    """
    import json
    import re

    reports: dict[str, dict[str, Any] | None] = {}
    stage: str | None = None
    block: list[str] | None = None
    for line in log.splitlines():
        skipped = re.match(r"Stage '([^']+)' didn't change, skipping", line)
        running = re.match(r"Running stage '([^']+)':", line)
        if skipped:
            reports[skipped[1]] = None
        elif running:
            stage, block = running[1], None
        elif stage is not None and line == "{":
            block = [line]
        elif block is not None:
            block.append(line)
            if line == "}" and stage is not None:
                reports[stage] = json.loads("\n".join(block))
                stage, block = None, None
    return reports


def duplicate_files(folder: str | Path) -> list[list[str]]:
    """Groups of files under ``folder`` with identical bytes (the same sha256), as sorted relative paths;
    only groups of two or more."""
    base = Path(folder)
    by_hash: dict[str, list[str]] = {}
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        by_hash.setdefault(sha256_of(path), []).append(path.relative_to(base).as_posix())
    return [group for group in by_hash.values() if len(group) > 1]


def stage_summary(reports: dict[str, dict[str, Any] | None]) -> str:
    """One line per stage of :func:`dvc_stage_reports`: ``skipped`` or its counts (lists shown by length)."""
    lines = []
    for stage, report in reports.items():
        if report is None:
            lines.append(f"{stage}: skipped by DVC (its inputs did not change)")
            continue
        parts = [f"{key} {len(value)} item(s)" if isinstance(value, list) else f"{key} {value}"
                 for key, value in report.items()]
        lines.append(f"{stage}: " + ", ".join(parts))
    return "\n".join(lines)


def call_rates(model: Any, images: Any) -> dict[str, float]:
    """Lesson 09: images per second of a Keras ``model`` on ``images`` ``(n, h, w, 3)``, three ways.

    ``"predict, 1 per call"`` is what a ``beam.Map(model.predict)`` does (Keras' ``predict`` builds a
    data pipeline and a loop on every call); ``"predict_on_batch, 1 per call"`` is one image per call
    without that overhead; ``"predict_on_batch, n per call"`` is one call for all. The first two differ in
    the call, the last two only in batching. Each way is called once untimed first (a new input shape makes
    Keras trace its function again); wall-clock, so only the ratios mean anything, and only on the machine
    that measured them.
    """
    import time

    model.predict(images[:1], verbose=0)
    model.predict_on_batch(images[:1])
    model.predict_on_batch(images)
    calls = {
        "predict, 1 per call": lambda: [model.predict(x[None], verbose=0) for x in images],
        "predict_on_batch, 1 per call": lambda: [model.predict_on_batch(x[None]) for x in images],
        f"predict_on_batch, {len(images)} per call": lambda: model.predict_on_batch(images),
    }
    rates = {}
    for name, call in calls.items():
        start = time.perf_counter()
        call()
        rates[name] = len(images) / (time.perf_counter() - start)
    return rates
