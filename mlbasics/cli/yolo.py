"""``mlbasics yolo ...``: make data, convert and check annotations, anchors, backbone, train, detect, evaluate."""

from __future__ import annotations

import argparse
import json
import sys

from mlbasics.cli._args import (
    add_param,
    add_track,
    existing_dir,
    existing_file,
    output_dir,
    output_file,
)
from mlbasics.cli.yolo_data import add_verbs as _add_data_verbs
from mlbasics.cloud.training_job import train_job, uses_cloud
from mlbasics.cloud.voc import read_classes_anywhere, split_file_anywhere, voc_to_lines_anywhere, write_lines_anywhere
from mlbasics.core.batch import require_usable
from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.seed import SEED
from mlbasics.data.annotation_lines import (
    read_annotation_lines,
    read_classes,
    split_file,
    validate_lines,
    voc_to_lines,
    write_lines,
)
from mlbasics.data.voc_folder import VAL_FRACTION
from mlbasics.io.outputs import check_no_input_overwritten
from mlbasics.io.paths import image_files
from mlbasics.io.storage import gs_file_exists, is_remote
from mlbasics.vision.cnn import BACKBONE_WIDTH, CLASSIFIER_EPOCHS, CROP_SIZE, TRAIN_COUNT, train_backbone_classifier
from mlbasics.vision.yolo.anchors import ANCHOR_COUNT, box_sizes, kmeans_anchors, mean_iou, write_anchors
from mlbasics.vision.yolo.coco import COCO, coco_weights
from mlbasics.vision.yolo.data import load_samples
from mlbasics.vision.yolo.decode import NMS_IOU, SCORE_THRESHOLD
from mlbasics.vision.yolo.detect import Detector, detect_files, output_names
from mlbasics.vision.yolo.evaluate import evaluate_model
from mlbasics.vision.yolo.fit import PRETRAINED_INPUT_SIZE, SCRATCH_INPUT_SIZE, SCRATCH_WIDTH, fit
from mlbasics.vision.yolo.pretrained import PRETRAINED_WIDTH
from mlbasics.vision.yolo.train import TRAIN_PARAMS, TrainConfig, train
from mlbasics.workbook import lessons


def _make_data(args: argparse.Namespace) -> int:
    from mlbasics.data.synthetic import SHAPE_CLASSES, SceneStyle, write_voc_dataset

    splits = {"train": args.train, "val": args.val, "test": args.test}
    style = SceneStyle(args.image_size, args.image_size)
    voc = write_voc_dataset(args.out, {k: v for k, v in splits.items() if v}, style, seed=args.seed)
    for split in voc.splits:
        write_lines(voc.root / f"{split}.txt", voc_to_lines(voc.root, split, SHAPE_CLASSES))
        print(f"{split}: {voc.splits[split]} images, annotation lines in {voc.root / f'{split}.txt'}")
    print(f"classes: {voc.classes_file}")
    return 0


def _report_skipped(problems) -> None:
    """One ``skipped <file>[:<line>]: <reason>`` line on stderr per item a step left out."""
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)


def _voc_lines(args: argparse.Namespace) -> int:
    out = args.out or f"{args.voc_root.rstrip('/')}/{args.split}.txt"
    check_no_input_overwritten([out], [args.classes, f"{args.voc_root.rstrip('/')}/ImageSets/Main/{args.split}.txt"])
    skipped: list[DataFileError] = []
    if any(is_remote(p) for p in (args.voc_root, args.classes, out)):
        ids_file = split_file_anywhere(args.voc_root, args.split)
        lines = voc_to_lines_anywhere(args.voc_root, args.split, read_classes_anywhere(args.classes), skipped=skipped)
    else:
        ids_file = str(split_file(args.voc_root, args.split))
        lines = voc_to_lines(args.voc_root, args.split, read_classes(args.classes), skipped=skipped)
    _report_skipped(skipped)
    require_usable(len(lines), skipped, where=ids_file, what="image id")  # before an earlier output is replaced
    if is_remote(out):
        target = write_lines_anywhere(out, lines)
    else:
        target = str(write_lines(out, lines))
    print(f"{len(lines)} lines -> {target}" + (f" ({len(skipped)} skipped)" if skipped else ""))
    return 0


