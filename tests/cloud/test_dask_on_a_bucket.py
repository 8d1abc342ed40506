"""More machines for real: the embedding pipeline on a Dask cluster whose workers share nothing with the
launcher but a bucket. Images, model and outputs are in gs:// (the GCS emulator, which every process reaches
by its address, as machines reach Cloud Storage), the workers run in their own working directories, and the
outputs are the same bytes as a run in the launcher's own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mlbasics.io.storage import gs_copy_file, gs_copy_folder, gs_open


def _read(path: str) -> bytes:
    with gs_open(path) as handle:
        return handle.read()


def test_embedding_pipeline_on_a_dask_cluster_from_and_to_a_bucket(bucket, tmp_path):
    import mlbasics
    from mlbasics.data.synthetic import write_object_crops
    from mlbasics.pipelines.dask_cluster import start_cluster, stop_cluster
    from mlbasics.pipelines.embeddings import run_embedding_pipeline, run_outputs
    from mlbasics.vision.cnn import build_backbone_classifier, embedding_model, save_keras

    local = tmp_path / "images"
    write_object_crops(local, 10, size=24, seed=9)
    (local / "circle" / "notes.jpg").write_text("not an image")
    gs_copy_folder(local, f"{bucket}/images")
    model = save_keras(embedding_model(build_backbone_classifier(32, 4, width=1 / 64)), tmp_path / "tiny.keras")
    gs_copy_file(model, f"{bucket}/models/tiny.keras")
    model.unlink()
    # a glob: a bucket has no folders to list recursively, only names with slashes
    images, out, model_url = f"{bucket}/images/*/*", f"{bucket}/out-dask", f"{bucket}/models/tiny.keras"

    launcher = tmp_path / "launcher"  # the launcher's working directory: nothing of the job is in it
    launcher.mkdir()
    cluster = start_cluster(tmp_path / "cluster", workers=2)  # after the emulator: its address is in their env
    try:
        folders = cluster.working_directories()
        assert {name: Path(folder) for name, folder in folders.items() if name != "scheduler"} == {
            f"worker-{i}": (tmp_path / "cluster" / f"worker-{i}").resolve() for i in range(2)}
        root = str(Path(mlbasics.__file__).resolve().parents[1])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
        done = subprocess.run([sys.executable, "-m", "mlbasics.cli", "embed", images, "--out", out, "--model",
                               model_url, "--batch-size", "4", "--runner", "DaskRunner", "--dask-address",
                               cluster.address], cwd=launcher, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout)["embedded"] == 10 and json.loads(done.stdout)["failed"] == 1
        pids = json.loads(_read(f"{out}/shards/run.json"))["pids"]
        assert pids and set(pids) <= set(cluster.worker_pids())  # the workers did the work, not the launcher
    finally:
        stop_cluster(tmp_path / "cluster", grace=2)
    assert list(launcher.iterdir()) == []

    run_embedding_pipeline(images, f"{bucket}/out-direct", model_url, batch_size=4)  # in this process
    on_dask, direct = run_outputs(out), run_outputs(f"{bucket}/out-direct")
    assert sum(name.startswith("embeddings/") for name in direct) == 10
    assert on_dask.keys() == direct.keys()
    assert [name for name in direct if on_dask[name] != direct[name]] == []
