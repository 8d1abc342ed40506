"""``mlbasics embed``: the image-embedding pipeline from the command line."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys

from mlbasics.cli._args import add_param, existing_file, existing_path, output_dir
from mlbasics.core.errors import InputError
from mlbasics.pipelines.runners import check_scheduler_reachable
from mlbasics.pipelines.settings import BATCH_SIZE, IMAGE_SIZE, SHARDS
from mlbasics.vision.cnn import embedding_model, load_classifier, save_keras

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
    if getattr(args, "dask_address", None):
        argv += ["--dask_client_address", args.dask_address]
    for option in args.beam_option:
        key, sep, value = option.partition("=")
        if not sep or not key:
            raise InputError(f"--beam-option must look like NAME=VALUE, got {option!r}")
        argv += [f"--{key.lstrip('-')}", value]
    return argv


def check_runner_installed(runner: str | None) -> None:
    """Fail early, with the fix, when the Dataflow or Dask runner's extra is missing."""
    if runner is not None and runner.endswith("DaskRunner") and importlib.util.find_spec("distributed") is None:
        raise InputError("--runner DaskRunner needs apache-beam[dask]: pip install -e '.[dask]'")
    if runner == "DataflowRunner" and importlib.util.find_spec("google.cloud.storage") is None:
        raise InputError("--runner DataflowRunner needs apache-beam[gcp]; install it in its own environment: "
                         "pip install -e '.[pipelines]' 'apache-beam[gcp]' (see docs/pipelines.md)")


def check_runner_options(args: argparse.Namespace) -> None:
    """Before any work: the runner's extra is installed, a ``--dask-address`` answers, and a DaskRunner
    without one says (on stderr, one line) that it starts a local cluster for this run."""
    check_runner_installed(args.runner)
    if args.runner is None or not args.runner.endswith("DaskRunner"):
        return
    if args.dask_address:
        check_scheduler_reachable(args.dask_address)
    else:
        print("note: --runner DaskRunner without --dask-address: starting a local Dask cluster in this process for "
              "this run (to use a running one, give --dask-address tcp://HOST:PORT, as `mlbasics cluster start` "
              "prints it)", file=sys.stderr)


def _embed(args: argparse.Namespace) -> int:
    from mlbasics.pipelines.embeddings import run_embedding_pipeline

    check_runner_options(args)
    summary = run_embedding_pipeline(args.source, args.out, args.model, weights=args.weights,
                                     beam_args=beam_args_from(args), image_size=args.image_size,
                                     batch_size=args.batch_size, shards=args.shards)
    print(json.dumps({**summary.to_dict(), "seconds": round(summary.seconds, 1)}, indent=2))
    return 1 if summary.embedded == 0 else 0


def _embedding_model(args: argparse.Namespace) -> int:
    from mlbasics.workbook import lessons

    classifier = load_classifier(args.classifier or lessons.backbone())
    model = embedding_model(classifier)
    save_keras(model, args.out)
    print(f"saved {args.out}: {model.input_shape} pixels 0..255 -> {model.output_shape} embeddings")
    return 0


def add_runner_options(parser: argparse.ArgumentParser) -> None:
    """``--runner`` and ``--dask-address`` (shared by ``embed`` and ``faces identify``)."""
    parser.add_argument("--runner", default=None,
                        help="Beam runner: DirectRunner (default), DaskRunner (with --dask-address), DataflowRunner, "
                             "FlinkRunner, SparkRunner or a dotted path")
    parser.add_argument("--dask-address", default=None, metavar="tcp://HOST:PORT",
                        help="the Dask scheduler for --runner DaskRunner (`mlbasics cluster start` prints it)")


def keras_file_or_name(text: str) -> str:
    """``--model``: a ``.keras`` file that exists, or a backbone name (checked by the pipeline's handler)."""
    return existing_file(text) if text.endswith(".keras") else text


def keras_output(text: str) -> str:
    """``embed-model --out``: the model is saved whole, which Keras does only to ``.keras`` files."""
    if not text.endswith(".keras"):
        raise argparse.ArgumentTypeError(f"must end in .keras, got {text!r}")
    return text


def _add_embed(subparsers: argparse._SubParsersAction) -> None:
    embed = subparsers.add_parser("embed", help="embed images with a Keras CNN in a Beam pipeline",
                                  description="Embed every image of SOURCE into the --out folder: embeddings/*.npy, "
                                              "index.csv, dead_letter.csv, embedding_map.png, summary.json.")
    embed.add_argument("source", type=existing_path,
                       help="a folder, a glob (local or gs://) or a .txt/.csv list of image paths")
    embed.add_argument("--out", type=output_dir, required=True, help="output folder (local or gs://)")
    embed.add_argument("--model", type=keras_file_or_name, required=True,
                       help="a .keras file (e.g. from `mlbasics embed-model`) or a backbone name: "
                            "MobileNetV3Small, ...")
    embed.add_argument("--weights", choices=("imagenet",), default=None,
                       help="pretrained weights for a backbone by name (downloads them)")
    for param in (IMAGE_SIZE, BATCH_SIZE, SHARDS):
        add_param(embed, param)
    for name in BEAM_OPTIONS:
        if name == "runner":
            add_runner_options(embed)
        else:
            embed.add_argument(f"--{name}", default=None, help=argparse.SUPPRESS if name.startswith("direct") else
                               f"Beam option --{name}")
    embed.add_argument("--beam-option", action="append", default=[], metavar="NAME=VALUE",
                       help="any other Beam pipeline option, repeatable")
    embed.set_defaults(func=_embed)


def _add_embed_model(subparsers: argparse._SubParsersAction) -> None:
    model = subparsers.add_parser("embed-model", help="save a classifier without its head as an embedding model",
                                  description="Save CLASSIFIER (default: lesson 05's backbone classifier, trained "
                                              "first if missing) without its softmax head, taking raw 0..255 pixels, "
                                              "as a .keras model for `mlbasics embed --model`.")
    model.add_argument("--out", type=keras_output, required=True, help="where to save the model (.keras)")
    model.add_argument("--classifier", type=existing_file,
                       help="a classifier .keras file with a 'pool' layer (`mlbasics yolo backbone`)")
    model.set_defaults(func=_embedding_model)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``embed`` and ``embed-model``."""
    _add_embed(subparsers)
    _add_embed_model(subparsers)
