"""Exercises of lesson 09 (the embedding pipeline): run it, change it, break it, and see what the outputs say."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from mlbasics.pipelines.embeddings import RUN_FILE, SHARDS_FOLDER, check_outputs_complete
from mlbasics.pipelines.runners import IncompleteRunError
from mlbasics.workbook.exercises import exercise

#: The largest difference 09.1 accepts between two runs' numbers: float32 rounding, far below any real change.
TOLERANCE = 1e-4
_SHARD_FILE = re.compile(r"-\d{5}-of-(\d{5})\.csv$")


def final_outputs(folder: str | os.PathLike[str]) -> dict[str, bytes]:
    """Every output file of an embedding run that does not depend on how the work was cut: all but
    ``shards/`` (one file per shard) and ``summary.json`` (names the output folder); ``{relative path: bytes}``."""
    root = Path(folder)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).parts[0] != SHARDS_FOLDER and p.name != "summary.json"}


def shard_count(folder: str | os.PathLike[str]) -> int | None:
    """How many shards the run that wrote ``folder`` used (from its ``shards/*-of-NNNNN.csv`` names)."""
    counts = {int(m.group(1)) for p in (Path(folder) / SHARDS_FOLDER).glob("*.csv")
              if (m := _SHARD_FILE.search(p.name))}
    return counts.pop() if len(counts) == 1 else None


_NUMBER = re.compile(rb"-?\d+\.\d+(?:e[-+]?\d+)?")


def largest_difference(name: str, a: bytes, b: bytes) -> float | None:
    """How far apart two versions of one output file are: 0.0 if the bytes are the same, the largest
    absolute difference between their numbers if only numbers differ (a ``.npy`` array, or the decimal
    numbers of a CSV/JSON text), ``None`` if anything else differs (a path, a count, a picture's pixels)."""
    if a == b:
        return 0.0
    if name.endswith(".npy"):
        x, y = (np.load(io.BytesIO(data), allow_pickle=False) for data in (a, b))
        return float(np.max(np.abs(x.astype(np.float64) - y))) if x.shape == y.shape else None
    if name.endswith((".csv", ".json")):
        if _NUMBER.sub(b"#", a) != _NUMBER.sub(b"#", b):
            return None
        x, y = (np.array([float(v) for v in _NUMBER.findall(data)]) for data in (a, b))
        return float(np.max(np.abs(x - y)))
    return None


def _run_folder(value: Any, what: str) -> Path:
    folder = Path(value)
    if not (folder / "index.csv").is_file() or not (folder / SHARDS_FOLDER / RUN_FILE).is_file():
        raise ValueError(f"{what} {folder} is not the output folder of a finished run (no index.csv, "
                         f"{SHARDS_FOLDER}/{RUN_FILE})")
    return folder


@exercise("09.1", "Run the pipeline of section 3 again, on the same images and model, into a new folder, with a "
                  "different number of shards (the `shards` argument; section 3 used the default, 8). Give the "
                  "two output folders: (section 3's, yours).")
def _other_shard_count(answer: Any) -> tuple[bool, str]:
    first, second = (_run_folder(value, what) for value, what in zip(answer, ("the first folder", "your folder")))
    if first.resolve() == second.resolve():
        return False, "that is the same folder twice: run into a new folder, and give both."
    counts = shard_count(first), shard_count(second)
    if counts[0] == counts[1]:
        return False, f"both runs used {counts[0]} shards: change `shards` for your run."
    a, b = final_outputs(first), final_outputs(second)
    missing = sorted(set(a) ^ set(b))
    if missing:
        return False, (f"{len(missing)} output file(s) are in one folder only, e.g. {missing[0]}: the two runs did "
                       "not read the same images (section 1's folder, with its four bad files).")
    pictures = [name for name in a if name.endswith(".png")]
    gaps = {name: largest_difference(name, a[name], b[name]) for name in a if name not in pictures}
    other = [name for name, gap in gaps.items() if gap is None or gap > TOLERANCE]
    lists = [name for name in ("index.csv", "dead_letter.csv") if name in other]
    if lists:
        return False, (f"{' and '.join(lists)} differ: the two runs did not read the same images (section 1's "
                       "folder, with its four bad files).")
    if other:
        return False, (f"{len(other)} of {len(a)} files differ in more than float32 rounding, e.g. {other[0]}: "
                       "same images, but the same model and batch size too?")
    close = [gap for gap in gaps.values() if gap is not None]
    same = sum(gap == 0.0 for gap in close)
    return True, (f"{counts[0]} and {counts[1]} shards: the same {len(a)} files, each image in the same row of "
                  f"index.csv and map.csv; {same} of {len(gaps)} are byte for byte the same, the rest differ by at "
                  f"most {max(close):.1e}. Each shard sorts its part and the final step merges in path order, "
                  "so how the work is cut does not decide what comes out. What it does change is which images share "
                  "a batch, and a batch of another size adds its numbers in another order: float32 rounding.")


@exercise("09.2", "Break a finished run on purpose: copy section 3's output folder (shutil.copytree), then in the "
                  "copy delete one embedding file or one row of map.csv. Give the copy's folder: the check runs "
                  "the launcher's completeness check on it, with the counts its summary.json reports.")
def _broken_copy(answer: Any) -> tuple[bool, str]:
    folder = _run_folder(answer, "the folder")
    summary = json.loads((folder / "summary.json").read_text())
    try:
        check_outputs_complete(str(folder), int(summary["embedded"]), int(summary["failed"]))
    except IncompleteRunError as error:
        return True, (f"the run would have failed with: {error}. The launcher reads the outputs back line by line "
                      "after any runner: a file or row that went missing cannot pass as success.")
    return False, ("check_outputs_complete finds every index row's embedding file and every map.csv row: nothing "
                   "is missing in this folder yet. Delete one file of embeddings/ (or one line of map.csv) in it.")
