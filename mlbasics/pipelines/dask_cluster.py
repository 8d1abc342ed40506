"""A local ``dask.distributed`` cluster of separate processes, started the way users start one.

:func:`start_cluster` runs ``dask scheduler`` and ``N`` × ``dask worker`` (the ``dask`` command of
this interpreter's environment) as their own processes, every port bound to 127.0.0.1, the
dashboards included (``--no-dashboard`` was measured to still open a port on 0.0.0.0, so each
dashboard gets ``127.0.0.1:0`` instead). Workers run without a nanny, one thread each: the
process the command starts is the process that does the work, in its own working directory (its
folder in the state folder), not the launcher's. Every process gets this
checkout of ``mlbasics`` on its ``PYTHONPATH``, so the scheduler and the workers import the same
project code as the launcher (a ``LocalCluster`` would hide a scheduler that cannot: its
processes inherit the launcher's ``sys.path``).

On Python 3.11 before 3.11.9 the processes run with Dask's statistical profiler off (the
dashboard's Profile page stays empty): it calls ``sys._current_frames()`` every 10 ms, which
there can deadlock a process whose tasks start threads (CPython gh-106883, dask/distributed
#8616). Lesson 09's 800 images read from ``gs://`` hung both workers this way on Python 3.11.7
(7 Dec 2026): google-cloud-storage 3.17 starts short-lived threads to fetch bucket metadata
(one worker's were numbered past 300 when it hung).

The state folder holds ``cluster.json`` (address, dashboard link, the pids), the scheduler file
and one log per process. :func:`stop_cluster` stops exactly the pids it lists, and only those
whose command line still names this state folder's scheduler file (a pid the system reused for
something else is left alone): ``SIGTERM``, then ``SIGKILL`` after ``grace`` seconds (a worker
that has loaded TensorFlow takes about 15 s to exit on its own).

Any other cluster works as well: ``--runner DaskRunner --dask-address tcp://HOST:PORT``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import mlbasics
from mlbasics.core import limits
from mlbasics.core.errors import InputError
from mlbasics.core.limits import Param
from mlbasics.io.files import write_json

CLUSTER_FILE = "cluster.json"
WORKERS = Param("workers", 2, limits.WORKERS, "worker processes, one thread each")
GRACE = Param("grace", 5.0, limits.SECONDS, "seconds a process gets to exit after SIGTERM before SIGKILL")
#: Whether this Python can deadlock in ``sys._current_frames()`` (CPython gh-106883, fixed in 3.11.9).
PROFILER_DEADLOCKS = (3, 11) <= sys.version_info[:3] < (3, 11, 9)
#: Dask's setting that turns its per-thread profiler off, as an environment variable.
PROFILER_OFF = {"DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}
#: Processes this Python process started, by pid: stopped and reaped through their ``Popen`` (a kernel or a
#: test that starts and stops its own cluster), the others through their pid files.
_STARTED: dict[int, subprocess.Popen] = {}
SCHEDULER_FILE = "scheduler.json"


@dataclass(frozen=True)
class ClusterInfo:
    """A running cluster: the scheduler's address, its dashboard link, and ``{process name: pid}``."""

    address: str
    dashboard: str
    state_dir: str
    pids: dict[str, int]

    def worker_pids(self) -> list[int]:
        return [pid for name, pid in self.pids.items() if name != "scheduler"]

    def working_directories(self) -> dict[str, str]:
        """``{process name: its working directory}`` of the processes still alive (Linux: ``/proc/PID/cwd``)."""
        folders = {}
        for name, pid in self.pids.items():
            try:
                folders[name] = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                continue
        return folders


