"""The image-embedding pipeline: shards → list → load → embed → store, merged per shard, then once.

::

    shard numbers ─ ListImages ─┬─ CountListed ──────────────────────────────────────────────────┐
                                └─ Load ─┬─ RunInference(KerasModelHandler, no Beam batching) ─ Store ─┤ Flatten
                                         └─ dead letters (path, reason) ───────────────────────────────┘
      ─ GroupByKey(shard) ─ FinishShard (sorted shard files, completeness check)
      ─ GroupByKey(all) ─ FitMap (merged index.csv and dead_letter.csv; 2-D projection fitted on a sample)
      ─ GroupByKey(shard) ─ ProjectShard (every image of the shard projected, a batch at a time)
      ─ GroupByKey(all) ─ Finish (merged map.csv, summary.json)

No step holds every image: the launcher never lists them (each of ``shards`` workers lists the
source and keeps the images whose path hashes to its shard), the index is written per shard and
merged by streaming, the 2-D projection (PCA) is fitted on a fixed-size sample (the
``SAMPLE_SIZE`` images with the smallest seeded path hash), the map picture is drawn from that
sample, and every image's 2-D point is computed per shard, ``batch_size`` embeddings at a time.
Images travel in batches of ``batch_size`` from the start: ``Load`` turns each into one
``(n, h, w, 3)`` stack, the model embeds the stack in one call and ``Store`` writes its ``n`` files.

The shape is correct on every runner, Beam's experimental DaskRunner included (which drops
``finish_bundle`` output, runs only the last branch of a graph, mixes tagged outputs and has no
metrics): no ``finish_bundle`` output, one output per step with a kind in front, one final step,
counts carried as data. Each shard checks that the images it listed were embedded or became dead
letters and that every index row has its file, the final step that every embedded image has its
map row, and the launcher that the final step of this run wrote its outputs: a run that loses images raises
:class:`~mlbasics.pipelines.runners.IncompleteRunError` on any runner.

Outputs in ``out_dir``: ``embeddings/<key>.npy`` (one ``(dim,)`` float32 array per image),
``index.csv`` (path, label, embedding file), ``dead_letter.csv`` (path, reason), ``map.csv``
(path, x, y: every image on the 2-D map), ``map_projection.json`` (the PCA's mean and two
directions), ``embedding_map.png``, ``summary.json`` (counts), ``shards/`` (each shard's sorted
index, dead letters and map rows, and ``run.json``: the run's id and the processes that embedded).
``map.csv``, ``map_projection.json`` and the picture need at least 2 images. Every file is written
atomically; every file but ``shards/run.json`` is the same byte for byte on every runner, and a
re-run with the same inputs leaves it as it was.

Safety: the output folder may not be, contain or lie inside a source folder; temporaries that a
killed run left in it are removed when the next run starts; a path that is not UTF-8 is written
to the CSV files with ``\xff`` escapes (:func:`mlbasics.io.paths.display_path`); a full disk
stops the run with one ``OSError`` naming the file, earlier outputs intact.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import itertools
import json
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.io.files import remove_stale_temporaries
from mlbasics.io.outputs import check_output_location
from mlbasics.io.paths import display_path
from mlbasics.io.storage import gs_read_many, gs_walk, is_remote
from mlbasics.pipelines.beam_errors import errors_unwrapped
from mlbasics.pipelines.beam_noise import known_beam_noise_dropped
from mlbasics.pipelines.embeddings_io import (
    ImageItem,
    file_exists,
    list_images,
    read_and_resize,
    read_bytes,
    read_text_lines,
    remove_files,
    store_batch,
    write_bytes,
    write_text_lines,
)
from mlbasics.pipelines.embeddings_map import MapProjection, embedding_map_png, fit_map_projection
from mlbasics.pipelines.keras_handler import KerasModelHandler
from mlbasics.pipelines.runners import IncompleteRunError, pipeline_options, run_to_completion
from mlbasics.pipelines.settings import BATCH_SIZE, IMAGE_SIZE, SHARDS
from mlbasics.pipelines.shards import shard_of

with known_beam_noise_dropped():
    import apache_beam as beam
    from apache_beam.ml.inference.base import KeyedModelHandler, PredictionResult, RunInference

#: Output kinds that travel to the per-shard step, keyed by shard.
LISTED, ROWS, DEAD = "listed", "rows", "dead"
#: Images the 2-D map is fitted on and drawn from: a fixed-size sample, chosen by a seeded hash of the path.
SAMPLE_SIZE = 1000
SAMPLE_SEED = 0
SHARDS_FOLDER = "shards"
RUN_FILE = "run.json"


@dataclass(frozen=True)
class EmbedSummary:
    """What a run did: counts and where the outputs are."""

    embedded: int
    failed: int
    out_dir: str
    seconds: float

    def to_dict(self) -> dict[str, object]:
        return {"embedded": self.embedded, "failed": self.failed, "out_dir": self.out_dir}


def _digest(text: str) -> str:
    return hashlib.sha1(os.fsencode(text)).hexdigest()


def sample_key(path: str) -> str:
    """The sampling order: the ``SAMPLE_SIZE`` images with the smallest keys are the map's sample."""
    return _digest(f"{SAMPLE_SEED}:{path}")


