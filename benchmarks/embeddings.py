"""Images/s of three ways to embed the same images with the same model, measured in one run.

The images are 64x64 shape crops; the model is lesson 05's backbone classifier without its head
(as in lesson 09).

(i) the article's way: ``model.predict`` on one image at a time inside a Beam ``ParDo``;
(ii) the batched pipeline (``mlbasics.pipelines.embeddings``: RunInference + KerasModelHandler);
(iii) the ceiling: a plain Python loop doing the same work — load → extract → store in
     batches of the same size, then the same index.csv, 2-D map picture and every image's map point
     (map.csv) — with the same functions.

Pipeline start-up (building the graph, starting the runner, loading the model) is measured
on a one-image run and reported apart, as is the loop's model loading; the steady-state
figures take both out.

In the same run:

* the DaskRunner on a local cluster of 2 worker processes (``mlbasics cluster start``) against
  the DirectRunner on the same images, after a one-image warm-up run that makes each worker
  import TensorFlow and load the model (reported apart);
* the launcher's own peak memory (``ru_maxrss`` of a fresh process that runs
  ``run_embedding_pipeline``) at ``--images`` and 10× as many tiny 16-pixel images, on the
  DaskRunner (the launcher is only the client: the images are listed, loaded and embedded by the
  workers) and on the DirectRunner (where the launcher does all the work itself).

Run: ``python -m benchmarks embeddings [--images 2000]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import apache_beam as beam  # noqa: E402
import numpy as np

import mlbasics.pipelines  # noqa: F401  (first: it quiets Beam's known warnings, see pipelines/beam_noise.py)
from mlbasics.data.synthetic import write_object_crops
from mlbasics.pipelines import keras_handler
from mlbasics.pipelines.dask_cluster import LocalDaskCluster
from mlbasics.pipelines.embeddings import (
    INDEX_HEADER,
    MAP_HEADER,
    SAMPLE_SIZE,
    _csv_lines,
    map_rows,
    run_embedding_pipeline,
    sample_key,
    write_map,
)
from mlbasics.pipelines.embeddings_io import (
    list_images,
    read_and_resize,
    store_batch,
    store_embedding,
    write_text_lines,
)
from mlbasics.pipelines.keras_handler import load_embedder, model_image_size
from mlbasics.pipelines.launcher_memory import launcher_peak_mib
from mlbasics.workbook import lessons

#: Images way (i) embeds: it runs at ~10 images/s, so its rate is measured on this many.
PER_IMAGE_IMAGES = 500


class PredictOneByOne(beam.DoFn):
    """The article's way: ``model.predict`` per image (model loaded once per DoFn instance)."""

    def __init__(self, model_path: str, out_dir: str):
        self._model_path, self._out_dir = model_path, out_dir

    def setup(self):
        self._model = load_embedder(self._model_path)
        self._size = model_image_size(self._model)

    def process(self, item):
        pixels = read_and_resize(item.path, self._size)
        embedding = self._model.predict(pixels[None].astype(np.float32), verbose=0)[0]
        store_embedding(self._out_dir, item.key, embedding)
        yield item.path


def per_image(items, model_path: str, out_dir: str) -> float:
    """Seconds for way (i) over ``items``."""
    start = time.perf_counter()
    with beam.Pipeline() as pipeline:
        _ = pipeline | beam.Create(items) | beam.ParDo(PredictOneByOne(model_path, out_dir))
    return time.perf_counter() - start


def plain_loop(folder, model_path: str, out_dir: str, batch_size: int = 64) -> tuple[float, float]:
    """Seconds for way (iii): ``(model loading, the work)``; the work starts with listing the images, as
    the pipeline's does."""
    start = time.perf_counter()
    model = load_embedder(model_path)
    size = model_image_size(model)
    loaded = time.perf_counter()
    items = list_images(folder)
    rows, sample, everything = [], [], []
    for first in range(0, len(items), batch_size):
        batch = items[first:first + batch_size]
        pixels = np.stack([read_and_resize(item.path, size) for item in batch]).astype(np.float32)
        embeddings = np.asarray(model.predict_on_batch(pixels))
        stored = store_batch(out_dir, batch, embeddings)
        rows += [r[:3] for r in stored]
        everything += [(r[0], r[3]) for r in stored]
        sample = sorted(sample + [(sample_key(r[0]), r[0], r[1], r[3]) for r in stored])[:SAMPLE_SIZE]
    write_text_lines(f"{out_dir}/index.csv", _csv_lines(INDEX_HEADER, sorted(rows)))
    projection = write_map(sample, out_dir)  # as the pipeline: fitted on the sample, every image projected
    everything.sort(key=lambda r: r[0])
    points = projection.project(np.stack([r[1] for r in everything])) if projection else np.zeros((0, 2))
    write_text_lines(f"{out_dir}/map.csv", _csv_lines(MAP_HEADER, map_rows([r[0] for r in everything], points)))
    return loaded - start, time.perf_counter() - loaded