def cluster_guide(info: ClusterInfo) -> str:
    """What ``mlbasics cluster start`` prints: where the scheduler listens and who can reach it, the dashboard,
    where the workers' code comes from, and what a worker on another machine needs to join."""
    host, port = info.address.removeprefix("tcp://").rsplit(":", 1)
    off = "".join(f"{name}={value} " for name, value in PROFILER_OFF.items()) if PROFILER_DEADLOCKS else ""
    return "\n".join([
        f"scheduler: {info.address} (listens on {host} only: processes on this machine reach it, no other machine)",
        f"dashboard: {info.dashboard}",
        f"workers:   {len(info.worker_pids())}, each importing mlbasics {mlbasics.__version__} from the launcher's "
        "checkout (on their PYTHONPATH)",
        "a worker on another machine needs the same code installed: pip install '.[dask]' in a checkout of the "
        "same commit, then",
        f"           {off}dask worker tcp://SCHEDULER-HOST:{port}",
        "           with a scheduler started on an address that machine reaches: dask scheduler --host SCHEDULER-HOST",
    ])


def dask_command() -> str:
    """The ``dask`` console script of this interpreter's environment (never another one on ``PATH``)."""
    command = Path(sys.executable).parent / "dask"
    if not command.is_file():
        raise InputError(f"{command} is missing: pip install -e '.[dask]'")
    return str(command)


