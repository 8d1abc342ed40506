"""Labelling photos: the VOC XML writer, the labelled folder's state and the panel, without a browser.

The panel is driven the way the browser drives it: the BBoxWidget's ``bboxes`` trait is set (what a
mouse-drawn box sends) and the XML on disk is read back with the workbook's own VOC reader.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.data.labelling import LabelBox, LabelFolder, check_classes, clip_box, list_photos
from mlbasics.data.voc import read_voc_xml
from mlbasics.data.voc_xml import VocObject, voc_xml_text, write_voc
from tests.detectors import stand_in_detector

pytest.importorskip("jupyter_bbox_widget", reason="jupyter-bbox-widget is not installed (pip install -e '.[yolo]')")

from mlbasics.workbook.widgets.labelling import LabellingPanel, detector_prefill, from_widget, to_widget  # noqa: E402

CLASSES = ["raccoon", "dog"]


def photo(path: Path, width: int = 80, height: int = 60, value: int = 100, exif_orientation: int | None = None) -> Path:
    rng = np.random.default_rng(value)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    if exif_orientation is None:
        image.save(path)
    else:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        image.save(path, exif=exif)
    return path


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i in range(4):
        photo(folder / f"p{i}.jpg", value=i)
    (folder / "notes.txt").write_text("not a photo")
    return folder


def saved(path: Path) -> list[list[int]]:
    return read_voc_xml(path, CLASSES, skip_difficult=False).boxes.astype(int).tolist()


# The writer ------------------------------------------------------------------------------------

def test_writer_is_the_inverse_of_the_reader(tmp_path):
    objects = [VocObject("raccoon", 78, 5, 517, 333), VocObject("dog", 0, 0, 602, 339, difficult=True)]
    write_voc(tmp_path / "a.xml", "a.jpg", (602, 339, 3), objects, folder="images", image_path="/x/images/a.jpg")
    back = read_voc_xml(tmp_path / "a.xml", CLASSES, skip_difficult=False)
    assert (back.filename, back.width, back.height) == ("a.jpg", 602, 339)
    assert back.boxes.tolist() == [[78, 5, 517, 333, 0], [0, 0, 602, 339, 1]]
    assert read_voc_xml(tmp_path / "a.xml", CLASSES).boxes.tolist() == [[78, 5, 517, 333, 0]]  # difficult kept out
    text = (tmp_path / "a.xml").read_text()
    for tag in ("<folder>images</folder>", "<path>/x/images/a.jpg</path>", "<depth>3</depth>",
                "<pose>Unspecified</pose>", "<truncated>0</truncated>", "<difficult>1</difficult>"):
        assert tag in text  # what LabelImg writes and CVAT's VOC import reads


def test_writer_round_trips_a_labelimg_file(tmp_path, mirror):
    source = sorted((mirror / "raccoon" / "annotations").glob("*.xml"))[:5]
    if not source:
        pytest.skip("the raccoon set is not in the data mirror")
    for path in source:
        first = read_voc_xml(path, ["raccoon"], skip_difficult=False)
        objects = [VocObject("raccoon", *(int(v) for v in box[:4])) for box in first.boxes]
        write_voc(tmp_path / path.name, first.filename, (first.width, first.height, 3), objects)
        again = read_voc_xml(tmp_path / path.name, ["raccoon"], skip_difficult=False)
        assert (again.filename, again.width, again.height) == (first.filename, first.width, first.height)
        np.testing.assert_array_equal(again.boxes, first.boxes)


def test_writer_escapes_names_and_refuses_bad_boxes(tmp_path):
    text = voc_xml_text("a&b <1>.jpg", (10, 10, 3), [VocObject("cat & dog", 1, 1, 5, 5)])
    write_voc(tmp_path / "e.xml", "a&b <1>.jpg", (10, 10, 3), [VocObject("cat & dog", 1, 1, 5, 5)])
    assert "a&amp;b &lt;1&gt;.jpg" in text
    assert read_voc_xml(tmp_path / "e.xml", ["cat & dog"]).filename == "a&b <1>.jpg"
    with pytest.raises(InputError, match="not inside the 10x10 image"):
        voc_xml_text("a.jpg", (10, 10, 3), [VocObject("cat", 1, 1, 11, 5)])
    with pytest.raises(InputError, match="not inside"):
        voc_xml_text("a.jpg", (10, 10, 3), [VocObject("cat", 5, 1, 5, 5)])  # zero width
    with pytest.raises(InputError, match="whole pixels"):
        voc_xml_text("a.jpg", (10, 10, 3), [VocObject("cat", 1.5, 1, 5, 5)])  # type: ignore[arg-type]
    with pytest.raises(InputError, match="leading or trailing"):
        write_voc(tmp_path / "b.xml", "a.jpg", (10, 10, 3), [VocObject(" cat", 1, 1, 5, 5)])
    assert not (tmp_path / "b.xml").exists()


@pytest.mark.parametrize("classes, match", [
    ([], "non-empty list"), ("cat", "non-empty list"), (["cat", ""], r"classes\[1\]"), (["cat", "cat"], "distinct"),
    (["cat", "dog "], "trailing"), (["a\tb"], "control character"), ([3], "non-empty string"),
])
def test_bad_class_names_are_refused(classes, match, photos):
    with pytest.raises(InputError, match=match):
        check_classes(classes)
    with pytest.raises(InputError, match=match):
        LabellingPanel(photos, classes)


# The folder ------------------------------------------------------------------------------------

def test_photos_are_listed_sorted_and_clashing_names_refused(tmp_path, photos):
    photo(photos / "B.PNG")
    (photos / ".hidden.jpg").write_bytes(b"x")
    assert [p.name for p in list_photos(photos)] == ["B.PNG", "p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg"]
    photo(photos / "p0.png")
    with pytest.raises(DataFileError, match="p0.png.*same name as p0.jpg"):
        list_photos(photos)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileError, match="no photo"):
        list_photos(tmp_path / "empty")
    with pytest.raises(DataFileError, match="not a folder"):
        list_photos(tmp_path / "missing")


def test_clip_box_orders_corners_clips_and_drops_clicks():
    assert clip_box(50, 40, 10.4, 5.6, "dog", (80, 60)) == LabelBox(10, 6, 50, 40, "dog")
    assert clip_box(-5, -5, 100, 100, "dog", (80, 60)) == LabelBox(0, 0, 80, 60, "dog")
    assert clip_box(10, 10, 10, 30, "dog", (80, 60)) is None  # a click without a drag
    assert clip_box(90, 10, 120, 30, "dog", (80, 60)) is None  # wholly outside


def test_a_broken_state_file_is_named(photos):
    (photos / "annotations").mkdir()
    (photos / "annotations" / "labelling.json").write_text('{"skipped": "p0.jpg"}')
    with pytest.raises(DataFileError, match="labelling.json.*list of photo names"):
        LabelFolder(photos, CLASSES)


# The panel -------------------------------------------------------------------------------------

def test_every_change_of_the_widget_writes_the_xml(photos):
    panel = LabellingPanel(photos, CLASSES)
    assert panel.photo.name == "p0.jpg" and not panel.xml_path.exists()
    assert panel.canvas.classes == CLASSES and panel.canvas.label == "raccoon"
    panel.canvas.bboxes = [{"x": 10, "y": 5, "width": 30, "height": 20, "label": "raccoon"}]  # drawn
    assert saved(panel.xml_path) == [[10, 5, 40, 25, 0]]
    panel.canvas.bboxes = [{"x": 12, "y": 5, "width": 30, "height": 20, "label": "raccoon"},  # moved
                           {"x": 70, "y": 50, "width": -20, "height": -10, "label": "dog"}]  # dragged up-left
    assert saved(panel.xml_path) == [[12, 5, 42, 25, 0], [50, 40, 70, 50, 1]]
    panel.canvas.bboxes = [{"x": 50, "y": 40, "width": 20, "height": 10, "label": "dog"}]  # first deleted
    assert saved(panel.xml_path) == [[50, 40, 70, 50, 1]]
    panel.canvas.bboxes = [{"x": 50, "y": 40, "width": 20, "height": 10, "label": "dog"},
                           {"x": 5, "y": 5, "width": 0, "height": 0, "label": "dog"}]  # a click: no box
    assert saved(panel.xml_path) == [[50, 40, 70, 50, 1]]
    assert panel.progress == "photo 1 of 4, 1 labelled, 0 skipped"
    assert "saved 1 box in p0.xml" in panel.summary.value
    assert not list(panel.xml_path.parent.glob(".mlbasics-tmp.*"))  # atomic writes leave nothing behind


def test_next_previous_skip_and_resume(photos):
    panel = LabellingPanel(photos, CLASSES)
    panel.set_boxes([LabelBox(1, 2, 30, 40, "dog")])
    panel.next()
    assert panel.photo.name == "p1.jpg"
    panel.next()  # nothing drawn: labelled as "no object"
    assert saved(photos / "annotations" / "p1.xml") == []
    panel.skip()
    assert panel.photo.name == "p3.jpg"
    assert json.loads((photos / "annotations" / "labelling.json").read_text()) == {"skipped": ["p2.jpg"]}
    assert panel.progress == "photo 4 of 4, 2 labelled, 1 skipped"
    panel.previous()
    panel.previous()
    assert panel.photo.name == "p1.jpg" and panel.boxes == []

    again = LabellingPanel(photos, CLASSES)  # the browser was closed: resume at the first unlabelled photo
    assert again.photo.name == "p3.jpg"
    again.previous()
    again.previous()
    again.previous()
    assert again.photo.name == "p0.jpg"
    assert again.boxes == [LabelBox(1, 2, 30, 40, "dog")]  # saved boxes shown
    assert again.canvas.bboxes == [{"x": 1, "y": 2, "width": 29, "height": 38, "label": "dog"}]
    again.next()
    again.next()
    again.canvas.bboxes = [{"x": 3, "y": 3, "width": 9, "height": 9, "label": "raccoon"}]  # labels a skipped photo
    assert again.photo.name == "p2.jpg" and again.photos.status(2) == "labelled"
    assert json.loads((photos / "annotations" / "labelling.json").read_text()) == {"skipped": []}


def test_a_broken_photo_is_named_and_passed_over(photos):
    data = (photos / "p1.jpg").read_bytes()
    (photos / "p1.jpg").write_bytes(data[: len(data) // 2])  # truncated, as real sets have
    panel = LabellingPanel(photos, CLASSES)
    panel.next()
    assert panel.photo.name == "p2.jpg"
    assert "Cannot use p1.jpg" in panel.summary.value and "1 broken" in panel.progress
    panel.previous()
    assert panel.photo.name == "p0.jpg"
    assert not (photos / "annotations" / "p1.xml").exists()
    for name in ("p0.jpg", "p2.jpg", "p3.jpg"):
        (photos / name).write_bytes(b"not a jpeg")
    with pytest.raises(DataFileError, match="none of its 4 photos can be read"):
        LabellingPanel(photos, CLASSES)


def test_an_existing_xml_that_cannot_be_used_is_named_and_kept(photos):
    (photos / "annotations").mkdir()
    write_voc(photos / "annotations" / "p0.xml", "p0.jpg", (80, 60, 3), [VocObject("cat", 1, 1, 9, 9)])
    before = (photos / "annotations" / "p0.xml").read_bytes()
    panel = LabellingPanel(photos, CLASSES)  # p0 has an XML: resumed at p1
    panel.previous()  # "cat" is not in the list: p0 is passed over, its XML untouched
    assert panel.photo.name == "p1.jpg"
    assert "Cannot use p0.xml (object name 'cat' is not in the classes" in panel.summary.value
    assert panel.progress == "photo 2 of 4, 0 labelled, 0 skipped, 1 broken"
    assert (photos / "annotations" / "p0.xml").read_bytes() == before


def test_exif_rotated_photo_is_shown_and_saved_upright(tmp_path):
    folder = tmp_path / "phone"
    folder.mkdir()
    photo(folder / "sideways.jpg", width=80, height=60, exif_orientation=6)  # shown 60 wide, 80 high
    panel = LabellingPanel(folder, CLASSES)
    shown = Image.open(__import__("io").BytesIO(panel.canvas.image_bytes))
    assert shown.size == (60, 80) and not shown.getexif().get(0x0112)  # what the browser gets: upright, no EXIF
    panel.set_boxes([LabelBox(10, 50, 55, 78, "raccoon")])  # y beyond 60: only valid upright
    back = read_voc_xml(panel.xml_path, CLASSES)
    assert (back.width, back.height) == (60, 80) and back.boxes.tolist() == [[10, 50, 55, 78, 0]]


def test_a_large_photo_is_sent_scaled_down_and_its_boxes_scaled_back(tmp_path):
    folder = tmp_path / "large"
    folder.mkdir()
    photo(folder / "big.png", width=2000, height=1000)
    panel = LabellingPanel(folder, CLASSES, display_size=500)
    assert Image.open(__import__("io").BytesIO(panel.canvas.image_bytes)).size == (500, 250)
    panel.canvas.bboxes = [{"x": 50, "y": 25, "width": 100, "height": 50, "label": "dog"}]  # drawn on the 500 px image
    assert saved(panel.xml_path) == [[200, 100, 600, 300, 1]]
    assert read_voc_xml(panel.xml_path, CLASSES).width == 2000
    panel.set_boxes([LabelBox(201, 99, 603, 301, "raccoon")])  # photo pixels in, photo pixels out
    assert saved(panel.xml_path) == [[201, 99, 603, 301, 0]] and panel.boxes == [LabelBox(201, 99, 603, 301, "raccoon")]
    assert panel.canvas.bboxes[0]["x"] == pytest.approx(50.25)
    with pytest.raises(InputError, match="display_size"):
        LabellingPanel(folder, CLASSES, display_size=0)


def test_set_boxes_refuses_unknown_classes(photos):
    panel = LabellingPanel(photos, CLASSES)
    with pytest.raises(InputError, match="'cat'"):
        panel.set_boxes([LabelBox(1, 1, 5, 5, "cat")])
    assert not panel.xml_path.exists()
    panel.canvas.bboxes = [{"x": 1, "y": 1, "width": 9, "height": 9, "label": ""},
                           {"x": 1, "y": 1, "width": 9, "height": 9, "label": "dog"}]
    assert saved(panel.xml_path) == [[1, 1, 10, 10, 1]] and "1 box without a class left out" in panel.summary.value


def test_prefill_proposes_boxes_that_are_saved_once_accepted(photos):
    calls = []

    def prefill(image):
        calls.append(image.shape)
        return [LabelBox(5, 6, 25, 26, "raccoon"), LabelBox(0, 0, 9, 9, "cat")]

    panel = LabellingPanel(photos, CLASSES, prefill=prefill)
    assert calls == [(60, 80, 3)]
    assert panel.canvas.bboxes == [{"x": 5, "y": 6, "width": 20, "height": 20, "label": "raccoon"}]
    assert not panel.xml_path.exists()  # a proposal, not yet the reader's label
    assert "1 box of other classes left out" in panel.summary.value
    panel.next()  # accepted as proposed
    assert saved(photos / "annotations" / "p0.xml") == [[5, 6, 25, 26, 0]]
    panel.previous()  # saved boxes win over a new proposal
    assert len(calls) == 2 and panel.boxes == [LabelBox(5, 6, 25, 26, "raccoon")]


def test_detector_prefill_maps_detections_to_widget_pixels(tmp_path):
    from mlbasics.vision.yolo.detect import Detector
    from mlbasics.vision.yolo.spec import YoloSpec

    anchors = np.array([[9, 12], [15, 15], [21, 27], [30, 24], [39, 45], [60, 66]], dtype=np.float32)
    spec = YoloSpec(anchors, ("raccoon", "dog"), input_size=64, width=0.125)
    folder = tmp_path / "photos"
    folder.mkdir()
    photo(folder / "wide.jpg", width=160, height=90)  # letterboxed into 64x64: boxes must be mapped back
    from mlbasics.io.images import load_image

    image = load_image(folder / "wide.jpg")
    calibration = np.random.default_rng(0).random((4, 64, 64, 3), dtype=np.float32)
    detector = Detector(stand_in_detector(spec, calibration), spec)
    found = detector.detect(image, 0.05)
    assert len(found) > 0, "the seeded untrained detector should propose something at score 0.05"
    panel = LabellingPanel(folder, CLASSES, prefill=detector_prefill(detector, 0.05))
    expected = [b for b in (clip_box(*box, spec.class_names[int(c)], (160, 90))
                            for box, c in zip(found.boxes, found.classes)) if b is not None]
    assert panel.boxes == expected
    assert [from_widget(v, (160, 90)) for v in panel.canvas.bboxes] == expected
    assert panel.canvas.bboxes == [to_widget(b) for b in expected]


def test_boxes_saved_again_unchanged_keep_their_flags(photos):
    from mlbasics.data.voc import read_voc_objects

    folder = LabelFolder(photos, CLASSES)
    path = folder.xml_path(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_voc(path, "p0.jpg", (80, 60, 3), [VocObject("dog", 1, 2, 30, 40, difficult=True, truncated=True, pose="Left"),
                                            VocObject("raccoon", 40, 10, 70, 50)])
    # the panel shows both boxes (flags are not drawn); the user moves the raccoon and adds a dog
    folder.save_boxes(0, [LabelBox(1, 2, 30, 40, "dog"), LabelBox(41, 10, 70, 50, "raccoon"),
                          LabelBox(5, 5, 20, 20, "dog")], (80, 60))
    objects = read_voc_objects(path)
    assert objects[0] == VocObject("dog", 1, 2, 30, 40, difficult=True, truncated=True, pose="Left")
    assert objects[1:] == [VocObject("raccoon", 41, 10, 70, 50), VocObject("dog", 5, 5, 20, 20)]
    assert read_voc_xml(path, CLASSES).boxes.tolist() == [[41, 10, 70, 50, 0], [5, 5, 20, 20, 1]]  # difficult left out


def test_coco_prefill_proposes_object_boxes_the_reader_names(tmp_path, mirror):
    """COCO's detector before the reader has one: a raccoon comes out as a COCO animal, proposed as
    "object"; unnamed it is not saved, named "raccoon" it is."""
    from mlbasics.workbook.widgets.labelling import OTHER, coco_prefill

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "raccoon-2.jpg").write_bytes((mirror / "raccoon" / "images" / "raccoon-2.jpg").read_bytes())
    panel = LabellingPanel(folder, ["raccoon"], prefill=coco_prefill(["raccoon"]))
    assert OTHER in panel.canvas.classes and panel.boxes and {box.name for box in panel.boxes} == {OTHER}
    assert f"named {OTHER!r}: pick a class" in panel.summary.value
    panel.next()  # accepted without naming: nothing of it is saved, and the panel says why
    assert saved(panel.xml_path) == [] and "still named 'object'" in panel.summary.value
    assert {box.name for box in panel.boxes} == {OTHER}  # the last photo: still shown, to be named
    (folder / "annotations" / "raccoon-2.xml").unlink()
    panel = LabellingPanel(folder, ["raccoon"], prefill=coco_prefill(["raccoon"]))
    proposal = panel.boxes[0]
    panel.set_boxes([LabelBox(proposal.x_min, proposal.y_min, proposal.x_max, proposal.y_max, "raccoon")])
    assert saved(panel.xml_path) == [[proposal.x_min, proposal.y_min, proposal.x_max, proposal.y_max, 0]]
