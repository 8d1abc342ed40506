"""``mlbasics yolo train`` against a bucket: stage the inputs in, train locally, sync the outputs out.

The detector trainer (:func:`mlbasics.vision.yolo.train.train`) reads and writes local files. A
cloud job reads its data from ``gs://`` and must leave its results there, so :func:`train_job`
wraps the trainer in four steps:

1. **Stage in.** The annotation files, classes, anchors and backbone, and every image the annotation
   lines name, are copied into a local mirror of the bucket, ``<work>/inputs/<bucket>/<key>``.
   Relative image paths stay valid as they are; ``gs://`` image paths are rewritten to the mirror.
   An image that cannot be downloaded is reported, and the trainer skips its line as it skips any
   unreadable image.
2. **Restore.** The local work folder is emptied first, because the bucket, not a left-over local
   copy, is the truth. Then whatever an interrupted run of the same job left in the bucket (config,
   history, checkpoints, the Keras backup of the running stage, a finished stage's weights) is
   copied into the local job folder, so the trainer resumes where that run stopped.
3. **Train** with the local trainer, unchanged.
4. **Sync out**, after every epoch and once more at the end: each local output that changed is
   uploaded to its place (an object appears whole or not at all), and the remote copy of each output
   the trainer deleted is deleted. In a multi-worker job (``TF_CONFIG``) only the chief syncs out;
   every task restores and trains in a local folder of its own.

Where the outputs go (:class:`JobLayout`):

* ``config.json`` and ``history.csv``: ``--job-dir``, else the parent of ``$AIP_MODEL_DIR``;
* TensorBoard logs: ``$AIP_TENSORBOARD_LOG_DIR``, else ``<job-dir>/logs``;
* checkpoints and the Keras backups: ``$AIP_CHECKPOINT_DIR``, else ``<job-dir>/checkpoints``;
* the final weights and their ``.config.json`` (the detector's spec): ``--weights-final``, else
  ``$AIP_MODEL_DIR``, else the job dir.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlbasics.core.errors import InputError
from mlbasics.io.files import atomic_write
from mlbasics.io.storage import (
    gs_copy_file,
    gs_file_exists,
    gs_read_many,
    gs_read_text,
    gs_remove,
    gs_walk,
    is_remote,
    join,
    split_gcs,
)
from mlbasics.vision.yolo.distribute import cluster_task
from mlbasics.vision.yolo.spec import config_path_for
from mlbasics.vision.yolo.train import TrainConfig, TrainResult, train

STAGE_NAME = "trained_stage_1.weights.h5"
FINAL_NAME = "trained_final.weights.h5"
#: The final detector's spec, beside its weights.
FINAL_CONFIG_NAME = config_path_for(FINAL_NAME)
#: Images downloaded per request batch (concurrent within a batch).
DOWNLOAD_BATCH = 256


def uses_cloud(config: TrainConfig, environ: Mapping[str, str] | None = None) -> bool:
    """True when a path of ``config`` is ``gs://`` or the run is inside a managed job (``AIP_MODEL_DIR``)."""
    env = os.environ if environ is None else environ
    paths = (config.annotations, config.val_annotations, config.classes, config.anchors, config.backbone,
             config.job_dir, config.weights_stage, config.weights_final)
    return any(is_remote(p) for p in paths) or bool(env.get("AIP_MODEL_DIR"))


@dataclass(frozen=True)
class JobLayout:
    """Where each output of a job goes (``gs://`` URLs or local paths)."""

    job_dir: str
    weights_stage: str
    weights_final: str
    logs: str
    checkpoints: str

    @classmethod
    def of(cls, config: TrainConfig, environ: Mapping[str, str] | None = None) -> JobLayout:
        """The layout from the arguments, with the ``AIP_*`` variables a managed job sets filling the gaps."""
        env = os.environ if environ is None else environ
        model_dir = (env.get("AIP_MODEL_DIR") or "").rstrip("/")
        job_dir = config.job_dir.rstrip("/") or model_dir.rsplit("/", 1)[0]
        if not job_dir:
            raise InputError("--job-dir is required when AIP_MODEL_DIR is not set (outside a managed job)")
        return cls(
            job_dir=job_dir,
            weights_stage=config.weights_stage or join(job_dir, STAGE_NAME),
            weights_final=config.weights_final or join(model_dir or job_dir, FINAL_NAME),
            logs=(env.get("AIP_TENSORBOARD_LOG_DIR") or "").rstrip("/") or join(job_dir, "logs"),
            checkpoints=(env.get("AIP_CHECKPOINT_DIR") or "").rstrip("/") or join(job_dir, "checkpoints"),
        )

    def remote(self, relative: str) -> str:
        """Where the local job folder's file ``relative`` (POSIX path) belongs."""
        first, _, rest = relative.partition("/")
        if first == "logs":
            return join(self.logs, rest)
        if first == "checkpoints":
            return join(self.checkpoints, rest)
        if first.startswith("backup_stage_"):
            return join(self.checkpoints, relative)
        return {STAGE_NAME: self.weights_stage, FINAL_NAME: self.weights_final,
                FINAL_CONFIG_NAME: config_path_for(self.weights_final)}.get(relative, join(self.job_dir, relative))

    def remote_folders(self) -> dict[str, str]:
        """Local folder (relative) -> remote folder, for the outputs that are whole folders."""
        return {"logs": self.logs, "checkpoints": self.checkpoints}


