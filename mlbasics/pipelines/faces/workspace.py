"""A face-finder workspace and ``run``: bring every output up to date with one command.

Layout (inputs are yours, outputs are made)::

    WORKSPACE/train/<name>/*.jpg or train/<name>3.jpg   photos to learn people from
    WORKSPACE/images/**.jpg                              photos to find people in
    WORKSPACE/labels/<name>.jpg                          optional label images for tagging
    WORKSPACE/out/state.json, out/identified/, out/tagged/
    WORKSPACE/.face-cache/                               face analyses by content hash
    WORKSPACE/dvc.yaml                                   the three stages for DVC

With DVC installed, ``run`` writes ``dvc.yaml`` and calls ``dvc repro``: DVC versions the
data and re-runs only the stages whose inputs changed; inside a stage, ``records`` skips
images already done. Without DVC, the stages run in this process with the same per-image
skipping (train always re-reads its photos, from the cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mlbasics.core.errors import InputError
from mlbasics.io.files import atomic_write
from mlbasics.pipelines.faces.detection import DETECTOR, MIN_FACE_SIZE, DetectionPolicy
from mlbasics.pipelines.faces.matching import MATCH_THRESHOLD
from mlbasics.pipelines.faces.state import load_state


@dataclass(frozen=True)
class Workspace:
    """Paths of a workspace folder."""

    root: Path

    @property
    def train(self) -> Path:
        return self.root / "train"

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def labels(self) -> Path:
        return self.root / "labels"

    @property
    def state(self) -> Path:
        return self.root / "out" / "state.json"

    @property
    def identified(self) -> Path:
        return self.root / "out" / "identified"

    @property
    def tagged(self) -> Path:
        return self.root / "out" / "tagged"

    @property
    def cache(self) -> Path:
        return self.root / ".face-cache"


def dvc_yaml(threshold: float = MATCH_THRESHOLD.default, policy: DetectionPolicy | None = None) -> str:
    """The three stages, with paths relative to the workspace; train and identify detect with ``policy``."""
    policy = DetectionPolicy() if policy is None else policy
    detect = f"--min-face-size {policy.min_face_size} --detector {policy.detector}"
    identify = ("mlbasics faces identify images out/state.json --out out/identified --cache .face-cache "
                f"--threshold {threshold} {detect}")
    return f"""\
# Made by `mlbasics faces run`: the face-finder stages. `dvc repro` re-runs what changed.
stages:
  train:
    cmd: mlbasics faces train train --out out/state.json --cache .face-cache {detect}
    deps: [train]
    outs: [out/state.json]
  identify:
    cmd: {identify}
    deps: [images, out/state.json]
    outs:
      - out/identified:
          persist: true
  tag:
    cmd: mlbasics faces tag images out/identified --out out/tagged --labels-dir labels --state out/state.json
    deps: [images, labels, out/identified, out/state.json]
    outs:
      - out/tagged:
          persist: true
"""


def prepare(root: str | os.PathLike[str], threshold: float = MATCH_THRESHOLD.default,
            policy: DetectionPolicy | None = None) -> Workspace:
    """Check the inputs exist, create ``images``/``labels`` if missing, write ``dvc.yaml``."""
    space = Workspace(Path(root))
    if not space.train.is_dir():
        raise InputError(f"{space.train} does not exist: put training photos in train/<name>/ first")
    for folder in (space.images, space.labels):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".keep").touch()  # DVC refuses a dependency that does not exist
    text = dvc_yaml(threshold, policy)
    target = space.root / "dvc.yaml"
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        with atomic_write(target, "w") as handle:
            handle.write(text)
    return space


def dvc_available() -> bool:
    """Whether the ``dvc`` command is installed next to this Python."""
    return shutil.which("dvc", path=_path_with_this_python()) is not None


def _path_with_this_python() -> str:
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


def run_with_dvc(space: Workspace) -> str:
    """``dvc repro`` in the workspace (``dvc init --no-scm`` first if needed); returns DVC's output."""
    env = {**os.environ, "PATH": _path_with_this_python(), "DVC_NO_ANALYTICS": "1"}
    if not (space.root / ".dvc").is_dir():
        subprocess.run(["dvc", "init", "--no-scm", "-q"], cwd=space.root, env=env, check=True)
    done = subprocess.run(["dvc", "repro"], cwd=space.root, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"dvc repro failed in {space.root}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def run_in_process(space: Workspace, threshold: float = MATCH_THRESHOLD.default,
                   policy: DetectionPolicy | None = None) -> dict[str, object]:
    """The three stages in this process, each skipping images already done; returns their reports."""
    from mlbasics.pipelines.faces.analysis import AnalysisCache
    from mlbasics.pipelines.faces.identify import identify
    from mlbasics.pipelines.faces.tag import tag
    from mlbasics.pipelines.faces.train import train

    cache = AnalysisCache(space.cache, policy)
    trained = train(space.train, space.state, cache)
    identified = identify(space.images, space.state, space.identified, cache, threshold=threshold)
    tagged = tag(space.images, space.identified, space.tagged, labels_dir=space.labels,
                 known_names=load_state(space.state).people())
    return {"train": trained, "identify": identified, "tag": tagged}


def run(root: str | os.PathLike[str], *, threshold: float = MATCH_THRESHOLD.default,
        min_face_size: int = MIN_FACE_SIZE.default, detector: str = DETECTOR.default,
        use_dvc: bool | None = None) -> object:
    """Bring every output of the workspace up to date: DVC when installed (or ``use_dvc``), else in process.

    Faces of at least ``min_face_size`` pixels are found with dlib's ``detector`` (see ``detection``).
    """
    policy = DetectionPolicy(min_face_size, detector)
    space = prepare(root, threshold, policy)
    if use_dvc is None:
        use_dvc = dvc_available()
    if use_dvc:
        return run_with_dvc(space)
    return run_in_process(space, threshold, policy)
