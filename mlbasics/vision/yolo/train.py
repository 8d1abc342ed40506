"""Training tiny-YOLOv3 (or YOLOv3) the keras-yolo3 way, in two stages, resumable.

1. **Stage 1**, backbone frozen: only the detection head learns, on top of a backbone trained
   before (lesson 05). Ends by writing ``weights_stage``.
2. **Stage 2**, all layers: everything is fine-tuned with a learning rate that decays along a
   cosine. Ends by writing ``weights_final`` and ``<final>.config.json`` (what ``detect`` needs).

The job directory holds ``config.json``, TensorBoard logs (``logs/``), ``history.csv`` (every loss
part per epoch), ``checkpoints/last.weights.h5`` and the in-progress backup. Run the same command
again after an interruption and it resumes: a finished stage is loaded, not repeated, and an
interrupted stage continues from its last finished epoch.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.core import limits
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.limits import check_params, params_of, setting, setting_of
from mlbasics.core.quiet import quiet_import
from mlbasics.core.seed import SEED, seed_everything
from mlbasics.data.annotation_lines import Sample, check_samples, read_annotation_lines, read_classes
from mlbasics.io.files import remove_stale_temporaries, write_json
from mlbasics.io.keras_models import load_keras_weights
from mlbasics.vision.cnn import copy_backbone, load_classifier, save_keras
from mlbasics.vision.yolo import distribute
from mlbasics.vision.yolo.data import LoadedSet, load_samples, make_dataset
from mlbasics.vision.yolo.distribute import sharded, synchronize_batch_norm
from mlbasics.vision.yolo.loss import BOX_LOSSES
from mlbasics.vision.yolo.model import build_detector
from mlbasics.vision.yolo.pretrained import PRETRAINED_WIDTH, cfg_beside, load_pretrained
from mlbasics.vision.yolo.priors import set_objectness_prior
from mlbasics.vision.yolo.spec import (
    DARKNET_BATCH_NORM_EPSILON,
    MODELS,
    YoloSpec,
    config_path_for,
)

#: ``classic``: TensorFlow flip/scale/colour jitter of the letterboxed images (the synthetic lessons);
#: ``photos``: :mod:`mlbasics.vision.yolo.augment` (mosaic, zoom from larger decoded photos, flip, colour).
AUGMENTS = ("classic", "photos")


@dataclass(frozen=True)
class TrainingData:
    """What a :class:`TrainConfig`'s files hold, given in memory (``yolo fit`` has it all in hand).

    ``anchors``: ``(k, 2)`` width, height in input pixels (the anchors file: whole pixels, by area);
    ``class_names``: one per class id (the classes file); ``train`` and ``val``: the samples of
    ``annotations`` and ``val_annotations`` (``val`` is used only when ``val_annotations`` is set), each
    an image with boxes ``(n, 5)`` = ``x_min, y_min, x_max, y_max, class_id`` in its pixels and its
    ``(width, height)``. They are checked as the file's lines would be, and a problem names the file
    and the line the sample stands for (sample ``i``, line ``i + 1``).
    """

    anchors: np.ndarray
    class_names: tuple[str, ...]
    train: Sequence[Sample]
    val: Sequence[Sample] = ()


@dataclass(frozen=True, kw_only=True)
class TrainSettings:
    """How a detector learns, apart from what it is, what it learns from and where it writes: the numbers a
    recipe picks for a data set (``yolo fit``'s :func:`~mlbasics.vision.yolo.fit.choose_settings`). One
    schema: :class:`TrainConfig` is these plus the rest, and checks them all.

    ``input_size``: pixels, a multiple of 32; ``width``: the fraction of the published filter counts.
    ``epochs_frozen`` of the ``epochs`` train only what did not come from a file (stage 1) at
    ``learning_rate_frozen``; the rest train every layer at ``learning_rate``, decaying along a cosine.
    ``augment="photos"`` (:class:`TrainConfig`) trains on photos decoded at ``decode_scale`` times the input
    size, with ``mosaic`` the probability of a four-photo mosaic, ``jitter`` the zoom range and
    ``translate`` the shift. ``objectness_prior`` starts the objectness biases at about one object per image
    (:mod:`~mlbasics.vision.yolo.priors`). ``ema_momentum`` > 0 keeps an exponential moving average
    of the weights, which is what is saved at the end of each stage; ``warmup_epochs`` ramp the
    learning rate up linearly first. ``anchor_threshold`` > 0 (photos only) also makes every anchor whose
    shape IoU with a box exceeds it responsible for the box (:func:`~mlbasics.vision.yolo.targets.assign_targets`).
    """

    input_size: int = setting(416, limits.INPUT_SIZE, "network input in pixels, a multiple of 32")
    width: float = setting(1.0, limits.WIDTH, "fraction of the published filter counts")
    batch_size: int = setting(16, limits.BATCH_SIZE,
                              "images per step over all replicas (the global batch; each of N replicas takes 1/N)")
    epochs_frozen: int = setting(2, limits.EPOCHS_OR_NONE,
                                 "of the epochs, those that train only the new layers (stage 1)")
    epochs: int = setting(20, limits.EPOCHS, "total epochs, both stages")
    learning_rate_frozen: float = setting(2e-3, limits.LEARNING_RATE, "Adam learning rate of stage 1")
    learning_rate: float = setting(2e-3, limits.LEARNING_RATE, "Adam learning rate of stage 2 (decays over it)")
    jitter: float = setting(0.3, limits.ZOOM, "zoom range: images scaled by 1 ± jitter")
    seed: int = setting_of(SEED)
    mosaic: float = setting(0.5, limits.PROBABILITY, "probability of a four-photo mosaic (photos only)")
    translate: float = setting(0.1, limits.PROBABILITY, "shift, as a share of the side (photos only)")
    decode_scale: float = setting(1.5, limits.DECODE_SCALE,
                                  "photos decoded at this many times the input size, to zoom into (photos only)")
    ema_momentum: float = setting(0.0, limits.MOMENTUM, "momentum of the average of the weights (0: none)")
    warmup_epochs: int = setting(0, limits.EPOCHS_OR_NONE, "epochs of linear learning-rate warm-up")
    objectness_prior: bool = False
    anchor_threshold: float = setting(0.0, limits.ANCHOR_IOU,
                                      "shape IoU above which an anchor is also responsible for a box (photos only)")
    box_loss: str = setting("yolo", limits.Choices(BOX_LOSSES), "box loss")


@dataclass(frozen=True)
class TrainConfig(TrainSettings):
    """The classic arguments: :class:`TrainSettings` (keyword only) and what to train, on what, and where.
    Paths are strings so the config is plain JSON.

    ``map_every`` > 0 measures validation mAP@0.5 every that many epochs (logged as ``val_map``).
    ``augment``: :data:`AUGMENTS`. ``pretrained_classes``: the class names of ``pretrained`` (e.g.
    ``coco.names``); given, the prediction layers keep the file's box and objectness channels and a class of
    the same name (:func:`~mlbasics.vision.yolo.pretrained.load_pretrained` ``reinitialise="classes"``), so
    training starts from a detector that already finds objects. A model started from Darknet weights uses
    Darknet's batch-norm epsilon.
    """

    annotations: str
    classes: str
    anchors: str
    job_dir: str
    weights_stage: str = ""
    weights_final: str = ""
    val_annotations: str = ""
    backbone: str = ""
    pretrained: str = ""
    pretrained_cfg: str = ""
    model: str = setting("tiny", limits.Choices(MODELS), "tiny YOLOv3 (2 scales) or YOLOv3 (3 scales)")
    final_learning_rate_fraction: float = setting(0.05, limits.PROBABILITY,
                                                  "the cosine decay's last learning rate, as a share of the first")
    ignore_threshold: float = setting(0.5, limits.IOU, "IoU with a box above which a prediction is not "
                                                       "punished as background")
    mixed_precision: bool = False
    map_every: int = setting(0, limits.EPOCHS_OR_NONE, "measure validation mAP@0.5 every N epochs (0: never)")
    augment: str = setting("classic", limits.Choices(AUGMENTS), "augmentation")
    pretrained_classes: str = ""

    def __post_init__(self) -> None:
        check_params(self)  # every declared setting against its interval or choices (TRAIN_PARAMS)
        if not self.annotations:
            raise InputError("annotations must name an annotation-lines file to train on, got an empty string")
        if self.epochs_frozen > self.epochs:
            raise InputError(f"epochs_frozen must be in 0..epochs ({self.epochs}), got {self.epochs_frozen}")
        if self.backbone and self.pretrained:
            raise InputError("give either a backbone (lesson 05's classifier) or pretrained Darknet weights, not both")
        if self.pretrained and self.width != PRETRAINED_WIDTH:
            raise InputError(f"pretrained Darknet weights need width {PRETRAINED_WIDTH} (the published filter counts), "
                             f"got {self.width}")
        if self.pretrained_classes and not self.pretrained:
            raise InputError("pretrained_classes names the classes of pretrained Darknet weights: give pretrained too")
        if self.epochs_frozen and not (self.backbone or self.pretrained):
            raise InputError("stage 1 freezes the backbone, which is only useful if it was trained: give a backbone "
                             "(a classifier saved by lesson 05), pretrained Darknet weights, or set epochs_frozen=0")

    def spec(self, data: TrainingData | None = None) -> YoloSpec:
        """The detector these arguments train: anchors and class names of ``data``, else read from their files."""
        if data is None:
            spec = YoloSpec.from_files(self.anchors, self.classes, input_size=self.input_size, width=self.width,
                                       model=self.model)
        else:
            spec = YoloSpec(data.anchors, data.class_names, self.input_size, self.width, self.model)
        return replace(spec, batch_norm_epsilon=DARKNET_BATCH_NORM_EPSILON) if self.pretrained else spec

    def decode_size(self) -> int:
        """The side photos are letterboxed to in memory for training (a multiple of 32)."""
        if self.augment != "photos":
            return self.input_size
        return max(self.input_size, int(round(self.input_size * self.decode_scale / 32)) * 32)

    def paths(self) -> tuple[Path, Path]:
        """``(weights_stage, weights_final)``, defaulting to the job directory."""
        job = Path(self.job_dir)
        return (Path(self.weights_stage or job / "trained_stage_1.weights.h5"),
                Path(self.weights_final or job / "trained_final.weights.h5"))


#: Every declared training setting (:func:`~mlbasics.core.limits.setting`) by name: the one schema of
#: :class:`TrainSettings` and :class:`TrainConfig`, from which ``yolo train`` and ``yolo fit`` make their
#: options and :func:`mlbasics.vision.yolo.fit.fit` checks its arguments before reading a photo.
TRAIN_PARAMS = params_of(TrainConfig)


def check_settings(**values: Any) -> None:
    """Each given setting against :data:`TRAIN_PARAMS` (``None``: not chosen yet, not checked); an
    :class:`InputError` names the setting."""
    for name, value in values.items():
        if value is not None:
            TRAIN_PARAMS[name].check(value)


@dataclass
class TrainResult:
    """The finished run: weight files, per-epoch history (loss parts, both stages), wall time and, with
    ``map_every``, validation mAP against training seconds: ``(seconds, epoch, mAP)``."""

    weights_stage: Path
    weights_final: Path
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    skipped_lines: list[str] = field(default_factory=list)
    map_curve: list[tuple[float, int, float]] = field(default_factory=list)


def load_training_data(config: TrainConfig, spec: YoloSpec, data: TrainingData | None = None,
                       ) -> tuple[LoadedSet, LoadedSet | None, list[str]]:
    """Validated, letterboxed training (and validation) sets plus every skipped line, from ``data``'s
    samples or else the config's annotation files.

    A few bad lines are skipped and reported; a file where most lines are bad is an error, since
    it points at a wrong classes file or image folder rather than at a few broken samples.
    """
    skipped: list[str] = []
    sets: list[LoadedSet | None] = []
    for path, samples, size in ((config.annotations, None if data is None else data.train, config.decode_size()),
                                (config.val_annotations, None if data is None else data.val, spec.input_size)):
        if not path:
            sets.append(None)
            continue
        report = (read_annotation_lines(path, spec.num_classes) if samples is None
                  else check_samples(samples, spec.num_classes, path))
        if len(report.problems) > len(report.samples):
            raise DataFileError(path, f"more lines skipped ({len(report.problems)}) than usable "
                                f"({len(report.samples)}): wrong classes file? first problem: {report.problems[0]}")
        loaded = load_samples(report.samples, size)
        skipped += [str(p) for p in report.problems] + [str(p) for p in loaded.skipped]
        sets.append(loaded)
    train_set = sets[0]
    if train_set is None:  # TrainConfig refuses empty annotations; this keeps the type exact
        raise InputError("annotations must name an annotation-lines file to train on")
    return train_set, sets[1], skipped


def read_history(job_dir: str | os.PathLike[str]) -> dict[str, list[float]]:
    """Every logged value per epoch, both stages, from ``job_dir/history.csv`` (empty if none yet)."""
    import csv

    path = Path(job_dir) / "history.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {key: [float(row[key]) if row[key] not in ("", "NA") else math.nan for row in rows]
            for key in (rows[0] if rows else {})}


def map_curve(history: dict[str, list[float]]) -> list[tuple[float, int, float]]:
    """``(training seconds, epoch, validation mAP)`` for each epoch where mAP was measured."""
    return [(seconds, index + 1, value) for index, (seconds, value)
            in enumerate(zip(history.get("train_seconds", []), history.get("val_map", []))) if not math.isnan(value)]


def tensorboard_callback(log_dir: Path) -> list:
    """A TensorBoard callback writing to ``log_dir``, or none (with a note) if TensorBoard is not installed."""
    import importlib.util

    with quiet_import():
        import keras

    if importlib.util.find_spec("tensorboard") is None:
        print("TensorBoard is not installed (pip install -e '.[yolo]'): no logs for it; history.csv still has "
              "every loss part", file=sys.stderr)
        return []
    return [keras.callbacks.TensorBoard(str(log_dir), update_freq="epoch", write_graph=False)]


def _stage(trainer, dataset, val, config: TrainConfig, stage: int, first_epoch: int, last_epoch: int,
           learning_rate: Callable[[int], float], extra: Sequence, after: Sequence, verbose: int) -> None:
    """Compile and fit epochs ``first_epoch..last_epoch - 1`` with backup/restore, logs and checkpoints."""
    with quiet_import():
        import keras

    from mlbasics.vision.yolo.callbacks import DetectorCheckpoint, QuietFirstEpoch

    job = Path(config.job_dir)
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate(first_epoch), use_ema=config.ema_momentum > 0,
                                      ema_momentum=config.ema_momentum or 0.99)
    trainer.compile(optimizer=optimizer, jit_compile=False)
    callbacks = [
        keras.callbacks.BackupAndRestore(str(job / f"backup_stage_{stage}")),
        keras.callbacks.LearningRateScheduler(learning_rate),
        *extra,  # before the loggers, so what they add to the logs (e.g. val_map) is logged too
        *tensorboard_callback(job / "logs"),
        keras.callbacks.CSVLogger(str(job / "history.csv"), append=True),
        DetectorCheckpoint(job / "checkpoints" / "last.weights.h5"),
        *after,
    ]
    try:
        trainer.fit(dataset, validation_data=val, initial_epoch=first_epoch, epochs=last_epoch, callbacks=callbacks,
                    verbose=verbose, shuffle=False)  # the dataset shuffles itself, every epoch
    finally:  # an error in the first epoch must still reach stderr
        for callback in extra:
            if isinstance(callback, QuietFirstEpoch):
                callback.release()


def train(config: TrainConfig, *, data: TrainingData | None = None,
          on_epoch: Callable[[dict[str, list[float]]], None] | None = None,
          callbacks: Sequence = (), verbose: int = 1) -> TrainResult:
    """Run (or resume) both stages; see the module docstring. ``on_epoch(history)`` is called after
    every epoch with the history so far, as :func:`read_history` returns it (for live plots).

    ``data``: the anchors, class names and samples in memory (``yolo fit``); the config's files are then
    not read, only named in ``config.json`` and in problems. ``None`` (``yolo train``, cloud jobs): read
    from the files.

    Under the ``tf.distribute`` strategy :func:`~mlbasics.vision.yolo.distribute.choose_strategy` picks
    (several workers in ``TF_CONFIG``, or several GPUs); ``batch_size`` is the global batch. Only the
    chief writes the job directory and weights; another worker writes to a scratch copy it deletes.
    """
    strategy = distribute.choose_strategy()  # first: a multi-worker strategy must exist before any op runs
    paths = {"job_dir": config.job_dir, "weights_stage": config.weights_stage, "weights_final": config.weights_final}
    with distribute.worker_scratch(paths) as where, strategy.scope():
        here = replace(config, job_dir=where["job_dir"], weights_stage=where["weights_stage"],
                       weights_final=where["weights_final"])
        return _train(here, asdict(config), distribute.describe(strategy, config.batch_size), data,
                      on_epoch=on_epoch, callbacks=callbacks, verbose=verbose)


def _same_arguments(stored: dict, record: dict) -> bool:
    """Whether a job's ``config.json`` holds the arguments ``record``; a field the job predates counts as
    its default, which does what the code did before the field existed."""
    defaults = {f.name: f.default for f in fields(TrainConfig) if f.default is not MISSING}
    stored = {key: value for key, value in stored.items() if key != "distribution"}
    return {**{key: defaults[key] for key in record.keys() - stored.keys() if key in defaults}, **stored} == record


def _train(config: TrainConfig, record: dict, distribution: dict, data: TrainingData | None, *,
           on_epoch: Callable[[dict[str, list[float]]], None] | None, callbacks: Sequence, verbose: int) -> TrainResult:
    """:func:`train` in this process's folders (``config``), under the strategy's scope; ``record``: the
    arguments as given (the job's ``config.json``), ``distribution``: how the work is split, ``data``: the
    training data in memory (else the config's files)."""
    with quiet_import():
        import keras

    from mlbasics.vision.yolo.callbacks import MapEvaluation, QuietFirstEpoch, TrainingClock
    from mlbasics.vision.yolo.trainer import YoloTrainer

    start = time.perf_counter()
    job = Path(config.job_dir)
    job.mkdir(parents=True, exist_ok=True)
    weights_stage, weights_final = config.paths()
    # a kill -9 during an earlier run leaves its half-written checkpoint or weights in .mlbasics-tmp.* folders
    remove_stale_temporaries(job)
    for folder in {weights_stage.parent, weights_final.parent}:
        remove_stale_temporaries(folder, recursive=False)
    if (job / "config.json").is_file() and not _same_arguments(json.loads((job / "config.json").read_text()), record):
        raise InputError(f"{job / 'config.json'}: this job directory was started with other arguments; "
                         "use a new job directory (or delete this one) to train with these")
    write_json(job / "config.json", {**record, "distribution": distribution})
    spec = config.spec(data)
    result = TrainResult(weights_stage, weights_final)
    if weights_final.is_file():
        return _finish(result, job, start)
    seed_everything(config.seed)
    previous_policy = keras.mixed_precision.global_policy().name
    if config.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        detector = build_detector(spec)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
    if distribution["replicas"] > 1:
        synchronize_batch_norm(detector)  # batch statistics over the global batch, as in one process
    if config.objectness_prior:
        set_objectness_prior(detector, spec)
    train_set, val_set, result.skipped_lines = load_training_data(config, spec, data)
    feeder_callbacks: list = []
    if config.augment == "photos":
        from mlbasics.vision.yolo.augment import PhotoAugmentation, PhotoBatches

        feeder = PhotoBatches(train_set, spec, config.batch_size,
                              PhotoAugmentation(mosaic=config.mosaic, scale=config.jitter,
                                                translate=config.translate), seed=config.seed,
                              anchor_threshold=config.anchor_threshold)
        dataset, feeder_callbacks = sharded(feeder.dataset()), [feeder.callback()]
    else:
        dataset = sharded(make_dataset(train_set, spec, config.batch_size, jitter=config.jitter, seed=config.seed))
    val = (sharded(make_dataset(val_set, spec, config.batch_size, augment=False, shuffle=False))
           if val_set is not None else None)
    trainer = YoloTrainer(detector, spec, config.ignore_threshold, config.box_loss)
    trainer(np.zeros((1, spec.input_size, spec.input_size, 3), np.float32))  # build before restoring
    seconds_so_far = read_history(job).get("train_seconds", [0.0])[-1:] or [0.0]
    extra = [QuietFirstEpoch(), TrainingClock(seconds_so_far[0]), *feeder_callbacks, *callbacks]
    if config.map_every and val_set is not None:
        extra.insert(1, MapEvaluation(val_set, spec, config.map_every))
    after = [] if on_epoch is None else [
        keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: on_epoch(read_history(job)))]

    loaded_layers = _start_from(config, detector, spec) if not weights_stage.is_file() else set()
    if config.epochs_frozen:
        if weights_stage.is_file():
            load_keras_weights(detector, weights_stage, of="this job's model")  # a damaged file is named
        else:
            if not loaded_layers:
                copy_backbone(load_classifier(config.backbone), detector)
                loaded_layers = {layer.name for layer in detector.layers if layer.name.startswith("backbone")}
            for layer in detector.layers:  # stage 1 trains only what did not come from a file
                layer.trainable = layer.name not in loaded_layers
            _stage(trainer, dataset, val, config, 1, 0, config.epochs_frozen,
                   lambda epoch: config.learning_rate_frozen, extra, after, verbose)
            for layer in detector.layers:
                layer.trainable = True
            save_keras(detector, weights_stage)

    steps = max(config.epochs - config.epochs_frozen, 1)

    def cosine(epoch: int) -> float:
        into = epoch - config.epochs_frozen
        if into < config.warmup_epochs:
            return config.learning_rate * (into + 1) / (config.warmup_epochs + 1)
        progress = min(max(into, 0) / steps, 1.0)
        low = config.final_learning_rate_fraction
        return config.learning_rate * (low + (1 - low) * 0.5 * (1 + math.cos(math.pi * progress)))

    if config.epochs > config.epochs_frozen:
        _stage(trainer, dataset, val, config, 2, config.epochs_frozen, config.epochs, cosine, extra, after, verbose)
    save_keras(detector, weights_final)
    spec.write(config_path_for(weights_final))
    return _finish(result, job, start)


def _start_from(config: TrainConfig, detector, spec: YoloSpec) -> set[str]:
    """Load ``config.pretrained`` (Darknet ``.weights``, its ``.cfg`` beside it or ``pretrained_cfg``) into
    ``detector``, keeping everything but the prediction layers, which start afresh for this job's classes
    and anchors (keras-yolo3's ``convert.py`` workflow). Returns the names of the layers loaded."""
    if not config.pretrained:
        return set()

    file_classes: list[str] = []
    if config.pretrained_classes:
        file_classes = list(read_classes(config.pretrained_classes))
    report = load_pretrained(detector, spec, config.pretrained_cfg or cfg_beside(config.pretrained), config.pretrained,
                             reinitialise="classes" if file_classes else "outputs", file_classes=file_classes)
    print(report.summary(), file=sys.stderr)
    return set(report.loaded)


def _finish(result: TrainResult, job: Path, start: float) -> TrainResult:
    result.history = read_history(job)
    result.map_curve = map_curve(result.history)
    result.seconds = time.perf_counter() - start
    return result