class ListShard(beam.DoFn):
    """Shard number -> ``(shard, batch of ImageItem)`` for its images, ``batch_size`` at a time, in path order.

    Every worker lists the source itself (folder, glob or list file) and keeps the images whose
    :func:`shard_of` is its shard: the launcher never holds the list. A shard with no images
    yields one empty batch, so that every shard reaches the per-shard step and is checked.
    """

    def __init__(self, source: str, shards: int, batch_size: int):
        self._source, self._shards, self._batch_size = source, shards, batch_size

    def process(self, shard: int) -> Iterator[tuple[int, tuple[ImageItem, ...]]]:
        mine = list_images(self._source, keep=lambda path: shard_of(path, self._shards) == shard)
        if not mine:
            yield shard, ()
        for i in range(0, len(mine), self._batch_size):
            yield shard, tuple(mine[i:i + self._batch_size])


def load_batch(element: tuple[int, tuple[ImageItem, ...]], size: tuple[int, int]) -> Iterator[tuple]:
    """``(shard, items)`` -> ``(ROWS, shard, items, (n, h, w, 3) uint8)`` for the images that load, and
    ``(DEAD, shard, path, reason)`` for each that does not. One output with a kind in front, not
    tagged outputs: Beam's DaskRunner mixes tagged outputs up."""
    shard, batch = element
    items, pixels = [], []
    for item in batch:
        try:
            pixels.append(read_and_resize(item.path, size))
            items.append(item)
        except DataFileError as exc:
            yield DEAD, shard, display_path(item.path), display_path(exc.reason)
    if items:
        yield ROWS, shard, tuple(items), np.stack(pixels)


def to_inference(element: tuple) -> Iterator[list[tuple[tuple[int, tuple[ImageItem, ...]], np.ndarray]]]:
    """A loaded batch as RunInference's input without Beam's batching: a list of one keyed stack."""
    if element[0] == ROWS:
        yield [((element[1], element[2]), element[3])]


def to_dead_letter(element: tuple) -> Iterator[tuple[int, tuple[str, tuple[str, str]]]]:
    if element[0] == DEAD:
        yield element[1], (DEAD, (element[2], element[3]))


