"""``mlbasics lab``: JupyterLab on the workbook's lessons, started the way the lessons need it.

* **The news pop-up is off.** JupyterLab asks "Would you like to get notified about official Jupyter
  news?" over the first lesson on every first start. The workbook's own settings
  (:data:`CONFIG_DIR`: ``labconfig/page_config.json``, added to ``JUPYTER_CONFIG_PATH`` for the
  JupyterLab process only) turn the announcements plugin off; the user's own settings are untouched.
* **Root is detected.** In containers and cloud notebooks the user is often root, and JupyterLab
  refuses to start ("Running as root is not recommended. Use --allow-root to bypass"): the command
  passes ``--allow-root`` and says so in one line.
* **Signals reach JupyterLab.** ``SIGTERM`` or ``SIGHUP`` to ``mlbasics lab`` (a container stopping,
  a closed terminal) is forwarded to JupyterLab, which shuts its kernels down, and the command waits
  for it; it never leaves JupyterLab running without a parent. ``Ctrl-C`` goes to JupyterLab by the
  terminal itself (it asks to confirm), so the command only waits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The lessons JupyterLab opens on.
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: The workbook's JupyterLab settings (a Jupyter config folder).
CONFIG_DIR = Path(__file__).resolve().parent / "jupyter_config"
#: Signals forwarded to JupyterLab (Windows has no SIGHUP).
FORWARDED = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
#: Seconds JupyterLab gets to stop after a forwarded signal before it is killed.
STOP_SECONDS = 30.0


def running_as_root() -> bool:
    """Whether this process runs as the superuser (never on Windows)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_command(extra: Sequence[str] = (), *, as_root: bool | None = None) -> tuple[list[str], str | None]:
    """``(command, note)``: the JupyterLab command line with the user's ``extra`` options, and the line to
    print when ``--allow-root`` was added for them (``None`` otherwise)."""
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={NOTEBOOKS}", *extra]
    root = running_as_root() if as_root is None else as_root
    if root and "--allow-root" not in extra:
        command.append("--allow-root")
        return command, ("running as root (a container or a cloud notebook?): passing --allow-root to JupyterLab, "
                         "which refuses root otherwise")
    return command, None


def lab_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with :data:`CONFIG_DIR` first in ``JUPYTER_CONFIG_PATH``."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join([str(CONFIG_DIR), *filter(None, [env.get("JUPYTER_CONFIG_PATH")])])
    return env


def run_lab(extra: Sequence[str] = ()) -> int:
    """Run JupyterLab until it exits; return its exit status (128 + N when signal N ended it)."""
    command, note = lab_command(extra)
    if note:
        print(f"mlbasics lab: {note}", file=sys.stderr)
    child = subprocess.Popen(command, env=lab_environment())

    def forward(signum: int, frame: Any) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {number: signal.signal(number, forward) for number in FORWARDED}
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal sends Ctrl-C to JupyterLab too
    try:
        code = child.wait()
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        signal.signal(signal.SIGINT, previous_int)
        if child.poll() is None:  # an exception here: never leave JupyterLab without its parent
            child.terminate()
            try:
                child.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    return 128 - code if code < 0 else code
