"""Stage 2, identify: images -> one facebox JSON per image, as a Beam pipeline.

::

    shard numbers ─ Identify (each worker lists its shard of the folder, hashes each photo, compares it
                    with the records; identifies the new and changed ones) ─ GroupByKey(all) ─ Finish
                    (completeness check, records, gone images' JSON removed, report.json, .run.json)

Only images whose bytes, the trained state, the threshold or the detection policy changed since the
last run are analysed again (see ``records``); the rest keep their JSON. Unreadable
images get ``{"success": false, "error": ...}`` and are listed in ``report.json``; the
others are still processed. Entries that are not regular files (a FIFO called ``x.jpg``) are
listed in ``report.json`` without being opened.

Relative paths travel through Beam as bytes (``os.fsencode``): Beam's text coder refuses
names that are not UTF-8. ``report.json`` names them with ``\xff`` escapes; ``.records.json``
keeps them exactly (JSON ``\udcff`` escapes) so that re-runs recognise them.
"""

from __future__ import annotations

import collections
import functools
import os
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlbasics.core.errors import DataFileError
from mlbasics.data.cache import sha256_of
from mlbasics.io.files import remove_stale_temporaries, write_json
from mlbasics.io.outputs import check_output_location
from mlbasics.io.paths import display_path
from mlbasics.pipelines.beam_errors import errors_unwrapped
from mlbasics.pipelines.beam_noise import known_beam_noise_dropped
from mlbasics.pipelines.faces.analysis import AnalysisCache, analyse_file
from mlbasics.pipelines.faces.detection import DetectionPolicy
from mlbasics.pipelines.faces.matching import MATCH_THRESHOLD, facebox_result
from mlbasics.pipelines.faces.models import FaceModels
from mlbasics.pipelines.faces.records import (
    identified_path,
    list_photos_checked,
    read_records,
    remove_outputs,
    write_records,
)
from mlbasics.pipelines.faces.state import FaceState, load_state, state_checksum
from mlbasics.pipelines.runners import IncompleteRunError, pipeline_options, run_to_completion
from mlbasics.pipelines.settings import SHARDS
from mlbasics.pipelines.shards import shard_of

if TYPE_CHECKING:  # dlib is imported only when a photo is not in the cache
    from mlbasics.pipelines.faces.models import FaceModels

with known_beam_noise_dropped():
    import apache_beam as beam

REPORT = "report.json"
RUN_FILE = ".run.json"



@dataclass(frozen=True)
class IdentifyReport:
    """How many images were identified now, reused from earlier runs, removed; failures with reasons."""

    processed: int
    reused: int
    removed: int
    failed: dict[str, str]


#: Kinds of the elements that reach the final step, each ``(kind, shard, ...)``.
DONE, KEPT, SKIPPED, LISTED = "done", "kept", "skipped", "listed"


class IdentifyShard(beam.DoFn):
    """Shard number -> ``(None, element)`` for every photo of the shard, then one ``LISTED`` count:

    * ``(DONE, shard, relative bytes, record, error or "", pid)``: identified now, its JSON written;
    * ``(KEPT, shard, relative bytes, record)``: unchanged since its record (same bytes, state,
      threshold and policy) and its JSON is there;
    * ``(SKIPPED, shard, relative bytes, reason)``: an entry that is not a regular file, not opened;
    * ``(LISTED, shard, count)``: how many elements the shard sent before it (the completeness check).

    The worker lists the images folder itself and keeps the photos whose :func:`shard_of` is its
    shard, hashes them and compares them with the output folder's records: the launcher never
    holds the list. dlib's models load once per process (:func:`face_models`), and only if a
    photo is not already in the analysis cache. The process id travels with each result:
    ``.run.json`` lists the processes that did the work.
    """

    def __init__(self, images_dir: str, out_dir: str, cache_dir: str, state: FaceState, threshold: float, deps: str,
                 shards: int, policy: DetectionPolicy | None = None):
        self._images, self._out, self._cache = images_dir, out_dir, cache_dir
        self._state, self._threshold, self._deps, self._shards = state, threshold, deps, shards
        self._policy = DetectionPolicy() if policy is None else policy

    def setup(self) -> None:
        self._records = read_records(self._out)  # once per DoFn instance, not once per shard

    def process(self, shard: int) -> Iterator[tuple[None, tuple]]:
        photos, skipped = list_photos_checked(self._images, keep=lambda r: shard_of(r, self._shards) == shard)
        records = self._records
        for relative, reason in skipped.items():
            yield None, (SKIPPED, shard, os.fsencode(relative), reason)
        for relative in photos:
            record = {"input": sha256_of(Path(self._images) / relative), "deps": self._deps}
            if records.get(relative) == record and identified_path(self._out, relative).is_file():
                yield None, (KEPT, shard, os.fsencode(relative), record)
            else:
                yield None, (DONE, shard, os.fsencode(relative), record, self._identify(relative, record["input"]),
                             os.getpid())
        yield None, (LISTED, shard, len(skipped) + len(photos))

    def _identify(self, relative: str, sha: str) -> str:
        """Write the JSON of one photo; returns the reason it could not be read, or ``""``."""
        cache = AnalysisCache(self._cache, self._policy)
        try:
            faces = cache.get(sha)
            if faces is None:
                _, faces, _ = analyse_file(Path(self._images) / relative, face_models(self._policy), cache)
            result, error = facebox_result(faces, self._state, self._threshold), ""
        except DataFileError as exc:
            result, error = {"success": False, "error": display_path(exc.reason)}, display_path(exc.reason)
        write_json(identified_path(self._out, relative), result)
        return error


