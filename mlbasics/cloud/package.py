"""Build the training code as the installable package a cloud training service runs.

Vertex AI's prebuilt training images ``pip install`` the packages listed in a job's
``package_uris`` and then run ``python -m <module>``. The package built here is named
``mlbasics-trainer`` and holds the ``mlbasics`` library; the job's module is
``mlbasics.cli`` with the ``mlbasics`` command's arguments (``yolo train --annotations gs://...``),
so the job runs exactly the command a reader runs on a laptop. It depends only on what the
images lack (TensorFlow and Keras are in them), not on the notebook tooling.

What the package does not pin: TensorFlow, Keras and NumPy come from the executor image, and
``Requires-Python`` says ``>=3.10`` so that the default image (Python 3.10, see
:data:`mlbasics.cloud.job_spec.DEFAULT_IMAGE`) can install it. The library is tested on Python 3.11
with TensorFlow 2.21 and Keras 3.15 only; :func:`package_file` shows what a built package says.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import mlbasics

TRAINER_MODULE = "mlbasics.cli"
#: Installed on top of the executor image (which has TensorFlow, Keras and NumPy).
TRAINER_REQUIREMENTS = ("fsspec", "gcsfs", "google-cloud-storage", "pillow", "defusedxml", "tensorboard")

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "mlbasics-trainer"
version = "{version}"
description = "The mlbasics training job (python -m {module} yolo train ...)"
requires-python = ">=3.10"
dependencies = {requirements}

[tool.setuptools.packages.find]
include = ["mlbasics*"]
"""


def build_trainer_package(out_dir: str | Path) -> list[Path]:
    """Build the sdist (``.tar.gz``) and wheel (``.whl``) into ``out_dir``; return their paths.

    Uses ``python -m build --no-isolation``, so it works offline with the installed setuptools.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    source = Path(mlbasics.__file__).parent
    with tempfile.TemporaryDirectory(prefix="mlbasics-trainer-") as tmp:
        staging = Path(tmp)
        shutil.copytree(source, staging / "mlbasics", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        requirements = "[" + ", ".join(f'"{r}"' for r in TRAINER_REQUIREMENTS) + "]"
        (staging / "pyproject.toml").write_text(
            _PYPROJECT.format(version=mlbasics.__version__, module=TRAINER_MODULE, requirements=requirements))
        built = Path(tmp, "dist")
        result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(built), str(staging)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"building the trainer package failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        paths = []
        for artefact in sorted(built.iterdir()):
            target = out / artefact.name
            shutil.copyfile(artefact, target)  # a fresh name per version: no half file is ever read as whole
            paths.append(target)
    return paths


def package_file(wheel: str | Path, name: str) -> str:
    """The text of one file inside a built wheel: ``"METADATA"`` for the package's metadata (name, version,
    ``Requires-Python``, ``Requires-Dist``: what ``pip install`` reads), or a path such as
    ``"mlbasics/cli/__main__.py"`` (what ``python -m mlbasics.cli`` runs)."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        if name == "METADATA":
            matches = [n for n in names if n.endswith(".dist-info/METADATA")]
        else:
            matches = [n for n in names if n == name]
        if len(matches) != 1:
            raise KeyError(f"{Path(wheel).name} has no single file {name!r}; it holds {len(names)} files, "
                           f"e.g. {names[:3]}")
        return archive.read(matches[0]).decode("utf-8")
