"""``mlbasics faces train|identify|tag|run``: the face-finder stages from the command line."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from mlbasics.cli._args import add_param, existing_dir, existing_file, output_dir
from mlbasics.cli.embed import add_runner_options, beam_args_from, check_runner_options
from mlbasics.data import cache_dir
from mlbasics.pipelines.faces.detection import DETECTOR, MIN_FACE_SIZE, DetectionPolicy
from mlbasics.pipelines.faces.matching import MATCH_THRESHOLD
from mlbasics.pipelines.faces.state import load_state
from mlbasics.pipelines.faces.workspace import run
from mlbasics.pipelines.settings import SHARDS


def _print(report: object) -> None:
    data = dataclasses.asdict(report) if dataclasses.is_dataclass(report) and not isinstance(report, type) else report
    print(json.dumps(data, indent=2, default=lambda o: dataclasses.asdict(o)))


def _cache(args: argparse.Namespace):
    from mlbasics.pipelines.faces.analysis import AnalysisCache

    policy = DetectionPolicy(min_face_size=args.min_face_size, detector=args.detector)
    return AnalysisCache(args.cache or cache_dir() / "face-analysis", policy)


def _train(args: argparse.Namespace) -> int:
    from mlbasics.pipelines.faces.train import train

    report = train(args.train_dir, args.out, _cache(args))
    _print(report)
    for photo, reason in report.skipped.items():
        print(f"skipped {photo}: {reason}", file=sys.stderr)
    return 0


def _identify(args: argparse.Namespace) -> int:
    from mlbasics.pipelines.faces.identify import identify

    check_runner_options(args)
    report = identify(args.images_dir, args.state, args.out, _cache(args), threshold=args.threshold,
                      beam_args=beam_args_from(args), shards=args.shards)
    _print(report)
    return 0


def _tag(args: argparse.Namespace) -> int:
    from mlbasics.pipelines.faces.tag import tag

    known = load_state(args.state).people() if args.state else None
    report = tag(args.images_dir, args.identified_dir, args.out, labels_dir=args.labels_dir, known_names=known)
    _print(report)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace) -> int:
    result = run(args.workspace, threshold=args.threshold, min_face_size=args.min_face_size, detector=args.detector,
                 use_dvc=False if args.no_dvc else None)
    print(result) if isinstance(result, str) else _print(result)
    return 0


def _add_cache_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache", default=None, help="face-analysis cache folder (default: in the data cache)")
    _add_detection_options(parser)


def _add_detection_options(parser: argparse.ArgumentParser) -> None:
    add_param(parser, MIN_FACE_SIZE, metavar="PIXELS")
    add_param(parser, DETECTOR)


def _add_threshold_option(parser: argparse.ArgumentParser) -> None:
    add_param(parser, MATCH_THRESHOLD)


def _add_train(verbs: argparse._SubParsersAction) -> None:
    train = verbs.add_parser("train", help="photos in TRAIN_DIR/<name>/ or TRAIN_DIR/<name>3.jpg -> state file")
    train.add_argument("train_dir", type=existing_dir)
    train.add_argument("--out", required=True, help="state file to write (.json)")
    _add_cache_option(train)
    train.set_defaults(func=_train)


def _add_identify(verbs: argparse._SubParsersAction) -> None:
    identify = verbs.add_parser("identify", help="images -> one facebox JSON per image (Beam pipeline)")
    identify.add_argument("images_dir", type=existing_dir)
    # not checked here: the library's error also says which command writes it
    identify.add_argument("state", help="state file written by `mlbasics faces train`")
    identify.add_argument("--out", type=output_dir, required=True, help="folder for the facebox JSON files")
    _add_threshold_option(identify)
    add_runner_options(identify)
    add_param(identify, SHARDS)
    identify.add_argument("--beam-option", action="append", default=[], metavar="NAME=VALUE")
    _add_cache_option(identify)
    identify.set_defaults(func=_identify)


def _add_tag(verbs: argparse._SubParsersAction) -> None:
    tag = verbs.add_parser("tag", help="images + identify JSON (+ labels/<name>.jpg) -> tagged images")
    tag.add_argument("images_dir", type=existing_dir)
    tag.add_argument("identified_dir", type=existing_dir, help="folder written by `mlbasics faces identify`")
    tag.add_argument("--out", type=output_dir, required=True, help="folder for the tagged images")
    tag.add_argument("--labels-dir", type=existing_dir, default=None, help="folder of label images named after people")
    tag.add_argument("--state", type=existing_file, default=None,
                     help="state file, to warn about labels of unknown names")
    tag.set_defaults(func=_tag)


def _add_run(verbs: argparse._SubParsersAction) -> None:
    run = verbs.add_parser("run", help="bring a workspace's outputs up to date (train -> identify -> tag)")
    run.add_argument("workspace", type=existing_dir, help="folder with train/, images/ and optionally labels/")
    _add_threshold_option(run)
    _add_detection_options(run)
    run.add_argument("--no-dvc", action="store_true", help="run the stages in process even if DVC is installed")
    run.set_defaults(func=_run)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``faces`` and its verbs."""
    faces = subparsers.add_parser("faces", help="face finder: train on named photos, identify and tag people")
    verbs = faces.add_subparsers(dest="verb", required=True)
    for add in (_add_train, _add_identify, _add_tag, _add_run):
        add(verbs)
