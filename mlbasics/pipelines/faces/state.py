"""The trained face-finder: names and descriptors of the training faces, as checked JSON.

Never pickle: the file is plain JSON a person can read. It records the format version and
the fingerprint of the models that made the descriptors, plus a sha256 of its content, so
a file that was edited by hand, damaged, or made by other models is refused with a
message that says what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import numpy as np

from mlbasics.core.errors import DataFileError
from mlbasics.io.files import write_json
from mlbasics.io.paths import require_regular_file
from mlbasics.pipelines.faces.models import models_fingerprint

STATE_FORMAT = "mlbasics.faces.state"
STATE_VERSION = 1
DESCRIPTOR_SIZE = 128


@dataclass(frozen=True)
class FaceState:
    """One row per training face: ``names[i]`` and ``sources[i]`` (photo) for ``descriptors[i]`` ``(128,)``."""

    names: tuple[str, ...]
    sources: tuple[str, ...]
    descriptors: np.ndarray = field(repr=False)
    models: dict[str, str]

    def people(self) -> list[str]:
        """The distinct names, sorted."""
        return sorted(set(self.names))

    def content(self) -> dict[str, object]:
        """Everything but the checksum, as JSON-ready data."""
        return {
            "format": STATE_FORMAT,
            "version": STATE_VERSION,
            "models": self.models,
            "faces": [{"name": n, "source": s, "descriptor": [round(float(v), 8) for v in d]}
                      for n, s, d in zip(self.names, self.sources, self.descriptors)],
        }


def _checksum(content: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()


def state_checksum(state: FaceState) -> str:
    """The sha256 that identifies this state (stages downstream record it)."""
    return _checksum(state.content())


def save_state(path: str | os.PathLike[str], state: FaceState) -> None:
    """Write ``state`` as JSON with its checksum, atomically."""
    content = state.content()
    write_json(path, {**content, "sha256": _checksum(content)})


def load_state(path: str | os.PathLike[str]) -> FaceState:
    """Read and verify a state file; ``DataFileError`` says what is wrong and what to do."""
    require_regular_file(path, missing="no state file: run `mlbasics faces train` first")  # a FIFO would hang
    try:
        with open(path, encoding="utf-8") as handle:
            raw = json.loads(handle.read())
    except FileNotFoundError:
        raise DataFileError(path, "no state file: run `mlbasics faces train` first") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"state file is not valid JSON ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != STATE_FORMAT:
        raise DataFileError(path, f"not a face-finder state file (expected format {STATE_FORMAT!r})")
    if raw.get("version") != STATE_VERSION:
        raise DataFileError(path, f"state file version {raw.get('version')!r}, this mlbasics reads version "
                                  f"{STATE_VERSION}: train again to rebuild it")
    checksum = raw.pop("sha256", None)
    if checksum != _checksum(raw):
        raise DataFileError(path, "state file was changed after training (sha256 does not match its content): "
                                  "train again instead of editing it")
    if raw.get("models") != models_fingerprint():
        raise DataFileError(path, f"state file was made with other face models {raw.get('models')}, installed are "
                                  f"{models_fingerprint()}: train again")
    faces = raw.get("faces") or []
    descriptors = np.asarray([f["descriptor"] for f in faces], dtype=np.float64).reshape(len(faces), DESCRIPTOR_SIZE)
    return FaceState(tuple(f["name"] for f in faces), tuple(f["source"] for f in faces), descriptors, raw["models"])
