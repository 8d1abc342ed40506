"""Run a job spec on this machine the way Vertex AI runs it: install the job's packages,
set the environment a managed job sets, run ``python -m MODULE ARGS`` in a subprocess (one per
replica: a job with ``replica_count`` 2 runs a chief and a worker process on 127.0.0.1).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlbasics.cloud.job_spec import JobSpec
from mlbasics.io.storage import gs_copy_file


@dataclass(frozen=True)
class LocalRun:
    """The outcome of :func:`run_local`: exit status, every output line and the job environment of the chief;
    with several replicas, each other worker's exit status and output lines too."""

    returncode: int
    lines: list[str]
    environment: dict[str, str]
    worker_returncodes: tuple[int, ...] = ()
    worker_lines: tuple[list[str], ...] = ()


def job_environment(spec: JobSpec, job_id: str, replica: int = 0,
                    addresses: Sequence[str] = ("localhost:2222",)) -> dict[str, str]:
    """The variables replica ``replica`` of a managed job sees: 0 is the chief (``workerpool0``),
    1.. the workers (``workerpool1``); ``addresses``: every replica's ``host:port``, chief first."""
    base = spec.base_output_dir.rstrip("/")
    job = {"python_module": spec.python_module, "package_uris": list(spec.package_uris), "args": list(spec.args)}
    chief, workers = list(addresses[:1]), list(addresses[1:])
    pools = {"workerpool0": chief, **({"workerpool1": workers} if workers else {})}
    tasks = {"chief": chief, **({"worker": workers} if workers else {})}
    pool, kind, index = ("workerpool0", "chief", 0) if replica == 0 else ("workerpool1", "worker", replica - 1)
    cluster = {"cluster": pools, "environment": "cloud", "task": {"type": pool, "index": index}, "job": job}
    tf_config = {"cluster": tasks, "environment": "cloud", "task": {"type": kind, "index": index}, "job": job}
    return {
        "AIP_MODEL_DIR": f"{base}/model/",
        "AIP_CHECKPOINT_DIR": f"{base}/checkpoints/",
        "AIP_TENSORBOARD_LOG_DIR": f"{base}/logs/",
        "CLOUD_ML_JOB_ID": job_id,
        "CLUSTER_SPEC": json.dumps(cluster),
        "TF_CONFIG": json.dumps(tf_config),
    }


def free_addresses(count: int) -> list[str]:
    """``count`` ``127.0.0.1:PORT`` addresses with ports free right now (the system picks them)."""
    import socket

    sockets = [socket.socket() for _ in range(count)]
    try:
        for handle in sockets:
            handle.bind(("127.0.0.1", 0))
        return [f"127.0.0.1:{handle.getsockname()[1]}" for handle in sockets]
    finally:
        for handle in sockets:
            handle.close()


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
    """Install the spec's packages into a temporary folder and run its module with its args, once per
    replica (``spec.replica_count`` processes on 127.0.0.1, each with its own ``TF_CONFIG``); each line
    of the chief's output goes to ``echo`` as it arrives, the workers' lines are kept."""
    spec.to_custom_job()  # the same checks as a submission
    job_id = job_id or f"local-{int(time.time())}"
    addresses = free_addresses(spec.replica_count) if spec.replica_count > 1 else ["localhost:2222"]
    environments = [job_environment(spec, job_id, replica, addresses) for replica in range(spec.replica_count)]
    with tempfile.TemporaryDirectory(prefix="mlbasics-job-") as tmp:
        site = Path(tmp, "site")
        install_packages(spec.package_uris, site)
        command = [sys.executable, "-m", spec.python_module, *spec.args]
        workers = []
        for replica, environment in enumerate(environments[1:], start=1):
            folder = Path(tmp, f"worker{replica}")  # its own working folder, as on its own machine
            folder.mkdir()
            log = open(folder / "output.log", "w+", encoding="utf-8")  # noqa: SIM115 (closed below)
            workers.append((subprocess.Popen(command, env=_environ(environment, site), stdout=log,
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                             cwd=folder), log))
        lines = []
        with subprocess.Popen(command, env=_environ(environments[0], site), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, cwd=tmp) as process:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line.rstrip("\n"))
                if echo is not None:
                    echo(lines[-1])
        codes, outputs = [], []
        for worker, log in workers:
            codes.append(worker.wait())
            log.seek(0)
            outputs.append(log.read().splitlines())
            log.close()
        return LocalRun(process.returncode, lines, environments[0], tuple(codes), tuple(outputs))


def _environ(job: dict[str, str], site: Path) -> dict[str, str]:
    """This process's environment with a job's variables and its installed packages first on the path."""
    return {**os.environ, **job, "PYTHONPATH": str(site), "PYTHONUNBUFFERED": "1"}
