"""Open any image safely as an RGB ``uint8`` array.

One place for the rules every track needs: any format and colour mode becomes RGB,
EXIF orientation is applied (photos from phones are often stored sideways), and very
large images are refused before they are decoded (decompression bombs).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from mlbasics.core.errors import DataFileError

#: Images with more pixels than this are refused (about 16k x 16k). Pillow's own guard
#: only warns below twice its limit; we refuse early and say why.
MAX_PIXELS = 256_000_000

ImageSource = str | os.PathLike[str] | BinaryIO


def _name_of(source: ImageSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


def open_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open ``source`` (a path or binary file object) as a decoded RGB PIL image.

    Raises ``DataFileError`` naming the file when it is missing, not an image,
    truncated, or larger than ``max_pixels``.
    """
    name = _name_of(source)
    if isinstance(source, (str, os.PathLike)) and not Path(source).is_file():
        raise DataFileError(name, "no such image file")
    try:
        with Image.open(source) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise DataFileError(
                    name, f"image is {width}x{height} = {width * height:,} pixels, more than the limit of {max_pixels:,}"
                )
            image.load()
            image = ImageOps.exif_transpose(image)
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, rgba)
            return image.convert("RGB")
    except DataFileError:
        raise
    except UnidentifiedImageError:
        raise DataFileError(name, "not an image file (Pillow cannot identify its format)") from None
    except Image.DecompressionBombError as exc:
        raise DataFileError(name, f"image too large: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataFileError(name, f"cannot decode image ({exc})") from None


def load_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Load an image as an array of shape ``(height, width, 3)``, dtype ``uint8``, RGB."""
    return np.asarray(open_image(source, max_pixels=max_pixels))


def load_image_bytes(data: bytes, name: str = "<bytes>", *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Like :func:`load_image` for encoded bytes (e.g. read from a bucket); ``name`` is used in errors."""
    stream = io.BytesIO(data)
    stream.name = name  # type: ignore[attr-defined]
    return load_image(stream, max_pixels=max_pixels)


def save_image(array: np.ndarray, path: str | os.PathLike[str], *, quality: int = 90) -> None:
    """Write an ``(height, width, 3)`` ``uint8`` array atomically (format from the suffix)."""
    from mlbasics.io.files import atomic_write

    image = Image.fromarray(np.asarray(array, dtype=np.uint8))
    suffix = Path(path).suffix.lower()
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}.get(suffix)
    if fmt is None:
        raise DataFileError(path, f"unsupported image suffix {suffix!r}; use .jpg, .jpeg or .png")
    with atomic_write(path) as handle:
        image.save(handle, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))
