"""Beam pipeline options from what a user types: short runner names, the Dask cluster's address.

Beam takes ``--runner DirectRunner`` or ``DataflowRunner`` by name, but its DaskRunner only by
its dotted path (``--runner DaskRunner`` alone is rejected), so :data:`RUNNERS` maps the
short names. On the DaskRunner each element of ``beam.Create`` gets its own partition unless
the user chose ``--dask_partition_size`` or ``--dask_npartitions``: Beam's default puts 128
elements in one partition, and a pipeline that starts from a few shards would run on one worker.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlbasics.core.errors import InputError, MlbasicsError
from mlbasics.pipelines.beam_noise import known_beam_noise_dropped


class IncompleteRunError(MlbasicsError):
    """A runner lost work: inputs listed or sent != results + dead letters, or an index row has no file.

    Raised by the pipelines' own checks, on every runner (an experimental runner such as Beam's
    DaskRunner can drop elements and still report the run as done).
    """


#: Short runner names -> the path Beam accepts.
RUNNERS = {"DaskRunner": "apache_beam.runners.dask.dask_runner.DaskRunner"}


def check_scheduler_reachable(address: str, *, timeout: float = 5.0) -> None:
    """Raise :class:`InputError` naming ``--dask-address`` and what to do when nothing accepts a connection
    at ``address`` (``tcp://HOST:PORT``), before any work: Dask's own client waits 30 s and then says only
    ``[Errno 111] Connection refused``, without the address."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or port is None:
        raise InputError(f"--dask-address must look like tcp://HOST:PORT, got {address!r}")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise InputError(f"--dask-address {address}: no Dask scheduler answers there "
                         f"({exc.strerror or type(exc).__name__}); start one with `mlbasics cluster start` and "
                         "give the address it prints, or leave out --dask-address to start a local cluster "
                         "for this run") from None


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
