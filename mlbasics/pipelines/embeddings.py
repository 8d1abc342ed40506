"""The image-embedding pipeline: list → batch → load → embed → store, plus a 2-D map.

::

    batches of images ─ Load ─┬─ RunInference(KerasModelHandler) ─ Store .npy ─┬─ index.csv
                              │                                                └─ PCA → embedding_map.png
                              └─ dead letters (path, reason) ─ dead_letter.csv

Images travel in batches from the start: the image list enters Beam as batches of
``batch_size`` paths (which Beam's ``Create`` spreads over workers), ``Load`` turns each
into one ``(n, h, w, 3)`` stack, the model embeds the stack in one call and
``Store`` writes its ``n`` files. Beam's cost per element is then paid once per batch, not
once per image — at thousands of small images that is what keeps the pipeline close to a
plain batched loop.

Outputs in ``out_dir``: ``embeddings/<key>.npy`` (one ``(dim,)`` float32 array per image),
``index.csv`` (path, label, embedding file), ``dead_letter.csv`` (path, reason),
``embedding_map.png`` and ``summary.json`` (counts). Every file is written atomically and
a re-run with the same inputs leaves every byte as it was.

Safety: the output folder may not be, contain or lie inside a source folder; temporaries that a
killed run left in it are removed when the next run starts; a path that is not UTF-8 is written
to the CSV files with ``\xff`` escapes (:func:`mlbasics.io.paths.display_path`); a full disk
stops the run with one ``OSError`` naming the file, earlier outputs intact.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.core.validation import check_positive_int
from mlbasics.io.files import remove_stale_temporaries
from mlbasics.io.outputs import check_output_location
from mlbasics.io.paths import display_path
from mlbasics.pipelines.beam_errors import os_errors_unwrapped
from mlbasics.pipelines.beam_noise import known_beam_noise_dropped
from mlbasics.pipelines.embeddings_io import ImageItem, Row, list_images, read_and_resize, store_batch, write_bytes
from mlbasics.pipelines.embeddings_map import embedding_map_png
from mlbasics.pipelines.keras_handler import KerasModelHandler

with known_beam_noise_dropped():
    import apache_beam as beam
    from apache_beam.metrics import Metrics
    from apache_beam.ml.inference.base import KeyedModelHandler, PredictionResult, RunInference
    from apache_beam.options.pipeline_options import PipelineOptions

DEAD = "dead"
NAMESPACE = "mlbasics.embed"


@dataclass(frozen=True)
class EmbedSummary:
    """What a run did: counts and where the outputs are."""

    embedded: int
    failed: int
    out_dir: str
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {"embedded": self.embedded, "failed": self.failed, "out_dir": self.out_dir}


class LoadBatch(beam.DoFn):
    """A batch of ``ImageItem`` -> ``(items, (n, h, w, 3) uint8)`` for the images that load;
    each unreadable one goes to the ``dead`` output as ``(path, reason)``."""

    def __init__(self, size: tuple[int, int]):
        self._size = size
        self._failed = Metrics.counter(NAMESPACE, "failed")

    def process(self, batch: Sequence[ImageItem]) -> Iterator:
        items, pixels = [], []
        for item in batch:
            try:
                pixels.append(read_and_resize(item.path, self._size))
                items.append(item)
            except DataFileError as exc:
                self._failed.inc()
                yield beam.pvalue.TaggedOutput(DEAD, (display_path(item.path), display_path(exc.reason)))
        if items:
            yield tuple(items), np.stack(pixels)


class StoreBatch(beam.DoFn):
    """``(items, PredictionResult of (n, dim))`` -> the batch's index rows (one list per batch)."""

    def __init__(self, out_dir: str):
        self._out_dir = out_dir
        self._stored = Metrics.counter(NAMESPACE, "embedded")

    def process(self, element: tuple[tuple[ImageItem, ...], PredictionResult]) -> Iterator[list[Row]]:
        items, result = element
        rows = store_batch(self._out_dir, items, np.asarray(result.inference, dtype=np.float32))
        self._stored.inc(len(rows))
        yield rows


