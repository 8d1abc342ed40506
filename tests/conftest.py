"""Shared fixtures: offline data and a private cache for every test session."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parents[1]
SHARED_MIRROR = REPO.parent / "shared" / "datasets"


@pytest.fixture(scope="session", autouse=True)
def offline_data(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Use the offline mirror beside the checkout (if any) and a fresh cache folder."""
    if not os.environ.get("MLBASICS_DATA_MIRROR") and SHARED_MIRROR.is_dir():
        os.environ["MLBASICS_DATA_MIRROR"] = str(SHARED_MIRROR)
    os.environ["MLBASICS_CACHE"] = str(tmp_path_factory.mktemp("mlbasics-cache"))


@pytest.fixture
def mirror() -> Path:
    """The offline mirror folder; skips with the reason when there is none."""
    folder = os.environ.get("MLBASICS_DATA_MIRROR")
    if not folder or not Path(folder).is_dir():
        pytest.skip("no offline data mirror: set MLBASICS_DATA_MIRROR (see README)")
    return Path(folder)


@pytest.fixture
def no_hang():
    """Fail the test (instead of waiting forever) if it runs past 120 s: a FIFO opened for reading blocks."""
    import signal

    def stop(signum, frame):
        raise TimeoutError("the test hung (a FIFO was opened?)")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(120)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
