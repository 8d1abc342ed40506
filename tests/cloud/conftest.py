"""A real fake-gcs-server for the whole session, and a fresh bucket per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

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


@pytest.fixture
def good_spec():
    """A valid one-GPU job spec."""
    from mlbasics.cloud.job_spec import JobSpec

    return JobSpec(
        display_name="shapes-detector",
        package_uris=("gs://my-bucket/dist/mlbasics_trainer-0.1.0.tar.gz",),
        python_module="mlbasics.cloud.trainer",
        base_output_dir="gs://my-bucket/jobs/1",
        args=("--annotation-file", "gs://my-bucket/data/annotations.txt", "--weights-final", "final.weights.h5"),
    )
