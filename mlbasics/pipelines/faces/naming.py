"""People's names from where their photos are: ``train/alice/x.jpg`` or ``train/alice3.jpg``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from mlbasics.core.errors import DataFileError

_TRAILING = re.compile(r"[\s_\-.]*\d+$")


def person_name(photo: str | os.PathLike[str], root: str | os.PathLike[str]) -> str:
    """The person in ``photo``: its sub-folder of ``root`` if it has one, else its file name
    without trailing digits (``alice3.jpg`` -> ``alice``, ``bob_02.png`` -> ``bob``)."""
    relative = Path(photo).relative_to(root)
    if len(relative.parts) > 1:
        return relative.parts[0]
    name = _TRAILING.sub("", relative.stem)
    if not name:
        raise DataFileError(photo, "cannot tell whose photo this is: the file name is only digits; "
                                   "rename it (alice3.jpg) or move it into a folder named after the person")
    return name
