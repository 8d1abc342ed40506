"""``mlbasics cloud ...``: data, trainer package, job spec, local run, submission, emulator."""

from __future__ import annotations

import argparse
import sys
import time


def _upload_voc(args: argparse.Namespace) -> int:
    from mlbasics.cloud.voc import upload_voc

    ids = upload_voc(args.voc_root, args.split, args.destination, args.count)
    print(f"{len(ids)} images of split {args.split!r} -> {args.destination}")
    return 0


def _package(args: argparse.Namespace) -> int:
    from mlbasics.cloud.package import build_trainer_package

    for path in build_trainer_package(args.out_dir):
        print(path)
    return 0


def _upload(args: argparse.Namespace) -> int:
    from mlbasics.io.storage import gs_copy_file

    gs_copy_file(args.source, args.destination)
    print(f"{args.source} -> {args.destination}")
    return 0


def _spec(args: argparse.Namespace) -> int:
    from mlbasics.cloud.job_spec import JobSpec, save_spec

    spec = JobSpec(display_name=args.display_name, package_uris=tuple(args.package_uri),
                   python_module=args.module, base_output_dir=args.base_output_dir, args=tuple(args.trainer_args),
                   machine_type=args.machine_type, accelerator_type=args.accelerator_type or None,
                   accelerator_count=args.accelerator_count if args.accelerator_type else 0,
                   replica_count=args.replica_count, region=args.region)
    save_spec(spec, args.output)
    print(f"wrote {args.output}")
    return 0


def _gcloud(args: argparse.Namespace) -> int:
    from mlbasics.cloud.job_spec import gcloud_command, gcloud_config, load_spec

    spec = load_spec(args.spec)
    print(f"# {args.config_file}\n{gcloud_config(spec)}")
    print(" ".join(gcloud_command(spec, args.config_file)))
    return 0


def _run_local(args: argparse.Namespace) -> int:
    from mlbasics.cloud.job_spec import load_spec
    from mlbasics.cloud.local_run import run_local

    return run_local(load_spec(args.spec)).returncode


def _submit(args: argparse.Namespace) -> int:
    from mlbasics.cloud.job_spec import load_spec
    from mlbasics.cloud.submit import CloudSetupError, submit

    try:
        print(submit(load_spec(args.spec), project=args.project))
    except CloudSetupError as exc:
        print(f"mlbasics cloud submit: {exc}", file=sys.stderr)
        return 2
    return 0


def _emulator(args: argparse.Namespace) -> int:
    from mlbasics.cloud.emulator import GcsEmulator

    with GcsEmulator(args.bucket, port=args.port) as emulator:
        print(f"GCS emulator on {emulator.url} with buckets {args.bucket}; in another shell:")
        print(f"  export STORAGE_EMULATOR_HOST={emulator.url} GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false")
        print("Ctrl-C stops it (its data is kept in memory only).", flush=True)
        try:
            while emulator.running:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``mlbasics cloud`` and its verbs."""
    cloud = subparsers.add_parser("cloud", help="cloud training jobs: data, package, spec, run-local, submit")
    verbs = cloud.add_subparsers(dest="verb", required=True)

    data = verbs.add_parser("upload-voc", help="copy a local VOC folder's split (e.g. from `mlbasics yolo make-data`) "
                                               "to a bucket")
    data.add_argument("voc_root")
    data.add_argument("destination", help="gs://bucket/folder (or a local folder)")
    data.add_argument("--split", default="train")
    data.add_argument("--count", type=int, default=None, help="only the first COUNT images")
    data.set_defaults(func=_upload_voc)

    package = verbs.add_parser("package", help="build the trainer sdist and wheel")
    package.add_argument("out_dir")
    package.set_defaults(func=_package)

    upload = verbs.add_parser("upload", help="copy one file between local paths and gs://")
    upload.add_argument("source")
    upload.add_argument("destination")
    upload.set_defaults(func=_upload)

    spec = verbs.add_parser("spec", help="write a validated job spec JSON")
    spec.add_argument("output")
    spec.add_argument("--display-name", required=True)
    spec.add_argument("--package-uri", action="append", required=True, help="gs:// URL of the sdist or wheel")
    spec.add_argument("--base-output-dir", required=True, help="gs:// folder for model, checkpoints, logs")
    spec.add_argument("--module", default="mlbasics.cli", help="run as python -m MODULE; mlbasics.cli takes "
                      "the mlbasics command's arguments: --trainer-args yolo train ...")
    spec.add_argument("--machine-type", default="n1-standard-4")
    spec.add_argument("--accelerator-type", default="NVIDIA_TESLA_T4", help="'' for none")
    spec.add_argument("--accelerator-count", type=int, default=1)
    spec.add_argument("--replica-count", type=int, default=1)
    spec.add_argument("--region", default="us-central1")
    spec.add_argument("--trainer-args", nargs=argparse.REMAINDER, default=[],
                      help="last option: everything after it is passed to the module")
    spec.set_defaults(func=_spec)

    gcloud = verbs.add_parser("gcloud", help="print the gcloud config file and command for a spec")
    gcloud.add_argument("spec")
    gcloud.add_argument("--config-file", default="job.yaml")
    gcloud.set_defaults(func=_gcloud)

    run = verbs.add_parser("run-local", help="run a spec's module and args here, with the job's environment")
    run.add_argument("spec")
    run.set_defaults(func=_run_local)

    submit = verbs.add_parser("submit", help="create the job on Vertex AI (needs credentials and a project)")
    submit.add_argument("spec")
    submit.add_argument("--project", default=None)
    submit.set_defaults(func=_submit)

    emulator = verbs.add_parser("emulator", help="run a local GCS emulator until Ctrl-C")
    emulator.add_argument("--bucket", action="append", default=[], help="bucket to create (repeatable)")
    emulator.add_argument("--port", type=int, default=None)
    emulator.set_defaults(func=_emulator)
