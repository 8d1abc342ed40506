"""ONNX Runtime Web from npm, installed into the cache on first use, like the datasets.

The committed ``runtime/package.json`` names the package and ``runtime/package-lock.json`` pins
every file by its sha512 integrity hash: ``npm ci`` refuses anything that does not match (the
lock plays the role of the data manifest's sha256). Nothing third-party is committed here.

* ``MLBASICS_CACHE``: the install lands in ``<cache>/npm/<lock hash>/node_modules``.
* ``MLBASICS_NPM_MIRROR``: an npm cache folder filled on a connected machine (``npm ci --cache
  DIR`` in ``runtime/``, or ``npm cache add onnxruntime-web@VERSION --cache DIR``); when set, the
  install runs ``npm ci --offline --cache DIR`` and never touches the network.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from mlbasics.data.cache import cache_dir
from mlbasics.export.formats import ExportError
from mlbasics.io.files import atomic_path

#: The committed package.json + package-lock.json.
RUNTIME_SPEC = Path(__file__).with_name("runtime")
#: Files the page needs from the package: the WebAssembly build of ONNX Runtime Web, its loader and binary,
#: then the WebGPU build (its binary is the asyncify one, 27 MB), loaded only where the browser has a GPU adapter.
RUNTIME_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm",
                 "ort.webgpu.min.js", "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm")
PACKAGE = "onnxruntime-web"


def lock_digest() -> str:
    """First 16 hex digits of the sha256 of ``package-lock.json``: a new lock gets a new folder."""
    return hashlib.sha256((RUNTIME_SPEC / "package-lock.json").read_bytes()).hexdigest()[:16]


def runtime_version() -> str:
    """The onnxruntime-web version the lock pins."""
    import json

    lock = json.loads((RUNTIME_SPEC / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"][f"node_modules/{PACKAGE}"]["version"])


def _npm_command() -> list[str]:
    npm = shutil.which("npm")
    if npm is None:
        raise ExportError("web: npm is not installed; it installs ONNX Runtime Web (the page's runtime). Install "
                          "Node.js with npm (Debian: apt-get install npm; macOS: brew install node; Windows: "
                          "winget install OpenJS.NodeJS), or set MLBASICS_NPM_MIRROR to an offline npm cache")
    command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"]
    mirror = os.environ.get("MLBASICS_NPM_MIRROR")
    if mirror:
        if not Path(mirror).is_dir():
            raise ExportError(f"web: MLBASICS_NPM_MIRROR={mirror} is not a folder (an npm cache, see README)")
        command += ["--offline", "--cache", str(mirror)]
    return command


def install_runtime(timeout_s: float = 600) -> Path:
    """The installed package's ``dist`` folder, running ``npm ci`` into the cache the first time.

    The install is atomic: a failed or interrupted ``npm ci`` leaves no folder behind, and a
    folder that exists holds every file of :data:`RUNTIME_FILES`.
    """
    target = cache_dir() / "npm" / lock_digest()
    dist = target / "node_modules" / PACKAGE / "dist"
    if all((dist / name).is_file() for name in RUNTIME_FILES):
        return dist
    command = _npm_command()
    with atomic_path(target) as staged:
        staged.mkdir()
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(RUNTIME_SPEC / name, staged / name)
        try:
            done = subprocess.run(command, cwd=staged, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise ExportError(f"web: npm ci did not finish in {timeout_s:.0f} s") from None
        if done.returncode != 0:
            hint = "" if os.environ.get("MLBASICS_NPM_MIRROR") else " (offline? set MLBASICS_NPM_MIRROR, see README)"
            raise ExportError(f"web: npm ci failed{hint}: {done.stderr.strip()[-600:]}")
        missing = [name for name in RUNTIME_FILES if not (staged / "node_modules" / PACKAGE / "dist" / name).is_file()]
        if missing:
            raise ExportError(f"web: {PACKAGE} {runtime_version()} lacks {missing}; the page needs them")
    return dist
