"""Lesson 13: label your own photos in the notebook, one Pascal VOC XML per photo.

:class:`LabellingPanel` shows the photos of a folder one by one in ``jupyter-bbox-widget``'s
``BBoxWidget`` (draw a box with the mouse, drag it or its edges, select it and press Delete, pick the
class above the photo or with the keys 1-9), with previous / next / skip buttons and a progress line.
What is kept where, and in which coordinates, is :mod:`mlbasics.data.labelling`'s business:

- every change of the boxes writes the photo's XML at once (atomically), so closing the browser
  loses nothing; *next* writes it too (no box drawn: "nothing on this photo", an XML without objects);
- *skip* records the photo in ``annotations/labelling.json``; opening a panel on the folder again
  starts at the first photo that is neither labelled nor skipped, with saved boxes shown;
- the photo is sent to the browser decoded and upright (EXIF orientation applied, re-encoded without
  EXIF), so the widget's coordinates, which are pixels of the image it is sent, are the pixels that
  :func:`mlbasics.io.images.load_image` returns; a photo larger than ``display_size`` (a phone's
  12 megapixels) is sent scaled down to it, and the widget's boxes are scaled back (:func:`from_widget`);
- a photo that cannot be read, or whose existing XML cannot be used (not XML, a class not in the list),
  is named in the panel and passed over; such an XML is never overwritten.

Model-assisted labelling: ``prefill`` (e.g. :func:`detector_prefill`, or :func:`coco_prefill` before the
reader has a detector of their own) proposes boxes for a photo that has no XML yet; they are saved once
the reader changes one of them or presses *next*. A proposal of a class the reader does not have is
named :data:`OTHER` ("object"): shown, so its box can be given a class, and not saved until it has one.
Everything the buttons do can be done from code: :meth:`LabellingPanel.set_boxes`, ``next()``,
``previous()``, ``skip()``, ``boxes``, ``xml_path``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.core.validation import check_positive_int
from mlbasics.data.labelling import LabelBox, LabelFolder, clip_box
from mlbasics.vision.yolo.coco import coco_weights
from mlbasics.vision.yolo.decode import NMS_IOU, SCORE_THRESHOLD
from mlbasics.vision.yolo.detect import Detector

#: Proposes boxes for an upright ``(H, W, 3)`` ``uint8`` photo, in its pixels.
Prefill = Callable[[np.ndarray], Sequence[LabelBox]]


#: The name of a proposed box whose class is none of the reader's (a COCO "cat" on a raccoon).
OTHER = "object"

#: Longest side, in pixels, of the photo as sent to the browser (larger photos are scaled down for display).
DISPLAY_SIZE = 1280


def display_scale(size: tuple[int, int], display_size: int = DISPLAY_SIZE) -> tuple[tuple[int, int], float, float]:
    """``(shown size, x scale, y scale)`` for a photo of ``size = (width, height)`` shown with its longest
    side at most ``display_size`` (scale 1: shown as it is); shown pixel = photo pixel * scale."""
    width, height = size
    factor = min(1.0, display_size / max(width, height))
    shown = (max(1, round(width * factor)), max(1, round(height * factor)))
    return shown, shown[0] / width, shown[1] / height


def to_widget(box: LabelBox, scale: tuple[float, float] = (1.0, 1.0)) -> dict[str, Any]:
    """A :class:`LabelBox` as ``BBoxWidget`` holds it, ``{"x", "y", "width", "height", "label"}``, in the
    pixels of the image it is shown (photo pixels times ``scale = (x scale, y scale)``)."""
    sx, sy = scale
    corners = (box.x_min * sx, box.y_min * sy, box.x_max * sx, box.y_max * sy)
    x0, y0, x1, y1 = (int(v) for v in corners) if scale == (1.0, 1.0) else corners
    return {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0, "label": box.name}


def from_widget(value: dict[str, Any], size: tuple[int, int], scale: tuple[float, float] = (1.0, 1.0)
                ) -> LabelBox | None:
    """A ``BBoxWidget`` box (shown pixels) as a :class:`LabelBox` in the photo of ``size = (width, height)``:
    divided by ``scale``, corners in order (a box dragged up or left has a negative width), clipped;
    ``None`` for less than a pixel."""
    sx, sy = scale
    x, y = float(value["x"]), float(value["y"])
    x1, y1 = x + float(value["width"]), y + float(value["height"])
    return clip_box(x / sx, y / sy, x1 / sx, y1 / sy, str(value.get("label", "")), size)


def detector_prefill(detector: Any, score_threshold: float = SCORE_THRESHOLD.default, nms_iou: float = NMS_IOU.default,
                     classes: Sequence[str] | None = None) -> Prefill:
    """A ``prefill`` from the workbook's YOLO :class:`~mlbasics.vision.yolo.detect.Detector`: its boxes
    (already in the photo's pixels) named by ``detector.spec.class_names``; given the reader's
    ``classes``, a name that is not one of them becomes :data:`OTHER`."""
    names = [name if classes is None or name in classes else OTHER for name in detector.spec.class_names]

    def prefill(image: np.ndarray) -> list[LabelBox]:
        found = detector.detect(image, score_threshold, nms_iou)
        size = (image.shape[1], image.shape[0])
        boxes = (clip_box(x0, y0, x1, y1, names[int(c)], size)
                 for (x0, y0, x1, y1), c in zip(found.boxes, found.classes))
        return [box for box in boxes if box is not None]

    return prefill


def coco_prefill(classes: Sequence[str], score_threshold: float = 0.2, nms_iou: float = NMS_IOU.default) -> Prefill:
    """Proposals from Darknet's published tiny-YOLOv3 (COCO's 80 classes, fetched and converted on first
    use): a box keeps its COCO name where the reader has that class (``person``, ``dog``), else it is
    :data:`OTHER` for the reader to name. The threshold is below ``detect``'s 0.3: COCO's detector is
    unsure of classes it never saw (a raccoon scores 0.1-0.35 as cat, dog or bear), and a box is
    quicker to delete than to draw."""
    return detector_prefill(Detector.load(coco_weights()), score_threshold, nms_iou, classes)


def _boxes(count: int) -> str:
    return f"{count} box" if count == 1 else f"{count} boxes"


class LabellingPanel:
    """Label the photos of ``folder`` with ``classes``; XMLs go to ``annotations`` (default
    ``folder/annotations``). Shown by displaying it (the last expression of a cell); photos are sent to the
    browser with their longest side at most ``display_size`` pixels."""

    def __init__(self, folder: str | Path, classes: Sequence[str], *, annotations: str | Path | None = None,
                 prefill: Prefill | None = None, display_size: int = DISPLAY_SIZE):
        from jupyter_bbox_widget import BBoxWidget


        self.photos = LabelFolder(folder, classes, annotations)
        self.prefill = prefill
        self.display_size = check_positive_int("display_size", display_size)
        shown = [*self.photos.classes, *([OTHER] if prefill is not None and OTHER not in self.photos.classes else [])]
        self.canvas = BBoxWidget(classes=shown, label=self.photos.classes[0], hide_buttons=True)
        self.previous_button = widgets.Button(description="◀ previous")
        self.next_button = widgets.Button(description="next ▶", button_style="success")
        self.skip_button = widgets.Button(description="skip")
        self.summary = widgets.HTML()
        self.box = widgets.VBox(
            [widgets.HTML("<b>Label your photos</b>"),
             widgets.HBox([self.previous_button, self.next_button, self.skip_button]), self.summary, self.canvas],
            layout=widgets.Layout(border="1px solid #ccc", padding="6px"))
        self.box.add_class("mlbasics-panel")
        self.index, self.size, self.scale, self.message = 0, (0, 0), (1.0, 1.0), ""
        self._showing = False
        self.canvas.observe(self._changed, names="bboxes")
        self.previous_button.on_click(lambda _: self.previous())
        self.next_button.on_click(lambda _: self.next())
        self.skip_button.on_click(lambda _: self.skip())
        start = self.photos.first_unlabelled()
        if not self._show(0 if start is None else start, 1) and not self._show(0, 1):
            raise DataFileError(self.photos.folder, f"none of its {len(self.photos)} photos can be read: "
                                                    f"{self.photos.broken}")
        if start is None:
            self._note(f"every photo is labelled or skipped; showing the first. {self.message}")

    # What code reads --------------------------------------------------------------------------
    @property
    def photo(self) -> Path:
        """The photo shown."""
        return self.photos.photos[self.index]

    @property
    def xml_path(self) -> Path:
        """Where the shown photo's VOC XML is written."""
        return self.photos.xml_path(self.index)

    @property
    def boxes(self) -> list[LabelBox]:
        """The boxes shown (as the widget holds them), in the photo's pixels."""
        boxes = (from_widget(value, self.size, self.scale) for value in self.canvas.bboxes)
        return [box for box in boxes if box is not None]

    @property
    def progress(self) -> str:
        """``"photo 12 of 40, 9 labelled, 2 skipped"``."""
        return self.photos.progress(self.index)

    # What code (and the buttons) do -----------------------------------------------------------
    def set_boxes(self, boxes: Sequence[LabelBox]) -> Path:
        """Show ``boxes`` on the photo (as if drawn by hand) and save them; returns the XML's path.
        A class not in the list is an :class:`InputError`."""
        unknown = [box for box in boxes if box.name not in self.photos.classes]
        if unknown:
            raise InputError(f"boxes {unknown} have classes not in {list(self.photos.classes)}")
        self.canvas.bboxes = [to_widget(box, self.scale) for box in boxes]  # -> _changed saves them
        if not self.xml_path.is_file():  # the same boxes as shown: no change event, save anyway
            self._save(self.boxes)
        return self.xml_path

    def next(self) -> None:
        """Save the shown boxes (none drawn: an XML without objects) and show the next readable photo; boxes
        left out of the saved file are still named on the next photo's line."""
        name, left = self.photo.name, self._save(self.boxes)
        self._move(1)
        if left:
            self._note(f"{self.message} (in {name}{left})")

    def previous(self) -> None:
        """Show the previous readable photo (every change is already saved)."""
        self._move(-1)

    def skip(self) -> None:
        """Record the photo as skipped and show the next one."""
        self.photos.skip(self.index)
        self._note(f"skipped {self.photo.name}")
        self._move(1, keep_message=True)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.box._repr_mimebundle_(**kwargs)

    # Inside -----------------------------------------------------------------------------------
    def _move(self, step: int, keep_message: bool = False) -> None:
        if not keep_message:
            self.message = ""
        if not self._show(self.index + step, step):
            self._note(f"{self.message} This is the {'last' if step > 0 else 'first'} photo.")

    def _show(self, start: int, step: int) -> bool:
        """Show the first readable photo from ``start`` in direction ``step``; ``False`` when there is none."""
        index = start
        while 0 <= index < len(self.photos):
            try:
                image = self.photos.load_photo(index)
                boxes = self.photos.load_boxes(index)
            except DataFileError as exc:  # a broken photo, or an XML it already has that cannot be used
                self.photos.broken[self.photos.photos[index].name] = exc.reason
                self.message += f" Cannot use {Path(exc.path).name} ({exc.reason}): passed over."
                index += step
                continue
            self._display(index, image, boxes)
            return True
        return False

    def _display(self, index: int, image: np.ndarray, boxes: list[LabelBox] | None) -> None:
        from mlbasics.io.images import encode_jpeg

        self.index, self.size = index, (image.shape[1], image.shape[0])
        shown, *scale = display_scale(self.size, self.display_size)
        self.scale = (scale[0], scale[1])
        if boxes is None and self.prefill is not None:
            proposed = list(self.prefill(image))
            boxes = [box for box in proposed if box.name in self.photos.classes or box.name == OTHER]
            if len(boxes) < len(proposed):
                self.message += f" {_boxes(len(proposed) - len(boxes))} of other classes left out."
            self.message += f" {_boxes(len(boxes))} proposed: correct them (saved on your first change or next)."
            others = sum(box.name == OTHER for box in boxes)
            if others and OTHER not in self.photos.classes:
                self.message += f" {_boxes(others)} named {OTHER!r}: pick a class for them, or delete them."
        self._showing = True
        try:
            self.canvas.selected_index = -1
            self.canvas.image_bytes = encode_jpeg(image, size=shown)
            self.canvas.bboxes = [to_widget(box, self.scale) for box in boxes or []]
        finally:
            self._showing = False
        self._note(self.message)

    def _changed(self, change: dict[str, Any]) -> None:
        if self._showing:
            return
        self._save(self.boxes)

    def _save(self, boxes: list[LabelBox]) -> str:
        """Save the boxes that have a class; returns what was left out (empty: nothing)."""
        named = [box for box in boxes if box.name in self.photos.classes]
        path = self.photos.save_boxes(self.index, named, self.size)
        others = sum(box.name == OTHER for box in boxes if box not in named)
        left = f"; {_boxes(len(boxes) - len(named))} without a class left out" if len(named) < len(boxes) else ""
        left += f" ({_boxes(others)} still named {OTHER!r}: pick a class to keep them)" if others else ""
        self._note(f"saved {_boxes(len(named))} in {path.name}{left}")
        return left

    def _note(self, message: str) -> None:
        from html import escape

        self.message = message.strip()
        self.summary.value = (f"{escape(self.progress, quote=False)}: <b>{escape(self.photo.name, quote=False)}</b> "
                              f"{escape(self.message, quote=False)}").strip()