def _check(args: argparse.Namespace) -> int:
    # decoded whole: a JPEG truncated after its header is found here, not in the middle of training
    report = validate_lines(args.annotations, len(read_classes(args.classes)), decode_images=True)
    if not report.samples and not report.problems:
        raise DataFileError(args.annotations, "no annotation lines: the file is empty or blank")
    print(report.summary())
    return 0 if report.ok else 1


def _anchors(args: argparse.Namespace) -> int:
    import numpy as np


    check_no_input_overwritten([args.out], [args.annotations, args.classes])
    report = read_annotation_lines(args.annotations, len(read_classes(args.classes)), decode_images=True)
    _report_skipped(report.problems)
    sizes = box_sizes(np.concatenate([s.boxes for s in report.samples]))
    if args.input_size:  # boxes as the letterboxed network sees them
        scales = [args.input_size / max(s.size or (0, 0)) for s in report.samples for _ in s.boxes]
        sizes = sizes * np.array(scales)[:, None]
    anchors = kmeans_anchors(sizes, args.k, seed=args.seed)
    write_anchors(args.out, anchors)
    skipped = f", {len(report.problems)} line(s) skipped" if report.problems else ""
    print(f"{args.k} anchors from {len(sizes)} boxes{skipped}, mean IoU {mean_iou(sizes, anchors):.3f} -> {args.out}")
    return 0


def _backbone(args: argparse.Namespace) -> int:
    result = train_backbone_classifier(args.out, width=args.width, input_size=args.input_size, epochs=args.epochs,
                                       train_count=args.train_count, seed=args.seed, verbose=1)
    print(f"validation accuracy {result.val_accuracy:.3f} after {result.seconds:.0f} s -> {result.path}")
    return 0


def _train(args: argparse.Namespace) -> int:
    config = TrainConfig(
        annotations=args.annotations, classes=args.classes, anchors=args.anchors, job_dir=args.job_dir or "",
        weights_stage=args.weights_stage or "", weights_final=args.weights_final or "",
        val_annotations=args.val_annotations or "", backbone=args.backbone or "",
        pretrained=args.pretrained or "", pretrained_cfg=args.pretrained_cfg or "", model=args.model,
        input_size=args.input_size, width=args.width, batch_size=args.batch_size, epochs_frozen=args.epochs_frozen,
        epochs=args.epochs, learning_rate_frozen=args.learning_rate_frozen, learning_rate=args.learning_rate,
        mixed_precision=args.mixed_precision, seed=args.seed,
    )

    if uses_cloud(config):  # gs:// paths or a managed job: stage in, train here, sync out
        run = train_job(config, verbose=args.verbose)
        result, stage, final = run.result, run.layout.weights_stage, run.layout.weights_final
    else:
        if not config.job_dir:
            raise InputError("--job-dir is required (outside a managed job that sets AIP_MODEL_DIR)")
        result = train(config, verbose=args.verbose)
        stage, final = str(result.weights_stage), str(result.weights_final)
    _report_skipped(result.skipped_lines)
    # only files that are there: without a frozen stage (--epochs-frozen 0) no stage-1 file is written
    for label, path in (("stage 1 weights", stage), ("final weights", final)):
        if gs_file_exists(path):
            print(f"{label}: {path}")
    print(f"time: {result.seconds:.0f} s")
    return 0


