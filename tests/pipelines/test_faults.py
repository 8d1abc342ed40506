"""Faults: ``kill -9`` in the middle of ``embed`` and ``faces identify``, then a re-run.

Each test runs the real command in a subprocess, kills it as soon as its first outputs appear,
checks that no index row names a missing file, re-runs it and compares every byte with an
uninterrupted run; no temporary of the atomic writer may be left.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tests.pipelines.conftest import KNOWN

ROOT = Path(__file__).resolve().parents[2]


def _command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "mlbasics.cli", *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}


def _run(args: list[str]) -> None:
    done = subprocess.run(_command(args), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def _kill_when(args: list[str], appeared, timeout: float = 180) -> None:
    """Start the command, ``kill -9`` it once ``appeared()`` is true (it must not finish first)."""
    child = subprocess.Popen(_command(args), cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + timeout
        while not appeared():
            assert child.poll() is None, "the command finished before it could be killed: give it more work"
            assert time.monotonic() < deadline, "no output appeared"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()


def _snapshot(folder: Path, *, leave_out: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name not in leave_out}


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(".mlbasics-tmp.")]


def test_kill_9_during_embed_then_a_rerun_gives_the_uninterrupted_bytes(tiny_model, tmp_path):
    from mlbasics.data.synthetic import write_object_crops

    write_object_crops(tmp_path / "src", 200, size=16, seed=5)
    out = tmp_path / "out"
    args = ["embed", str(tmp_path / "src"), "--out", str(out), "--model", str(tiny_model), "--batch-size", "2"]
    _run(args)
    reference = _snapshot(out, leave_out=("run.json",))  # names the run and its processes
    assert len([name for name in reference if name.startswith("embeddings/")]) == 200
    shutil.rmtree(out)

    _kill_when(args, lambda: (out / "embeddings").is_dir() and any((out / "embeddings").iterdir()))
    if (out / "index.csv").exists():
        with open(out / "index.csv", encoding="utf-8") as handle:
            assert all((out / "embeddings" / row["embedding"]).is_file() for row in csv.DictReader(handle))
    for path in (out / "embeddings").glob("*.npy"):  # every file there is whole
        assert np.load(path, allow_pickle=False).shape == (16,)
    _run(args)
    assert _snapshot(out, leave_out=("run.json",)) == reference
    assert _temporaries(out) == []


def test_kill_9_during_faces_identify_then_a_rerun_gives_the_uninterrupted_bytes(trained, faces_root, tmp_path):
    root, _ = trained
    images = tmp_path / "images"
    images.mkdir()
    photos = [p for name in KNOWN for p in sorted((faces_root / "johns" / name).glob("*.jpg"))[:8]]
    for i, photo in enumerate(photos * 2):  # distinct bytes (data after the JPEG's end): none is in the cache
        (images / f"{i:03d}-{photo.name}").write_bytes(photo.read_bytes() + i.to_bytes(2, "big"))
    out, cache = tmp_path / "ids", tmp_path / "cache"
    args = ["faces", "identify", str(images), str(root / "state.json"), "--out", str(out), "--cache", str(cache)]

    _kill_when(args, lambda: out.is_dir() and any(p.suffix == ".json" for p in out.iterdir()))
    records = out / ".records.json"
    if records.exists():
        assert all((out / f"{relative}.json").is_file() for relative in json.loads(records.read_text()))
    _run(args)
    assert _temporaries(out) == [] and _temporaries(cache) == []
    _run([*args[:5], str(tmp_path / "reference"), *args[6:]])
    # report.json counts what each run processed and .run.json names its processes, so they differ;
    # every other byte is the same
    differ = ("report.json", ".run.json")
    assert _snapshot(out, leave_out=differ) == _snapshot(tmp_path / "reference", leave_out=differ)
    assert len(_snapshot(out)) == len(photos) * 2 + 3
