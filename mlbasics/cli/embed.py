"""``mlbasics embed``: the image-embedding pipeline from the command line."""

from __future__ import annotations

import argparse
import importlib.util
import json

from mlbasics.core.errors import InputError

#: Beam options the command passes through as they are (``--name value``).
BEAM_OPTIONS = ("runner", "project", "region", "temp_location", "staging_location", "max_num_workers",
                "setup_file", "requirements_file", "job_name", "flink_master", "spark_master_url",
                "direct_num_workers", "direct_running_mode")


def beam_args_from(args: argparse.Namespace) -> list[str]:
    """The Beam pipeline options given on the command line, as an argument list."""
    argv = []
    for name in BEAM_OPTIONS:
        value = getattr(args, name, None)
        if value is not None:
            argv += [f"--{name}", str(value)]
    for option in args.beam_option:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise InputError(f"--beam-option must look like NAME=VALUE, got {option!r}")
        argv += [f"--{key.lstrip('-')}", value]
    return argv


def check_runner_installed(runner: str | None) -> None:
    """Fail early, with the fix, when the Dataflow runner's extra is missing."""
    if runner == "DataflowRunner" and importlib.util.find_spec("google.cloud.storage") is None:
        raise InputError("--runner DataflowRunner needs apache-beam[gcp]; install it in its own environment: "
                         "pip install -e '.[pipelines]' 'apache-beam[gcp]' (see docs/pipelines.md)")


def _embed(args: argparse.Namespace) -> int:
    from mlbasics.pipelines.embeddings import run_embedding_pipeline

    check_runner_installed(args.runner)
    summary = run_embedding_pipeline(args.source, args.out_dir, args.model, weights=args.weights,
                                     image_size=args.image_size, batch_size=args.batch_size,
                                     beam_args=beam_args_from(args))
    print(json.dumps({**summary.to_dict(), "seconds": round(summary.seconds, 1)}, indent=2))
    return 1 if summary.embedded == 0 else 0


def _embedding_model(args: argparse.Namespace) -> int:
    from mlbasics.workbook import lessons
    from mlbasics.vision.cnn import embedding_model, load_classifier, save_keras

    classifier = load_classifier(args.classifier or lessons.backbone())
    model = embedding_model(classifier)
    save_keras(model, args.path)
    print(f"saved {args.path}: {model.input_shape} pixels 0..255 -> {model.output_shape} embeddings")
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``embed`` and ``embed-model``."""
    embed = subparsers.add_parser("embed", help="embed images with a Keras CNN in a Beam pipeline",
                                  description="Embed every image of SOURCE into OUT_DIR: embeddings/*.npy, "
                                              "index.csv, dead_letter.csv, embedding_map.png, summary.json.")
    embed.add_argument("source", help="a folder, a glob (local or gs://) or a .txt/.csv list of image paths")
    embed.add_argument("out_dir", help="output folder (local or gs://)")
    embed.add_argument("--model", required=True,
                       help="a .keras file (e.g. from `mlbasics embed-model`) or a backbone name: MobileNetV3Small, ...")
    embed.add_argument("--weights", choices=("imagenet",), default=None,
                       help="pretrained weights for a backbone by name (downloads them)")
    embed.add_argument("--image-size", type=int, default=224, help="input size of a backbone by name")
    embed.add_argument("--batch-size", type=int, default=64, help="largest inference batch")
    for name in BEAM_OPTIONS:
        embed.add_argument(f"--{name}", default=None, help=argparse.SUPPRESS if name.startswith("direct") else
                           f"Beam option --{name}")
    embed.add_argument("--beam-option", action="append", default=[], metavar="NAME=VALUE",
                       help="any other Beam pipeline option, repeatable")
    embed.set_defaults(func=_embed)
    model = subparsers.add_parser("embed-model", help="save a classifier without its head as an embedding model",
                                  description="Save CLASSIFIER (default: lesson 05's backbone classifier, trained "
                                              "first if missing) without its softmax head, taking raw 0..255 pixels, "
                                              "as a .keras model for `mlbasics embed --model`.")
    model.add_argument("path", help="where to save the model (.keras)")
    model.add_argument("--classifier", help="a classifier .keras file with a 'pool' layer (`mlbasics yolo backbone`)")
    model.set_defaults(func=_embedding_model)
