"""Start JupyterLab from the installed environment on 127.0.0.1, and always stop it."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: where it listens and the token that opens it."""

    port: int
    token: str
    root: Path

    def url(self, path: str = "lab") -> str:
        """A URL of this server with the token, e.g. ``url("lab/tree/01.ipynb")``."""
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def shutdown_kernels(self) -> None:
        """Stop every kernel the pages started (each holds a TensorFlow process in memory)."""
        with urllib.request.urlopen(self.url("api/kernels"), timeout=10) as response:
            kernels = json.load(response)
        for kernel in kernels:
            request = urllib.request.Request(self.url(f"api/kernels/{kernel['id']}"), method="DELETE")
            urllib.request.urlopen(request, timeout=30).close()

    def notebook_url(self, notebook: str) -> str:
        """Open ``notebook`` alone, in a fresh workspace of its own (no tabs restored from earlier pages)."""
        return f"{self.url(f'lab/workspaces/{Path(notebook).stem}/tree/{notebook}')}&reset"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_open(port: int) -> bool:
    """Whether something accepts connections on ``127.0.0.1:port``."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running_lab(notebooks: Path, workdir: Path, startup_timeout: float = 90.0) -> Iterator[LabServer]:
    """Copy ``notebooks`` to ``workdir`` (so autosave never touches the repository), serve them,
    yield the server, and stop it and free its port even when the body fails."""
    root = workdir / "notebooks"
    shutil.copytree(notebooks, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # Render every cell (JupyterLab 4 otherwise renders only those near the viewport).
    # No news pop-up (there is no network to fetch news from anyway).
    for plugin, value in (("notebook-extension/tracker", '{"windowingMode": "none"}'),
                          ("apputils-extension/notification", '{"fetchNews": "false"}')):
        path = workdir / "settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value)
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"), "JUPYTER_CONFIG_DIR": os.environ.get(
        "JUPYTER_CONFIG_DIR", str(workdir / "config"))}
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", "--allow-root", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={workdir / 'settings'}", f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = open(workdir / "jupyterlab.log", "wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    server = LabServer(port, token, root)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                tail = (workdir / "jupyterlab.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"JupyterLab exited with code {process.returncode}:\n{tail}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(server.url("api/status"), timeout=2) as response:
                    if response.status == 200:
                        break
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterLab did not answer on port {port} within {startup_timeout} s")
            time.sleep(0.5)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