def store(element: tuple[tuple[int, tuple[ImageItem, ...]], PredictionResult], out_dir: str
          ) -> Iterator[tuple[int, tuple[str, tuple]]]:
    """``((shard, items), PredictionResult of (n, dim))`` -> writes the ``n`` files; yields the shard's
    rows ``(path, label, file)``, the batch's map-sample candidates ``(key, path, label, file)`` and this
    process's id. No embedding travels on: the final step reads the sample's from their files, so what
    the runner groups by shard is a few short strings per image."""
    (shard, items), result = element
    rows = store_batch(out_dir, items, np.asarray(result.inference, dtype=np.float32))
    candidates = sorted((sample_key(r[0]), r[0], r[1], r[2]) for r in rows)[:SAMPLE_SIZE]
    yield shard, (ROWS, ([r[:3] for r in rows], candidates, os.getpid()))


def _shard_file(out_dir: str, kind: str, shard: int, shards: int) -> str:
    return f"{out_dir}/{SHARDS_FOLDER}/{kind}-{shard:05d}-of-{shards:05d}.csv"


def _csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """CSV lines; text cells through :func:`display_path` (so a name that is not UTF-8 fits)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(tuple(display_path(c) if isinstance(c, str) else c for c in row))
        if text.tell() > 1 << 16:
            yield text.getvalue()
            text.seek(0)
            text.truncate()
    yield text.getvalue()


INDEX_HEADER = ("path", "label", "embedding")
DEAD_HEADER = ("path", "reason")
MAP_HEADER = ("path", "x", "y")
PROJECTION_FILE = "map_projection.json"


def finish_shard(element: tuple[int, Iterable[tuple[str, Any]]], out_dir: str, shards: int
                 ) -> tuple[None, dict[str, Any]]:
    """One shard's parts -> its sorted index and dead-letter files, checked complete; returns its counts,
    its map-sample candidates and the processes that embedded it, keyed for the final step."""
    shard, parts = element
    listed, rows, dead, candidates, pids = 0, [], [], [], set()
    for kind, value in parts:
        if kind == LISTED:
            listed += value
        elif kind == DEAD:
            dead.append(value)
        else:
            rows += value[0]
            candidates += value[1]
            pids.add(value[2])
    rows.sort()
    dead.sort()
    check_shard_complete(shard, listed, rows, dead, out_dir)
    write_text_lines(_shard_file(out_dir, "index", shard, shards), _csv_lines(INDEX_HEADER, rows))
    write_text_lines(_shard_file(out_dir, "dead", shard, shards), _csv_lines(DEAD_HEADER, dead))
    return None, {"shard": shard, "listed": listed, "embedded": len(rows), "failed": len(dead),
                  "sample": sorted(candidates, key=lambda c: c[0])[:SAMPLE_SIZE], "pids": sorted(pids)}


def check_shard_complete(shard: int, listed: int, rows: Sequence[Sequence[str]], dead: Sequence[Any],
                         out_dir: str) -> None:
    """Raise :class:`IncompleteRunError` unless listed == embedded + dead letters and every row's file exists."""
    if listed != len(rows) + len(dead):
        raise IncompleteRunError(f"shard {shard}: {listed} images listed but {len(rows)} embedded + {len(dead)} "
                                 f"dead letters arrived: the runner lost {listed - len(rows) - len(dead)}")
    missing = [r[2] for r in rows if not file_exists(f"{out_dir}/embeddings/{r[2]}")]
    if missing:
        raise IncompleteRunError(f"shard {shard}: {len(missing)} index rows have no embedding file, "
                                 f"e.g. {missing[0]}")


def _merged(out_dir: str, kind: str, shards: int) -> Iterator[list[str]]:
    """The rows of every shard's ``kind`` file, merged in sorted order (each file is sorted; memory: one row
    per shard)."""
    readers = []
    for shard in range(shards):
        reader = csv.reader(read_text_lines(_shard_file(out_dir, kind, shard, shards)))
        next(reader)
        readers.append(reader)
    return heapq.merge(*readers)


