"""Run benchmarks by module name: ``python -m benchmarks [NAME ...]`` (all when none is named),
or one with its own options: ``python -m benchmarks embeddings --images 500``.

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


def run(argv: list[str]) -> int:
    """``[NAME ...] [--option ...]``: run each named benchmark's ``main()`` (all when none is named).

    Options after the names go to the benchmark, so they need exactly one name.
    """
    split = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    names, options = argv[:split], argv[split:]
    unknown = sorted(set(names) - set(available()))
    if unknown or (options and len(names) != 1):
        print(f"usage: python -m benchmarks [NAME ...] | NAME [--option ...]; unknown {unknown}; "
              f"available: {available()}", file=sys.stderr)
        return 2
    for name in names or available():
        print(f"=== benchmark: {name}", flush=True)
        sys.argv = [f"python -m benchmarks {name}", *options]
        importlib.import_module(f"benchmarks.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