def _csv_bytes(header: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> bytes:
    """CSV, rows sorted; text cells through :func:`display_path` (so a name that is not UTF-8 fits)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(tuple(display_path(c) if isinstance(c, str) else c for c in row) for row in sorted(rows))
    return text.getvalue().encode("utf-8")


def _flatten(batches: Iterable[list[Row]]) -> list[Row]:
    return [row for batch in batches for row in batch]


def write_index(rows: list[Row], out_dir: str) -> None:
    """``index.csv``: one line per embedded image, sorted by path."""
    write_bytes(f"{out_dir}/index.csv", _csv_bytes(("path", "label", "embedding"), (r[:3] for r in rows)))


def write_map(rows: list[Row], out_dir: str) -> None:
    """``embedding_map.png``: the PCA scatter plot, points in path order (skipped below 2 images)."""
    if len(rows) < 2:
        return
    rows = sorted(rows, key=lambda r: r[0])
    write_bytes(f"{out_dir}/embedding_map.png", embedding_map_png(np.stack([r[3] for r in rows]), [r[1] for r in rows]))


def write_dead_letters(rows: list[tuple[str, str]], out_dir: str) -> None:
    """``dead_letter.csv``: every image that could not be embedded and why (written even when empty)."""
    write_bytes(f"{out_dir}/dead_letter.csv", _csv_bytes(("path", "reason"), rows))


def embed_images(pipeline: beam.Pipeline, items: Sequence[ImageItem], out_dir: str,
                 handler: KerasModelHandler, size: tuple[int, int], batch_size: int) -> None:
    """Add the embedding pipeline's transforms to ``pipeline`` (the caller runs it)."""
    batches = [tuple(items[i:i + batch_size]) for i in range(0, len(items), batch_size)]
    loaded = (pipeline
              | "ListImages" >> beam.Create(batches)
              | "Load" >> beam.ParDo(LoadBatch(size)).with_outputs(DEAD, main="ok"))
    rows = (loaded.ok
            | "Embed" >> RunInference(KeyedModelHandler(handler))
            | "Store" >> beam.ParDo(StoreBatch(out_dir))
            | "AllBatches" >> beam.combiners.ToList()
            | "AllRows" >> beam.Map(_flatten))
    _ = rows | "WriteIndex" >> beam.Map(write_index, out_dir)
    _ = rows | "PCAMap" >> beam.Map(write_map, out_dir)
    _ = (loaded[DEAD]
         | "AllDead" >> beam.combiners.ToList()
         | "WriteDeadLetters" >> beam.Map(write_dead_letters, out_dir))


def _counter(result: beam.runners.runner.PipelineResult, name: str) -> int:
    query = beam.metrics.MetricsFilter().with_namespace(NAMESPACE).with_name(name)
    counters = result.metrics().query(query)["counters"]
    return int(sum(c.committed if c.committed is not None else c.attempted for c in counters))


def _source_folder(source: str) -> str | None:
    """The local folder a source reads images from (a folder, or a glob's folder part); ``None`` for lists."""
    if _is_remote_path(source):
        return None
    if os.path.isdir(source):
        return source
    if any(c in source for c in "*?["):
        head = source[:min(source.index(c) for c in "*?[" if c in source)]
        return os.path.dirname(head) or "."
    return None


def _is_remote_path(path: str) -> bool:
    return "://" in path


def run_embedding_pipeline(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    model: str | os.PathLike[str],
    *,
    weights: str | None = None,
    image_size: int = 224,
    batch_size: int = 64,
    beam_args: Sequence[str] = (),
) -> EmbedSummary:
    """Embed every image of ``source`` (folder, glob, or .txt/.csv list) with ``model`` into ``out_dir``.

    ``model`` is a ``.keras`` file or a backbone name (see ``keras_handler.BACKBONES``, whose
    input is ``image_size`` square). ``beam_args`` are Beam pipeline options such as
    ``["--runner", "DataflowRunner", "--project", ...]``; the default is the DirectRunner.
    Bad images are listed in ``dead_letter.csv`` and counted, never fatal.
    """
    import time

    from mlbasics.pipelines.keras_handler import load_embedder, model_image_size

    check_positive_int("batch_size", batch_size)
    start = time.perf_counter()
    out = os.fspath(out_dir)
    check_output_location(out, [_source_folder(os.fspath(source))])
    if not _is_remote_path(out):
        remove_stale_temporaries(out)
    with known_beam_noise_dropped():
        items = list_images(source)
        size = model_image_size(load_embedder(model, weights=weights, image_size=image_size))
        handler = KerasModelHandler(os.fspath(model), weights=weights, image_size=image_size)
        pipeline = beam.Pipeline(options=PipelineOptions(list(beam_args), save_main_session=False))
        embed_images(pipeline, items, out, handler, size, batch_size)
        with os_errors_unwrapped():
            result = pipeline.run()
            result.wait_until_finish()
    embedded, failed = _counter(result, "embedded"), _counter(result, "failed")
    summary = EmbedSummary(embedded, failed, out, time.perf_counter() - start)
    write_bytes(f"{out}/summary.json", (json.dumps(summary.to_dict(), indent=2, sort_keys=True) + "\n").encode())
    return summary
