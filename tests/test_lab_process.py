"""``mlbasics lab`` as a real process: SIGTERM stops JupyterLab too, and the workbook's settings turn the
news pop-up off (issue #23). Starts a real JupyterLab on a free port (a few seconds)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.lab_server import free_port, port_is_open

REPO = Path(__file__).resolve().parents[1]


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process table from /proc")
def test_sigterm_to_mlbasics_lab_stops_jupyterlab_and_news_are_off(tmp_path):
    port, token = free_port(), "hostile-round-two"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}
    log = open(tmp_path / "lab.log", "wb")
    lab = subprocess.Popen([sys.executable, "-m", "mlbasics.cli", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                            f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                            f"--IdentityProvider.token={token}",
                            f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
                            f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"],
                           stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while not port_is_open(port):
            assert lab.poll() is None, (tmp_path / "lab.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "JupyterLab did not start"
            time.sleep(0.5)
        children = _children(lab.pid)
        assert len(children) == 1, children
        # the page JupyterLab serves carries the workbook's page config: the announcements plugin is off
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=30) as response:
            page = response.read().decode("utf-8")
        start = page.index('<script id="jupyter-config-data" type="application/json">')
        config = json.loads(page[page.index(">", start) + 1:page.index("</script>", start)])
        assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]
        lab.send_signal(signal.SIGTERM)  # a real signal, as `docker stop` or systemd sends it
        code = lab.wait(timeout=60)
        assert not _alive(children[0]), "JupyterLab kept running after mlbasics lab was stopped"
        assert code in (0, 128 + signal.SIGTERM), code
        assert not port_is_open(port)
    finally:
        if lab.poll() is None:
            lab.kill()
            lab.wait()
        log.close()
    text = (tmp_path / "lab.log").read_text(errors="replace")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        assert "mlbasics lab: running as root" in text and "passing --allow-root" in text
