"""Beam pipeline options from what a user types: short runner names, the Dask cluster's address.

Beam takes ``--runner DirectRunner`` or ``DataflowRunner`` by name, but its DaskRunner only by
its dotted path (``--runner DaskRunner`` alone is rejected), so :data:`RUNNERS` maps the
short names. On the DaskRunner each element of ``beam.Create`` gets its own partition unless
the user chose ``--dask_partition_size`` or ``--dask_npartitions``: Beam's default puts 128
elements in one partition, and a pipeline that starts from a few shards would run on one worker.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlbasics.core.errors import MlbasicsError
from mlbasics.pipelines.beam_noise import known_beam_noise_dropped


class IncompleteRunError(MlbasicsError):
    """A runner lost work: inputs listed or sent != results + dead letters, or an index row has no file.

    Raised by the pipelines' own checks, on every runner (an experimental runner such as Beam's
    DaskRunner can drop elements and still report the run as done).
    """


#: Short runner names -> the path Beam accepts.
RUNNERS = {"DaskRunner": "apache_beam.runners.dask.dask_runner.DaskRunner"}


def runner_path(runner: str) -> str:
    """The name Beam accepts for ``runner`` (a short name of :data:`RUNNERS`, or as given)."""
    return RUNNERS.get(runner, runner)


def _option_value(argv: Sequence[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def beam_argv(beam_args: Sequence[str]) -> list[str]:
    """``beam_args`` with the runner's short name replaced and the DaskRunner's partition default set."""
    argv = list(beam_args)
    for i, arg in enumerate(argv):
        if arg == "--runner" and i + 1 < len(argv):
            argv[i + 1] = runner_path(argv[i + 1])
        elif arg.startswith("--runner="):
            argv[i] = "--runner=" + runner_path(arg.split("=", 1)[1])
    if _option_value(argv, "--runner") == RUNNERS["DaskRunner"] and not any(
            a.startswith(("--dask_partition_size", "--dask_npartitions")) for a in argv):
        argv += ["--dask_partition_size", "1"]
    return argv


def pipeline_options(beam_args: Sequence[str]):
    """Beam ``PipelineOptions`` for ``beam_args`` (see :func:`beam_argv`); the main session is not pickled."""
    with known_beam_noise_dropped():
        from apache_beam.options.pipeline_options import PipelineOptions

    return PipelineOptions(beam_argv(beam_args), save_main_session=False)


def run_to_completion(pipeline) -> None:
    """Run ``pipeline`` and wait for it; a DaskRunner's client is closed afterwards (left open, it keeps
    trying to reach the scheduler and logs errors once the cluster is stopped)."""
    result = pipeline.run()
    try:
        result.wait_until_finish()
    finally:
        client = getattr(result, "client", None)
        if client is not None:
            client.close()
