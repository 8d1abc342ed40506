"""Inputs and outputs of the embedding pipeline: image lists, loading, the ``.npy`` store.

Paths may be local or any file system Beam knows (``gs://`` with ``apache-beam[gcp]``):
reading goes through ``apache_beam.io.filesystems.FileSystems``. Local outputs are written
atomically; remote ones through Beam's file systems, whose objects appear only when
complete.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from mlbasics.core.errors import DataFileError
from mlbasics.io.files import atomic_write
from mlbasics.io.images import load_image_bytes
from mlbasics.io.outputs import fit_name, name_hash
from mlbasics.io.paths import IMAGE_SUFFIXES, display_path, regular_file_problem  # noqa: F401 - re-exported
from mlbasics.io.storage import is_remote
from mlbasics.io.text import decode_text, read_text

GLOB_CHARS = "*?["


@dataclass(frozen=True)
class ImageItem:
    """One image to embed: where it is, its class (folder name or CSV label), its output file name.

    ``path`` is the name as the file system gives it (bytes that are not UTF-8 as surrogate
    escapes); ``label`` and ``key`` are valid UTF-8. What leaves a DoFn as plain text goes
    through :func:`display_path` first: Beam's coders refuse surrogates.
    """

    path: str
    label: str
    key: str


def output_key(path: str) -> str:
    """A stable, unique output name for ``path``: ``<stem>-<10 hex of sha1(path's bytes)>``.

    The key is valid UTF-8 whatever ``path`` is (a byte of the stem that is not UTF-8 becomes
    U+FFFD; the hash still tells such names apart), so ``index.csv`` names its file exactly,
    and ``<key>.npy`` fits the file system's name limit (a long stem is shortened).
    """
    stem = os.fsencode(PurePosixPath(path).stem).decode("utf-8", "replace")
    return fit_name(f"{stem}-{name_hash(path)}.npy")[: -len(".npy")]


def _item(path: str, label: str | None = None) -> ImageItem:
    folder = PurePosixPath(path.replace("\\", "/")).parent.name
    return ImageItem(path, display_path(label if label else folder), output_key(path))


def _read_text(path: str) -> str:
    """The list file's text, read like every text file users give us (:mod:`mlbasics.io.text`: UTF-8 with
    or without a byte order mark, any line ends; a local FIFO or folder refused before it is opened)."""
    if not is_remote(path):
        return read_text(path, missing="no such list file")
    from apache_beam.io.filesystems import FileSystems

    try:
        with FileSystems.open(path) as handle:
            data = handle.read()
    except OSError as exc:
        raise DataFileError(path, f"cannot read list file ({exc})") from None
    return decode_text(data, path)


def read_path_list(path: str, keep: Callable[[str], bool] | None = None) -> list[ImageItem]:
    """Images named in a text file (one path per line) or a CSV with a ``path`` column and an
    optional ``label`` column. Relative paths are taken relative to the list file's folder;
    blank lines and lines starting with ``#`` are skipped. ``keep``: only the paths it accepts
    (see :func:`list_images`); a list that names no image at all is an error whatever it accepts."""
    text = _read_text(path)
    base = path.rsplit("/", 1)[0] if "/" in path else "."

    def resolve(entry: str) -> str:
        if is_remote(entry) or os.path.isabs(entry):
            return entry
        return f"{base}/{entry}"

    wanted = keep or (lambda entry: True)
    items, named = [], 0
    if path.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "path" not in reader.fieldnames:
            raise DataFileError(path, f"CSV needs a 'path' column, found columns {reader.fieldnames}", line=1)
        for row in reader:
            if not (row.get("path") or "").strip():
                raise DataFileError(path, "empty 'path' field", line=reader.line_num)
            named += 1
            image = resolve(row["path"].strip())
            if wanted(image):
                items.append(_item(image, (row.get("label") or "").strip() or None))
    else:
        for line in text.splitlines():
            entry = line.strip()
            if entry and not entry.startswith("#"):
                named += 1
                image = resolve(entry)
                if wanted(image):
                    items.append(_item(image))
    if not named:
        raise DataFileError(path, "the list names no images")
    return items


def _image_paths(root: str) -> list[str]:
    """Every image path under the folder ``root`` (recursively, hidden files and folders left out), sorted.

    One ``os.walk`` (a ``scandir`` per folder, no ``stat`` per file): the pipeline's shards each list the
    source, so listing is kept cheap. Not-regular files (a FIFO called x.jpg, a symbolic link loop) and
    folders called x.jpg are listed too: loading refuses them without opening them, and they become dead
    letters with the reason, instead of being skipped unseen (a folder's content is still searched)."""
    paths = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        paths += [os.path.join(folder, name) for name in (*files, *subfolders)
                  if not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES]
    return sorted(paths)


def list_images(source: str | os.PathLike[str], keep: Callable[[str], bool] | None = None) -> list[ImageItem]:
    """Images of ``source``: a folder (searched recursively), a glob, or a ``.txt``/``.csv`` list.

    ``keep``: only the images whose path it accepts (a shard's part), chosen before an item is made.
    A source with no images at all is an error, whatever ``keep`` accepts."""
    from apache_beam.io.filesystems import FileSystems

    source = os.fspath(source)
    wanted = keep or (lambda path: True)
    if not is_remote(source) and Path(source).is_dir():
        paths = _image_paths(str(Path(source)))
        if not paths:
            raise DataFileError(source, f"no images ({', '.join(IMAGE_SUFFIXES)}) in this folder")
        return [_item(p) for p in paths if wanted(p)]
    if any(c in source for c in GLOB_CHARS):
        matches = FileSystems.match([source])[0].metadata_list
        if not matches:
            raise DataFileError(source, "the pattern matches no files")
        return [_item(m.path) for m in sorted(matches, key=lambda m: m.path) if wanted(m.path)]
    if source.lower().endswith((".txt", ".csv")):
        return read_path_list(source, keep)
    raise DataFileError(source, "not a folder, a glob pattern or a .txt/.csv list of images")


def read_and_resize(path: str, size: tuple[int, int]) -> np.ndarray:
    """Read, decode (RGB) and resize one image: ``(height, width, 3)`` uint8 with ``size = (height, width)``.

    Raises ``DataFileError`` naming the file when it cannot be read or decoded, or, before
    opening it, when a local path is not a regular file (a FIFO would wait forever).
    """
    from apache_beam.io.filesystems import FileSystems

    if not is_remote(path):
        problem = regular_file_problem(path, missing="cannot read file: no such file")
        if problem is not None:
            raise DataFileError(path, problem)
    try:
        with FileSystems.open(path) as handle:
            data = handle.read()
    except (OSError, ValueError) as exc:  # Beam raises BeamIOError (an IOError) for missing files
        raise DataFileError(path, f"cannot read file ({type(exc).__name__}: {exc})") from None
    pixels = load_image_bytes(data, name=path)
    if pixels.shape[:2] == size:
        return pixels
    resized = Image.fromarray(pixels).resize((size[1], size[0]), Image.Resampling.BILINEAR)
    return np.asarray(resized)


def write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to a local path atomically, or to a remote path through Beam's file systems."""
    if is_remote(path):
        from apache_beam.io.filesystems import FileSystems

        with FileSystems.create(path) as handle:
            handle.write(data)
        return
    with atomic_write(path) as handle:
        handle.write(data)


def npy_bytes(array: np.ndarray) -> bytes:
    """The bytes of ``array`` in ``.npy`` format (no pickle)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def store_embedding(out_dir: str, key: str, embedding: np.ndarray) -> str:
    """Write ``embedding`` (shape ``(dim,)``) to ``out_dir/embeddings/<key>.npy``; return that path.

    The file is only rewritten when the values change by more than float32 noise: the same
    image in a batch of another size can differ in the last bits (the CPU kernels sum in
    another order), and a re-run must leave the outputs as they were.
    """
    target = f"{out_dir.rstrip('/')}/embeddings/{key}.npy"
    if not is_remote(target) and Path(target).is_file():
        try:
            old = np.load(target, allow_pickle=False)
            if old.shape == np.shape(embedding) and np.allclose(old, embedding, rtol=1e-4, atol=1e-5):
                return target
        except ValueError:
            pass  # a damaged file is rewritten
    write_bytes(target, npy_bytes(embedding))
    return target


#: Files a batch writes at once: each waits mostly on the disk (``fsync``), not on Python.
STORE_THREADS = 8

#: One index row: ``(path, label, embedding file name, embedding (dim,))``.
Row = tuple[str, str, str, np.ndarray]


def store_batch(out_dir: str, items: Sequence[ImageItem], embeddings: np.ndarray) -> list[Row]:
    """Write ``embeddings`` ``(n, dim)`` of ``items`` as ``n`` files (see :func:`store_embedding`),
    several at once; return their index rows in the order of ``items``."""
    if len(items) != len(embeddings):
        raise ValueError(f"items and embeddings must have the same length, got {len(items)} and {len(embeddings)}")
    with ThreadPoolExecutor(max_workers=min(STORE_THREADS, max(len(items), 1))) as pool:
        targets = list(pool.map(store_embedding, [out_dir] * len(items), [item.key for item in items], embeddings))
    return [(display_path(item.path), item.label, os.path.basename(target), embedding)
            for item, target, embedding in zip(items, targets, embeddings)]


def file_exists(path: str) -> bool:
    """Whether ``path`` (local or remote) is an existing file."""
    if is_remote(path):
        from apache_beam.io.filesystems import FileSystems

        return bool(FileSystems.exists(path))
    return os.path.isfile(path)


def remove_files(paths: Iterable[str]) -> None:
    """Delete those of ``paths`` (local or remote) that exist."""
    from apache_beam.io.filesystems import FileSystems

    gone = [p for p in paths if file_exists(p)]
    if gone:
        FileSystems.delete(gone)


def read_bytes(path: str) -> bytes:
    """The bytes of a local or remote file (``OSError`` when it cannot be read)."""
    if is_remote(path):
        from apache_beam.io.filesystems import FileSystems

        with FileSystems.open(path) as handle:
            return handle.read()
    return Path(path).read_bytes()


def read_text_lines(path: str) -> Iterator[str]:
    """The lines of a local or remote UTF-8 text file, one at a time (for ``csv.reader``)."""
    if is_remote(path):
        from apache_beam.io.filesystems import FileSystems

        with FileSystems.open(path) as handle:
            yield from io.TextIOWrapper(handle, encoding="utf-8", newline="")
        return
    with open(path, encoding="utf-8", newline="") as handle:
        yield from handle


def write_text_lines(path: str, chunks: Iterable[str]) -> None:
    """Write the text ``chunks`` (UTF-8) to a local path atomically, or to a remote one through Beam's
    file systems, without holding the whole text."""
    if is_remote(path):
        from apache_beam.io.filesystems import FileSystems

        with FileSystems.create(path) as handle:
            for chunk in chunks:
                handle.write(chunk.encode("utf-8"))
        return
    with atomic_write(path) as handle:
        for chunk in chunks:
            handle.write(chunk.encode("utf-8"))
