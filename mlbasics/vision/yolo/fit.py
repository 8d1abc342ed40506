"""One call from a Pascal VOC folder of photos to a measured detector: ``mlbasics yolo fit``.

:func:`fit` reads the folder (any layout :mod:`mlbasics.data.voc_folder` knows), splits it (its
``ImageSets``, a given split file, or a seeded split), decodes every photo once (a broken one is
named and left out), picks the settings (:func:`choose_settings`: the start's recipe, with the epochs
from the number of training photos), computes anchors on the training boxes, trains with the photo
recipe (:mod:`mlbasics.vision.yolo.augment`) on the photos,
boxes, anchors and classes in memory (:class:`~mlbasics.vision.yolo.train.TrainingData`), measures
mAP@0.5 on the validation photos (also with the test-time flip) and writes ``OUT_DIR/report.json``.
The weights and their ``.config.json`` are what ``detect``, ``evaluate`` and ``export`` take. Running it
again with the same arguments resumes the training where it stopped, and writes the same files.

``OUT_DIR`` holds ``data/`` (train.txt, val.txt, classes.txt, anchors.txt: the run's record, which
``yolo train`` and ``yolo evaluate`` take; fit itself does not read them back), ``job/`` (the training
job: history, checkpoints), ``detector.weights.h5`` + ``detector.config.json`` and ``report.json``.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core.batch import each_usable
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.quiet import quiet_import
from mlbasics.core.seed import SEED
from mlbasics.data.annotation_lines import Sample, format_line, write_lines
from mlbasics.data.cache import sha256_of
from mlbasics.data.report import LOOK_ALIKE_BITS
from mlbasics.data.voc_folder import VAL_FRACTION, read_split, read_voc_folder, split_records
from mlbasics.io.files import atomic_write, write_json
from mlbasics.io.outputs import check_output_location
from mlbasics.io.paths import require_regular_file
from mlbasics.vision.yolo.anchors import input_box_sizes, kmeans_anchors, pixel_anchors, write_anchors
from mlbasics.vision.yolo.coco import COCO, coco_files
from mlbasics.vision.yolo.data import load_samples
from mlbasics.vision.yolo.detect import Detector
from mlbasics.vision.yolo.evaluate import evaluate_model
from mlbasics.vision.yolo.pretrained import PRETRAINED_WIDTH, cfg_beside, darknet_anchors
from mlbasics.vision.yolo.spec import config_path_for
from mlbasics.vision.yolo.train import (
    TRAIN_PARAMS,
    TrainConfig,
    TrainingData,
    TrainSettings,
    check_settings,
    read_history,
    train,
)

#: Optimizer steps (batches of 16) the recipe trains for; epochs follow from the number of photos.
TARGET_STEPS = 600
#: Bounds on the epochs chosen from the number of training photos.
EPOCH_RANGE = (10, 300)
#: Every anchor whose shape IoU with a box exceeds this is responsible for it (more positives per box).
ANCHOR_THRESHOLD = 0.3
#: The box loss (:data:`~mlbasics.vision.yolo.loss.BOX_LOSSES`).
BOX_LOSS = "yolo"
#: Fine-tuning from COCO: the input size, the optimizer steps (all of them with every pretrained layer
#: frozen: only the prediction layers learn) and their learning rate (docs/yolo.md: measured on the
#: raccoon split; unfreezing the rest cost 2.5x the time per epoch and lowered mAP). 320 px, not
#: TrainConfig's 416: 416 was slower and no better there (the photos' raccoons are large).
PRETRAINED_INPUT_SIZE = 320
PRETRAINED_STEPS = 120
FROZEN_LEARNING_RATE = 1e-3
#: From scratch: tiny YOLOv3 at half the published filter counts and 224 px, not TrainConfig's width 1.0
#: at 416 px (keras-yolo3's network): about a fourteenth of the multiply-adds per photo (width² × side²),
#: so :data:`TARGET_STEPS` steps take minutes on a 2-core CPU (docs/yolo.md: raccoon, mAP@0.5 0.82 with
#: the test-time flip after 4.3 minutes of training, for a target of 0.80 within 10).
SCRATCH_INPUT_SIZE = 224
SCRATCH_WIDTH = 0.5

#: What :func:`fit` trains with: TrainConfig's own settings (one schema), as :func:`choose_settings` picks them.
FitSettings = TrainSettings


def check_pretrained_width(width: float | None) -> None:
    """Raise unless ``width`` suits a pretrained start (``None`` or :data:`PRETRAINED_WIDTH`)."""
    if width not in (None, PRETRAINED_WIDTH):
        raise InputError(f"width: pretrained Darknet weights need width {PRETRAINED_WIDTH} (the published filter "
                         f"counts), got {width}; start from scratch (pretrained=None, --from-scratch) for another "
                         "width")


def choose_settings(train_images: int, *, pretrained: bool = True, input_size: int | None = None,
                    width: float | None = None, epochs: int | None = None, seed: int = SEED.default) -> FitSettings:
    """Settings for ``train_images`` photos on a small CPU (docs/yolo.md: measured); each ``None`` in
    :func:`fit`'s arguments is chosen here, and what is not set here is TrainConfig's default. Only the
    epochs depend on ``train_images``; every other setting depends on the start (``pretrained``) alone.

    From scratch: tiny YOLOv3 at :data:`SCRATCH_WIDTH` and :data:`SCRATCH_INPUT_SIZE` pixels, enough epochs
    for about :data:`TARGET_STEPS` steps (fewer photos, more epochs; 60 for raccoon's 160), every anchor
    whose shape IoU with a box exceeds :data:`ANCHOR_THRESHOLD` learns it. Pretrained (COCO): the published
    network (:data:`PRETRAINED_WIDTH`) at :data:`PRETRAINED_INPUT_SIZE` with every pretrained layer frozen
    (``epochs_frozen`` = ``epochs``), about :data:`PRETRAINED_STEPS` steps (12 epochs for raccoon's 160
    photos) of the prediction layers alone.
    """
    batch = FitSettings().batch_size
    if pretrained:
        check_pretrained_width(width)
        total = epochs or int(np.clip(math.ceil(PRETRAINED_STEPS * batch / max(train_images, 1)), *EPOCH_RANGE))
        return FitSettings(input_size=input_size or PRETRAINED_INPUT_SIZE, width=PRETRAINED_WIDTH, epochs=total,
                           learning_rate=FROZEN_LEARNING_RATE, epochs_frozen=total,
                           learning_rate_frozen=FROZEN_LEARNING_RATE, mosaic=0.0,
                           jitter=0.3, translate=0.1, decode_scale=1.25, ema_momentum=0.0, warmup_epochs=1,
                           objectness_prior=False, anchor_threshold=ANCHOR_THRESHOLD, box_loss=BOX_LOSS, seed=seed)
    chosen_epochs = epochs or int(np.clip(math.ceil(TARGET_STEPS * batch / max(train_images, 1)), *EPOCH_RANGE))
    return FitSettings(input_size=input_size or SCRATCH_INPUT_SIZE, width=width or SCRATCH_WIDTH,
                       epochs=chosen_epochs, learning_rate=2e-3, epochs_frozen=0, learning_rate_frozen=2e-3,
                       mosaic=0.0, jitter=0.5, translate=0.1, decode_scale=1.5,
                       ema_momentum=0.99, warmup_epochs=3, objectness_prior=False, anchor_threshold=ANCHOR_THRESHOLD,
                       box_loss=BOX_LOSS, seed=seed)


@dataclass
class FitReport:
    """What ``report.json`` holds (see :meth:`as_json`)."""

    map: float
    ap: dict[str, float]
    map_flip: float
    train_images: int
    val_images: int
    settings: FitSettings
    train_seconds: float
    seconds_per_epoch: float
    pretrained: str
    split: str
    weights: str
    config: str
    skipped: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    map_curve: list[tuple[float, int, float]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["map"] = round(self.map, 4)
        data["map_flip"] = round(self.map_flip, 4)
        data["ap"] = {name: round(value, 4) for name, value in self.ap.items()}
        data["train_seconds"] = round(self.train_seconds, 1)
        data["seconds_per_epoch"] = round(self.seconds_per_epoch, 2)
        return data


def _problem(error: DataFileError) -> dict[str, str]:
    where = f"{error.path}:{error.line}" if error.line is not None else error.path
    return {"file": where, "reason": error.reason}


def _usable_images(records: Sequence[Any], skipped: list[DataFileError]
                   ) -> tuple[list[tuple[Any, tuple[int, int]]], list[list[str]]]:
    """``(record, (width, height))`` of each record whose photo decodes whole (the others are skipped),
    and the groups of stems that are copies of one photo (same bytes or look-alikes, as the dataset
    report finds them), which the split keeps on one side."""
    from mlbasics.data.photo_hash import copy_groups, difference_hash
    from mlbasics.io.images import load_image

    byte_hashes: dict[str, str] = {}
    look_hashes: dict[str, int] = {}

    def size(record: Any) -> tuple[int, int]:
        image = load_image(record.image)  # whole: a JPEG cut short is found here, not in training
        byte_hashes[record.stem], look_hashes[record.stem] = sha256_of(record.image), difference_hash(image)
        return image.shape[1], image.shape[0]

    usable = list(each_usable(records, size, skipped))
    return usable, copy_groups(byte_hashes, look_hashes, LOOK_ALIKE_BITS)


def _line_path(image: Path, links: Path, warnings: list[dict[str, str]]) -> str:
    """The image path for an annotation line (space-separated): a path with white space gets a link,
    named by a digest of the path, so a rerun (a new process) finds the same link rather than adding one."""
    path = image.resolve()
    if not any(c.isspace() for c in str(path)):
        return str(path)
    links.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(os.fsencode(path)).hexdigest()[:8]
    link = links / f"{digest}_{''.join('_' if c.isspace() else c for c in path.name)}"
    if not link.exists():
        link.symlink_to(path)
    warnings.append({"file": str(image), "reason": f"white space in the path: used through the link {link}"})
    return str(link)


def write_split_lines(records: Sequence[tuple[Any, tuple[int, int]]], path: Path, links: Path,
                      warnings: list[dict[str, str]]) -> None:
    """Annotation lines (absolute image paths) of ``records``, written atomically."""
    write_lines(path, [format_line(_line_path(record.image, links, warnings), record.boxes)
                       for record, _ in records])


def compute_anchors(records: Sequence[tuple[Any, tuple[int, int]]], input_size: int, seed: int = SEED.default,
                    k: int = 6) -> np.ndarray:
    """k-means anchors ``(k, 2)`` float32 of the training boxes as the letterboxed network sees them, in
    whole input pixels (what the anchors file holds)."""
    wh = input_box_sizes(((record.boxes, size) for record, size in records), input_size)
    if not len(wh):
        raise InputError("no boxes in the training photos: nothing to learn anchors from")
    anchors = kmeans_anchors(wh, min(k, len(wh)), seed=seed)
    if len(anchors) < k:  # fewer boxes than anchors (a tiny set): repeat the largest
        anchors = np.concatenate([anchors, np.repeat(anchors[-1:], k - len(anchors), axis=0)])
    return pixel_anchors(anchors)


def progress_bar(total: int) -> Any:
    """A Keras callback showing epochs done and time left as one tqdm bar (a widget in notebooks)."""
    with quiet_import():
        import keras
    from tqdm.auto import tqdm

    class _Bar(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.bar: Any = None

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            if self.bar is None:
                self.bar = tqdm(total=total, unit="epoch", desc="training", dynamic_ncols=True)

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            self.bar.n = epoch + 1
            self.bar.set_postfix(loss=f"{(logs or {}).get('loss', float('nan')):.2f}", refresh=False)
            self.bar.refresh()

        def close(self) -> None:
            if self.bar is not None:
                elapsed = self.bar.format_dict.get("elapsed", 0.0)
                self.bar.close()
                if any(kind.__module__ == "tqdm.notebook" for kind in type(self.bar).__mro__):
                    # a saved notebook keeps the widget's first text (0%): one line says how it ended
                    print(f"training: {self.bar.n} of {total} epochs in {elapsed / 60:.1f} min")

    return _Bar()


def pretrained_files(pretrained: str | os.PathLike[str]) -> tuple[str, str, str]:
    """``(weights, cfg, class names or "")`` of a pretrained start: ``"coco"`` (Darknet's published
    tiny-YOLOv3, fetched on first use) or a Darknet ``.weights`` with its ``.cfg`` (and ``.names``, if
    any) beside it."""
    if os.fspath(pretrained) == COCO:
        files = coco_files()
        return str(files.weights), str(files.cfg), str(files.names)
    weights = Path(pretrained)
    require_regular_file(weights)
    cfg = cfg_beside(weights)
    require_regular_file(cfg, missing="no .cfg beside the .weights (Darknet's network description)")
    names = weights.with_suffix(".names")
    return str(weights), str(cfg), str(names) if names.is_file() else ""


def fit(voc_root: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, epochs: int | None = None,
        input_size: int | None = None, width: float | None = None, seed: int = SEED.default,
        val_fraction: float = VAL_FRACTION.default,
        split: str | os.PathLike[str] | None = None, classes: Sequence[str] | None = None,
        pretrained: str | os.PathLike[str] | None = "coco", map_every: int = TRAIN_PARAMS["map_every"].default,
        progress: bool = True,
        callbacks: Sequence[Any] = ()) -> FitReport:
    """Convert, split, check, compute anchors, train (or resume), evaluate; write ``out_dir/report.json``.

    ``pretrained``: where the weights start: ``"coco"`` (the default: Darknet's published tiny-YOLOv3,
    its box and objectness channels kept, its anchors used), another Darknet ``.weights`` with its
    ``.cfg`` beside it, or ``None`` (from scratch, with k-means anchors of the training boxes).
    ``map_every`` > 0 measures validation mAP@0.5 every that many epochs (``job/history.csv``'s ``val_map``,
    the report's ``map_curve``: seconds of training against mAP).

    ``split``: a JSON file ``{"val": [stems]}`` fixing the validation photos (else the folder's
    ``ImageSets``, else a split seeded by ``seed`` with ``val_fraction`` of the photos). ``None``
    settings are chosen by :func:`choose_settings`: ``epochs`` from the number of training photos, the others
    by the start alone. ``callbacks``: Keras callbacks
    for the training (e.g. a live plot). Broken photos and unusable XML
    files are named in the report's ``skipped`` and left out; the run goes on.
    """
    check_output_location(out_dir, [voc_root])  # before anything is written: never among the user's photos
    # before any photo is read
    check_settings(epochs=epochs, input_size=input_size, width=width, seed=seed, map_every=map_every)
    VAL_FRACTION.check(val_fraction)
    if pretrained is not None:
        check_pretrained_width(width)  # before any photo is read
    out = Path(out_dir)
    data_dir = out / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    folder = read_voc_folder(voc_root, classes)
    skipped: list[DataFileError] = list(folder.skipped)
    warnings: list[dict[str, str]] = []
    usable, groups = _usable_images(folder.records, skipped)
    sizes = {record.stem: size for record, size in usable}
    train_records, val_records, how = split_records(
        folder, val_fraction=val_fraction, seed=seed, val_stems=read_split(split) if split is not None else None,
        groups=groups)
    train_usable = [(r, sizes[r.stem]) for r in train_records if r.stem in sizes]
    val_usable = [(r, sizes[r.stem]) for r in val_records if r.stem in sizes]
    if not train_usable:
        raise DataFileError(voc_root, f"no usable training photo ({len(skipped)} skipped)")
    if not val_usable:
        raise DataFileError(voc_root, "no usable validation photo: give more photos or a larger val_fraction")
    for record, _ in train_usable + val_usable:
        if not len(record.boxes):
            warnings.append({"file": str(record.xml), "reason": "no boxes: the photo is used as background only"})
    settings = choose_settings(len(train_usable), pretrained=pretrained is not None, input_size=input_size,
                               width=width, epochs=epochs, seed=seed)
    start = pretrained_files(pretrained) if pretrained is not None else ("", "", "")
    # the pretrained prediction layers' box channels belong to the file's anchors
    anchors = (compute_anchors(train_usable, settings.input_size, seed=seed) if pretrained is None
               else pixel_anchors(darknet_anchors(start[1])))
    # training takes the data in memory (below); these files are the run's record, and `yolo train` takes them
    with atomic_write(data_dir / "classes.txt", "w") as handle:
        handle.write("\n".join(folder.classes) + "\n")
    write_split_lines(train_usable, data_dir / "train.txt", data_dir / "links", warnings)
    write_split_lines(val_usable, data_dir / "val.txt", data_dir / "links", warnings)
    write_anchors(data_dir / "anchors.txt", anchors)
    data = TrainingData(anchors, tuple(folder.classes), [_sample(record, size) for record, size in train_usable],
                        [_sample(record, size) for record, size in val_usable])

    weights = out / "detector.weights.h5"
    config = TrainConfig(
        **asdict(settings), annotations=str(data_dir / "train.txt"), classes=str(data_dir / "classes.txt"),
        anchors=str(data_dir / "anchors.txt"), job_dir=str(out / "job"), weights_final=str(weights),
        weights_stage=str(out / "job" / "stage_1.weights.h5"), map_every=map_every,
        val_annotations=str(data_dir / "val.txt") if map_every else "",
        pretrained=start[0], pretrained_cfg=start[1], pretrained_classes=start[2], augment="photos")
    bar = progress_bar(settings.epochs) if progress else None
    try:
        result = train(config, data=data, verbose=0, callbacks=[*callbacks, *([bar] if bar is not None else [])])
    finally:
        if bar is not None:
            bar.close()
    train_seconds = (read_history(config.job_dir).get("train_seconds") or [0.0])[-1]
    seconds_per_epoch = train_seconds / settings.epochs

    detector = Detector.with_weights(config.spec(data), weights)  # the spec training was given, not re-read
    val_set = load_samples(data.val, detector.spec.input_size)
    skipped += val_set.skipped
    evaluation = evaluate_model(detector.model, val_set, detector.spec, flip=True)
    measured, flipped = evaluation.without_flip(detector.spec), evaluation.result
    problems = [_problem(e) for e in skipped] + [{"file": line, "reason": "skipped in training"}
                                                  for line in result.skipped_lines]
    report = FitReport(
        map=measured.map, ap={folder.classes[c]: ap for c, ap in measured.ap.items()}, map_flip=flipped.map,
        train_images=len(train_usable), val_images=len(val_set.images), settings=settings,
        train_seconds=train_seconds, seconds_per_epoch=seconds_per_epoch,
        pretrained="" if pretrained is None else os.fspath(pretrained), split=how, weights=str(weights),
        config=str(config_path_for(weights)), skipped=problems, warnings=warnings,
        map_curve=[(round(seconds, 1), epoch, round(value, 4)) for seconds, epoch, value in result.map_curve])
    write_json(out / "report.json", report.as_json())
    return report


def _sample(record: Any, size: tuple[int, int]) -> Any:
    return Sample(record.image, record.boxes, size)
