"""Fixtures of the pipelines tests: small images, an untrained tiny model, the mirrored face photos."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def data_mirror(tmp_path_factory):
    """Use the offline mirror (``../shared/datasets``) unless MLBASICS_DATA_MIRROR is set, and a fresh cache."""
    old = {k: os.environ.get(k) for k in ("MLBASICS_DATA_MIRROR", "MLBASICS_CACHE")}
    os.environ.setdefault("MLBASICS_DATA_MIRROR", str(ROOT.parent / "shared" / "datasets"))
    os.environ["MLBASICS_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def faces_root(data_mirror) -> Path:
    """The face photos, fetched (copied from the mirror, sha256-checked) into the test cache."""
    from mlbasics.data import fetch_dataset

    return fetch_dataset("faces") / "faces"


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """An untrained 32x32 backbone embedder (16 channels) saved as .keras: shapes matter here, not quality."""
    from mlbasics.vision.cnn import build_backbone_classifier, embedding_model, save_keras

    return save_keras(embedding_model(build_backbone_classifier(32, 4, width=1 / 64)),
                      tmp_path_factory.mktemp("model") / "tiny.keras")




def copy_photos(source: Path, target: Path, names: list[str], count: int, start: int = 0) -> None:
    """Copy ``count`` photos (from index ``start``) of each person in ``names`` into ``target/<name>/``."""
    for name in names:
        (target / name).mkdir(parents=True, exist_ok=True)
        for photo in sorted((source / name).glob("*.jpg"))[start:start + count]:
            shutil.copy(photo, target / name / photo.name)


def hostile_inputs(folder: Path, photo: Path) -> dict[str, str]:
    """Copies of ``photo`` under hostile names in ``folder``, and a FIFO called ``x.jpg``.

    Returns ``{kind: name as text}``: a 240-character name, a name that is not UTF-8 (the byte 0xff).
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = {"long": "L" * 240 + ".jpg", "not_utf8": os.fsdecode(b"\xff-photo.jpg")}
    for name in names.values():
        shutil.copy(photo, folder / name)
    os.mkfifo(folder / "x.jpg")
    return names


KNOWN = ["John_Salley", "John_Savage", "John_Schneider", "John_Shimkus"]
STRANGER = "John_Simm"


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory):
    """One analysis cache for all tests: each photo is analysed by dlib once per session."""
    from mlbasics.pipelines.faces.analysis import AnalysisCache

    return AnalysisCache(tmp_path_factory.mktemp("face-cache"))


@pytest.fixture(scope="session")
def trained(faces_root, shared_cache, tmp_path_factory):
    """State trained on 3 photos of each of 4 people (plus photos that must be skipped)."""
    from mlbasics.pipelines.faces.train import train

    root = tmp_path_factory.mktemp("trained")
    copy_photos(faces_root / "johns", root / "train", KNOWN, 3)
    shutil.copy(faces_root / "voc_faces" / "dogs.jpg", root / "train" / "nobody7.jpg")
    shutil.copy(faces_root / "voc_faces" / "bald_guys.jpg", root / "train" / "crowd.jpg")
    (root / "train" / "broken1.jpg").write_bytes(b"\xff\xd8 not really")
    report = train(root / "train", root / "state.json", shared_cache)
    return root, report


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """A Dask scheduler and 2 workers started by `mlbasics cluster start`: separate processes, not a LocalCluster
    (whose workers would inherit this process's sys.path). Stopped with `mlbasics cluster stop` at the end, the
    TensorFlow-loaded workers killed after 2 s instead of waiting ~15 s for them to exit."""
    from mlbasics.cli import main
    from mlbasics.pipelines.dask_cluster import read_cluster

    state = tmp_path_factory.mktemp("dask-cluster")
    assert main(["cluster", "start", "--workers", "2", "--state-dir", str(state)]) == 0
    try:
        yield read_cluster(state)
    finally:
        main(["cluster", "stop", "--state-dir", str(state), "--grace", "2"])
