"""Find the same photo twice: by its bytes, its decoded pixels, or its look (a difference hash).

* ``sha256`` of the file's bytes: the same file copied under two names.
* ``sha256`` of the decoded RGB pixels: the same picture saved with other metadata (EXIF, comments).
* a 64-bit difference hash (each bit: is a pixel of the 9x8 grey thumbnail brighter than its right
  neighbour): the same photo resized or re-compressed stays within a few bits, different photos
  differ in about half of them. A match is a hint to look at, not a proof.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

import numpy as np
from PIL import Image

K = TypeVar("K", bound=Hashable)


def pixels_sha256(image: np.ndarray) -> str:
    """Hex sha256 of an image's pixels ``(height, width, channels)`` ``uint8`` and its shape."""
    pixels = np.ascontiguousarray(image, dtype=np.uint8)
    return hashlib.sha256(repr(pixels.shape).encode() + pixels.tobytes()).hexdigest()


def difference_hash(image: np.ndarray) -> int:
    """64-bit difference hash of an RGB ``(height, width, 3)`` ``uint8`` image (see the module docstring)."""
    grey = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    values = np.asarray(grey, dtype=np.int16)
    bits = (values[:, 1:] > values[:, :-1]).ravel()
    return int("".join("1" if b else "0" for b in bits), 2)


def hamming(a: int, b: int) -> int:
    """How many bits two hashes differ in."""
    return (a ^ b).bit_count()


def same_key_groups(keys: Mapping[K, str]) -> list[list[K]]:
    """Groups (2 or more) of items with the same key (a content hash), in first-seen order."""
    groups: dict[str, list[K]] = defaultdict(list)
    for item, key in keys.items():
        groups[key].append(item)
    return [group for group in groups.values() if len(group) > 1]


#: Set bits of each byte value: the population count of 64-bit hashes, 8 bytes at a time, on any NumPy.
_BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
#: Rows of hashes compared at once: ``rows x len(b) x 8`` bytes of memory.
_ROWS = 64


def close_pairs(a: Sequence[int], b: Sequence[int], max_bits: int, *,
                same: bool = False) -> list[tuple[int, int, int]]:
    """Index pairs ``(i, j, bits)`` with ``hamming(a[i], b[j]) <= max_bits``, every pair compared (vectorised:
    10,000 photos are 50 million pairs). ``same``: ``a`` and ``b`` are one list, each pair once (``i < j``)."""
    left, right = np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)
    found = []
    for start in range(0, len(left), _ROWS):
        xor = left[start:start + _ROWS, None] ^ right[None, :]
        bits = _BYTE_BITS[xor.view(np.uint8)].reshape(*xor.shape, 8).sum(axis=-1)
        rows, cols = np.nonzero(bits <= max_bits)
        found += [(int(i) + start, int(j), int(bits[i, j])) for i, j in zip(rows, cols)
                  if not same or int(i) + start < int(j)]
    return found


def look_alike_pairs(hashes: Mapping[K, int], max_bits: int) -> list[tuple[K, K, int]]:
    """Pairs ``(a, b, bits)`` whose difference hashes differ in at most ``max_bits`` bits (all pairs compared)."""
    keys, values = list(hashes), list(hashes.values())
    return [(keys[i], keys[j], bits) for i, j, bits in close_pairs(values, values, max_bits, same=True)]


def copy_groups(byte_hashes: Mapping[K, str], look_hashes: Mapping[K, int], max_bits: int) -> list[list[K]]:
    """Groups (2 or more) of the same photo: the same bytes, or difference hashes within ``max_bits``
    (joined transitively: a resized copy of a copy is in its original's group), in first-seen order."""
    parent: dict[K, K] = {item: item for item in byte_hashes}

    def root(item: K) -> K:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    pairs = [(g[0], other) for g in same_key_groups(byte_hashes) for other in g[1:]]
    pairs += [(a, b) for a, b, _ in look_alike_pairs(look_hashes, max_bits)]
    for a, b in pairs:
        parent[root(b)] = root(a)
    groups: dict[K, list[K]] = {}
    for item in byte_hashes:
        groups.setdefault(root(item), []).append(item)
    return [group for group in groups.values() if len(group) > 1]
