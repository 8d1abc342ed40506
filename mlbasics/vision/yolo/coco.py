"""The published tiny-YOLOv3 trained on COCO, ready to use: ``mlbasics yolo detect --weights coco``.

Darknet's three files (``yolov3-tiny.cfg``, ``yolov3-tiny.weights``, ``coco.names``) are entries of
``datasets/manifest.json``: downloaded on first use with their sha256 checked, or copied from
``MLBASICS_DATA_MIRROR`` offline. They are converted once into the cache
(``<cache>/converted/coco-tiny-yolov3-<input size>-<weights sha256>.weights.h5`` and its
``.config.json``) with the masks the weights were trained with and Darknet's batch-norm epsilon
(:mod:`~mlbasics.vision.yolo.pretrained`), so the detector's outputs are Darknet's.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from mlbasics.data.cache import cache_dir, fetch
from mlbasics.data.manifest import load_manifest
from mlbasics.vision.yolo.pretrained import convert_darknet
from mlbasics.vision.yolo.spec import config_path_for

#: What ``--weights`` takes to mean this detector.
COCO = "coco"
#: The manifest's dataset of Darknet's files.
DATASET = "darknet"
CFG, WEIGHTS, NAMES = "darknet/yolov3-tiny.cfg", "darknet/yolov3-tiny.weights", "darknet/coco.names"
#: The input size the published weights were trained at (Darknet's cfg).
INPUT_SIZE = 416


class DarknetFiles(NamedTuple):
    """The local copies of the published files."""

    cfg: Path
    weights: Path
    names: Path


def coco_files() -> DarknetFiles:
    """Fetch (or find in the cache) the published cfg, weights and class names, checksums checked."""
    return DarknetFiles(fetch(CFG), fetch(WEIGHTS), fetch(NAMES))


def coco_weights(input_size: int = INPUT_SIZE) -> Path:
    """The converted detector's ``.weights.h5`` (its ``.config.json`` beside it), converted on first use."""
    sha = load_manifest().entry(WEIGHTS).sha256
    target = cache_dir() / "converted" / f"coco-tiny-yolov3-{input_size}-{sha[:12]}.weights.h5"
    if not (target.is_file() and config_path_for(target).is_file()):
        files = coco_files()
        target.parent.mkdir(parents=True, exist_ok=True)
        convert_darknet(files.cfg, files.weights, files.names, target, input_size=input_size)
    return target

