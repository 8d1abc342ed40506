"""What the workbook runs on: versions, CPU/GPU, where data lives (lesson 00, ``mlbasics info``)."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path

from mlbasics.core.quiet import quiet_import
from mlbasics.data.cache import cache_dir

CORE_PACKAGES = ("mlbasics", "numpy", "matplotlib", "tensorflow", "tensorflow-cpu", "keras", "ipywidgets",
                 "jupyterlab", "pillow", "tqdm", "defusedxml")


def package_versions(names: tuple[str, ...] = CORE_PACKAGES) -> dict[str, str]:
    """Installed version of each distribution in ``names`` (missing ones are left out)."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def devices() -> list[str]:
    """TensorFlow's physical devices, e.g. ``['CPU:0']`` (imports TensorFlow)."""
    with quiet_import():
        import tensorflow as tf

    return [f"{d.device_type}:{d.name.rsplit(':', 1)[-1]}" for d in tf.config.list_physical_devices()]


def report(with_devices: bool = True) -> dict[str, object]:
    """Everything lesson 00 shows, as one dict."""
    info: dict[str, object] = {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpu_cores": os.cpu_count(),
        "packages": package_versions(),
        "cache_dir": str(cache_dir()),
        "data_mirror": os.environ.get("MLBASICS_DATA_MIRROR") or "(none: downloads from upstream URLs)",
        "notebooks": str(Path(__file__).resolve().parents[2] / "notebooks"),
    }
    if with_devices:
        info["devices"] = devices()
    return info
