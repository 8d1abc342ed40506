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

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlbasics.core.errors import DataFileError
from mlbasics.data.cache import sha256_of
from mlbasics.io.files import remove_stale_temporaries, write_json
from mlbasics.io.outputs import check_output_location
from mlbasics.io.paths import display_path
from mlbasics.pipelines.beam_errors import os_errors_unwrapped
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

if TYPE_CHECKING:  # dlib is imported only when a photo is not in the cache
    from mlbasics.pipelines.faces.models import FaceModels

with known_beam_noise_dropped():
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

REPORT = "report.json"


@dataclass(frozen=True)
class IdentifyReport:
    """How many images were identified now, reused from earlier runs, removed; failures with reasons."""

    processed: int
    reused: int
    removed: int
    failed: dict[str, str]


class IdentifyImages(beam.DoFn):
    """``(relative path as bytes, sha256)`` -> writes its JSON, yields ``(relative bytes, record, error or "")``.

    dlib's models load once per DoFn instance (per worker thread), and only if an image is
    not already in the analysis cache.
    """

    def __init__(self, images_dir: str, out_dir: str, cache_dir: str, state: FaceState, threshold: float, deps: str,
                 policy: DetectionPolicy | None = None):
        self._images, self._out, self._cache = images_dir, out_dir, cache_dir
        self._state, self._threshold, self._deps = state, threshold, deps
        self._policy = DetectionPolicy() if policy is None else policy

    def setup(self) -> None:
        self._models: FaceModels | None = None

    def process(self, element: tuple[bytes, str]) -> Iterator[tuple[bytes, dict[str, str], str]]:
        from mlbasics.pipelines.faces.models import FaceModels

        relative, sha = os.fsdecode(element[0]), element[1]
        path = Path(self._images) / relative
        cache = AnalysisCache(self._cache, self._policy)
        try:
            faces = cache.get(sha)
            if faces is None:
                if self._models is None:
                    self._models = FaceModels(self._policy)
                _, faces, _ = analyse_file(path, self._models, cache)
            result, error = facebox_result(faces, self._state, self._threshold), ""
        except DataFileError as exc:
            result, error = {"success": False, "error": display_path(exc.reason)}, display_path(exc.reason)
        write_json(identified_path(self._out, relative), result)
        yield element[0], {"input": sha, "deps": self._deps}, error


def _finish(results: list, out_dir: str, kept: dict[str, dict[str, str]], skipped: dict[str, str]) -> None:
    """Merge this run's records with the kept ones; write records and the run report (which also
    lists ``skipped``, the entries that are not regular files)."""
    records = dict(kept)
    failed = {display_path(r): reason for r, reason in skipped.items()}
    for raw, record, error in results:
        relative = os.fsdecode(raw)
        records[relative] = record
        if error:
            failed[display_path(relative)] = error
    write_records(out_dir, records)
    write_json(Path(out_dir) / REPORT, {"processed": len(results), "failed": dict(sorted(failed.items()))})


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
    options = PipelineOptions(list(beam_args))
    with known_beam_noise_dropped(), os_errors_unwrapped(), beam.Pipeline(options=options) as pipeline:
        _ = (pipeline
             | "Images" >> beam.Create(todo)
             | "Identify" >> beam.ParDo(IdentifyImages(str(images_dir), str(out), str(cache.folder), state,
                                                       threshold, deps, cache.policy))
             | "All" >> beam.combiners.ToList()
             | "Finish" >> beam.Map(_finish, str(out), kept, skipped))
    report = json.loads((out / REPORT).read_text(encoding="utf-8"))
    return IdentifyReport(report["processed"], len(kept), len(gone), report["failed"])
