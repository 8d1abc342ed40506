"""Hostile files the tests write: a tiny file that claims to be a huge image."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def bomb_png(path: Path, width: int = 100_000, height: int | None = None) -> Path:
    """Write a PNG whose header claims ``width`` x ``height`` (default square) RGB pixels with almost no
    pixel data: a decompression bomb's header, refused before decoding. Returns ``path``."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, width if height is None else height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
                     + chunk(b"IEND", b""))
    return path
