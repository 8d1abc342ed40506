"""The layer between ``mlbasics yolo train`` and a bucket: where outputs go, staging in, syncing out, resuming."""

import csv
import io

import keras
import pytest

from mlbasics.cloud.training_job import JobLayout, OutputSync, stage_annotations, train_job
from mlbasics.cloud.voc import upload_voc
from mlbasics.core.errors import InputError
from mlbasics.io.storage import gs_copy_file, gs_file_exists, gs_read_text, gs_walk
from mlbasics.vision.yolo.train import TrainConfig

AIP = {"AIP_MODEL_DIR": "gs://b/base/model/", "AIP_CHECKPOINT_DIR": "gs://b/base/checkpoints/",
       "AIP_TENSORBOARD_LOG_DIR": "gs://b/base/logs/"}


def _config(**paths):
    return TrainConfig(**{"annotations": "gs://b/a.txt", "classes": "c", "anchors": "a", "job_dir": "",
                          "epochs_frozen": 0, **paths})


def test_layout_follows_the_arguments_then_the_aip_variables():
    layout = JobLayout.of(_config(job_dir="gs://b/j"), environ={})
    assert (layout.weights_final, layout.logs) == ("gs://b/j/trained_final.weights.h5", "gs://b/j/logs")
    managed = JobLayout.of(_config(), environ=AIP)
    assert managed.job_dir == "gs://b/base"
    assert managed.weights_final == "gs://b/base/model/trained_final.weights.h5"
    assert managed.remote("trained_final.config.json") == "gs://b/base/model/trained_final.config.json"
    assert managed.remote("logs/train/events.out") == "gs://b/base/logs/train/events.out"
    assert managed.remote("backup_stage_2/latest.weights.h5") == "gs://b/base/checkpoints/backup_stage_2/latest.weights.h5"
    assert managed.remote("history.csv") == "gs://b/base/history.csv"
    given = JobLayout.of(_config(weights_final="gs://x/final.weights.h5"), environ=AIP)
    assert given.remote("trained_final.weights.h5") == "gs://x/final.weights.h5"
    with pytest.raises(InputError, match="--job-dir is required"):
        JobLayout.of(_config(), environ={})


def test_sync_uploads_changes_deletes_removed_files_and_restores(bucket, tmp_path):
    layout = JobLayout.of(_config(job_dir=f"{bucket}/job"), environ={})
    local = tmp_path / "job"
    (local / "backup_stage_2").mkdir(parents=True)
    (local / "history.csv").write_text("epoch\n0\n")
    (local / "backup_stage_2" / "state.json").write_text("{}")
    sync = OutputSync(local, layout)
    assert sync.push() == ["backup_stage_2/state.json", "history.csv"]
    assert sync.push() == []
    (local / "history.csv").write_text("epoch\n0\n1\n")
    (local / "backup_stage_2" / "state.json").unlink()
    assert sync.push() == ["history.csv"]
    assert not gs_walk(f"{bucket}/job/checkpoints")
    assert gs_read_text(f"{bucket}/job/history.csv") == "epoch\n0\n1\n"
    fresh = OutputSync(tmp_path / "elsewhere", layout)
    assert fresh.restore() == ["history.csv"] and fresh.push() == []


def test_staging_mirrors_the_bucket_and_reports_missing_images(bucket, small_voc, tmp_path):
    upload_voc(small_voc, "train", f"{bucket}/voc", count=3)
    image = f"{bucket}/voc/JPEGImages/train_00001.jpg"
    with open(tmp_path / "a.txt", "w") as handle:
        handle.write(f"JPEGImages/train_00000.jpg 1,1,9,9,0\n{image} 2,2,8,8,1\nJPEGImages/none.jpg 1,1,5,5,0\n"
                     "../../../../escape.jpg 1,1,5,5,0\n")
    gs_copy_file(tmp_path / "a.txt", f"{bucket}/voc/a.txt")
    problems = []
    staged = stage_annotations(f"{bucket}/voc/a.txt", tmp_path / "inputs", problems)
    mirror = tmp_path / "inputs" / bucket.removeprefix("gs://") / "voc"
    assert staged == str(mirror / "a.txt")
    lines = (mirror / "a.txt").read_text().splitlines()
    assert lines[0].startswith("JPEGImages/train_00000.jpg") and lines[1].startswith(str(mirror / "JPEGImages"))
    assert all((mirror / "JPEGImages" / f"train_0000{i}.jpg").is_file() for i in (0, 1))
    name = bucket.removeprefix("gs://")
    assert problems == [f"{bucket}/voc/a.txt:4: {bucket}/voc/../../../../escape.jpg: the path leads outside "
                        f"bucket {name!r}", f"{bucket}/voc/JPEGImages/none.jpg: no such object or not readable"]
    assert lines[3] == "" and not list(tmp_path.glob("**/escape.jpg"))


class _Preempted(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 2:
            raise KeyboardInterrupt("the machine was preempted")


class _Epochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(epoch)


def test_a_preempted_job_resumes_from_the_bucket(bucket, small_voc):
    from mlbasics.cloud.voc import voc_to_lines_anywhere, write_lines_anywhere

    upload_voc(small_voc, "train", f"{bucket}/voc")
    write_lines_anywhere(f"{bucket}/voc/train.txt", voc_to_lines_anywhere(
        f"{bucket}/voc", "train", ["circle", "square", "triangle", "cross"]))
    for name in ("anchors.txt", "backbone.keras"):
        gs_copy_file(small_voc / name, f"{bucket}/{name}")
    config = TrainConfig(annotations=f"{bucket}/voc/train.txt", classes=f"{bucket}/voc/classes.txt",
                         anchors=f"{bucket}/anchors.txt", backbone=f"{bucket}/backbone.keras",
                         job_dir=f"{bucket}/job", input_size=64, width=0.125, batch_size=8, epochs_frozen=1, epochs=4)
    with pytest.raises(KeyboardInterrupt):
        train_job(config, environ={}, callbacks=[_Preempted()], verbose=0)
    assert gs_file_exists(f"{bucket}/job/trained_stage_1.weights.h5")
    assert not gs_file_exists(f"{bucket}/job/trained_final.weights.h5")
    assert any("backup_stage_2" in p for p in gs_walk(f"{bucket}/job/checkpoints"))
    epochs = _Epochs()
    run = train_job(config, environ={}, callbacks=[epochs], verbose=0)  # a new machine: the bucket is all it has
    assert epochs.seen == [2, 3], "stage 1 and finished epochs of stage 2 are not repeated"
    assert run.layout.weights_final == f"{bucket}/job/trained_final.weights.h5"
    assert gs_file_exists(run.layout.weights_final)
    rows = list(csv.DictReader(io.StringIO(gs_read_text(f"{bucket}/job/history.csv"))))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