def fit_map(element: tuple[None, Iterable[dict[str, Any]]], out_dir: str, shards: int
            ) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every shard's summary -> ``index.csv`` and ``dead_letter.csv`` (a streamed merge of the sorted shard
    files), the 2-D projection fitted on the sample (``map_projection.json``) and ``embedding_map.png``
    drawn from the sample; raises :class:`IncompleteRunError` if a shard is missing. Yields
    ``(shard, run summary)`` for every shard, so that the shards are projected in parallel."""
    summaries = sorted(element[1], key=lambda s: s["shard"])
    if [s["shard"] for s in summaries] != list(range(shards)):
        raise IncompleteRunError(f"{len(summaries)} of {shards} shards arrived at the map step")
    write_text_lines(f"{out_dir}/index.csv", _csv_lines(INDEX_HEADER, _merged(out_dir, "index", shards)))
    write_text_lines(f"{out_dir}/dead_letter.csv", _csv_lines(DEAD_HEADER, _merged(out_dir, "dead", shards)))
    sample = sorted((c for s in summaries for c in s["sample"]), key=lambda c: c[0])[:SAMPLE_SIZE]
    projection = write_map(read_sample_embeddings(sample, out_dir), out_dir)
    summary = {**{k: sum(s[k] for s in summaries) for k in ("listed", "embedded", "failed")},
               "pids": sorted({p for s in summaries for p in s["pids"]}), "projected": projection is not None}
    for shard in range(shards):
        yield shard, summary


def project_shard(element: tuple[int, Iterable[dict[str, Any]]], out_dir: str, shards: int, batch_size: int
                  ) -> tuple[None, dict[str, Any]]:
    """``(shard, [run summary])`` -> the shard's map file: every image of its index projected with the run's
    projection, ``batch_size`` embeddings at a time (path, x, y; path order). Returns the summary with the
    shard and its number of map rows, keyed for the final step."""
    shard, summaries = element
    summary = next(iter(summaries))
    mapped = 0
    if summary["projected"]:
        source = f"{out_dir}/{PROJECTION_FILE}"
        projection = MapProjection.from_json(read_bytes(source), source)
        rows = csv.reader(read_text_lines(_shard_file(out_dir, "index", shard, shards)))
        next(rows)
        counted = _counted(_projected_rows(rows, projection, out_dir, batch_size))
        write_text_lines(_shard_file(out_dir, "map", shard, shards), _csv_lines(MAP_HEADER, counted))
        mapped = counted.count
    return None, {**summary, "shard": shard, "mapped": mapped}


def _projected_rows(rows: Iterable[Sequence[str]], projection: MapProjection, out_dir: str, batch_size: int
                    ) -> Iterator[tuple[str, str, str]]:
    """Index rows ``(path, label, file)`` -> ``(path, x, y)``, each batch's embeddings read and projected at once."""
    rows = iter(rows)
    while batch := list(itertools.islice(rows, batch_size)):
        embeddings = np.stack([np.load(io.BytesIO(read_bytes(f"{out_dir}/embeddings/{row[2]}")), allow_pickle=False)
                               for row in batch])
        yield from map_rows([row[0] for row in batch], projection.project(embeddings))


def map_rows(paths: Sequence[str], points: np.ndarray) -> Iterator[tuple[str, str, str]]:
    """``map.csv`` rows ``(path, x, y)`` of ``points (n, 2)``, six significant digits."""
    for path, (x, y) in zip(paths, points):
        yield path, f"{x:.6g}", f"{y:.6g}"


def read_map(out_dir: str) -> tuple[list[str], np.ndarray]:
    """``out_dir/map.csv`` as ``(paths, points (n, 2) float64)``, in index order."""
    rows = list(itertools.islice(csv.reader(read_text_lines(f"{out_dir}/map.csv")), 1, None))
    return [r[0] for r in rows], np.array([[float(r[1]), float(r[2])] for r in rows]).reshape(-1, 2)