@functools.lru_cache(maxsize=2)
def face_models(policy: DetectionPolicy) -> FaceModels:
    """dlib's models for ``policy``, loaded once per process."""
    return FaceModels(policy)


def check_shards_complete(elements: Sequence[tuple], shards: int) -> None:
    """Raise :class:`IncompleteRunError` unless every shard's count arrived and as many elements as it counted."""
    counts = {e[1]: e[2] for e in elements if e[0] == LISTED}
    if sorted(counts) != list(range(shards)):
        raise IncompleteRunError(f"{len(counts)} of {shards} shards reached the final step")
    arrived = collections.Counter(e[1] for e in elements if e[0] != LISTED)
    for shard, count in sorted(counts.items()):
        if arrived[shard] != count:
            raise IncompleteRunError(f"shard {shard}: {count} images listed but {arrived[shard]} results arrived: "
                                     f"the runner lost {count - arrived[shard]}")


def _finish(element: tuple[None, Iterable[tuple]], out_dir: str, shards: int, run_id: str = "") -> int:
    """Every shard's elements -> the records (this run's, without the images that are gone), then the
    gone images' JSON removed, the run report (counts and failures, including the entries that are
    not regular files) and ``.run.json`` (the processes that identified). Raises
    ``IncompleteRunError`` when a shard or a result is missing."""
    elements = list(element[1])
    check_shards_complete(elements, shards)
    records, failed, pids = {}, {}, set()
    processed = reused = 0
    for kind, _, raw, *rest in (e for e in elements if e[0] != LISTED):
        relative = os.fsdecode(raw)
        if kind == SKIPPED:
            failed[display_path(relative)] = rest[0]
            continue
        records[relative] = rest[0]
        if kind == KEPT:
            reused += 1
        else:
            processed += 1
            pids.add(rest[2])
            if rest[1]:
                failed[display_path(relative)] = rest[1]
    gone = sorted(r for r in read_records(out_dir) if r not in records)
    write_records(out_dir, dict(sorted(records.items())))  # first: a kill never leaves a record without its file
    remove_outputs(out_dir, [identified_path(out_dir, r) for r in gone])
    write_json(Path(out_dir) / REPORT, {"processed": processed, "reused": reused, "removed": len(gone),
                                        "failed": dict(sorted(failed.items()))})
    write_json(Path(out_dir) / RUN_FILE, {"run": run_id, "pids": sorted(pids)})
    return processed


def identify(images_dir: str | os.PathLike[str], state_path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
             cache: AnalysisCache, *, threshold: float = MATCH_THRESHOLD.default, shards: int = SHARDS.default,
             beam_args: Sequence[str] = ()) -> IdentifyReport:
    """Bring ``out_dir`` up to date with the images of ``images_dir`` and the state file.

    The images are listed, hashed and compared with the records by the workers, ``shards`` parts of
    the folder, never in this process. Faces are found with ``cache.policy`` (the smallest face to
    find, the detector); a change of policy, like a change of state or threshold, redoes every image.

    ``out_dir`` may not be, contain or lie inside ``images_dir`` (``InputError``); stale
    temporaries of a killed run in it are removed first.
    """
    import json

    SHARDS.check(shards)
    check_output_location(out_dir, [images_dir])
    state = load_state(state_path)
    deps = f"state={state_checksum(state)};threshold={threshold};detection={cache.policy.tag()}"
    out = Path(out_dir)
    remove_stale_temporaries(out)
    remove_stale_temporaries(cache.folder)
    read_records(out)  # a records file that was not written by a stage is refused before any work
    out.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex
    with known_beam_noise_dropped(), errors_unwrapped():
        pipeline = beam.Pipeline(options=pipeline_options(beam_args))
        # One chain, no combiner, no finish_bundle output: correct on Beam's DaskRunner too.
        _ = (pipeline
             | "Shards" >> beam.Create(list(range(shards)))
             | "Identify" >> beam.ParDo(IdentifyShard(str(images_dir), str(out), str(cache.folder), state,
                                                      threshold, deps, shards, cache.policy))
             | "All" >> beam.GroupByKey()
             | "Finish" >> beam.Map(_finish, str(out), shards, run_id))
        run_to_completion(pipeline)
    try:
        written = json.loads((out / RUN_FILE).read_text(encoding="utf-8")).get("run")
    except (OSError, ValueError, AttributeError):
        written = None
    if written != run_id:
        raise IncompleteRunError(f"{out}: the pipeline's final step did not run ({RUN_FILE} does not name this run)")
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    return IdentifyReport(report["processed"], report["reused"], report["removed"], report["failed"])
