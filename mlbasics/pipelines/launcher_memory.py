"""The launcher's peak memory: a fresh process that runs :func:`~mlbasics.pipelines.embeddings.run_embedding_pipeline`.

What ``python -m benchmarks embeddings`` reports at 1× and 10× the images, and what
``tests/pipelines/test_launcher_memory.py`` checks stays flat. A fresh process, so that nothing
earlier in the caller (a model loaded, a test's data) counts; its peak resident set size is
``ru_maxrss`` read by the process itself just before it exits.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence

_LAUNCHER = """
import resource, sys
import mlbasics.pipelines
from mlbasics.pipelines.embeddings import run_embedding_pipeline
summary = run_embedding_pipeline(sys.argv[1], sys.argv[2], sys.argv[3], beam_args=sys.argv[4:])
print(summary.embedded, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def launcher_peak_mib(source: str | os.PathLike[str], out_dir: str | os.PathLike[str], model: str | os.PathLike[str],
                      beam_args: Sequence[str] = ()) -> tuple[int, float]:
    """``(images embedded, peak resident memory in MiB)`` of a fresh launcher process running the pipeline
    from ``source`` into ``out_dir`` with ``model`` and Beam options ``beam_args``.

    Raises ``RuntimeError`` with the process's error output if the run fails."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, os.fspath(source), os.fspath(out_dir), os.fspath(model),
                           *beam_args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the launcher process failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    embedded, kib = done.stdout.split()[-2:]
    return int(embedded), int(kib) / 1024  # Linux reports ru_maxrss in KiB