class _counted:
    """An iterator that counts what passed through it."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items, self.count = iter(items), 0

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        item = next(self._items)
        self.count += 1
        return item


def finish_run(element: tuple[None, Iterable[dict[str, Any]]], out_dir: str, shards: int, run_id: str = ""
               ) -> dict[str, Any]:
    """Every shard's projected summary -> ``map.csv`` (a streamed merge of the shard map files, checked to have
    a row for every embedded image), ``summary.json``; raises :class:`IncompleteRunError` if a shard or a
    map row is missing. ``shards/run.json`` names the run and the processes that embedded its images (it is
    the one output that differs between runs and runners). Returns the small summary, the only thing
    that travels back to the launcher."""
    summaries = sorted(element[1], key=lambda s: s["shard"])
    if [s["shard"] for s in summaries] != list(range(shards)):
        raise IncompleteRunError(f"{len(summaries)} of {shards} shards arrived at the final step")
    run = summaries[0]
    if run["projected"]:
        mapped = sum(s["mapped"] for s in summaries)
        if mapped != run["embedded"]:
            raise IncompleteRunError(f"the shards projected {mapped} images of {run['embedded']} embedded")
        merged = _counted(_merged(out_dir, "map", shards))
        write_text_lines(f"{out_dir}/map.csv", _csv_lines(MAP_HEADER, merged))
        if merged.count != mapped:
            raise IncompleteRunError(f"{out_dir}/map.csv has {merged.count} rows for {mapped} projected images")
    _remove_other_shard_files(out_dir, shards)
    summary = {k: run[k] for k in ("listed", "embedded", "failed")} | {"out_dir": out_dir}
    write_bytes(f"{out_dir}/summary.json", (json.dumps({k: summary[k] for k in ("embedded", "failed", "out_dir")},
                                                       indent=2, sort_keys=True) + "\n").encode())
    write_bytes(f"{out_dir}/{SHARDS_FOLDER}/{RUN_FILE}",
                (json.dumps({"run": run_id, "pids": run["pids"]}) + "\n").encode())
    return summary


def _remove_other_shard_files(out_dir: str, shards: int) -> None:
    """Shard files of an earlier run with another shard count (local folders only)."""
    folder = os.path.join(out_dir, SHARDS_FOLDER)
    if is_remote(out_dir) or not os.path.isdir(folder):
        return
    for name in os.listdir(folder):
        if name.endswith(".csv") and not name.endswith(f"-of-{shards:05d}.csv"):
            os.remove(os.path.join(folder, name))


def read_sample_embeddings(sample: Iterable[tuple[str, str, str, str]], out_dir: str
                           ) -> list[tuple[str, str, str, np.ndarray]]:
    """``(key, path, label, file)`` -> ``(key, path, label, embedding)``, each ``(dim,)`` read from
    ``out_dir/embeddings/<file>``."""
    return [(key, path, label, np.load(io.BytesIO(read_bytes(f"{out_dir}/embeddings/{name}")), allow_pickle=False))
            for key, path, label, name in sample]


def write_map(sample: Sequence[tuple[str, str, str, np.ndarray]], out_dir: str) -> MapProjection | None:
    """PCA fitted on the sample ``(key, path, label, embedding)``: ``map_projection.json``, and
    ``embedding_map.png`` drawn from the sample, points in path order. Returns the projection (``None``,
    and nothing written, below 2 images)."""
    if len(sample) < 2:  # an earlier run's map would not match this run's index
        remove_files([f"{out_dir}/{name}" for name in (PROJECTION_FILE, "embedding_map.png", "map.csv")])
        return None
    rows = sorted(sample, key=lambda r: r[1])
    embeddings = np.stack([r[3] for r in rows])
    projection = fit_map_projection(embeddings)
    write_bytes(f"{out_dir}/{PROJECTION_FILE}", projection.to_json().encode())
    write_bytes(f"{out_dir}/embedding_map.png", embedding_map_png(embeddings, [r[2] for r in rows], projection))
    return projection


def embed_images(pipeline: beam.Pipeline, source: str, out_dir: str, handler: KerasModelHandler,
                 size: tuple[int, int], batch_size: int, shards: int, run_id: str = "") -> beam.PCollection:
    """Add the embedding pipeline's transforms to ``pipeline`` (the caller runs it); returns the final
    one-element PCollection (the run's summary).

    Shaped for every runner, Beam's DaskRunner included: no ``finish_bundle`` output (no
    ``BatchElements``, no RunInference batching, no ``WriteToText``), no tagged outputs, no
    stateful DoFns, and one chain that ends in one step (the DaskRunner computes only the last
    branch), the parallel branches joined by a ``Flatten``.
    """
    batches = (pipeline
               | "Shards" >> beam.Create(list(range(shards)))
               | "ListImages" >> beam.ParDo(ListShard(source, shards, batch_size)))
    listed = batches | "CountListed" >> beam.Map(lambda b: (b[0], (LISTED, len(b[1]))))
    loaded = batches | "Load" >> beam.FlatMap(load_batch, size)
    keyed: Any = KeyedModelHandler(handler)  # Beam's KeyedModelHandler does not pass should_skip_batching on
    stored = (loaded
              | "Loaded" >> beam.FlatMap(to_inference)
              | "Embed" >> RunInference(keyed.with_no_batching() if handler.should_skip_batching() else keyed)
              | "Store" >> beam.FlatMap(store, out_dir))
    dead = loaded | "DeadLetters" >> beam.FlatMap(to_dead_letter)
    return ((listed, stored, dead)
            | "Join" >> beam.Flatten()
            | "ByShard" >> beam.GroupByKey()
            | "FinishShard" >> beam.Map(finish_shard, out_dir, shards)
            | "AllShards" >> beam.GroupByKey()
            | "FitMap" >> beam.FlatMap(fit_map, out_dir, shards)
            | "EachShard" >> beam.GroupByKey()
            | "ProjectShard" >> beam.Map(project_shard, out_dir, shards, batch_size)
            | "AllProjected" >> beam.GroupByKey()
            | "Finish" >> beam.Map(finish_run, out_dir, shards, run_id))


def check_outputs_complete(out_dir: str, embedded: int, failed: int) -> None:
    """The launcher's own check, after any runner: ``index.csv`` has ``embedded`` rows whose files exist,
    ``map.csv`` (from 2 images on) the same paths in the same order, and ``dead_letter.csv`` ``failed``
    rows (read line by line: memory stays flat)."""
    rows = 0
    index = itertools.islice(csv.reader(read_text_lines(f"{out_dir}/index.csv")), 1, None)
    mapped = itertools.islice(csv.reader(read_text_lines(f"{out_dir}/map.csv")), 1, None) if embedded >= 2 else None
    for row in index:
        rows += 1
        if not file_exists(f"{out_dir}/embeddings/{row[2]}"):
            raise IncompleteRunError(f"{out_dir}/index.csv: {row[0]} has no embedding file {row[2]}")
        if mapped is not None and next(mapped, [None])[0] != row[0]:
            raise IncompleteRunError(f"{out_dir}/map.csv: row {rows} is not {row[0]}, the index's row {rows}")
    if mapped is not None and next(mapped, None) is not None:
        raise IncompleteRunError(f"{out_dir}/map.csv has more rows than index.csv's {rows}")
    dead = sum(1 for _ in read_text_lines(f"{out_dir}/dead_letter.csv")) - 1
    if (rows, dead) != (embedded, failed):
        raise IncompleteRunError(f"{out_dir}: index.csv has {rows} rows and dead_letter.csv {dead}, "
                                 f"the run reported {embedded} and {failed}")


def run_outputs(out_dir: str | os.PathLike[str]) -> dict[str, bytes]:
    """Every output file of a run in ``out_dir`` (local or ``gs://``) as ``{path relative to out_dir: bytes}``,
    but the two that name the run itself: ``shards/run.json`` (its id and processes) and ``summary.json``
    (its ``out_dir``). Two runs of the same inputs give equal dicts on any runner, from any folder or bucket
    (the CSV files name the images by path, so the images must be at the same paths)."""
    folder = os.fspath(out_dir).rstrip("/")
    folder = folder if is_remote(folder) else os.path.abspath(folder)  # gs_walk names local files by absolute path
    paths = [p for p in gs_walk(folder)
             if p[len(folder) + 1:].replace(os.sep, "/") not in (f"{SHARDS_FOLDER}/{RUN_FILE}", "summary.json")]
    read = gs_read_many(paths)
    for value in read.values():
        if isinstance(value, DataFileError):
            raise value
    return {path[len(folder) + 1:].replace(os.sep, "/"): value for path, value in read.items()
            if isinstance(value, bytes)}


def _source_folder(source: str) -> str | None:
    """The local folder a source reads images from (a folder, or a glob's folder part); ``None`` for lists."""
    if is_remote(source):
        return None
    if os.path.isdir(source):
        return source
    if any(c in source for c in "*?["):
        head = source[:min(source.index(c) for c in "*?[" if c in source)]
        return os.path.dirname(head) or "."
    return None


def run_embedding_pipeline(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    model: str | os.PathLike[str],
    *,
    weights: str | None = None,
    image_size: int = IMAGE_SIZE.default,
    batch_size: int = BATCH_SIZE.default,
    shards: int = SHARDS.default,
    beam_args: Sequence[str] = (),
) -> EmbedSummary:
    """Embed every image of ``source`` (folder, glob, or .txt/.csv list) with ``model`` into ``out_dir``.

    ``model`` is a ``.keras`` file or a backbone name (see ``keras_handler.BACKBONES``, whose
    input is ``image_size`` square). ``beam_args`` are Beam pipeline options such as
    ``["--runner", "DaskRunner", "--dask_client_address", "tcp://127.0.0.1:8786"]``
    (:func:`~mlbasics.pipelines.runners.pipeline_options`); the default is the DirectRunner.
    The images are listed by the workers, ``shards`` parts of the list, never in this process.
    Bad images are listed in ``dead_letter.csv`` and counted, never fatal. A runner that loses
    images makes the run fail with :class:`IncompleteRunError`.
    """
    import time

    from mlbasics.pipelines.keras_handler import load_embedder, model_image_size

    IMAGE_SIZE.check(image_size)
    BATCH_SIZE.check(batch_size)
    SHARDS.check(shards)
    start = time.perf_counter()
    out = os.fspath(out_dir).rstrip("/") or "/"
    source = os.fspath(source)
    check_output_location(out, [_source_folder(source)])
    if not is_remote(out):
        remove_stale_temporaries(out)
    with known_beam_noise_dropped():
        size = model_image_size(load_embedder(model, weights=weights, image_size=image_size))
        handler = KerasModelHandler(os.fspath(model), weights=weights, image_size=image_size)
        pipeline = beam.Pipeline(options=pipeline_options(beam_args))
        run_id = uuid.uuid4().hex
        embed_images(pipeline, source, out, handler, size, batch_size, shards, run_id)
        with errors_unwrapped():
            run_to_completion(pipeline)
    try:
        run = json.loads(read_bytes(f"{out}/{SHARDS_FOLDER}/{RUN_FILE}"))
        summary_file = json.loads(read_bytes(f"{out}/summary.json"))
    except (OSError, ValueError):
        run, summary_file = {}, {}
    if run.get("run") != run_id:
        raise IncompleteRunError(f"{out}: the pipeline's final step did not run ({SHARDS_FOLDER}/{RUN_FILE} "
                                 "does not name this run)")
    embedded, failed = int(summary_file["embedded"]), int(summary_file["failed"])
    check_outputs_complete(out, embedded, failed)
    return EmbedSummary(embedded, failed, out, time.perf_counter() - start)
