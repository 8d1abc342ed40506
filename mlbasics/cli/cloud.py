"""``mlbasics cloud ...``: data, trainer package, job spec, local run, submission, emulator."""

from __future__ import annotations

import argparse
import time

from mlbasics.cli._args import add_param, add_track, existing_dir, existing_file
from mlbasics.cloud.emulator import PORT, GcsEmulator
from mlbasics.cloud.job_spec import JobSpec, gcloud_command, gcloud_config, load_spec, save_spec
from mlbasics.cloud.local_run import run_local
from mlbasics.cloud.package import build_trainer_package
from mlbasics.cloud.submit import submit
from mlbasics.cloud.voc import COUNT, upload_voc
from mlbasics.core.limits import params_of
from mlbasics.io.storage import gs_copy_file


def _upload_voc(args: argparse.Namespace) -> int:
    ids = upload_voc(args.voc_root, args.split, args.out, args.count)
    print(f"{len(ids)} images of split {args.split!r} -> {args.out}")
    return 0


def _package(args: argparse.Namespace) -> int:
    for path in build_trainer_package(args.out):
        print(path)
    return 0


def _upload(args: argparse.Namespace) -> int:
    gs_copy_file(args.source, args.out)
    print(f"{args.source} -> {args.out}")
    return 0


def _spec(args: argparse.Namespace) -> int:
    spec = JobSpec(display_name=args.display_name, package_uris=tuple(args.package_uri),
                   python_module=args.python_module, base_output_dir=args.base_output_dir,
                   args=tuple(args.trainer_args),
                   machine_type=args.machine_type, accelerator_type=args.accelerator_type or None,
                   accelerator_count=args.accelerator_count if args.accelerator_type else 0,
                   replica_count=args.replica_count, region=args.region)
    save_spec(spec, args.out)
    print(f"wrote {args.out}")
    return 0


def _gcloud(args: argparse.Namespace) -> int:
    spec = load_spec(args.spec)
    print(f"# {args.config_file}\n{gcloud_config(spec)}")
    print(" ".join(gcloud_command(spec, args.config_file)))
    return 0


def _run_local(args: argparse.Namespace) -> int:
    return run_local(load_spec(args.spec)).returncode


def _submit(args: argparse.Namespace) -> int:
    print(submit(load_spec(args.spec), project=args.project))  # a CloudSetupError is reported by mlbasics.cli.main
    return 0


def _emulator(args: argparse.Namespace) -> int:
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


def _add_upload_voc(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("upload-voc", help="copy a local VOC folder's split (e.g. from `mlbasics yolo make-data`) "
                                            "to a bucket")
    p.add_argument("voc_root", type=existing_dir)
    p.add_argument("--out", required=True, help="gs://bucket/folder (or a local folder)")
    p.add_argument("--split", default="train", help="split to copy")
    add_param(p, COUNT)
    p.set_defaults(func=_upload_voc)


def _add_package(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("package", help="build the trainer sdist and wheel")
    p.add_argument("--out", default="dist", help="folder for the sdist and wheel")
    p.set_defaults(func=_package)


def _add_upload(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("upload", help="copy one file between local paths and gs://")
    p.add_argument("source", type=existing_file)
    p.add_argument("--out", required=True, help="destination file (local or gs://)")
    p.set_defaults(func=_upload)


def _add_download(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("download", help="copy one file from gs:// to a local path (upload's other direction)")
    p.add_argument("source", type=existing_file, help="the file to copy (gs://bucket/...)")
    p.add_argument("--out", required=True, help="destination file (local or gs://)")
    p.set_defaults(func=_upload)


def _add_spec(verbs: argparse._SubParsersAction) -> None:
    # Options are JobSpec's fields; its own checks (names, regions, gs:// URLs) run before the file is written.
    p = verbs.add_parser("spec", help="write a validated job spec JSON")
    p.add_argument("--out", required=True, help="job spec file to write (.json)")
    p.add_argument("--display-name", required=True)
    p.add_argument("--package-uri", action="append", required=True, help="gs:// URL of the sdist or wheel (repeatable)")
    p.add_argument("--base-output-dir", required=True, help="gs:// folder for model, checkpoints, logs")
    p.add_argument("--python-module", default="mlbasics.cli", help="run as python -m PYTHON_MODULE; mlbasics.cli "
                   "takes the mlbasics command's arguments: --trainer-args yolo train ...")
    p.add_argument("--machine-type", default="n1-standard-4", help="Compute Engine machine type")
    p.add_argument("--accelerator-type", default="NVIDIA_TESLA_T4", help="'' for none")
    add_param(p, params_of(JobSpec)["accelerator_count"])
    add_param(p, params_of(JobSpec)["replica_count"])
    p.add_argument("--region", default="us-central1", help="Vertex AI region")
    p.add_argument("--trainer-args", nargs=argparse.REMAINDER, default=[],
                   help="last option: everything after it is passed to the module")
    p.set_defaults(func=_spec)


def _add_gcloud(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("gcloud", help="print the gcloud config file and command for a spec")
    p.add_argument("spec", type=existing_file)
    p.add_argument("--config-file", default="job.yaml", help="name of the config file the command refers to")
    p.set_defaults(func=_gcloud)


def _add_run_local(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("run-local", help="run a spec's module and args here, with the job's environment")
    p.add_argument("spec", type=existing_file)
    p.set_defaults(func=_run_local)


def _add_submit(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("submit", help="create the job on Vertex AI (needs credentials and a project)")
    p.add_argument("spec", type=existing_file)
    p.add_argument("--project", default=None,
                   help="Google Cloud project (default: from the credentials or GOOGLE_CLOUD_PROJECT)")
    p.set_defaults(func=_submit)


def _add_emulator(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser("emulator", help="run a local GCS emulator until Ctrl-C")
    p.add_argument("--bucket", action="append", default=[], help="bucket to create (repeatable)")
    add_param(p, PORT)
    p.set_defaults(func=_emulator)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``mlbasics cloud`` and its verbs."""
    add_track(subparsers, "cloud", "cloud training jobs: data, package, spec, run-local, submit",
              (_add_upload_voc, _add_package, _add_upload, _add_download, _add_spec, _add_gcloud, _add_run_local,
               _add_submit, _add_emulator))