def _environment() -> dict[str, str]:
    """This process's environment with the folder holding ``mlbasics`` first on ``PYTHONPATH`` (and Dask's
    profiler off where it can deadlock)."""
    root = str(Path(mlbasics.__file__).resolve().parents[1])
    env = {**os.environ, **(PROFILER_OFF if PROFILER_DEADLOCKS else {})}
    env["PYTHONPATH"] = os.pathsep.join([root, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    return env


def _spawn(arguments: list[str], log: Path, cwd: Path | None = None) -> subprocess.Popen:
    with open(log, "wb") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([dask_command(), *arguments], stdout=handle, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=_environment(), start_new_session=True, cwd=cwd)


def _log_tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_for_scheduler(process: subprocess.Popen, scheduler_file: Path, log: Path, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise InputError(f"dask scheduler exited with status {process.returncode}:\n{_log_tail(log)}")
        try:
            return json.loads(scheduler_file.read_text())
        except (OSError, ValueError):
            time.sleep(0.1)
    raise InputError(f"dask scheduler did not start within {timeout:.0f} s:\n{_log_tail(log)}")


def _alive_pids(state: Path) -> list[int]:
    try:
        info = read_cluster(state)
    except InputError:
        return []
    return [pid for pid in info.pids.values() if _is_ours(pid, state)]


def start_cluster(state_dir: str | os.PathLike[str], workers: int = WORKERS.default, *,
                  timeout: float = 120.0) -> ClusterInfo:
    """Start a scheduler and ``workers`` worker processes on 127.0.0.1; return once every worker has joined.

    Raises ``InputError`` when the state folder's cluster is still running, or when a process
    does not start (with the end of its log). Processes already started are stopped on failure.
    """
    WORKERS.check(workers)
    state = Path(state_dir)
    if _alive_pids(state):
        raise InputError(f"a cluster started from {state} is still running: `mlbasics cluster stop` first")
    state.mkdir(parents=True, exist_ok=True)
    scheduler_file = state / SCHEDULER_FILE
    scheduler_file.unlink(missing_ok=True)
    (state / CLUSTER_FILE).unlink(missing_ok=True)
    processes: dict[str, subprocess.Popen] = {}
    try:
        log = state / "scheduler.log"
        processes["scheduler"] = _spawn(["scheduler", "--host", "127.0.0.1", "--port", "0",
                                         "--dashboard-address", "127.0.0.1:0",
                                         "--scheduler-file", str(scheduler_file)], log)
        details = _wait_for_scheduler(processes["scheduler"], scheduler_file, log, timeout)
        for i in range(workers):
            name = f"worker-{i}"
            folder = state.resolve() / name
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            # Each worker runs in its own folder, as one on another machine would: a path that only means
            # something in the launcher's working directory fails there instead of working by accident.
            processes[name] = _spawn(["worker", "--scheduler-file", str(scheduler_file.resolve()), "--host",
                                      "127.0.0.1", "--nthreads", "1", "--no-nanny", "--name", name,
                                      "--dashboard-address", "127.0.0.1:0", "--local-directory", str(folder)],
                                     state / f"{name}.log", cwd=folder)
        _STARTED.update({p.pid: p for p in processes.values()})
        info = ClusterInfo(details["address"], f"http://127.0.0.1:{details['services']['dashboard']}/status",
                           str(state), {name: p.pid for name, p in processes.items()})
        write_json(state / CLUSTER_FILE, asdict(info))
        _wait_for_workers(info, workers, processes, timeout)
    except BaseException:
        _stop(processes.values(), grace=2.0)
        raise
    return info


def _wait_for_workers(info: ClusterInfo, count: int, processes: dict[str, subprocess.Popen], timeout: float) -> None:
    from distributed import Client

    with Client(info.address, timeout=timeout) as client:
        deadline = time.monotonic() + timeout
        while len(client.scheduler_info(n_workers=-1)["workers"]) < count:
            for name, process in processes.items():
                if process.poll() is not None:
                    log = Path(info.state_dir) / f"{name}.log"
                    raise InputError(f"dask {name} exited with status {process.returncode}:\n{_log_tail(log)}")
            if time.monotonic() > deadline:
                raise InputError(f"only {len(client.scheduler_info()['workers'])} of {count} workers joined "
                                 f"within {timeout:.0f} s (logs in {info.state_dir})")
            time.sleep(0.2)


def read_cluster(state_dir: str | os.PathLike[str]) -> ClusterInfo:
    """The cluster a state folder describes (``InputError`` when there is none)."""
    path = Path(state_dir) / CLUSTER_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ClusterInfo(str(data["address"]), str(data["dashboard"]), str(data["state_dir"]),
                           {str(k): int(v) for k, v in data["pids"].items()})
    except FileNotFoundError:
        raise InputError(f"no cluster was started from {state_dir} ({path} is missing)") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path}: not a cluster file ({exc})") from None


def _is_ours(pid: int, state: Path) -> bool:
    """Whether ``pid`` is alive and its command line names this state folder's scheduler file."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if status.rsplit(")", 1)[-1].split()[0] == "Z":  # a zombie: exited, waiting to be reaped
        _reap(pid)
        return False
    return os.fsencode(str(state.resolve() / SCHEDULER_FILE)) in command.split(b"\0") or \
        os.fsencode(str(state / SCHEDULER_FILE)) in command.split(b"\0")


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _stop(processes, grace: float) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop_cluster(state_dir: str | os.PathLike[str], *, grace: float = GRACE.default) -> list[int]:
    """Stop the processes :func:`start_cluster` started from ``state_dir`` (workers first); return their pids.

    ``SIGTERM``, then ``SIGKILL`` for those still running after ``grace`` seconds. Pids that are
    gone or now belong to another program are skipped. ``InputError`` when no cluster was started there.
    """
    GRACE.check(grace)
    state = Path(state_dir)
    info = read_cluster(state)
    order = [*info.worker_pids(), info.pids["scheduler"]] if "scheduler" in info.pids else info.worker_pids()
    ours = [pid for pid in order if _running(pid, state)]
    for pid in ours:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(_running(pid, state) for pid in ours) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in ours:
        if _running(pid, state):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10.0  # SIGKILL cannot be refused; this only bounds a slow /proc
    while any(_running(pid, state) for pid in ours) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in ours:
        _STARTED.pop(pid, None)
    (state / CLUSTER_FILE).unlink(missing_ok=True)
    return ours


def _running(pid: int, state: Path) -> bool:
    """Whether a cluster process is still running: through its ``Popen`` if this process started it
    (which also reaps it), else through ``/proc`` (:func:`_is_ours`)."""
    process = _STARTED.get(pid)
    if process is not None:
        return process.poll() is None
    return _is_ours(pid, state)


class LocalDaskCluster:
    """``with LocalDaskCluster(state_dir, workers=2) as cluster:`` — start on entry, stop on exit."""

    def __init__(self, state_dir: str | os.PathLike[str], workers: int = 2, *, grace: float = 5.0):
        self.state_dir, self.workers, self.grace = Path(state_dir), workers, grace
        self.info: ClusterInfo | None = None

    def __enter__(self) -> ClusterInfo:
        self.info = start_cluster(self.state_dir, self.workers)
        return self.info

    def __exit__(self, *exc_info: object) -> None:
        stop_cluster(self.state_dir, grace=self.grace)