def timed_pipeline(source, out_dir, model: str, beam_args=()) -> float:
    """Seconds of one pipeline run in this process, the model loaded afresh (as a new worker would)."""
    keras_handler._cached_embedder.cache_clear()
    return run_embedding_pipeline(source, out_dir, model, beam_args=beam_args).seconds


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks embeddings")
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes")
    args = parser.parse_args(argv)
    model = str(lessons.embedder())  # lesson 05's backbone classifier without its head
    load_embedder(model)  # import TensorFlow and warm Keras up before any clock starts
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        write_object_crops(folder, args.images, seed=7)
        items = list_images(folder)
        one = Path(tmp) / "one.txt"
        one.write_text(items[0].path + "\n")
        os.sync()  # each way starts with a clean disk cache: none pays to flush what another wrote
        startup = timed_pipeline(one, Path(tmp) / "out-startup", model)
        os.sync()
        batched = timed_pipeline(folder, Path(tmp) / "out-batched", model)
        os.sync()
        model_load, ceiling = plain_loop(folder, model, str(Path(tmp) / "out-loop"))
        os.sync()
        slow_items = items[:PER_IMAGE_IMAGES]  # ~10 images/s: a rate, measured on fewer images
        slow = per_image(slow_items, model, str(Path(tmp) / "out-per-image"))
        tiny = {count: Path(tmp) / f"tiny-{count}" for count in (args.images, 10 * args.images)}
        for count, target in tiny.items():
            write_object_crops(target, count, size=16, seed=11)
        with LocalDaskCluster(Path(tmp) / "cluster", args.workers, grace=2.0) as cluster:
            dask_args = ["--runner", "DaskRunner", "--dask_client_address", cluster.address]
            os.sync()
            dask_startup = timed_pipeline(one, Path(tmp) / "out-dask-startup", model, dask_args)
            os.sync()
            dask_warm_one = timed_pipeline(one, Path(tmp) / "out-dask-one", model, dask_args)
            os.sync()
            dask = timed_pipeline(folder, Path(tmp) / "out-dask", model, dask_args)
            memory = {}
            for count, target in tiny.items():
                for runner, beam_args in (("dask", dask_args), ("direct", [])):
                    os.sync()
                    embedded, mib = launcher_peak_mib(target, Path(tmp) / f"out-mem-{runner}-{count}", model,
                                                      beam_args)
                    assert embedded == count, (embedded, count)
                    memory[(runner, count)] = mib
    n = len(items)
    steady = max(batched - startup, 1e-9)
    figures = {
        "images": n,
        "startup_s": round(startup, 2),
        "ceiling_model_load_s": round(model_load, 2),
        "per_image_images": len(slow_items),
        "per_image_ips": round(len(slow_items) / slow, 1),
        "batched_ips": round(n / batched, 1),
        "batched_ips_without_startup": round(n / steady, 1),
        "ceiling_ips": round(n / ceiling, 1),
        "batched_over_per_image": round((n / batched) / (len(slow_items) / slow), 1),
        "batched_over_ceiling_with_startup": round((ceiling + model_load) / batched, 2),
        "batched_over_ceiling_steady": round(ceiling / steady, 2),
        "dask_workers": args.workers,
        "dask_first_run_one_image_s": round(dask_startup, 2),
        "dask_warm_run_one_image_s": round(dask_warm_one, 2),
        "dask_ips": round(n / dask, 1),
        "dask_over_direct_wall": round(dask / batched, 2),
        "dask_over_direct_steady": round(max(dask - dask_warm_one, 1e-9) / steady, 2),
    }
    small, large = args.images, 10 * args.images
    for runner in ("dask", "direct"):
        figures[f"launcher_peak_mib_{runner}_{small}"] = round(memory[(runner, small)], 1)
        figures[f"launcher_peak_mib_{runner}_{large}"] = round(memory[(runner, large)], 1)
        figures[f"launcher_peak_growth_{runner}"] = round(memory[(runner, large)] / memory[(runner, small)] - 1, 3)
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
