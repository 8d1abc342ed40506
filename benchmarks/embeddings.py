"""Images/s of three ways to embed the same images with the same model, measured in one run.

The images are 64x64 shape crops; the model is lesson 05's backbone classifier without its head
(as in lesson 09).

(i) the article's way: ``model.predict`` on one image at a time inside a Beam ``ParDo``;
(ii) the batched pipeline (``mlbasics.pipelines.embeddings``: RunInference + KerasModelHandler);
(iii) the ceiling: a plain Python loop doing the same work — load → extract → store in
     batches of the same size, then the same index.csv and 2-D map — with the same functions.

Pipeline start-up (building the graph, starting the runner, loading the model) is measured
on a one-image run and reported apart, as is the loop's model loading; the steady-state
figures take both out. Run: ``python -m benchmarks embeddings [--images 2000]``.
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
from mlbasics.pipelines.embeddings import run_embedding_pipeline, write_index, write_map
from mlbasics.pipelines.embeddings_io import list_images, read_and_resize, store_batch, store_embedding
from mlbasics.pipelines.keras_handler import load_embedder, model_image_size
from mlbasics.workbook import lessons


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


def plain_loop(items, model_path: str, out_dir: str, batch_size: int = 64) -> tuple[float, float]:
    """Seconds for way (iii): ``(model loading, the work)``."""
    start = time.perf_counter()
    model = load_embedder(model_path)
    size = model_image_size(model)
    loaded = time.perf_counter()
    rows = []
    for first in range(0, len(items), batch_size):
        batch = items[first:first + batch_size]
        pixels = np.stack([read_and_resize(item.path, size) for item in batch]).astype(np.float32)
        embeddings = np.asarray(model.predict_on_batch(pixels))
        rows += store_batch(out_dir, batch, embeddings)
    write_index(rows, out_dir)
    write_map(rows, out_dir)
    return loaded - start, time.perf_counter() - loaded


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks embeddings")
    parser.add_argument("--images", type=int, default=2000)
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
        startup = run_embedding_pipeline(one, Path(tmp) / "out-startup", model).seconds
        os.sync()
        batched = run_embedding_pipeline(folder, Path(tmp) / "out-batched", model).seconds
        os.sync()
        model_load, ceiling = plain_loop(items, model, str(Path(tmp) / "out-loop"))
        os.sync()
        slow = per_image(items, model, str(Path(tmp) / "out-per-image"))
    n = len(items)
    steady = max(batched - startup, 1e-9)
    figures = {
        "images": n,
        "startup_s": round(startup, 2),
        "ceiling_model_load_s": round(model_load, 2),
        "per_image_ips": round(n / slow, 1),
        "batched_ips": round(n / batched, 1),
        "batched_ips_without_startup": round(n / steady, 1),
        "ceiling_ips": round(n / ceiling, 1),
        "batched_over_per_image": round(slow / batched, 1),
        "batched_over_ceiling_with_startup": round((ceiling + model_load) / batched, 2),
        "batched_over_ceiling_steady": round(ceiling / steady, 2),
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
