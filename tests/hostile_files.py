"""What the hostile-input tests share: files they write (a tiny file that claims to be a huge image, an
untrained detector) and how they run a command and check its one-line error."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from mlbasics.cli import main


def bomb_png(path: Path, width: int = 100_000, height: int | None = None) -> Path:
    """Write a PNG whose header claims ``width`` x ``height`` (default square) RGB pixels with almost no
    pixel data: a decompression bomb's header, refused before decoding. Returns ``path``."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, width if height is None else height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + chunk(b"IEND", b""))
    return path


def run(args, capsys) -> tuple[int, str, str]:
    """``mlbasics ARGS`` (any path-like arguments as text): ``(exit status, stdout, stderr)``."""
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_error(err: str, prog: str, *named: str) -> None:
    """``err`` is exactly one line ``mlbasics PROG: error: ...`` naming each of ``named``, no traceback."""
    assert "Traceback" not in err, err
    assert err.count("\n") == 1 and err.startswith(f"mlbasics {prog}: error: "), err
    for name in named:
        assert name in err, err


def untrained_detector(folder: Path, classes) -> Path:
    """An untrained tiny detector's ``final.weights.h5`` (input 64, width 0.125) with its config beside it."""
    from mlbasics.vision.yolo.model import build_detector
    from mlbasics.vision.yolo.spec import YoloSpec

    spec = YoloSpec(np.array([[5, 5], [10, 10], [15, 15], [20, 20], [30, 30], [40, 40]]), classes, 64, 0.125)
    build_detector(spec).save_weights(str(folder / "final.weights.h5"))
    spec.write(folder / "final.config.json")
    return folder / "final.weights.h5"
