"""Run benchmarks by module name: ``python -m benchmarks [NAME ...]`` (all when none is named).

Each benchmark is a module ``benchmarks/NAME.py`` with a ``main()`` that measures its
contenders side by side in one run and prints ratios (this machine is shared and noisy).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def available() -> list[str]:
    """Names of the benchmark modules in this folder."""
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))


def run(names: list[str]) -> int:
    """Run each named benchmark's ``main()``; returns an exit status."""
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; available: {available()}", file=sys.stderr)
        return 2
    for name in names or available():
        print(f"=== benchmark: {name}", flush=True)
        importlib.import_module(f"benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
