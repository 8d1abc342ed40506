"""The pipelines on a real Dask cluster (separate `dask` processes): same bytes as the DirectRunner, work done in
the worker processes, and a run that loses images fails loudly on either runner."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mlbasics.cli import main
from mlbasics.data.synthetic import write_object_crops
from tests.pipelines.conftest import KNOWN


def _files(folder: Path, leave_out: tuple[str, ...]) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in leave_out}


def _dask(cluster) -> list[str]:
    return ["--runner", "DaskRunner", "--dask-address", cluster.address]


def _inputs(folder: Path) -> Path:
    """40 small images in 4 classes, a corrupt one and a cut one (the dead letters)."""
    write_object_crops(folder, 40, size=24, seed=7)
    (folder / "circle" / "notes.jpg").write_text("not an image")
    (folder / "square" / "cut.jpg").write_bytes((folder / "square" / "square_0001.jpg").read_bytes()[:200])
    return folder


def test_the_cluster_is_separate_processes_on_loopback_only(dask_cluster):
    import psutil

    assert len(dask_cluster.worker_pids()) == 2 and os.getpid() not in dask_cluster.pids.values()
    for pid in dask_cluster.pids.values():
        process = psutil.Process(pid)
        assert "dask" in " ".join(process.cmdline())
        listening = [c.laddr.ip for c in process.net_connections("inet") if c.status == psutil.CONN_LISTEN]
        assert listening and set(listening) == {"127.0.0.1"}  # the dashboards too


def test_the_workers_profiler_is_off_where_it_can_deadlock(dask_cluster):
    from distributed import Client

    from mlbasics.pipelines.dask_cluster import PROFILER_DEADLOCKS

    with Client(dask_cluster.address, timeout=30) as client:
        profiling = client.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
    assert list(profiling.values()) == [not PROFILER_DEADLOCKS] * 2


def test_the_guide_names_the_addresses_and_how_a_worker_on_another_machine_joins():
    from mlbasics.pipelines.dask_cluster import PROFILER_DEADLOCKS, ClusterInfo, cluster_guide

    info = ClusterInfo("tcp://127.0.0.1:41234", "http://127.0.0.1:8787/status", "state",
                       {"scheduler": 1, "worker-0": 2, "worker-1": 3})
    guide = cluster_guide(info)
    assert "tcp://127.0.0.1:41234 (listens on 127.0.0.1 only" in guide and "http://127.0.0.1:8787/status" in guide
    assert "workers:   2, each importing mlbasics" in guide and "pip install '.[dask]'" in guide
    command = guide.split("dask worker ")[0].rsplit("\n", 1)[1].strip()  # what goes before `dask worker`
    assert "dask worker tcp://SCHEDULER-HOST:41234\n" in guide
    assert command == ("DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False" if PROFILER_DEADLOCKS else "")


def test_embed_on_the_cluster_gives_the_direct_runners_bytes_from_the_workers(dask_cluster, tiny_model, tmp_path):
    source = _inputs(tmp_path / "src")
    outs = {}
    for runner, extra in (("direct", []), ("dask", _dask(dask_cluster))):
        outs[runner] = tmp_path / runner
        argv = ["embed", str(source), "--out", str(outs[runner]), "--model", str(tiny_model), "--batch-size", "4",
                "--shards", "4", *extra]
        assert main(argv) == 0
    direct, dask = (_files(outs[r], ("run.json", "summary.json")) for r in ("direct", "dask"))
    assert len([name for name in direct if name.startswith("embeddings/")]) == 40
    assert "notes.jpg" in direct["dead_letter.csv"].decode() and "cut.jpg" in direct["dead_letter.csv"].decode()
    assert dask == direct
    summaries = [json.loads((outs[r] / "summary.json").read_text()) for r in ("direct", "dask")]
    assert [{**s, "out_dir": ""} for s in summaries] == [{"embedded": 40, "failed": 2, "out_dir": ""}] * 2
    assert json.loads((outs["direct"] / "shards" / "run.json").read_text())["pids"] == [os.getpid()]
    pids = json.loads((outs["dask"] / "shards" / "run.json").read_text())["pids"]
    assert pids and set(pids) <= set(dask_cluster.worker_pids())


def test_faces_identify_on_the_cluster_gives_the_direct_runners_bytes_from_the_workers(
        dask_cluster, trained, faces_root, tmp_path):
    root, _ = trained
    images = tmp_path / "images"
    images.mkdir()
    for name in KNOWN[:2]:
        for photo in sorted((faces_root / "johns" / name).glob("*.jpg"))[3:5]:
            shutil.copy(photo, images / photo.name)
    (images / "broken.jpg").write_bytes(b"\xff\xd8 not really")
    outs = {}
    for runner, extra in (("direct", []), ("dask", _dask(dask_cluster))):
        outs[runner] = tmp_path / runner
        argv = ["faces", "identify", str(images), str(root / "state.json"), "--out", str(outs[runner]),
                "--cache", str(tmp_path / f"cache-{runner}"), *extra]  # own caches: dlib runs in both
        assert main(argv) == 0
    direct, dask = (_files(outs[r], (".run.json",)) for r in ("direct", "dask"))
    assert len(direct) == 5 + 2 and "broken.jpg" in json.loads(direct["report.json"])["failed"]
    assert dask == direct
    pids = json.loads((outs["dask"] / ".run.json").read_text())["pids"]
    assert pids and set(pids) <= set(dask_cluster.worker_pids())


@pytest.mark.parametrize("runner", ["direct", "dask"])
def test_a_run_that_loses_images_fails_loudly_on_either_runner(dask_cluster, tiny_model, tmp_path, monkeypatch,
                                                               runner):
    from mlbasics.pipelines import embeddings
    from mlbasics.pipelines.runners import IncompleteRunError

    source = tmp_path / "src"
    write_object_crops(source, 8, size=24, seed=7)
    store = embeddings.store

    def store_losing_a_batch(element, out_dir):
        """The pipeline's store step, except that it loses one batch's rows (as a faulty runner would)."""
        rows = list(store(element, out_dir))
        return [] if any(item.path.endswith("_0000.jpg") for item in element[0][1]) else rows

    monkeypatch.setattr(embeddings, "store", store_losing_a_batch)
    beam_args = ["--runner", "DaskRunner", "--dask_client_address", dask_cluster.address] if runner == "dask" else []
    with pytest.raises(IncompleteRunError, match=r"images listed but \d+ embedded"):
        embeddings.run_embedding_pipeline(source, tmp_path / "out", tiny_model, batch_size=2, shards=2,
                                          beam_args=beam_args)


@pytest.mark.parametrize("runner", ["direct", "dask"])
def test_an_identify_run_that_loses_images_fails_loudly_on_either_runner(dask_cluster, trained, faces_root, tmp_path,
                                                                         monkeypatch, runner):
    from mlbasics.pipelines.faces import identify as identify_module
    from mlbasics.pipelines.faces.analysis import AnalysisCache
    from mlbasics.pipelines.runners import IncompleteRunError

    root, _ = trained
    images = tmp_path / "images"
    images.mkdir()
    photos = sorted((faces_root / "johns" / KNOWN[0]).glob("*.jpg"))[:4]
    for photo in photos:
        shutil.copy(photo, images / photo.name)
    lost = photos[0].name.encode()

    class LosingOne(identify_module.IdentifyShard):
        """The identify step, except that one photo's result never leaves it (as a faulty runner would)."""

        def process(self, shard):
            for key, element in super().process(shard):
                if not (element[0] != "listed" and element[2] == lost):
                    yield key, element

    monkeypatch.setattr(identify_module, "IdentifyShard", LosingOne)
    beam_args = ["--runner", "DaskRunner", "--dask_client_address", dask_cluster.address] if runner == "dask" else []
    with pytest.raises(IncompleteRunError, match=r"shard \d: \d images listed but \d results arrived"):
        identify_module.identify(images, root / "state.json", tmp_path / "out", AnalysisCache(tmp_path / "cache"),
                                 shards=2, beam_args=beam_args)
    assert not (tmp_path / "out" / ".run.json").exists()


