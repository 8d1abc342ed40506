"""End to end: data and the trainer package in the emulated bucket, the job run locally,
weights and logs appearing in the bucket."""

import csv
import io
import json

import pytest

from mlbasics.cloud.job_spec import JobSpec
from mlbasics.cloud.local_run import job_environment, run_local
from mlbasics.cloud.package import build_trainer_package
from mlbasics.cloud.shapes import write_dataset
from mlbasics.cloud.storage import gs_atomic_write, gs_copy_file, gs_file_exists, gs_read_text
from mlbasics.cloud.trainer import build_parser, output_paths
from mlbasics.errors import InputError


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    built = build_trainer_package(tmp_path_factory.mktemp("dist"))
    assert sorted(p.suffix for p in built) == [".gz", ".whl"]
    return next(p for p in built if p.suffix == ".whl")


def test_local_run_writes_weights_model_and_log_to_the_bucket(bucket, wheel):
    data = write_dataset(bucket + "/shapes", count=96, seed=1)
    with gs_atomic_write(bucket + "/shapes/images/00003.png") as handle:
        handle.write(b"corrupt upload")  # one bad image: reported and skipped, not fatal
    gs_copy_file(wheel, f"{bucket}/dist/{wheel.name}")
    spec = JobSpec("local-test", (f"{bucket}/dist/{wheel.name}",), "mlbasics.cloud.trainer", f"{bucket}/jobs/1",
                   args=("--annotation-file", data["annotation_file"], "--classes-file", data["classes_file"],
                         "--weights-stage", "stage1.weights.h5", "--weights-final", "final.weights.h5",
                         "--epochs-stage", "2", "--epochs-final", "2"))
    result = run_local(spec, echo=None, job_id="test-job")
    output = "\n".join(result.lines)
    assert result.returncode == 0, output
    assert "00003.png" in output and "skipped" in output
    for name in ("stage1.weights.h5", "final.weights.h5", "model/model.keras", "logs/training_log.csv"):
        assert gs_file_exists(f"{bucket}/jobs/1/{name}"), name
    rows = list(csv.DictReader(io.StringIO(gs_read_text(f"{bucket}/jobs/1/logs/training_log.csv"))))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4]
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert json.loads(output.splitlines()[-1])["skipped"] == 1


def test_job_environment_matches_vertex_names(good_spec):
    env = job_environment(good_spec, "123")
    assert env["AIP_MODEL_DIR"] == "gs://my-bucket/jobs/1/model/"
    assert env["AIP_CHECKPOINT_DIR"] == "gs://my-bucket/jobs/1/checkpoints/"
    assert env["AIP_TENSORBOARD_LOG_DIR"] == "gs://my-bucket/jobs/1/logs/"
    assert env["CLOUD_ML_JOB_ID"] == "123"
    tf_config = json.loads(env["TF_CONFIG"])
    assert tf_config["task"] == {"type": "chief", "index": 0}
    assert json.loads(env["CLUSTER_SPEC"])["task"]["type"] == "workerpool0"


def test_trainer_outputs_follow_job_dir_or_aip_variables():
    args = build_parser().parse_args(["--annotation-file", "a", "--classes-file", "c", "--job-dir", "gs://b/j"])
    paths = output_paths(args, environ={})
    assert paths["weights_final"] == "gs://b/j/final.weights.h5"
    assert paths["model"] == "gs://b/j/model/model.keras"
    args.job_dir = None
    paths = output_paths(args, environ={"AIP_MODEL_DIR": "gs://b/base/model/"})
    assert paths["job_dir"] == "gs://b/base"
    with pytest.raises(InputError, match="--job-dir is required"):
        output_paths(args, environ={})


def test_trainer_reports_missing_annotation_file(tmp_path, capsys):
    from mlbasics.cloud.trainer import main

    (tmp_path / "classes.txt").write_text("red\n")
    code = main(["--annotation-file", str(tmp_path / "none.txt"), "--classes-file", str(tmp_path / "classes.txt"),
                 "--job-dir", str(tmp_path / "job")])
    assert code == 2
    assert "none.txt: no such file" in capsys.readouterr().err
    assert not (tmp_path / "job" / "final.weights.h5").exists()
