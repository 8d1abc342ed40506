"""Per-datum bookkeeping of an output folder: which input bytes and which upstream state made each output.

``<out>/.records.json`` maps each input's relative path to ``{"input": sha256, "deps": ...}``.
A stage redoes an input only when its record differs (new or changed image, new model
state, other threshold, changed label image), and removes outputs of inputs that are gone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mlbasics.io.files import write_json
from mlbasics.pipelines.embeddings_io import IMAGE_SUFFIXES

RECORDS = ".records.json"
Record = dict[str, str]


def list_photos(folder: str | os.PathLike[str]) -> list[str]:
    """Relative POSIX paths of the images under ``folder`` (recursive, sorted); none if it is missing."""
    root = Path(folder)
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))


def identified_path(out_dir: str | os.PathLike[str], relative: str) -> Path:
    """Where the identify stage writes the JSON of image ``relative``: ``out_dir/<relative>.json``
    (here, not in the Beam module, so the tag stage reads it without importing Beam)."""
    return Path(out_dir) / f"{relative}.json"


def read_records(out_dir: str | os.PathLike[str]) -> dict[str, Record]:
    """The records of ``out_dir`` (empty when missing or unreadable: everything is redone)."""
    try:
        data = json.loads((Path(out_dir) / RECORDS).read_text(encoding="utf-8"))
        return {str(k): dict(v) for k, v in data.items()}
    except (FileNotFoundError, ValueError, AttributeError, TypeError):
        return {}


def write_records(out_dir: str | os.PathLike[str], records: dict[str, Record]) -> None:
    """Write the records atomically."""
    write_json(Path(out_dir) / RECORDS, records)


def remove_outputs(paths: list[Path]) -> None:
    """Delete outputs of inputs that no longer exist."""
    for path in paths:
        path.unlink(missing_ok=True)
