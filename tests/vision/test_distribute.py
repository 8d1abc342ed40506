"""Multi-worker training: TF_CONFIG parsing, who writes, and two real worker processes on 127.0.0.1
whose loss curve matches one process's with the same global batch and seed."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlbasics
from mlbasics.cli import main
from mlbasics.cloud.local_run import free_addresses, job_environment
from mlbasics.core.errors import InputError
from mlbasics.vision.yolo.distribute import (
    cluster_task,
    is_chief,
    parse_tf_config,
    per_replica_batch,
    worker_scratch,
)

#: Relative difference allowed between the per-epoch losses of 1 process and of 2 workers. Both see the
#: same images in the same order (TF_DETERMINISTIC_OPS=1 makes each run repeat bit for bit); what differs
#: is the order of float32 sums: one process sums the gradient over the 8 images of a batch at once, two
#: workers sum 4 each and then add the two (the same for batch norm's statistics). That changes the last
#: bits of each step (~1e-7 relative), and Adam, dividing by the root of small second moments, lets those
#: bits grow step after step: 6 steps grew them to 3.9e-4 here. With per-worker batch norm statistics
#: instead of synchronized ones the difference was 2.7e-2. 3e-3 sits between the two (about 8x from each).
#: (Adam is nearly blind to a constant factor on the gradient, so this test cannot see whether the loss is
#: divided by the number of replicas; the trainer's docstring says why it is.)
TOLERANCE = 3e-3


def _tf_config(addresses, kind, index):
    return json.dumps({"cluster": {"chief": addresses[:1], "worker": addresses[1:]},
                       "task": {"type": kind, "index": index}})


@pytest.mark.parametrize("text, field", [
    ("{", "not valid JSON"),
    ("[]", "must be a JSON object"),
    ('{"task": {"type": "chief"}}', "TF_CONFIG.cluster must be"),
    ('{"cluster": {"worker": "h:1"}, "task": {"type": "worker"}}', "TF_CONFIG.cluster.worker must be"),
    ('{"cluster": {"worker": ["h"]}, "task": {"type": "worker"}}', "TF_CONFIG.cluster.worker must be"),
    ('{"cluster": {"worker": ["h:1"]}}', "TF_CONFIG.task must be"),
    ('{"cluster": {"worker": ["h:1"]}, "task": {"type": "chief"}}', "TF_CONFIG.task.type 'chief'"),
    ('{"cluster": {"worker": ["h:1"]}, "task": {"type": "worker", "index": 1}}', "TF_CONFIG.task.index"),
])
def test_tf_config_errors_name_the_field(text, field):
    with pytest.raises(InputError, match=field):
        parse_tf_config(text)


def test_chief_and_workers():
    two = ["127.0.0.1:1", "127.0.0.1:2"]
    assert cluster_task({}) is None and is_chief({})
    chief = parse_tf_config(_tf_config(two, "chief", 0))
    assert chief.workers == 2 and chief.is_chief
    assert not is_chief({"TF_CONFIG": _tf_config(two, "worker", 0)})
    no_chief = json.dumps({"cluster": {"worker": two}, "task": {"type": "worker", "index": 0}})
    assert is_chief({"TF_CONFIG": no_chief})  # worker 0 leads a cluster without a chief
    # what lesson 11's one-replica local run sets: a cluster of one, trained without a multi-worker strategy
    single = parse_tf_config(job_environment_for_one())
    assert single.workers == 1 and single.is_chief
    assert per_replica_batch(16, 2) == 8
    with pytest.raises(InputError, match="batch_size 9 is the global batch"):
        per_replica_batch(9, 2)


def job_environment_for_one():
    from mlbasics.cloud.job_spec import JobSpec

    spec = JobSpec("x", ("gs://bucket/a.whl",), "mlbasics.cli", "gs://bucket/job")
    return job_environment(spec, "1")["TF_CONFIG"]


def test_worker_scratch_copies_and_deletes(tmp_path):
    job = tmp_path / "job"
    (job / "logs").mkdir(parents=True)
    (job / "history.csv").write_text("epoch\n0\n")
    worker = {"TF_CONFIG": _tf_config(["h:1", "h:2"], "worker", 0)}
    paths = {"job_dir": str(job), "weights_final": str(tmp_path / "final.weights.h5"), "weights_stage": ""}
    with worker_scratch(paths, worker) as where:
        scratch = Path(where["job_dir"])
        assert tmp_path not in scratch.parents and (scratch / "history.csv").read_text() == "epoch\n0\n"
        assert not (scratch / "logs").exists() and where["weights_stage"] == ""
        assert Path(where["weights_final"]).name == "final.weights.h5"
    assert not scratch.exists()
    with worker_scratch(paths, {}) as where:
        assert where == paths


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory):
    root = tmp_path_factory.mktemp("dist")
    data = root / "data"
    assert main(["yolo", "make-data", "--out", str(data), "--train", "16", "--val", "4", "--test", "4",
                 "--image-size", "64", "--seed", "5"]) == 0
    assert main(["yolo", "anchors", str(data / "train.txt"), "--classes", str(data / "classes.txt"),
                 "--out", str(root / "anchors.txt")]) == 0
    return root


def _train(root: Path, cwd: Path, tf_config: str | None) -> subprocess.Popen:
    """``mlbasics yolo train`` as users start it, with a relative ``--job-dir job`` (inside ``cwd``)."""
    cwd.mkdir(parents=True, exist_ok=True)
    (cwd / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(Path(mlbasics.__file__).parents[1]), "TF_DETERMINISTIC_OPS": "1",
           "TMPDIR": str(cwd / "tmp")}
    env.pop("TF_CONFIG", None)
    if tf_config:
        env["TF_CONFIG"] = tf_config
    data = root / "data"
    return subprocess.Popen(
        [sys.executable, "-m", "mlbasics.cli", "yolo", "train", "--annotations", str(data / "train.txt"),
         "--val-annotations", str(data / "val.txt"), "--classes", str(data / "classes.txt"),
         "--anchors", str(root / "anchors.txt"), "--job-dir", "job",
         "--input-size", "64", "--width", "0.125", "--batch-size", "8", "--epochs", "3", "--seed", "1",
         "--verbose", "0"], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _losses(job: Path, column: str = "loss") -> list[float]:
    with open(job / "history.csv", newline="") as handle:
        return [float(row[column]) for row in csv.DictReader(handle)]


def test_two_workers_match_one_process(tiny_set, tmp_path):
    single = _train(tiny_set, tmp_path / "single", None)
    output = single.communicate(timeout=300)[0]
    assert single.returncode == 0, output
    addresses = free_addresses(2)
    chief = _train(tiny_set, tmp_path / "chief", _tf_config(addresses, "chief", 0))
    worker = _train(tiny_set, tmp_path / "worker", _tf_config(addresses, "worker", 0))
    outputs = [process.communicate(timeout=300)[0] for process in (chief, worker)]
    assert chief.returncode == 0 and worker.returncode == 0, "\n".join(outputs)

    job = tmp_path / "chief" / "job"
    config = json.loads((job / "config.json").read_text())
    assert config["distribution"] == {"strategy": "MultiWorkerMirroredStrategy", "workers": 2, "replicas": 2,
                                      "global_batch_size": 8, "per_replica_batch_size": 4,
                                      "input_sharding": "DATA"}
    alone = json.loads((tmp_path / "single" / "job" / "config.json").read_text())["distribution"]
    assert alone["replicas"] == 1 and alone["strategy"].startswith("none")
    for name in ("trained_final.weights.h5", "trained_final.config.json", "checkpoints/last.weights.h5"):
        assert (job / name).is_file(), name
    # the worker was given the same --job-dir and wrote nothing there, nor left its scratch copy behind
    assert not (tmp_path / "worker" / "job").exists() and not any((tmp_path / "worker" / "tmp").iterdir())

    one, two = _losses(tmp_path / "single" / "job"), _losses(job)
    assert len(one) == len(two) == 3 and one[-1] < one[0]
    worst = max(abs(a - b) / abs(a) for a, b in zip(one, two))
    print(f"per-epoch loss, 1 process: {one}\n2 workers: {two}\nlargest relative difference {worst:.2e}")
    assert worst < TOLERANCE
    # the validation loss, measured by both workers on their halves of the validation set, is one process's
    one, two = _losses(tmp_path / "single" / "job", "val_loss"), _losses(job, "val_loss")
    worst = max(abs(a - b) / abs(a) for a, b in zip(one, two))
    print(f"validation loss, 1 process: {one}\n2 workers: {two}\nlargest relative difference {worst:.2e}")
    assert len(two) == 3 and worst < TOLERANCE


#: Run in a fresh process: two logical CPU devices must be set up before TensorFlow starts.
_SKIP_UNDER_MIRRORED = """
import numpy as np
import tensorflow as tf

tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                           [tf.config.LogicalDeviceConfiguration()] * 2)
import keras

from mlbasics.vision.yolo.distribute import synchronize_batch_norm
from mlbasics.vision.yolo.model import build_detector
from mlbasics.vision.yolo.spec import YoloSpec
from mlbasics.vision.yolo.targets import assign_targets
from mlbasics.vision.yolo.trainer import YoloTrainer

keras.utils.set_random_seed(0)
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
anchors = np.array([[4, 4], [8, 8], [12, 12], [20, 20], [32, 32], [50, 50]], np.float32)
spec = YoloSpec(anchors, ("shape",), input_size=32, width=0.125)
with strategy.scope():
    trainer = YoloTrainer(build_detector(spec), spec)
    synchronize_batch_norm(trainer.detector)
    trainer(np.zeros((1, 32, 32, 3), np.float32))
    trainer.compile(optimizer=keras.optimizers.Adam(1e-2), jit_compile=False)
images = np.random.default_rng(0).random((2, 32, 32, 3)).astype(np.float32)
boxes = np.zeros((2, 4, 5), np.float32)
boxes[:, 0] = [4, 6, 20, 18, 0]

def step(batch):
    data = tf.data.Dataset.from_tensors((batch, (*assign_targets(boxes, spec), boxes)))
    return trainer.fit(data, shuffle=False, verbose=0).history["loss"][0]

