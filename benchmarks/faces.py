"""Face finder: identify images/s on the mirror's photos, and a cold train → identify → tag run.

Cold start: a fresh workspace and an empty analysis cache, timed from the command to the last
tagged image, with DVC if installed. Identify: the Beam identify stage alone on all photos
of the data set (analysis not cached). Run: ``python -m benchmarks faces``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from mlbasics.data import fetch_dataset
from mlbasics.pipelines.faces.analysis import AnalysisCache
from mlbasics.pipelines.faces.identify import identify
from mlbasics.pipelines.faces.records import list_photos
from mlbasics.pipelines.faces.workspace import Workspace, dvc_available, run


def main(argv: list[str] | None = None) -> dict[str, float]:
    faces = fetch_dataset("faces") / "faces"
    people = sorted(p.name for p in (faces / "johns").iterdir())
    with tempfile.TemporaryDirectory() as tmp:
        space = Workspace(Path(tmp) / "ws")
        for name in people[:4]:
            shutil.copytree(faces / "johns" / name, space.train / name,
                            ignore=lambda d, files: sorted(files)[5:])
        shutil.copytree(faces / "johns", space.images / "johns")
        shutil.copytree(faces / "voc_faces", space.images / "voc", ignore=shutil.ignore_patterns("*.xml"))
        start = time.perf_counter()
        run(space.root)
        cold = time.perf_counter() - start
        count = len(list_photos(space.images))
        start = time.perf_counter()
        report = identify(space.images, space.state, Path(tmp) / "again", AnalysisCache(Path(tmp) / "empty-cache"))
        seconds = time.perf_counter() - start
    figures = {"images": count, "identify_images_per_s": round(report.processed / seconds, 2),
               "cold_train_identify_tag_s": round(cold, 1), "with_dvc": dvc_available()}
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
