"""Read a text file the user gives us (annotation lines, class names, id lists) the same way everywhere.

Files written on Windows bring invisible differences: Notepad starts UTF-8 files with a byte
order mark (``EF BB BF``), which ``encoding="utf-8"`` keeps as ``"\\ufeff"`` glued to the first
word, and lines end in ``\\r\\n``. :func:`decode_text` drops the mark and turns every line end
into ``\\n``; bytes that are not UTF-8 are an error naming the byte, its offset and its line,
never silently replaced.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import Any

from mlbasics.core.errors import DataFileError
from mlbasics.io.paths import require_regular_file

#: Byte order marks of encodings people save by mistake ("Unicode" in Notepad is UTF-16).
_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def decode_text(data: bytes, path: str | os.PathLike[str]) -> str:
    """UTF-8 ``data`` (with or without a byte order mark) as text with ``\\n`` line ends.

    ``path`` only names the file in errors, so bytes read from a bucket decode the same way.
    Raises ``DataFileError(path, "not UTF-8 text: byte 0x.. at offset N", line=L)`` for the
    first undecodable byte (``N`` counts from the start of the file, ``L`` from 1).
    """
    if data.startswith(codecs.BOM_UTF8):
        body, skipped = data[len(codecs.BOM_UTF8):], len(codecs.BOM_UTF8)
    else:
        # UTF-32-LE's mark begins with UTF-16-LE's, so the longer marks are tried first.
        for bom, encoding in _OTHER_BOMS:
            if data.startswith(bom):
                raise DataFileError(path, f"is {encoding} text, not UTF-8: save it again as UTF-8")
        body, skipped = data, 0
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + skipped
        line = data.count(b"\n", 0, offset) + 1
        raise DataFileError(path, f"not UTF-8 text: byte {data[offset]:#04x} at offset {offset}", line=line) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | os.PathLike[str], *, missing: str = "no such file") -> str:
    """The whole text file at ``path``, decoded by :func:`decode_text`.

    ``missing`` is the reason given when nothing is there (e.g. ``"no such classes file"``).
    A folder, FIFO, socket or device is refused before it is opened (a FIFO would block).
    """
    require_regular_file(path, missing=missing)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DataFileError(path, f"cannot read ({exc.strerror or exc})") from None
    return decode_text(data, path)


def parse_json(text: str, path: str | os.PathLike[str]) -> Any:
    """The JSON value of ``text`` (read from ``path``, named in errors).

    Raises ``DataFileError`` for text that is not JSON (with its line), for values nested too deeply
    for the parser (a file nested 100,000 deep would otherwise end in ``RecursionError``) and for
    integers longer than Python converts (4,300 digits).
    """
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataFileError(path, f"not valid JSON ({exc.msg}, column {exc.colno})", line=exc.lineno) from None
    except RecursionError:
        raise DataFileError(path, "nested too deeply to read (JSON arrays or objects inside one another "
                                  "hundreds of levels deep): not an annotation or settings file") from None
    except ValueError as exc:  # an integer with more digits than int() accepts
        raise DataFileError(path, f"not usable JSON ({exc})") from None
