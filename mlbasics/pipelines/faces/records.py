"""Per-datum bookkeeping of an output folder: which input bytes and which upstream state made each output.

``<out>/.records.json`` maps each input's relative path to ``{"input": sha256, "deps": ...}``.
A stage redoes an input only when its record differs (new or changed image, new model
state, other threshold, changed label image), and removes outputs of inputs that are gone.

The records file is read back, so it is not trusted: a key that is not a plain relative path
stops the stage with an error naming the file, and an output it would delete must lie inside
the output folder (:func:`mlbasics.io.paths.inside`), symbolic links resolved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from mlbasics.core.errors import DataFileError
from mlbasics.io.files import write_json
from mlbasics.io.outputs import unique_output_name
from mlbasics.io.paths import display_path, inside, regular_file_problem
from mlbasics.pipelines.embeddings_io import IMAGE_SUFFIXES

RECORDS = ".records.json"
Record = dict[str, str]


def list_photos_checked(folder: str | os.PathLike[str], keep: Callable[[str], bool] | None = None
                        ) -> tuple[list[str], dict[str, str]]:
    """``(photos, skipped)``: relative POSIX paths of the image files under ``folder`` (recursive,
    sorted; hidden files and folders left out; none if it is missing), and ``{relative: reason}``
    for entries with an image suffix that are not regular files (a FIFO, a broken link, a link loop, a
    folder), found
    without opening them. With ``keep``, only the entries whose relative path it accepts (one
    shard's), the others not even looked at."""
    root = Path(folder)
    if not root.is_dir():
        return [], {}
    photos, skipped = [], {}
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.suffix.lower() not in IMAGE_SUFFIXES or any(p.startswith(".") for p in relative.parts):
            continue
        if keep is not None and not keep(relative.as_posix()):
            continue
        problem = regular_file_problem(path)  # a folder called x.jpg or a link loop is named, not passed over
        if problem is None:
            photos.append(relative.as_posix())
        else:
            skipped[relative.as_posix()] = problem
    return sorted(photos), dict(sorted(skipped.items()))


def list_photos(folder: str | os.PathLike[str]) -> list[str]:
    """The photos of :func:`list_photos_checked`, without the skipped entries."""
    return list_photos_checked(folder)[0]


def identified_path(out_dir: str | os.PathLike[str], relative: str) -> Path:
    """Where the identify stage writes the JSON of image ``relative``: ``out_dir/<relative>.json``,
    shortened when the name is too long for the file system (here, not in the Beam module, so the
    tag stage reads it without importing Beam)."""
    return Path(out_dir) / unique_output_name(f"{relative}.json")


def read_records(out_dir: str | os.PathLike[str]) -> dict[str, Record]:
    """The records of ``out_dir`` (empty when missing or unreadable: everything is redone).

    Raises ``DataFileError`` naming the file when a key is not a plain relative path (absolute,
    ``..``): such a file was not written by a stage, and the fix is to delete it.
    """
    path = Path(out_dir) / RECORDS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        records = {str(k): dict(v) for k, v in data.items()}
    except (FileNotFoundError, ValueError, AttributeError, TypeError):
        return {}
    for key in records:
        try:
            unique_output_name(key)
        except ValueError:
            raise DataFileError(path, f"entry {display_path(key)!r} is not a plain relative path; this file was not "
                                      "written by mlbasics: delete it to redo every image") from None
    return records


def write_records(out_dir: str | os.PathLike[str], records: dict[str, Record]) -> None:
    """Write the records atomically."""
    write_json(Path(out_dir) / RECORDS, records)


def remove_outputs(out_dir: str | os.PathLike[str], paths: list[Path]) -> None:
    """Delete outputs of inputs that no longer exist. Every path must lie inside ``out_dir``
    (checked for all before any is deleted; ``DataFileError`` naming the records file if not)."""
    source = Path(out_dir) / RECORDS
    checked = [inside(out_dir, os.path.relpath(path, out_dir), source=source) for path in paths]
    for path in checked:
        path.unlink(missing_ok=True)