def work_dir_for(job_dir: str) -> Path:
    """A local folder that is the same for every run of ``job_dir`` (so a resumed run's config matches)."""
    digest = hashlib.sha256(job_dir.encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"mlbasics-job-{digest}"


def mirror_path(url: str, inputs: Path) -> Path:
    """``gs://bucket/key`` -> ``inputs/bucket/key``; a key that climbs out of its bucket (``../``) is refused,
    so a hostile annotation line cannot make the job write outside ``inputs``."""
    bucket, key = split_gcs(url)
    clean = posixpath.normpath(key)
    if clean == ".." or clean.startswith(("../", "/")):
        raise InputError(f"{url}: the path leads outside bucket {bucket!r}")
    return inputs / bucket / clean


def stage_file(path: str, inputs: Path) -> str:
    """A ``gs://`` file copied into the mirror (once); local paths and ``""`` are returned unchanged."""
    if not is_remote(path):
        return path
    local = mirror_path(path, inputs)
    if not local.is_file():
        gs_copy_file(path, local)
    return str(local)


def _image_url(field_text: str, annotation_url: str) -> str | None:
    """The ``gs://`` URL of an annotation line's image field, or None for a local absolute path."""
    if is_remote(field_text):
        return field_text
    if field_text.startswith("/"):
        return None
    bucket, key = split_gcs(join(annotation_url.rsplit("/", 1)[0], field_text))
    clean = posixpath.normpath(key)  # "sets/../JPEGImages/x.jpg" names the object "JPEGImages/x.jpg"
    return f"gs://{bucket}/{key if clean.startswith('..') else clean}"  # climbing out: refused by mirror_path


def stage_annotations(path: str, inputs: Path, problems: list[str]) -> str:
    """Copy a ``gs://`` annotation file and the images its lines name into the mirror.

    Lines keep relative image paths (the mirror has the bucket's layout); ``gs://`` image paths are
    rewritten to the mirror. Each image that cannot be downloaded is added to ``problems``.
    """
    if not is_remote(path):
        return path

    lines = gs_read_text(path).splitlines()
    wanted: dict[str, Path] = {}
    for number, line in enumerate(lines):
        fields = line.split()
        url = _image_url(fields[0], path) if fields else None
        try:
            local = mirror_path(url, inputs) if url is not None else None
        except InputError as exc:
            problems.append(f"{path}:{number + 1}: {exc}")
            lines[number] = ""  # blank: skipped by the trainer, and the other lines keep their numbers
            continue
        if url is not None and local is not None and not local.is_file():
            wanted[url] = local
    urls = sorted(wanted)
    for start in range(0, len(urls), DOWNLOAD_BATCH):
        for url, data in gs_read_many(urls[start : start + DOWNLOAD_BATCH]).items():
            if isinstance(data, bytes):
                with atomic_write(wanted[url]) as handle:
                    handle.write(data)
            else:
                problems.append(f"{url}: {data.reason}")
    rewritten = []
    for line in lines:
        fields = line.split()
        if fields and is_remote(fields[0]):
            fields[0] = str(mirror_path(fields[0], inputs))
        rewritten.append(" ".join(fields))
    local = mirror_path(path, inputs)
    with atomic_write(local, "w") as handle:
        handle.write("\n".join(rewritten) + "\n")
    return str(local)


class OutputSync:
    """Mirror a local job folder to its :class:`JobLayout`: upload what changed, delete what went away."""

    def __init__(self, local_job: Path, layout: JobLayout):
        self.local_job, self.layout = local_job, layout
        self.uploaded: dict[str, tuple[int, int]] = {}

    def restore(self) -> list[str]:
        """Copy an earlier run's outputs from the layout into the local job folder (missing files only);
        return the relative names restored."""
        remote_files = {name: self.layout.remote(name) for name in
                        ("config.json", "history.csv", STAGE_NAME, FINAL_NAME, FINAL_CONFIG_NAME)}
        for folder, url in self.layout.remote_folders().items():
            for found in gs_walk(url):
                relative = found[len(url.rstrip("/")) + 1:]
                first = relative.split("/", 1)[0]
                # backups live under the checkpoint folder remotely, beside it locally
                name = relative if folder == "checkpoints" and first.startswith("backup_stage_") \
                    else f"{folder}/{relative}"
                remote_files[name] = found
        restored = []
        for name, url in remote_files.items():
            local = self.local_job / name
            if not local.exists() and gs_file_exists(url):
                gs_copy_file(url, local)
                restored.append(name)
                self.uploaded[name] = self._stamp(local)
        return restored

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int]:
        status = path.stat()
        return status.st_size, status.st_mtime_ns

    def push(self) -> list[str]:
        """Upload new and changed files, delete remote copies of removed ones; return what was uploaded."""
        present = {p.relative_to(self.local_job).as_posix(): p for p in self.local_job.rglob("*") if p.is_file()}
        sent = []
        for name, path in sorted(present.items()):
            stamp = self._stamp(path)
            if self.uploaded.get(name) != stamp:
                gs_copy_file(path, self.layout.remote(name))
                self.uploaded[name] = stamp
                sent.append(name)
        for name in sorted(set(self.uploaded) - set(present)):
            gs_remove(self.layout.remote(name))
            del self.uploaded[name]
        return sent


