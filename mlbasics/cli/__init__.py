"""The ``mlbasics`` command: ``mlbasics <command> [<verb>] ...``.

Each track adds its commands in its own ``cli`` module with a function
``add_commands(subparsers)``; this file only lists the tracks.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules that provide ``add_commands(subparsers)``, in the order shown by ``--help``.
TRACKS = (
    "mlbasics.cli.workbook",
    "mlbasics.cli.cloud",
    "mlbasics.cli.export",
    "mlbasics.cli.embed",
    "mlbasics.cli.faces",
    "mlbasics.cli.yolo",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every track's sub-commands."""
    parser = argparse.ArgumentParser(prog="mlbasics", description="Run the mlbasics workbook and its jobs.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in TRACKS:
        importlib.import_module(name).add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not getattr(args, "pass_through", False):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.extra = unknown
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        print(f"mlbasics {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
