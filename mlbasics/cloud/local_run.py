"""Run a job spec on this machine the way Vertex AI runs it: install the job's packages,
set the environment a managed job sets, run ``python -m MODULE ARGS`` in a subprocess.

The environment variables (names from Vertex AI's custom-training documentation):
``AIP_MODEL_DIR``, ``AIP_CHECKPOINT_DIR``, ``AIP_TENSORBOARD_LOG_DIR`` (under the job's
base output folder), ``CLOUD_ML_JOB_ID``, ``CLUSTER_SPEC`` and ``TF_CONFIG`` (the cluster
description ``tf.distribute`` reads). With ``STORAGE_EMULATOR_HOST`` set (see
:mod:`mlbasics.cloud.emulator`) the ``gs://`` paths go to the local emulator.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlbasics.cloud.job_spec import JobSpec
from mlbasics.io.storage import gs_copy_file


@dataclass(frozen=True)
class LocalRun:
    """The outcome of :func:`run_local`: exit status, every output line, the job environment."""

    returncode: int
    lines: list[str]
    environment: dict[str, str]


def job_environment(spec: JobSpec, job_id: str) -> dict[str, str]:
    """The variables a managed job's single replica sees (``workerpool0``, index 0, the chief)."""
    base = spec.base_output_dir.rstrip("/")
    job = {"python_module": spec.python_module, "package_uris": list(spec.package_uris), "args": list(spec.args)}
    cluster = {"cluster": {"workerpool0": ["localhost:2222"]}, "environment": "cloud",
               "task": {"type": "workerpool0", "index": 0}, "job": job}
    tf_config = {"cluster": {"chief": ["localhost:2222"]}, "environment": "cloud",
                 "task": {"type": "chief", "index": 0}, "job": job}
    return {
        "AIP_MODEL_DIR": f"{base}/model/",
        "AIP_CHECKPOINT_DIR": f"{base}/checkpoints/",
        "AIP_TENSORBOARD_LOG_DIR": f"{base}/logs/",
        "CLOUD_ML_JOB_ID": job_id,
        "CLUSTER_SPEC": json.dumps(cluster),
        "TF_CONFIG": json.dumps(tf_config),
    }


def local_versions() -> dict[str, str]:
    """Python, TensorFlow and Keras of this interpreter: what :func:`run_local`'s job runs with (it uses
    ``sys.executable``), read from the installed packages' metadata without importing TensorFlow."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    def installed(*names: str) -> str:
        for name in names:
            try:
                return version(name)
            except PackageNotFoundError:
                continue
        return "not installed"

    return {"python": platform.python_version(), "tensorflow": installed("tensorflow", "tensorflow-cpu"),
            "keras": installed("keras")}


def install_packages(package_uris: tuple[str, ...], target: Path) -> None:
    """Download each package (gs:// or local) and ``pip install --no-deps --target`` it.
    Dependencies are not installed: this machine already has them, as the executor image does."""
    downloads = target.parent / "downloads"
    for uri in package_uris:
        local = downloads / uri.rsplit("/", 1)[-1]
        gs_copy_file(uri, local)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                        "--disable-pip-version-check", "--target", str(target), str(local)],
                       check=True, capture_output=True, text=True)


def run_local(spec: JobSpec, *, echo: Callable[[str], None] | None = print, job_id: str | None = None) -> LocalRun:
    """Install the spec's packages into a temporary folder and run its module with its args;
    each output line goes to ``echo`` as it arrives."""
    spec.to_custom_job()  # the same checks as a submission
    job_id = job_id or f"local-{int(time.time())}"
    environment = job_environment(spec, job_id)
    with tempfile.TemporaryDirectory(prefix="mlbasics-job-") as tmp:
        site = Path(tmp, "site")
        install_packages(spec.package_uris, site)
        env = {**os.environ, **environment, "PYTHONPATH": str(site), "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", spec.python_module, *spec.args]
        lines = []
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, text=True, cwd=tmp) as process:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line.rstrip("\n"))
                if echo is not None:
                    echo(lines[-1])
        return LocalRun(process.returncode, lines, environment)