def _load_detector(args: argparse.Namespace):
    """``--weights`` as a detector: a ``.weights.h5`` (``--config`` beside it) or ``coco``, the published
    tiny-YOLOv3 (fetched and converted on first use)."""
    if args.weights == COCO:
        if args.config:
            raise InputError("--config: the coco detector brings its own; give --config only with a .weights.h5")
        return Detector.load(coco_weights())
    return Detector.load(args.weights, args.config)


def _detect(args: argparse.Namespace) -> int:
    images = image_files(args.images)
    output_names(images, args.out)  # an output onto an input is refused before the weights are loaded
    detector = _load_detector(args)
    report = detect_files(detector, images, args.out, score_threshold=args.score_threshold,
                          nms_iou=args.nms_iou, flip=args.flip)
    for path, entry in zip(images, report["images"]):
        if "error" in entry:
            _report_skipped([f"{path}: {entry['error']}"])
            continue
        found = ", ".join(f"{d['class']} {d['score']:.2f}" for d in entry["detections"])
        print(f"{entry['image']}: {found or 'nothing found'}")
    print(f"labelled images and detections.json in {args.out}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    detector = _load_detector(args)
    spec = detector.spec
    report = read_annotation_lines(args.annotations, spec.num_classes)
    data = load_samples(report.samples, spec.input_size)
    skipped = [str(p) for p in (*report.problems, *data.skipped)]
    _report_skipped(skipped)
    result = evaluate_model(detector.model, data, spec, flip=args.flip).result
    print(json.dumps({"images": len(data.images), "skipped_lines": skipped,
                      "interpolation": result.interpolation, "iou_threshold": result.iou_threshold,
                      "ap": {spec.class_names[c]: round(ap, 4) for c, ap in result.ap.items()},
                      "map": round(result.map, 4)}, indent=2))
    return 0


def _fit(args: argparse.Namespace) -> int:
    pretrained = None if args.from_scratch else (args.pretrained or "coco")
    report = fit(args.voc_root, args.out, epochs=args.epochs, input_size=args.input_size, width=args.width,
                 seed=args.seed, val_fraction=args.val_fraction, split=args.split, pretrained=pretrained,
                 map_every=args.map_every)
    for problem in report.skipped:
        _report_skipped([f"{problem['file']}: {problem['reason']}"])
    for warning in report.warnings:
        print(f"warning {warning['file']}: {warning['reason']}", file=sys.stderr)
    start = f"from {report.pretrained}" if report.pretrained else "from scratch"
    print(f"{report.train_images} training / {report.val_images} validation photos ({report.split}); "
          f"{start}, {report.settings.epochs} epochs at {report.settings.input_size} px in "
          f"{report.train_seconds:.0f} s ({report.seconds_per_epoch:.1f} s an epoch)")
    for name, ap in report.ap.items():
        print(f"AP {name}: {ap:.3f}")
    print(f"mAP@0.5 = {report.map:.3f} (the detector as detect, export and the camera page run it; "
          f"{report.map_flip:.3f} with the test-time flip of detect --flip)")
    print(f"weights: {report.weights} (config {report.config}); report: {args.out}/report.json")
    return 0


def _add_make_data(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("make-data", help="write the synthetic shapes set in VOC layout plus annotation lines")
    p.add_argument("--out", type=output_dir, required=True, help="folder to write into")
    for param in (*lessons.SPLIT_SIZES.values(), lessons.IMAGE_SIZE):  # the lessons' set unless told otherwise
        add_param(p, param)
    add_param(p, SEED)
    p.set_defaults(func=_make_data)


def _add_voc_lines(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("voc-lines", help="convert a VOC folder's split to annotation lines (local or gs://)")
    p.add_argument("voc_root", type=existing_dir, help="local folder or gs://bucket/folder")
    p.add_argument("--split", default="train")
    p.add_argument("--classes", type=existing_file, required=True, help="classes file, one name per line")
    p.add_argument("--out", type=output_file, help="annotation file to write (default VOC_ROOT/SPLIT.txt)")
    p.set_defaults(func=_voc_lines)


def _add_check(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("check", help="validate an annotation file: every bad line with its number and reason")
    p.add_argument("annotations", type=existing_file)
    p.add_argument("--classes", type=existing_file, required=True)
    p.set_defaults(func=_check)


def _add_anchors(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("anchors", help="k-means (1 - IoU) anchors from an annotation file")
    p.add_argument("annotations", type=existing_file)
    p.add_argument("--classes", type=existing_file, required=True)
    add_param(p, ANCHOR_COUNT)
    add_param(p, TRAIN_PARAMS["input_size"], default=None,
              help="scale boxes to the letterboxed input of this size first (default: keep image pixels)")
    p.add_argument("--out", type=output_file, default="anchors.txt", help="anchors file to write")
    add_param(p, SEED)
    p.set_defaults(func=_anchors)


def _add_backbone(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("backbone", help="train lesson 05's classifier (the tiny-YOLOv3 backbone) on shape crops")
    p.add_argument("--out", type=output_file, required=True, help="where to save it (.keras)")
    # the lessons' backbone unless told (lesson 05's width and crop side, which lesson 07 builds on)
    add_param(p, BACKBONE_WIDTH, default=lessons.WIDTH)
    add_param(p, CROP_SIZE, default=lessons.CROP_SIZE)
    for param in (CLASSIFIER_EPOCHS, TRAIN_COUNT, SEED):
        add_param(p, param)
    p.set_defaults(func=_backbone)


def _add_train(verbs: argparse._SubParsersAction) -> None:
    # The option names are TrainConfig's fields; cloud job specs (lesson 11) pass them as they are.
    p = verbs.add_parser("train", help="two-stage training (frozen backbone, then all layers), resumable")
    p.add_argument("--annotations", type=existing_file, required=True, help="training annotation lines")
    p.add_argument("--val-annotations", type=existing_file,
                   help="validation annotation lines (validation loss per epoch)")
    p.add_argument("--classes", type=existing_file, required=True, help="classes file, one name per line")
    p.add_argument("--anchors", type=existing_file, required=True, help="anchors file (6 for tiny, 9 for full)")
    p.add_argument("--job-dir", type=output_dir,
                   help="logs, checkpoints, backups; run again to resume (local or gs://; "
                        "default in a managed job: the parent of $AIP_MODEL_DIR)")
    p.add_argument("--backbone", type=existing_file, help="trained backbone classifier (.keras) for stage 1")
    p.add_argument("--pretrained", type=existing_file, metavar="FILE.weights",
                   help="start from Darknet weights (e.g. yolov3-tiny.weights, needs --width 1.0): every layer but "
                        "the prediction layers is kept, those start afresh for your classes; stage 1 trains only them")
    p.add_argument("--pretrained-cfg", type=existing_file, metavar="FILE.cfg",
                   help="the Darknet .cfg of --pretrained (default: the .cfg beside it)")
    p.add_argument("--weights-stage", type=output_file,
                   help="weights after stage 1 (default JOB_DIR/trained_stage_1.weights.h5)")
    p.add_argument("--weights-final", type=output_file, help="final weights (default JOB_DIR/trained_final.weights.h5)")
    for name in ("model", "input_size", "width", "batch_size"):
        add_param(p, TRAIN_PARAMS[name])
    # 0, not TrainConfig's default: a frozen stage needs --backbone, which is optional here
    add_param(p, TRAIN_PARAMS["epochs_frozen"], default=0, help=f"{TRAIN_PARAMS['epochs_frozen'].help} "
                                                                 "(needs --backbone or --pretrained)")
    for name in ("epochs", "learning_rate_frozen", "learning_rate"):
        add_param(p, TRAIN_PARAMS[name])
    p.add_argument("--mixed-precision", action="store_true", help="mixed_bfloat16 (outputs stay float32)")
    add_param(p, TRAIN_PARAMS["seed"])
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1, help="Keras fit: 2 = one line per epoch")
    p.set_defaults(func=_train)


def _add_fit(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("fit", help="a Pascal VOC folder of photos -> split, anchors, training, mAP, report.json "
                                     "(run again to resume)")
    p.add_argument("voc_root", type=existing_dir,
                   help="Annotations/+JPEGImages/, LabelImg's annotations/+images/, or XML next to the images")
    p.add_argument("--out", type=output_dir, required=True, help="folder for data, job, weights and report.json")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--from-scratch", action="store_true",
                       help="start from random weights (default: from Darknet's published tiny-YOLOv3 trained on COCO)")
    start.add_argument("--pretrained", type=existing_file,
                       help="another Darknet .weights to start from, its .cfg (and .names, if any) beside it")
    # None: fit chooses (from the number of photos, and whether it starts from COCO) unless told
    add_param(p, TRAIN_PARAMS["epochs"], default=None,
              help="training epochs (default: chosen from the number of photos)")
    add_param(p, TRAIN_PARAMS["input_size"], default=None,
              help=f"{TRAIN_PARAMS['input_size'].help} (default {PRETRAINED_INPUT_SIZE}; {SCRATCH_INPUT_SIZE} "
                   "from scratch)")
    add_param(p, TRAIN_PARAMS["width"], default=None,
              help=f"{TRAIN_PARAMS['width'].help} (default {PRETRAINED_WIDTH}, what pretrained weights need; "
                   f"{SCRATCH_WIDTH} from scratch)")
    add_param(p, TRAIN_PARAMS["map_every"],
              help="measure validation mAP@0.5 every N epochs (report.json's map_curve; 0: only at the end)")
    add_param(p, TRAIN_PARAMS["seed"])
    add_param(p, VAL_FRACTION, help=f"{VAL_FRACTION.help}, when the folder has no ImageSets and no --split is given")
    p.add_argument("--split", type=existing_file,
                   help='JSON file {"val": [stems]} fixing the validation photos (e.g. datasets/splits/raccoon.json)')
    p.set_defaults(func=_fit)


def _weights(text: str) -> str:
    """``coco`` or a weights file (as :func:`existing_file` checks it)."""
    return text if text == COCO else existing_file(text)


def _add_detector_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", type=_weights, required=True,
                   help="a .weights.h5 written by training, or 'coco': Darknet's published tiny-YOLOv3 trained on "
                        "COCO's 80 classes (downloaded and converted on first use)")
    p.add_argument("--config", type=existing_file, help="its .config.json (default: beside the weights)")


def _add_detect(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("detect", help="find objects in photos; write labelled images and detections.json")
    # not checked here: one missing file, FIFO or broken link is named and skipped, the rest detected
    p.add_argument("images", nargs="+", metavar="PHOTOS_OR_FOLDERS",
                   help="photos, or folders searched for photos (and below them); one that cannot be read is "
                        "named and skipped")
    _add_detector_options(p)
    p.add_argument("--out", type=output_dir, default="detections",
                   help="folder for the labelled images and detections.json")
    add_param(p, SCORE_THRESHOLD)
    add_param(p, NMS_IOU)
    _add_flip_option(p)
    p.set_defaults(func=_detect)


def _add_evaluate(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("evaluate", help="AP per class and mAP@0.5 on an annotation file")
    p.add_argument("annotations", type=existing_file)
    _add_detector_options(p)
    _add_flip_option(p)
    p.set_defaults(func=_evaluate)


def _add_flip_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--flip", action="store_true",
                   help="test-time flip: also run each image mirrored left to right and join both before NMS")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``mlbasics yolo <verb>``."""
    add_track(subparsers, "yolo", "YOLOv3 detection: data, anchors, training, detection, mAP",
              (_add_make_data, _add_voc_lines, _add_check, _add_anchors, _add_backbone, _add_train, _add_fit,
               _add_detect, _add_evaluate, _add_data_verbs))
