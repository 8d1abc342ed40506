"""Open any image safely as an RGB ``uint8`` array.

One place for the rules every track needs: any format and colour mode becomes RGB,
EXIF orientation is applied (photos from phones are often stored sideways), very
large images are refused before they are decoded (decompression bombs), and a path
that is not a regular file (a FIFO would block forever) is refused before it is opened.

Truncated files (a JPEG cut short by an interrupted copy is common in real photo sets) have one
policy, here: ``truncated="skip"`` (the default) refuses them with a ``DataFileError`` naming the
file, so a batch loop reports and skips them; ``truncated="warn"`` decodes what is there (Pillow
fills the missing rows with grey) and says so in a :class:`TruncatedImageWarning` naming the file.
:func:`open_image_partial` returns that reason instead of warning, for reports that list it.

How each colour mode becomes 8-bit RGB (Pillow's own ``convert("RGB")`` clips anything
above 255, so a 16-bit image would come out almost white):

========================  ==================================================================
``1``, ``L``, ``P``, RGB  Pillow's conversion (``1`` is black/white, ``P`` looks up its palette)
``I;16`` / ``B`` / ``L``  16-bit unsigned: ``0..65535`` scaled to ``0..255`` (``round(v / 257)``)
``I`` (32-bit signed)     values all in ``0..65535`` (16-bit PNG/TIFF data stored as ``I``) are
                          scaled like ``I;16``; otherwise the whole int32 range
                          ``-2**31..2**31-1`` is scaled to ``0..255``
``F`` (32-bit float)      values all in ``[0, 1]`` are multiplied by 255; otherwise the finite
                          minimum..maximum is stretched to ``0..255``; NaN becomes 0
alpha (``RGBA``, ``LA``,  composited on white, so transparent pixels are white, not black
``PA``, transparency)
``CMYK``                  through the embedded ICC profile to sRGB when there is one; without
                          one, Pillow's naive conversion (``R = 255 - C`` darkened by ``K``)
others (``LAB``, ...)     Pillow's conversion
========================  ==================================================================
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Literal

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from mlbasics.core.errors import DataFileError
from mlbasics.io.files import atomic_write
from mlbasics.io.paths import require_regular_file

#: Modes whose samples are wider than 8 bits; :func:`_scaled_to_8_bits` maps them to ``L``.
HIGH_BIT_DEPTH_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")

#: Modes carrying an alpha channel (``La``/``RGBa``: premultiplied).
ALPHA_MODES = ("RGBA", "LA", "PA", "La", "RGBa")

#: Images with more pixels than this are refused (about 16k x 16k). Pillow's own guard
#: only warns below twice its limit; we refuse early and say why.
MAX_PIXELS = 256_000_000

ImageSource = str | os.PathLike[str] | BinaryIO

#: What :func:`open_image` does with a file cut short: ``"skip"`` raises, ``"warn"`` decodes what is there.
TruncatedPolicy = Literal["skip", "warn"]
TRUNCATED_POLICIES = ("skip", "warn")

#: Pillow's switch for decoding truncated files is one module-wide flag; this lock keeps it per call.
_TRUNCATED_LOCK = threading.Lock()


class TruncatedImageWarning(UserWarning):
    """An image file was cut short; what was there was decoded (the rest is grey)."""


def _name_of(source: ImageSource) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", "<stream>"))


def open_image(source: ImageSource, *, max_pixels: int | None = None,
               truncated: TruncatedPolicy = "skip") -> Image.Image:
    """Open ``source`` (a path or binary file object) as a decoded RGB PIL image.

    Raises ``DataFileError`` naming the file when it is missing, a folder, FIFO, socket or
    device (checked before opening: reading a FIFO would block), not an image, truncated (unless
    ``truncated="warn"``: then what is there is decoded, with a :class:`TruncatedImageWarning`), or
    larger than ``max_pixels`` (default :data:`MAX_PIXELS`). Colour modes are converted as the
    module docstring says.
    """
    if truncated not in TRUNCATED_POLICIES:
        raise ValueError(f"truncated must be one of {TRUNCATED_POLICIES}, got {truncated!r}")
    if truncated == "skip":
        return _decode(source, max_pixels, partial=False)
    image, damage = open_image_partial(source, max_pixels=max_pixels)
    if damage:
        warnings.warn(f"{_name_of(source)}: {damage}; decoded what is there", TruncatedImageWarning, stacklevel=2)
    return image


def open_image_partial(source: ImageSource, *, max_pixels: int | None = None) -> tuple[Image.Image, str | None]:
    """``(image, damage)``: the decoded RGB image as :func:`open_image` gives it, except that a file cut
    short is decoded as far as it goes; ``damage`` then says what Pillow found (``"image file is
    truncated (20 bytes not processed)"``), else it is None. Every other problem raises as in :func:`open_image`.
    """
    try:
        return _decode(source, max_pixels, partial=False), None
    except DataFileError as exc:
        if "truncated" not in exc.reason.lower():
            raise
        damage = exc.reason.removeprefix("cannot decode image (").removesuffix(")")
    if not isinstance(source, (str, os.PathLike)):
        source.seek(0)
    return _decode(source, max_pixels, partial=True), damage


def _decode(source: ImageSource, max_pixels: int | None, *, partial: bool) -> Image.Image:
    name = _name_of(source)
    if isinstance(source, (str, os.PathLike)):
        require_regular_file(source, missing="no such image file")
    with _named_pillow_errors(name, "cannot decode image"), Image.open(source) as image:
        _check_pixels(image, name, max_pixels)
        if partial:
            with _TRUNCATED_LOCK:
                ImageFile.LOAD_TRUNCATED_IMAGES = True
                try:
                    image.load()
                finally:
                    ImageFile.LOAD_TRUNCATED_IMAGES = False
        else:
            image.load()
        return to_rgb(ImageOps.exif_transpose(image), name)


@contextlib.contextmanager
def _named_pillow_errors(name: str, failed: str) -> Iterator[None]:
    """Turn what Pillow raises for a bad file into one :class:`DataFileError` naming ``name``;
    ``failed`` says what could not be done (``"cannot decode image"``)."""
    try:
        yield
    except DataFileError:
        raise
    except UnidentifiedImageError:
        raise DataFileError(name, "not an image file (Pillow cannot identify its format)") from None
    except Image.DecompressionBombError as exc:
        raise DataFileError(name, f"image too large: {exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DataFileError(name, f"{failed} ({exc})") from None


def _check_pixels(image: Image.Image, name: str, max_pixels: int | None) -> None:
    limit = MAX_PIXELS if max_pixels is None else max_pixels  # read at call time: tests lower it
    width, height = image.size
    if width * height > limit:
        raise DataFileError(name, f"image is {width}x{height} = {width * height:,} pixels, "
                                  f"more than the limit of {limit:,}")


def image_size(path: str | os.PathLike[str], *, max_pixels: int | None = None,
               missing: str = "no such image file") -> tuple[int, int]:
    """``(width, height)`` of the image at ``path`` as :func:`open_image` would return it (EXIF
    rotation applied), read from its header only: cheap, but a file truncated after its header passes.

    Raises ``DataFileError`` naming the file for everything :func:`open_image` refuses before
    decoding: missing (``missing``), a folder, FIFO or device, not an image, more than ``max_pixels``.
    """
    name = str(path)
    require_regular_file(path, missing=missing)
    with _named_pillow_errors(name, "cannot read the image header"), Image.open(path) as image:
        _check_pixels(image, name, max_pixels)
        width, height = image.size
        orientation = image.getexif().get(0x0112, 1)
    return (height, width) if orientation in SIDEWAYS_ORIENTATIONS else (width, height)


#: EXIF orientations that swap width and height (the photo is stored on its side).
SIDEWAYS_ORIENTATIONS = (5, 6, 7, 8)


def exif_orientation(path: str | os.PathLike[str]) -> int:
    """The EXIF orientation tag (``1`` = stored upright, ``6`` = rotate 90° clockwise to view, ...) read
    from the header; ``1`` when there is none. Errors as :func:`image_size`."""
    name = str(path)
    require_regular_file(path, missing="no such image file")
    with _named_pillow_errors(name, "cannot read the image header"), Image.open(path) as image:
        value = image.getexif().get(0x0112, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def to_rgb(image: Image.Image, name: str = "<image>") -> Image.Image:
    """``image`` in mode ``RGB`` with 8 bits per channel, converted as the module docstring says.

    ``name`` names the file in the warning given when a CMYK image's ICC profile cannot be used.
    """
    if image.mode in HIGH_BIT_DEPTH_MODES:
        return Image.fromarray(_scaled_to_8_bits(np.asarray(image), image.mode)).convert("RGB")
    if image.mode == "CMYK":
        return _cmyk_to_rgb(image, name)
    if image.mode in ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _scaled_to_8_bits(values: np.ndarray, mode: str) -> np.ndarray:
    """One channel of a high-bit-depth image ``(height, width)`` as ``uint8``, scaled as the module docstring says."""
    if mode == "F":
        return _float_to_8_bits(values)
    if mode != "I" or (values.size and values.min() >= 0 and values.max() <= 0xFFFF):
        # round(v / 257) in integers; 257 is odd so there is never a tie. 65535 / 257 == 255.
        # uint32, not int64: a 16k x 16k image is 1 GB of it, not 2.
        return ((values.astype(np.uint32) + 128) // 257).astype(np.uint8)
    span = 2**32 - 1
    return (((values.astype(np.int64) + 2**31) * 255 + span // 2) // span).astype(np.uint8)


def _float_to_8_bits(values: np.ndarray) -> np.ndarray:
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(values.shape, np.uint8)
    low, high = float(values[finite].min()), float(values[finite].max())
    if low >= 0.0 and high <= 1.0:
        scaled = values * 255.0
    elif high > low:
        scaled = (values - low) * (255.0 / (high - low))
    else:
        # One value everywhere, outside [0, 1]: nothing to stretch; keep it if it is a byte value.
        scaled = np.clip(values, 0.0, 255.0)
    return np.round(np.where(finite, scaled, 0.0)).astype(np.uint8)


def _cmyk_to_rgb(image: Image.Image, name: str) -> Image.Image:
    """Convert through the embedded ICC profile to sRGB; without one, Pillow's naive conversion.

    Print CMYK values mean little without their profile (the same numbers print differently
    on different presses), so the profile is used when it is there. A profile that cannot be
    used is said so in a ``UserWarning`` and the naive conversion is used.
    """
    profile = image.info.get("icc_profile")
    if not profile:
        return image.convert("RGB")
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (ImportError, OSError, ValueError, TypeError) as exc:
        # ImageCms.PyCMSError is an OSError; ImportError when Pillow was built without LittleCMS.
        warnings.warn(f"{name}: the image's CMYK ICC profile cannot be used ({exc}); converted without it",
                      UserWarning, stacklevel=3)
        return image.convert("RGB")
    assert converted is not None  # profileToProfile returns None only with inPlace=True
    return converted


def load_image(source: ImageSource, *, max_pixels: int | None = None,
               truncated: TruncatedPolicy = "skip") -> np.ndarray:
    """Load an image as an array of shape ``(height, width, 3)``, dtype ``uint8``, RGB (see :func:`open_image`)."""
    return np.asarray(open_image(source, max_pixels=max_pixels, truncated=truncated))


def load_image_bytes(data: bytes, name: str = "<bytes>", *, max_pixels: int | None = None) -> np.ndarray:
    """Like :func:`load_image` for encoded bytes (e.g. read from a bucket); ``name`` is used in errors."""
    stream = io.BytesIO(data)
    stream.name = name
    return load_image(stream, max_pixels=max_pixels)


def save_image(array: np.ndarray, path: str | os.PathLike[str], *, quality: int = 90) -> None:
    """Write an ``(height, width, 3)`` ``uint8`` array atomically (format from the suffix)."""
    image = Image.fromarray(np.asarray(array, dtype=np.uint8))
    suffix = Path(path).suffix.lower()
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}.get(suffix)
    if fmt is None:
        raise DataFileError(path, f"unsupported image suffix {suffix!r}; use .jpg, .jpeg or .png")
    with atomic_write(path) as handle:
        image.save(handle, format=fmt, **({"quality": quality} if fmt == "JPEG" else {}))


def encode_jpeg(array: np.ndarray, *, quality: int = 90, size: tuple[int, int] | None = None) -> bytes:
    """An ``(height, width, 3)`` ``uint8`` array as JPEG bytes with no EXIF (so a browser shows it
    exactly as the array is: upright), resized to ``size = (width, height)`` when given."""
    image = Image.fromarray(np.asarray(array, dtype=np.uint8))
    if size is not None and size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
