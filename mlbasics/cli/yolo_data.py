"""``mlbasics yolo convert`` and ``mlbasics yolo report``: bring labels in any common format, check the set.

Added to the ``yolo`` track by :func:`add_verbs` (``cli/yolo.py`` calls it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlbasics.cli._args import add_param, existing_dir, existing_file, existing_path, output_dir, output_file
from mlbasics.core.errors import InputError
from mlbasics.data.annotation_lines import read_classes
from mlbasics.data.convert import READ_FORMATS, WRITE_FORMATS, check_output, read_annotations, write_annotations
from mlbasics.data.report import dataset_report
from mlbasics.data.yolo_txt import yolo_dataset_folder
from mlbasics.io.files import atomic_path, write_json
from mlbasics.vision.yolo.anchors import read_anchors
from mlbasics.vision.yolo.spec import STRIDES, YoloSpec
from mlbasics.vision.yolo.train import TRAIN_PARAMS


def _report_skipped(problems) -> None:
    """One ``skipped <file>[:<line>]: <reason>`` line on stderr per record left out."""
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr)


def _read(args: argparse.Namespace, source: str, split: str, *, check_images: bool = True,
          decode_images: bool = False):
    if args.source_format in ("voc", "lines") and not args.classes:
        raise InputError(f"--classes is required to read {args.source_format} (one class name per line)")
    classes = read_classes(args.classes) if args.classes else None
    if args.source_format == "yolo":  # a data.yaml's path: is followed: say where the photos come from

        folder, given = yolo_dataset_folder(source), Path(source)
        if folder.resolve() != (given if given.is_dir() else given.parent).resolve():
            print(f"reading the dataset in {folder.resolve()} (the 'path:' of its data.yaml)")
    return read_annotations(source, args.source_format, split=split, classes=classes, images_dir=args.images_dir,
                            check_images=check_images, decode_images=decode_images)


def _convert(args: argparse.Namespace) -> int:
    check = output_dir if args.target_format == "yolo" else output_file
    try:
        check(args.out)
    except argparse.ArgumentTypeError as exc:
        raise InputError(f"--out: {exc}") from None
    check_output(args.source, args.source_format, args.out, args.target_format, images_dir=args.images_dir,
                 classes_file=args.classes)
    converted = _read(args, args.source, args.split, decode_images=args.decode_images)
    read_problems = len(converted.problems)
    target = write_annotations(converted, args.target_format, args.out, split=args.split,
                               images_dir=args.images_dir if args.source_format != "coco" else None)
    _report_skipped(converted.problems)
    written = len(converted.samples) - (len(converted.problems) - read_problems)
    skipped = f" ({len(converted.problems)} skipped)" if converted.problems else ""
    print(f"{written} image(s), {converted.boxes} box(es), classes {converted.classes} -> {target}{skipped}")
    return 0


def _report(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # this command owns its process (no display needed); library code switches nothing
    import matplotlib.pyplot as plt

    from mlbasics.workbook.viz.dataset import plot_dataset_report

    if args.config and (args.anchors or args.input_size):
        raise InputError("--config gives the anchors and the input size: leave out --anchors and --input-size")
    if args.anchors and not args.input_size:
        raise InputError("--anchors are in input pixels: give --input-size too")
    spec = YoloSpec.read(args.config) if args.config else None
    # the report opens every photo itself: a box outside an EXIF-rotated photo is reported, not skipped unseen
    train = _read(args, args.source, args.split, check_images=False)
    val = _read(args, args.val, args.val_split, check_images=False) if args.val else None
    if spec is not None:
        report = dataset_report(train, val, anchors=spec.anchors, input_size=spec.input_size, strides=spec.strides)
    else:
        report = dataset_report(train, val, anchors=read_anchors(args.anchors) if args.anchors else None,
                                input_size=args.input_size, strides=STRIDES[args.model] if args.input_size else ())
    _report_skipped(report.skipped)
    out = Path(args.out)
    write_json(out / "report.json", report.to_json())
    figure = plot_dataset_report(report)
    with atomic_path(out / "report.png") as staged:
        figure.savefig(staged, dpi=90)
    plt.close(figure)
    print(report.summary())
    print(f"report.json and report.png in {out}")
    return 0


def _add_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", type=existing_path,
                   help="annotation lines file, VOC folder, YOLO folder or data.yaml, COCO JSON file")
    p.add_argument("--from", dest="source_format", choices=READ_FORMATS, required=True, help="format of SOURCE")
    p.add_argument("--classes", type=existing_file,
                   help="classes file, one name per line (needed for voc and lines; YOLO and COCO name theirs)")
    p.add_argument("--split", default="train", help="split of a VOC or YOLO dataset")
    p.add_argument("--images-dir", type=existing_dir,
                   help="folder of a COCO file's images: where --from coco finds them, what --to coco names "
                        "them relative to (default: the JSON file's folder)")


def _add_convert(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("convert", help="convert annotations between VOC, YOLO txt, COCO JSON and annotation lines")
    _add_source(p)
    p.add_argument("--to", dest="target_format", choices=WRITE_FORMATS, required=True,
                   help="lines (a file, classes.txt beside it), yolo (a folder with data.yaml), coco (a JSON file)")
    p.add_argument("--out", required=True, help="file (lines, coco) or folder (yolo) to write")
    p.add_argument("--decode-images", action=argparse.BooleanOptionalAction, default=True,
                   help="decode every photo whole: one cut short after its header is named and left out "
                        "(--no-decode-images: read headers only, faster on a large set)")
    p.set_defaults(func=_convert)


def _add_report(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("report", help="check a labelled photo set: classes, box sizes, duplicates, train/val "
                                        "overlap, EXIF rotation, broken files; writes report.json and report.png")
    _add_source(p)
    p.add_argument("--val", type=existing_path, help="the validation annotations (same format): overlap with SOURCE")
    p.add_argument("--val-split", default="val", help="split of --val for a VOC or YOLO dataset")
    p.add_argument("--anchors", type=existing_file, help="anchors file (input pixels) to compare the boxes with")
    add_param(p, TRAIN_PARAMS["input_size"], default=None,
              help="the network's input: box sizes letterboxed to it and compared with the strides")
    add_param(p, TRAIN_PARAMS["model"], help="whose strides (tiny: 32, 16; full: 32, 16, 8)")
    p.add_argument("--config", type=existing_file,
                   help="a trained detector's .config.json: its anchors, input size and strides (instead of the above)")
    p.add_argument("--out", type=output_dir, required=True, help="folder for report.json and report.png")
    p.set_defaults(func=_report)


def add_verbs(verbs: argparse._SubParsersAction) -> None:
    """Add ``convert`` and ``report`` to the ``mlbasics yolo`` verbs."""
    _add_convert(verbs)
    _add_report(verbs)