def state():
    return ([v.numpy().copy() for v in trainer.detector.weights],
            [v.numpy().copy() for v in trainer.optimizer.variables], int(trainer.optimizer.iterations.numpy()))

assert strategy.num_replicas_in_sync == 2
assert np.isfinite(step(images))
weights, moments, iterations = state()
broken = images.copy()
broken[1, 3, 3, 1] = np.nan  # in the second replica's half only
assert np.isnan(step(broken)), "the broken batch's loss is still logged"
after_weights, after_moments, after_iterations = state()
assert after_iterations == iterations == 1, (after_iterations, iterations)
assert all(np.array_equal(a, b) for a, b in zip(weights, after_weights)), "weights or statistics changed"
assert all(np.array_equal(a, b) for a, b in zip(moments, after_moments)), "Adam's moments changed"
step(images)
assert int(trainer.optimizer.iterations.numpy()) == 2
assert not all(np.array_equal(a, v.numpy()) for a, v in zip(weights, trainer.detector.weights))
print("skipped on both replicas")
"""


def test_a_non_finite_step_is_skipped_on_every_replica():
    """Two replicas (MirroredStrategy over two logical CPUs, the merge_call path MultiWorkerMirroredStrategy
    takes too); a NaN in one replica's half: no replica updates anything, and the next good step trains."""
    env = {**os.environ, "PYTHONPATH": str(Path(mlbasics.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", _SKIP_UNDER_MIRRORED], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0 and "skipped on both replicas" in done.stdout, done.stdout + done.stderr