@dataclass
class JobRun:
    """A finished job: the trainer's result, where the weights went, and images that could not be staged."""

    result: TrainResult
    layout: JobLayout
    unreadable_images: list[str] = field(default_factory=list)


def train_job(config: TrainConfig, *, environ: Mapping[str, str] | None = None, work_dir: Path | None = None,
              callbacks: Sequence = (), verbose: int = 1) -> JobRun:
    """Train with ``config`` whose paths may be ``gs://`` (see the module docstring); return the run.
    ``callbacks`` are passed to the trainer's ``fit``."""
    layout = JobLayout.of(config, environ)
    task = cluster_task(environ)
    chief = task is None or task.is_chief
    # one local folder per task: several tasks of one job may share a machine (lesson 11's local run)
    work = work_dir or work_dir_for(layout.job_dir if chief or task is None
                                    else f"{layout.job_dir}#{task.task_type}{task.task_index}")
    shutil.rmtree(work, ignore_errors=True)  # the bucket is the truth: a left-over local copy is not
    inputs = work / "inputs"
    problems: list[str] = []
    local = replace(
        config,
        annotations=stage_annotations(config.annotations, inputs, problems),
        val_annotations=stage_annotations(config.val_annotations, inputs, problems) if config.val_annotations else "",
        classes=stage_file(config.classes, inputs), anchors=stage_file(config.anchors, inputs),
        backbone=stage_file(config.backbone, inputs),
    )
    for problem in problems:
        print(f"skipped {problem}", file=sys.stderr, flush=True)
    if not is_remote(layout.job_dir):
        local = replace(local, job_dir=layout.job_dir, weights_stage=layout.weights_stage,
                        weights_final=layout.weights_final)
        return JobRun(train(local, callbacks=callbacks, verbose=verbose), layout, problems)
    local_job = work / "job"
    local = replace(local, job_dir=str(local_job), weights_stage="", weights_final="")
    sync = OutputSync(local_job, layout)
    restored = sync.restore()
    if restored:
        print(f"resuming: {len(restored)} file(s) of an earlier run restored from {layout.job_dir}", flush=True)

    def push_after_epoch(history: dict[str, list[float]]) -> None:
        if chief:  # the other workers' outputs are scratch copies (see mlbasics.vision.yolo.distribute)
            sync.push()

    result = train(local, on_epoch=push_after_epoch, callbacks=callbacks, verbose=verbose)
    push_after_epoch(result.history)
    return JobRun(result, layout, problems)
