"""A real fake-gcs-server for the whole session, a fresh bucket per test, and a tiny detection set."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlbasics.cloud.emulator import GcsEmulator

_numbers = itertools.count()


@pytest.fixture(scope="session")
def emulator() -> Iterator[GcsEmulator]:
    with GcsEmulator() as server:
        yield server


@pytest.fixture
def bucket(emulator: GcsEmulator) -> str:
    """``gs://test-bucket-N``, empty, on the emulator."""
    return emulator.create_bucket(f"test-bucket-{next(_numbers)}")


@pytest.fixture(params=["local", "gcs"])
def root(request: pytest.FixtureRequest, tmp_path) -> str:
    """A writable folder: a local temporary folder, or a bucket on the emulator."""
    if request.param == "local":
        return str(tmp_path)
    return request.getfixturevalue("bucket") + "/folder"


@pytest.fixture(scope="session")
def small_voc(tmp_path_factory) -> Path:
    """24 training images at 64 px in VOC layout, plus ``anchors.txt`` and an untrained backbone classifier
    (what the job needs; training quality does not matter here)."""
    import keras
    import numpy as np

    from mlbasics.data.synthetic import SceneStyle, write_voc_dataset
    from mlbasics.vision.cnn import build_backbone_classifier, save_keras
    from mlbasics.vision.yolo.anchors import write_anchors

    root = tmp_path_factory.mktemp("voc")
    write_voc_dataset(root, {"train": 24}, SceneStyle(64, 64), seed=1)
    write_anchors(root / "anchors.txt", np.array([[6, 8], [10, 10], [14, 18], [20, 16], [26, 30], [40, 44]]))
    keras.utils.set_random_seed(0)
    save_keras(build_backbone_classifier(32, 4, width=0.125), root / "backbone.keras")
    return root


@pytest.fixture
def good_spec():
    """A valid one-GPU job spec running ``mlbasics yolo train`` on bucket data."""
    from mlbasics.cloud.job_spec import JobSpec

    return JobSpec(
        display_name="shapes-detector",
        package_uris=("gs://my-bucket/dist/mlbasics_trainer-0.1.0.tar.gz",),
        python_module="mlbasics.cli",
        base_output_dir="gs://my-bucket/jobs/1",
        args=("yolo", "train", "--annotations", "gs://my-bucket/voc/train.txt", "--classes",
              "gs://my-bucket/voc/classes.txt", "--anchors", "gs://my-bucket/anchors.txt",
              "--weights-final", "gs://my-bucket/jobs/1/model/final.weights.h5"),
    )
