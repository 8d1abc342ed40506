"""End to end: VOC data and the trainer package in the emulated bucket, annotation lines made from the
bucket, the tiny-YOLOv3 job run locally the way Vertex runs it, weights and logs appearing in the bucket."""

import csv
import dataclasses
import io
import json

import pytest

from mlbasics.cli import main
from mlbasics.cloud.job_spec import JobSpec
from mlbasics.cloud.local_run import job_environment, run_local
from mlbasics.cloud.package import TRAINER_MODULE, build_trainer_package
from mlbasics.io.storage import gs_atomic_write, gs_copy_file, gs_file_exists, gs_read_text, gs_remove, gs_walk


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    built = build_trainer_package(tmp_path_factory.mktemp("dist"))
    assert sorted(p.suffix for p in built) == [".gz", ".whl"]
    return next(p for p in built if p.suffix == ".whl")


def test_local_run_trains_tiny_yolo_from_the_bucket(bucket, wheel, small_voc):
    voc = f"{bucket}/voc"
    assert main(["cloud", "upload-voc", str(small_voc), "--out", voc]) == 0
    assert main(["yolo", "voc-lines", voc, "--classes", f"{voc}/classes.txt", "--out", f"{voc}/train.txt"]) == 0
    with gs_atomic_write(f"{voc}/JPEGImages/train_00003.jpg") as handle:
        handle.write(b"corrupt upload")  # one bad image: reported and skipped, not fatal
    gs_remove(f"{voc}/JPEGImages/train_00004.jpg")  # one missing image: reported and skipped
    for name in ("anchors.txt", "backbone.keras"):
        gs_copy_file(small_voc / name, f"{bucket}/{name}")
    gs_copy_file(wheel, f"{bucket}/dist/{wheel.name}")
    job = f"{bucket}/jobs/1"
    spec = JobSpec("local-test", (f"{bucket}/dist/{wheel.name}",), TRAINER_MODULE, job, args=(
        "yolo", "train", "--annotations", f"{voc}/train.txt", "--classes", f"{voc}/classes.txt",
        "--anchors", f"{bucket}/anchors.txt", "--backbone", f"{bucket}/backbone.keras",
        "--weights-stage", f"{job}/stage1.weights.h5", "--input-size", "64", "--width", "0.125",
        "--batch-size", "8", "--epochs-frozen", "1", "--epochs", "3", "--verbose", "2"))
    result = run_local(spec, echo=None, job_id="test-job")
    output = "\n".join(result.lines)
    assert result.returncode == 0, output
    assert "train_00003.jpg" in output and "train_00004.jpg: no such object" in output
    assert f"final weights: {job}/model/trained_final.weights.h5" in output
    for name in ("stage1.weights.h5", "model/trained_final.weights.h5", "model/trained_final.config.json",
                 "config.json", "history.csv", "checkpoints/last.weights.h5"):
        assert gs_file_exists(f"{job}/{name}"), name
    assert any("events.out.tfevents" in p for p in gs_walk(f"{job}/logs"))
    assert not any("backup_stage" in p for p in gs_walk(f"{job}/checkpoints")), "finished stages leave no backup"
    rows = list(csv.DictReader(io.StringIO(gs_read_text(f"{job}/history.csv"))))
    assert len(rows) == 3 and float(rows[-1]["loss"]) < float(rows[0]["loss"])
    config = json.loads(gs_read_text(f"{job}/model/trained_final.config.json"))
    assert config["input_size"] == 64 and config["classes"] == ["circle", "square", "triangle", "cross"]


def test_job_environment_matches_vertex_names(good_spec):
    env = job_environment(good_spec, "123")
    assert env["AIP_MODEL_DIR"] == "gs://my-bucket/jobs/1/model/"
    assert env["AIP_CHECKPOINT_DIR"] == "gs://my-bucket/jobs/1/checkpoints/"
    assert env["AIP_TENSORBOARD_LOG_DIR"] == "gs://my-bucket/jobs/1/logs/"
    assert env["CLOUD_ML_JOB_ID"] == "123"
    tf_config = json.loads(env["TF_CONFIG"])
    assert tf_config["task"] == {"type": "chief", "index": 0}
    assert json.loads(env["CLUSTER_SPEC"])["task"]["type"] == "workerpool0"


def test_job_spec_asks_vertex_for_a_chief_and_workers(good_spec):
    pools = dataclasses.replace(good_spec, replica_count=3).to_custom_job().job_spec.worker_pool_specs
    assert [pool.replica_count for pool in pools] == [1, 2]
    assert pools[0].python_package_spec == pools[1].python_package_spec
    assert pools[0].machine_spec == pools[1].machine_spec
    addresses = ["127.0.0.1:5", "127.0.0.1:6", "127.0.0.1:7"]
    env = job_environment(good_spec, "1", 2, addresses)
    assert json.loads(env["TF_CONFIG"])["task"] == {"type": "worker", "index": 1}
    assert json.loads(env["TF_CONFIG"])["cluster"] == {"chief": addresses[:1], "worker": addresses[1:]}
    assert json.loads(env["CLUSTER_SPEC"])["task"] == {"type": "workerpool1", "index": 1}
