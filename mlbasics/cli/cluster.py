"""``mlbasics cluster start|stop``: a local Dask cluster of separate processes for ``--runner DaskRunner``."""

from __future__ import annotations

import argparse
import json

from mlbasics.cli._args import add_param, add_track
from mlbasics.data import cache_dir
from mlbasics.pipelines.dask_cluster import GRACE, WORKERS, cluster_guide, start_cluster, stop_cluster


def _state_dir(args: argparse.Namespace) -> str:
    if args.state_dir:
        return args.state_dir

    return str(cache_dir() / "dask-cluster")


def _start(args: argparse.Namespace) -> int:
    info = start_cluster(_state_dir(args), args.workers)
    print(f"{cluster_guide(info)}\n"
          f"run on it: mlbasics embed ... --runner DaskRunner --dask-address {info.address}\n"
          f"stop it:   mlbasics cluster stop" + (f" --state-dir {args.state_dir}" if args.state_dir else ""))
    print(json.dumps({"address": info.address, "dashboard": info.dashboard, "pids": info.pids}))
    return 0


def _stop(args: argparse.Namespace) -> int:
    stopped = stop_cluster(_state_dir(args), grace=args.grace)
    print(f"stopped {len(stopped)} processes: {' '.join(map(str, stopped))}")
    return 0


def _add_state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", default=None,
                        help="folder for the pid/address file and the logs (default: dask-cluster in the data cache)")


def _add_start(verbs: argparse._SubParsersAction) -> None:
    start = verbs.add_parser("start", help="start a dask scheduler and N workers on 127.0.0.1 (in the background)")
    add_param(start, WORKERS)
    _add_state_dir(start)
    start.set_defaults(func=_start)


def _add_stop(verbs: argparse._SubParsersAction) -> None:
    stop = verbs.add_parser("stop", help="stop exactly the processes `mlbasics cluster start` started")
    add_param(stop, GRACE)
    _add_state_dir(stop)
    stop.set_defaults(func=_stop)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``cluster start`` and ``cluster stop``."""
    add_track(subparsers, "cluster", "a local Dask cluster for --runner DaskRunner", [_add_start, _add_stop])
