"""Stage 1, train: a folder of named photos -> the state file (names and face descriptors)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.io.files import remove_stale_temporaries
from mlbasics.pipelines.faces.analysis import AnalysisCache, analyse_file
from mlbasics.pipelines.faces.models import FaceModels, models_fingerprint
from mlbasics.pipelines.faces.naming import person_name
from mlbasics.pipelines.faces.records import list_photos_checked
from mlbasics.pipelines.faces.state import FaceState, save_state


@dataclass
class TrainReport:
    """Which photos trained whom; which were left out and why; how many were analysed anew."""

    people: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    analysed: int = 0
    reused: int = 0


def train(train_dir: str | os.PathLike[str], state_path: str | os.PathLike[str],
          cache: AnalysisCache, models: FaceModels | None = None) -> TrainReport:
    """Learn one descriptor per photo with exactly one face; write the state to ``state_path``.

    Photos with no face, several faces, or that cannot be read are reported in
    ``TrainReport.skipped`` and left out, and so are entries that are not regular files (a FIFO),
    without being opened. Photos seen before (same bytes) are not analysed again.
    """
    root = Path(train_dir)
    remove_stale_temporaries(Path(state_path).parent, recursive=False)
    photos, not_files = list_photos_checked(root)
    if not photos:
        raise DataFileError(root, "no training photos (put them in train/<name>/*.jpg or train/<name>3.jpg)")
    report = TrainReport(skipped=dict(not_files))
    names, sources, descriptors = [], [], []
    for relative in photos:
        path = root / relative
        try:
            name = person_name(path, root)
            _, faces, from_cache = analyse_file(path, models, cache)
        except DataFileError as exc:
            report.skipped[relative] = exc.reason
            continue
        report.reused += from_cache
        report.analysed += not from_cache
        if len(faces) != 1:
            why = "no face found" if not faces else f"{len(faces)} faces: cannot tell which is {name}"
            report.skipped[relative] = why
            continue
        names.append(name)
        sources.append(relative)
        descriptors.append(faces[0].descriptor)
        report.people[name] = report.people.get(name, 0) + 1
    if not names:
        raise DataFileError(root, f"no photo with exactly one face to learn from; skipped: {report.skipped}")
    state = FaceState(tuple(names), tuple(sources), np.stack(descriptors), models_fingerprint())
    save_state(state_path, state)
    return report
