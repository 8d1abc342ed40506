"""``mlbasics lab``, ``mlbasics info`` and ``mlbasics data fetch``: the workbook's own commands."""

from __future__ import annotations

import argparse
import json

from mlbasics.data import fetch_dataset
from mlbasics.workbook.environment import report
from mlbasics.workbook.lab import run_lab


def _lab(args: argparse.Namespace) -> int:
    return run_lab(args.extra)


def _info(args: argparse.Namespace) -> int:
    print(json.dumps(report(with_devices=not args.no_devices), indent=2))
    return 0


def _fetch(args: argparse.Namespace) -> int:
    for name in args.names:
        print(f"{name}: {fetch_dataset(name)}")
    return 0


def _add_lab(subparsers: argparse._SubParsersAction) -> None:
    lab = subparsers.add_parser("lab", help="open the workbook in JupyterLab")
    lab.set_defaults(func=_lab, pass_through=True)  # any further options go to JupyterLab, e.g. --no-browser


def _add_info(subparsers: argparse._SubParsersAction) -> None:
    info = subparsers.add_parser("info", help="versions, devices and data folders")
    info.add_argument("--no-devices", action="store_true", help="do not import TensorFlow to list devices")
    info.set_defaults(func=_info)


def _add_data(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="datasets of the manifest")
    verbs = data.add_subparsers(dest="verb", required=True)
    fetch = verbs.add_parser("fetch", help="download (or copy from MLBASICS_DATA_MIRROR) and verify datasets")
    fetch.add_argument("names", nargs="+", help="dataset names from datasets/manifest.json, e.g. faces")
    fetch.set_defaults(func=_fetch)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``lab``, ``info`` and ``data``."""
    for add in (_add_lab, _add_info, _add_data):
        add(subparsers)
