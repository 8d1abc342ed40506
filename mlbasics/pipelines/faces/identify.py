"""Stage 2, identify: images -> one facebox JSON per image, as a Beam pipeline.

Only images whose bytes, the trained state or the threshold changed since the last run
are sent through the pipeline (see ``records``); the rest keep their JSON. Unreadable
images get ``{"success": false, "error": ...}`` and are listed in ``report.json``; the
others are still processed. Entries that are not regular files (a FIFO called ``x.jpg``) are
listed in ``report.json`` without being opened.

Relative paths travel through Beam as bytes (``os.fsencode``): Beam's text coder refuses
names that are not UTF-8. ``report.json`` names them with ``\xff`` escapes; ``.records.json``
keeps them exactly (JSON ``\udcff`` escapes) so that re-runs recognise them.
"""

from __future__ import annotations

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
from mlbasics.pipelines.faces.matching import DEFAULT_THRESHOLD, facebox_result
from mlbasics.pipelines.faces.records import (
    identified_path,
    list_photos_checked,
    read_records,
    remove_outputs,
    write_records,
)
from mlbasics.pipelines.faces.state import FaceState, load_state, state_checksum
from mlbasics.pipelines.runners import IncompleteRunError, pipeline_options, run_to_completion

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


class IdentifyImages(beam.DoFn):
    """``(relative path as bytes, sha256)`` -> writes its JSON, yields ``(relative bytes, record, error or "")``.

    dlib's models load once per process (:func:`face_models`; Beam's DaskRunner sets a DoFn up
    for every partition), and only if an image is not already in the analysis cache. The
    process id travels with each result: ``.run.json`` lists the processes that did the work.
    """

    def __init__(self, images_dir: str, out_dir: str, cache_dir: str, state: FaceState, threshold: float, deps: str,
                 policy: DetectionPolicy | None = None):
        self._images, self._out, self._cache = images_dir, out_dir, cache_dir
        self._state, self._threshold, self._deps = state, threshold, deps
        self._policy = DetectionPolicy() if policy is None else policy

    def process(self, element: tuple[bytes, str]) -> Iterator[tuple[None, tuple[bytes, dict[str, str], str, int]]]:
        relative, sha = os.fsdecode(element[0]), element[1]
        path = Path(self._images) / relative
        cache = AnalysisCache(self._cache, self._policy)
        try:
            faces = cache.get(sha)
            if faces is None:
                _, faces, _ = analyse_file(path, face_models(self._policy), cache)
            result, error = facebox_result(faces, self._state, self._threshold), ""
        except DataFileError as exc:
            result, error = {"success": False, "error": display_path(exc.reason)}, display_path(exc.reason)
        write_json(identified_path(self._out, relative), result)
        yield None, (element[0], {"input": sha, "deps": self._deps}, error, os.getpid())


@functools.lru_cache(maxsize=2)
def face_models(policy: DetectionPolicy) -> FaceModels:
    """dlib's models for ``policy``, loaded once per process."""
    from mlbasics.pipelines.faces.models import FaceModels

    return FaceModels(policy)


def _finish(element: tuple[None, Iterable[tuple]], out_dir: str, kept: dict[str, dict[str, str]],
            skipped: dict[str, str], expected: int, run_id: str = "") -> int:
    """Merge this run's records with the kept ones; write records, the run report (which also lists
    ``skipped``, the entries that are not regular files) and ``.run.json`` (the processes that
    identified). Raises ``IncompleteRunError`` when fewer results than images sent arrived."""
    results = sorted(element[1], key=lambda r: r[0])
    if len(results) != expected:
        raise IncompleteRunError(f"{expected} images were sent to identify but {len(results)} results arrived")
    records = dict(kept)
    failed = {display_path(r): reason for r, reason in skipped.items()}
    for raw, record, error, _ in results:
        relative = os.fsdecode(raw)
        records[relative] = record
        if error:
            failed[display_path(relative)] = error
    write_records(out_dir, records)
    write_json(Path(out_dir) / REPORT, {"processed": len(results), "failed": dict(sorted(failed.items()))})
    write_json(Path(out_dir) / RUN_FILE, {"run": run_id, "pids": sorted({r[3] for r in results})})
    return len(results)


def identify(images_dir: str | os.PathLike[str], state_path: str | os.PathLike[str], out_dir: str | os.PathLike[str],
             cache: AnalysisCache, *, threshold: float = DEFAULT_THRESHOLD, beam_args: Sequence[str] = ()
             ) -> IdentifyReport:
    """Bring ``out_dir`` up to date with the images of ``images_dir`` and the state file.

    Faces are found with ``cache.policy`` (the smallest face to find, the detector); a change of
    policy, like a change of state or threshold, redoes every image.

    ``out_dir`` may not be, contain or lie inside ``images_dir`` (``InputError``); stale
    temporaries of a killed run in it are removed first.
    """
    import json

    check_output_location(out_dir, [images_dir])
    state = load_state(state_path)
    deps = f"state={state_checksum(state)};threshold={threshold};detection={cache.policy.tag()}"
    out = Path(out_dir)
    remove_stale_temporaries(out)
    remove_stale_temporaries(cache.folder)
    photos, skipped = list_photos_checked(images_dir)
    shas = {relative: sha256_of(Path(images_dir) / relative) for relative in photos}
    records = read_records(out)
    kept = {r: records[r] for r in photos
            if records.get(r) == {"input": shas[r], "deps": deps} and identified_path(out, r).is_file()}
    todo = [(os.fsencode(r), shas[r]) for r in photos if r not in kept]
    gone = [r for r in records if r not in shas]
    if gone:  # records first: a kill between the two steps never leaves a record without its file
        write_records(out, {r: v for r, v in records.items() if r not in gone})
        remove_outputs(out, [identified_path(out, r) for r in gone])
    out.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex
    with known_beam_noise_dropped(), errors_unwrapped():
        pipeline = beam.Pipeline(options=pipeline_options(beam_args))
        # One chain, no combiner, no finish_bundle output: correct on Beam's DaskRunner too.
        _ = (pipeline
             | "Images" >> beam.Create(todo)
             | "Identify" >> beam.ParDo(IdentifyImages(str(images_dir), str(out), str(cache.folder), state,
                                                       threshold, deps, cache.policy))
             | "All" >> beam.GroupByKey()
             | "Finish" >> beam.Map(_finish, str(out), kept, skipped, len(todo), run_id))
        if todo:
            run_to_completion(pipeline)
        else:  # nothing reaches the final step of an empty pipeline: write its (empty) report here
            _finish((None, []), str(out), kept, skipped, 0, run_id)
    try:
        written = json.loads((out / RUN_FILE).read_text(encoding="utf-8")).get("run")
    except (OSError, ValueError, AttributeError):
        written = None
    if written != run_id:
        raise IncompleteRunError(f"{out}: the pipeline's final step did not run ({RUN_FILE} does not name this run)")
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    return IdentifyReport(report["processed"], len(kept), len(gone), report["failed"])
