"""COCO JSON: category ids that are not 0..n-1, crowd regions, empty images, round trips, every bad field named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError
from mlbasics.data.coco import read_coco, write_coco
from mlbasics.data.convert import read_annotations, read_lines_file, write_annotations
from tests.data.conftest import CLASSES, PHOTOS, by_name


@pytest.fixture
def coco_file(photos) -> Path:
    """A COCO file in COCO's own style over the photo set: category ids 18, 3, 90 (not 0..2, not sorted),
    image ids from 100, an image with no annotation, and a crowd region on ``a.jpg``."""
    data = {
        "info": {"description": "test"},
        "categories": [{"id": 18, "name": "dog"}, {"id": 3, "name": "cat"}, {"id": 90, "name": "bird"}],
        "images": [{"id": 100 + i, "file_name": f"images/{name}", "width": w, "height": h}
                   for i, (name, (w, h, _)) in enumerate(PHOTOS.items())],
        "annotations": [
            {"id": 1, "image_id": 100, "category_id": 3, "bbox": [4.0, 6.0, 26.0, 34.0], "iscrowd": 0},
            {"id": 2, "image_id": 100, "category_id": 90, "bbox": [32, 2, 31, 45], "iscrowd": 0},
            {"id": 3, "image_id": 100, "category_id": 18, "bbox": [0, 0, 10, 10], "iscrowd": 1},
            {"id": 4, "image_id": 101, "category_id": 18, "bbox": [0, 0, 40, 80], "iscrowd": 0},
        ],
    }
    path = photos / "instances_train.json"
    path.write_text(json.dumps(data))
    return path


def test_category_ids_sorted_crowds_left_out_and_empty_images_kept(coco_file):
    converted = read_coco(coco_file)
    assert converted.classes == ["cat", "dog", "bird"]  # ids 3, 18, 90 -> class ids 0, 1, 2
    assert converted.problems == []
    boxes = by_name(converted.samples)
    for name, (_, _, expected) in PHOTOS.items():  # the crowd region on a.jpg is not a box
        np.testing.assert_array_equal(boxes[name], np.array(expected, dtype=np.float64).reshape(-1, 5))
    assert len(by_name(read_coco(coco_file, skip_crowd=False).samples)["a.jpg"]) == 3


def test_lines_to_coco_to_lines_is_exact(photos, tmp_path):
    lines = read_lines_file(photos / "train.txt", CLASSES)
    target = write_annotations(lines, "coco", photos / "out.json")
    data = json.loads(target.read_text())
    assert [c["id"] for c in data["categories"]] == [1, 2, 3] and data["images"][0]["file_name"] == "images/a.jpg"
    assert data["annotations"][0]["bbox"] == [4.0, 6.0, 26.0, 34.0] and data["annotations"][0]["area"] == 884.0
    back = read_annotations(target, "coco")
    write_annotations(back, "lines", tmp_path / "back.txt")
    again = by_name(read_lines_file(tmp_path / "back.txt", CLASSES).samples)
    assert again.keys() == by_name(lines.samples).keys()
    for name, boxes in by_name(lines.samples).items():
        np.testing.assert_array_equal(again[name], boxes)


def test_yolo_to_coco_keeps_fractional_pixels(photos, tmp_path):
    write_annotations(read_lines_file(photos / "train.txt", CLASSES), "yolo", tmp_path / "yolo")
    label = tmp_path / "yolo" / "labels" / "train" / "b.txt"
    label.write_text("1 0.333333 0.5 0.3 0.25\n")  # 40x80: centre (13.33332, 40), size 12 x 20
    from_yolo = read_annotations(tmp_path / "yolo", "yolo")
    coco = write_annotations(from_yolo, "coco", tmp_path / "yolo" / "coco.json")
    back = by_name(read_annotations(coco, "coco").samples)
    for name, boxes in by_name(from_yolo.samples).items():
        np.testing.assert_allclose(back[name], boxes, atol=1e-3)
    np.testing.assert_allclose(back["b.png"][0], [7.33332, 30, 19.33332, 50, 1], atol=1e-3)


def _break(coco_file: Path, change) -> None:
    data = json.loads(coco_file.read_text())
    change(data)
    coco_file.write_text(json.dumps(data))


BAD_RECORDS = [
    (lambda d: d["annotations"][0].update(category_id=7), "annotations[0] (id 1).category_id: 7 is not a category id"),
    (lambda d: d["annotations"][0].update(bbox=[1, 2, 3]), "(id 1).bbox: expected [x, y, width, height]"),
    (lambda d: d["annotations"][0].update(bbox=[1, 2, "3", 4]), "annotations[0] (id 1).bbox: expected"),
    (lambda d: d["annotations"][0].update(bbox=[4, 6, 0, 34]), "annotations[0] (id 1).bbox: box (4,6,4,40) has width"),
    (lambda d: d["annotations"][0].update(bbox=[4, 6, -5, 34]), "has width or height <= 0"),
    (lambda d: d["annotations"][0].update(bbox=[40, 6, 30, 34]), "box (40,6,70,40) is outside the 64x48 image"),
    (lambda d: d["images"][0].update(width=0), "images[0] (id 100, images/a.jpg): width/height must be numbers > 0"),
    (lambda d: d["images"][0].pop("file_name"), "images[0] (id 100).file_name: missing"),
    (lambda d: d["images"][0].update(width=65), "images[0] (images/a.jpg): the file says 65x48, the image is 64x48"),
    (lambda d: d["images"][0].update(file_name="images/gone.jpg"), "no such image file"),
    (lambda d: d["images"][0].update(file_name="../../a.jpg"), "is not a plain relative path"),
    (lambda d: d["annotations"][0].update(category_id={"id": 3}), "category_id: {'id': 3} is not a category id"),
]


@pytest.mark.parametrize(("change", "reason"), BAD_RECORDS)
def test_a_bad_record_is_named_by_field_and_its_image_skipped(coco_file, change, reason):
    _break(coco_file, change)
    converted = read_coco(coco_file)
    assert sorted(s.image.name for s in converted.samples) == ["b.png", "c.jpg"]
    [problem] = converted.problems
    assert reason in str(problem), problem


def test_records_pointing_nowhere_are_named(coco_file):
    _break(coco_file, lambda d: (d["annotations"].append({"id": 9, "image_id": 555, "category_id": 3,
                                                          "bbox": [0, 0, 1, 1]}),
                                 d["images"].append(dict(d["images"][1]))))
    converted = read_coco(coco_file)
    assert len(converted.samples) == 3
    assert sorted(p.reason for p in converted.problems) == [
        "annotations[4] (id 9).image_id: 555 is not an image id", "images[3].id: 101 is used twice"]


@pytest.mark.parametrize(("text", "reason"), [
    ("{\"images\": [", "not valid JSON"),
    ("[]", "expected a JSON object"),
    ('{"images": [], "annotations": []}', "categories: expected a list"),
    ('{"images": [], "annotations": [], "categories": []}', "categories: the list is empty"),
    ('{"images": [], "annotations": [], "categories": [{"id": 1, "name": "a"}, {"id": 1, "name": "b"}]}',
     "listed twice"),
    ('{"images": [], "annotations": [], "categories": [{"id": 1}]}', r"categories\[0\]: expected"),
    ('{"images": [], "annotations": [], "categories": [{"id": [1], "name": "a"}]}', r"categories\[0\]: expected"),
    ('{"images": [], "annotations": [], "categories": [{"id": 1, "name": "a"}]}', "no image in it"),
])
def test_a_file_that_is_not_coco_is_one_error_naming_it(tmp_path, text, reason):
    path = tmp_path / "instances_x.json"
    path.write_text(text)
    with pytest.raises(DataFileError, match=reason) as raised:
        read_coco(path)
    assert raised.value.path == str(path)


def test_images_dir_and_writing_outside_it(photos, tmp_path):
    lines = read_lines_file(photos / "train.txt", CLASSES)
    with pytest.raises(DataFileError, match="is not inside the images folder"):
        write_coco(lines.samples, CLASSES, tmp_path / "elsewhere" / "x.json")
    path = write_coco(lines.samples, CLASSES, tmp_path / "elsewhere" / "x.json", images_dir=photos / "images")
    assert json.loads(path.read_text())["images"][1]["file_name"] == "b.png"
    moved = Path(shutil.copytree(photos / "images", tmp_path / "pics"))
    assert len(read_coco(path, moved).samples) == 3


def test_an_id_that_is_a_list_is_a_bad_record_not_a_crash(coco_file):
    _break(coco_file, lambda d: d["images"][0].update(id=[100]))
    converted = read_coco(coco_file)
    assert sorted(s.image.name for s in converted.samples) == ["b.png", "c.jpg"]
    assert str(converted.problems[0]).endswith("images[0]: expected an object with an 'id' (a number or text)")
    assert all("image_id: 100 is not an image id" in p.reason for p in converted.problems[1:])
