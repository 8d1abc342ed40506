"""The ``mlbasics`` command: ``mlbasics <command> [<verb>] ...``.

Each track adds its commands in its own ``cli`` module with a function
``add_commands(subparsers)``; this file only lists the tracks and turns expected failures into
one line and exit status 2.

Conventions every command follows: inputs are positional, the output location (file or folder)
is ``--out``, option names are the library's parameter names (``--score-threshold`` feeds
``score_threshold``), and numbers and input paths are checked by the types in ``cli/_args.py``
before any work starts.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mlbasics.cli._args import Parser
from mlbasics.core.errors import MlbasicsError

#: Modules that provide ``add_commands(subparsers)``, in the order shown by ``--help``.
TRACKS = (
    "mlbasics.cli.workbook",
    "mlbasics.cli.cloud",
    "mlbasics.cli.export",
    "mlbasics.cli.serve",
    "mlbasics.cli.embed",
    "mlbasics.cli.faces",
    "mlbasics.cli.cluster",
    "mlbasics.cli.yolo",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every track's sub-commands."""
    parser = Parser(prog="mlbasics", description="Run the mlbasics workbook and its jobs.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in TRACKS:
        importlib.import_module(name).add_commands(subparsers)
    return parser


def describe(exc: BaseException) -> str:
    """One line for an expected failure; an ``OSError`` names its file."""
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror or exc}"
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status (2 for a bad command line or input)."""
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown and not getattr(args, "pass_through", False):
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    except SystemExit as exc:  # --help (0) or a refused argument, already printed as one line (2)
        return exc.code if isinstance(exc.code, int) else 2
    args.extra = unknown
    name = " ".join(["mlbasics", args.command, *([args.verb] if getattr(args, "verb", None) else [])])
    # Only the project's own errors and file-system failures are expected; anything else (KeyError,
    # TypeError, ...) is a bug and keeps its traceback.
    try:
        return int(args.func(args) or 0)
    except (MlbasicsError, OSError) as exc:
        print(f"{name}: error: {describe(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