def test_a_shard_that_loses_map_rows_fails_the_run(tiny_model, tmp_path, monkeypatch):
    from mlbasics.pipelines import embeddings
    from mlbasics.pipelines.runners import IncompleteRunError

    write_object_crops(tmp_path / "src", 8, size=24, seed=7)
    project_shard = embeddings.project_shard

    def losing_shard_one(element, out_dir, shards, batch_size):
        """The projection step, except that shard 1 reports no rows (as a faulty runner would)."""
        key, summary = project_shard(element, out_dir, shards, batch_size)
        return key, {**summary, "mapped": 0} if summary["shard"] == 1 else summary

    monkeypatch.setattr(embeddings, "project_shard", losing_shard_one)
    with pytest.raises(IncompleteRunError, match=r"the shards projected \d+ images of 8 embedded"):
        embeddings.run_embedding_pipeline(tmp_path / "src", tmp_path / "out", tiny_model, batch_size=2, shards=2)


def test_the_launcher_checks_every_index_row_has_its_file(tiny_model, tmp_path):
    from mlbasics.pipelines.embeddings import check_outputs_complete, run_embedding_pipeline
    from mlbasics.pipelines.runners import IncompleteRunError

    write_object_crops(tmp_path / "src", 4, size=24, seed=7)
    summary = run_embedding_pipeline(tmp_path / "src", tmp_path / "out", tiny_model)
    check_outputs_complete(str(tmp_path / "out"), summary.embedded, summary.failed)
    with pytest.raises(IncompleteRunError, match="the run reported 5 and 0"):
        check_outputs_complete(str(tmp_path / "out"), summary.embedded + 1, summary.failed)
    map_csv = tmp_path / "out" / "map.csv"
    lines = map_csv.read_text().splitlines(keepends=True)
    map_csv.write_text("".join(lines[:1] + lines[2:]))  # the first image's point missing
    with pytest.raises(IncompleteRunError, match=r"map.csv: row 1 is not .*, the index's row 1"):
        check_outputs_complete(str(tmp_path / "out"), summary.embedded, summary.failed)
    map_csv.write_text("".join(lines + lines[-1:]))
    with pytest.raises(IncompleteRunError, match=f"map.csv has more rows than index.csv's {summary.embedded}"):
        check_outputs_complete(str(tmp_path / "out"), summary.embedded, summary.failed)
    map_csv.write_text("".join(lines))
    next((tmp_path / "out" / "embeddings").iterdir()).unlink()
    with pytest.raises(IncompleteRunError, match="has no embedding file"):
        check_outputs_complete(str(tmp_path / "out"), summary.embedded, summary.failed)
