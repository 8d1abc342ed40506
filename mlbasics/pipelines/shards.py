"""Which shard an input belongs to, decided by every worker alike without a list from the launcher."""

from __future__ import annotations

import hashlib
import os


def shard_of(path: str, shards: int) -> int:
    """The shard (0..shards-1) of ``path``: a stable hash of it, the same in every process and on every machine."""
    return int(hashlib.sha1(os.fsencode(path)).hexdigest()[:8], 16) % shards
