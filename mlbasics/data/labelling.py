"""A folder of photos being labelled by hand: which photo is where, what is saved, where to resume.

The labelling panel (:mod:`mlbasics.workbook.widgets.labelling`) is a thin layer on :class:`LabelFolder`:

- **Photos**: the ``.jpg``/``.jpeg``/``.png`` files directly in the folder (case-insensitive, hidden
  files left out), sorted by name.
- **Labels**: one Pascal VOC XML per photo, ``<annotations>/<photo stem>.xml`` (default
  ``<folder>/annotations/``), written atomically by :func:`mlbasics.data.voc_xml.write_voc` each time
  the boxes change. A photo with an XML is *labelled*, also when it holds no object (the reader said
  "nothing here").
- **Skipped** photos are listed in ``<annotations>/labelling.json`` (``{"skipped": [photo names]}``,
  written atomically); they get no XML from skipping. Labelling a skipped photo later un-skips it.
- **Coordinates** are pixels of the photo as :func:`mlbasics.io.images.load_image` returns it, i.e.
  upright with its EXIF orientation applied, as every other step of the workbook reads photos; the
  XML's ``<size>`` is that upright size (what :func:`mlbasics.io.images.image_size` says).
- **Broken** photos (truncated, not an image) are not recorded on disk: they are found again, named
  and passed over each time they are opened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.data.voc import read_voc_objects, read_voc_xml
from mlbasics.data.voc_xml import VocObject, check_class_name, write_voc
from mlbasics.io.files import write_json

#: Photo file name endings the labelling folder picks up (compared in lower case).
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
#: Name of the state file (skipped photos) inside the annotations folder.
STATE_NAME = "labelling.json"


@dataclass(frozen=True)
class LabelBox:
    """One box ``x_min, y_min, x_max, y_max`` (whole pixels of the upright photo) of class ``name``."""

    x_min: int
    y_min: int
    x_max: int
    y_max: int
    name: str


def check_classes(classes: Sequence[str]) -> tuple[str, ...]:
    """``classes`` as a tuple if it is a non-empty sequence of distinct, valid VOC names
    (:func:`~mlbasics.data.voc_xml.check_class_name`), else an :class:`InputError` naming the problem."""
    if isinstance(classes, str) or not isinstance(classes, Sequence) or len(classes) == 0:
        raise InputError(f"classes must be a non-empty list of names, got {classes!r}")
    names = tuple(check_class_name(name, f"classes[{i}]") for i, name in enumerate(classes))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise InputError(f"classes must be distinct, {repeated} appear more than once")
    return names


def clip_box(x_min: float, y_min: float, x_max: float, y_max: float, name: str,
             size: tuple[int, int]) -> LabelBox | None:
    """The box with corners put in order, rounded to whole pixels and clipped to the image
    ``size = (width, height)``; ``None`` when less than one pixel wide or high is left (a click
    without a drag makes such a box)."""
    width, height = size
    x0, x1 = sorted((round(float(x_min)), round(float(x_max))))
    y0, y1 = sorted((round(float(y_min)), round(float(y_max))))
    x0, x1 = min(max(x0, 0), width), min(max(x1, 0), width)
    y0, y1 = min(max(y0, 0), height), min(max(y1, 0), height)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return LabelBox(x0, y0, x1, y1, name)


def list_photos(folder: str | os.PathLike[str]) -> list[Path]:
    """The photos in ``folder`` (:data:`PHOTO_SUFFIXES`, not hidden, not in sub-folders), sorted by name.

    Raises :class:`DataFileError` when ``folder`` is not a folder or holds no photo, and when two
    photos share a stem (``a.jpg`` and ``a.png`` would share ``a.xml``).
    """
    root = Path(folder)
    if not root.is_dir():
        raise DataFileError(root, "not a folder of photos")
    photos = sorted(p for p in root.iterdir()
                    if p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith(".") and not p.is_dir())
    if not photos:
        raise DataFileError(root, f"no photo in it (looked for {', '.join(PHOTO_SUFFIXES)} files)")
    stems: dict[str, Path] = {}
    for photo in photos:
        if photo.stem in stems:
            raise DataFileError(photo, f"has the same name as {stems[photo.stem].name}: both would be labelled "
                                       f"in {photo.stem}.xml; rename one")
        stems[photo.stem] = photo
    return photos


class LabelFolder:
    """The photos of ``folder``, their VOC XMLs in ``annotations`` and the skipped list (module docstring)."""

    def __init__(self, folder: str | os.PathLike[str], classes: Sequence[str],
                 annotations: str | os.PathLike[str] | None = None):
        self.classes = check_classes(classes)
        self.folder = Path(folder)
        self.photos = list_photos(self.folder)
        self.annotations = Path(annotations) if annotations is not None else self.folder / "annotations"
        self.state_path = self.annotations / STATE_NAME
        self.skipped = set(self._read_skipped())
        #: Photos found broken in this session: name -> reason.
        self.broken: dict[str, str] = {}

    def _read_skipped(self) -> list[str]:
        if not self.state_path.is_file():
            return []
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataFileError(self.state_path, f"not a labelling state file ({exc})") from None
        skipped = state.get("skipped") if isinstance(state, dict) else None
        if not isinstance(skipped, list) or not all(isinstance(name, str) for name in skipped):
            raise DataFileError(self.state_path, "'skipped' must be a list of photo names")
        return skipped

    def _write_state(self) -> None:
        write_json(self.state_path, {"skipped": sorted(self.skipped)})

    def __len__(self) -> int:
        return len(self.photos)

    def xml_path(self, index: int) -> Path:
        """Where photo ``index``'s VOC XML is (or will be) written."""
        return self.annotations / f"{self.photos[index].stem}.xml"

    def status(self, index: int) -> str:
        """``"broken"``, ``"skipped"``, ``"labelled"`` (it has an XML) or ``"new"``."""
        name = self.photos[index].name
        if name in self.broken:
            return "broken"
        if name in self.skipped:
            return "skipped"
        return "labelled" if self.xml_path(index).is_file() else "new"

    def first_unlabelled(self) -> int | None:
        """Index of the first photo that is neither labelled nor skipped (nor known broken); ``None``: all done."""
        return next((i for i in range(len(self)) if self.status(i) == "new"), None)

    def progress(self, index: int) -> str:
        """``"photo 12 of 40, 9 labelled, 2 skipped"`` (and ``", 1 broken"`` when any is)."""
        counts = {s: 0 for s in ("labelled", "skipped", "broken")}
        for i in range(len(self)):
            status = self.status(i)
            if status in counts:
                counts[status] += 1
        text = f"photo {index + 1} of {len(self)}, {counts['labelled']} labelled, {counts['skipped']} skipped"
        return text + (f", {counts['broken']} broken" if counts["broken"] else "")

    def load_photo(self, index: int):
        """Photo ``index`` as an upright RGB ``uint8`` array ``(H, W, 3)``; a broken one is recorded in
        :attr:`broken` and its :class:`DataFileError` (naming the file) re-raised."""
        from mlbasics.io.images import load_image

        photo = self.photos[index]
        try:
            image = load_image(photo)
        except DataFileError as exc:
            self.broken[photo.name] = exc.reason
            raise
        self.broken.pop(photo.name, None)
        return image

    def load_boxes(self, index: int) -> list[LabelBox] | None:
        """The boxes saved for photo ``index`` (``None`` when it has no XML); difficult objects included."""
        path = self.xml_path(index)
        if not path.is_file():
            return None
        annotation = read_voc_xml(path, self.classes, skip_difficult=False)
        return [LabelBox(int(x0), int(y0), int(x1), int(y1), self.classes[int(c)])
                for x0, y0, x1, y1, c in annotation.boxes]

    def save_boxes(self, index: int, boxes: Sequence[LabelBox], size: tuple[int, int]) -> Path:
        """Write photo ``index``'s XML with ``boxes`` for its upright ``size = (width, height)``, atomically;
        un-skip it. Boxes that were already saved exactly so keep their difficult, truncated and pose
        flags. A box whose name is not a class is an :class:`InputError` (nothing is written)."""
        for box in boxes:
            if box.name not in self.classes:
                raise InputError(f"box {box} has class {box.name!r}, not one of {list(self.classes)}")
        photo, path = self.photos[index], self.xml_path(index)
        flags = self._flags(path)
        objects = [flags.get((b.name, b.x_min, b.y_min, b.x_max, b.y_max)) or
                   VocObject(b.name, b.x_min, b.y_min, b.x_max, b.y_max) for b in boxes]
        write_voc(path, photo.name, (size[0], size[1], 3), objects, folder=photo.parent.name,
                  image_path=str(photo.resolve()))
        if photo.name in self.skipped:
            self.skipped.discard(photo.name)
            self._write_state()
        return path

    @staticmethod
    def _flags(path: Path) -> dict[tuple[str, int, int, int, int], VocObject]:
        """The objects already saved in ``path`` by name and box: a box saved again unchanged keeps its
        difficult, truncated and pose flags (the panel does not show them; a moved box is a new one)."""
        if not path.is_file():
            return {}
        return {(o.name, o.x_min, o.y_min, o.x_max, o.y_max): o for o in read_voc_objects(path)}

    def skip(self, index: int) -> None:
        """Record photo ``index`` as skipped (its XML, if it has one, stays)."""
        self.skipped.add(self.photos[index].name)
        self._write_state()
