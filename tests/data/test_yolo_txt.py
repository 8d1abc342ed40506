"""YOLO txt labels: the layouts people have, round trips with annotation lines, and every bad record named."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError
from mlbasics.data.convert import read_annotations, read_lines_file, write_annotations, write_lines_file
from mlbasics.data.yolo_txt import label_path, read_yolo, write_yolo
from tests.data.conftest import CLASSES, PHOTOS, by_name, photo


@pytest.fixture
def yolo_set(photos, tmp_path) -> Path:
    """The photo set written as an Ultralytics folder (``tmp_path/yolo``) by the writer under test."""
    write_annotations(read_lines_file(photos / "train.txt", CLASSES), "yolo", tmp_path / "yolo")
    return tmp_path / "yolo"


def test_lines_to_yolo_to_lines_is_exact(photos, yolo_set, tmp_path):
    assert sorted(p.name for p in (yolo_set / "images" / "train").iterdir()) == sorted(PHOTOS)
    labels = (yolo_set / "labels" / "train" / "a.txt").read_text().splitlines()
    # a.jpg 64x48, box (4,6,30,40): centre (17, 23) -> 17/64, 23/48; size 26x34 -> 26/64, 34/48
    assert labels[0] == "0 0.265625 0.479167 0.406250 0.708333"
    assert (yolo_set / "labels" / "train" / "c.txt").read_text() == ""  # a photo with no box: an empty file
    back = read_yolo(yolo_set)
    assert back.classes == CLASSES and back.problems == []
    write_lines_file(back.samples, back.classes, tmp_path / "back" / "train.txt")
    again = by_name(read_lines_file(tmp_path / "back" / "train.txt", CLASSES).samples)
    for name, (_, _, boxes) in PHOTOS.items():
        np.testing.assert_array_equal(again[name], np.array(boxes, dtype=np.float64).reshape(-1, 5))


def test_data_yaml_lists_every_split_written(photos, yolo_set):
    import yaml

    write_annotations(read_lines_file(photos / "train.txt", CLASSES), "yolo", yolo_set, split="val")
    data = yaml.safe_load((yolo_set / "data.yaml").read_text())
    assert data == {"train": "images/train", "val": "images/val", "nc": 3, "names": {0: "cat", 1: "dog", 2: "bird"}}
    assert len(read_yolo(yolo_set / "data.yaml", "val").samples) == 3


@pytest.mark.parametrize("names", ["[cat, dog, bird]", "{0: cat, 1: dog, 2: bird}", "\n  - cat\n  - dog\n  - bird"])
def test_ultralytics_yaml_names_as_list_or_mapping_and_path_key(yolo_set, tmp_path, names):
    moved = Path(shutil.move(yolo_set, tmp_path / "datasets" / "pets"))
    (tmp_path / "pets.yaml").write_text(f"path: datasets/pets\ntrain: images/train\nnames: {names}\n")
    assert read_yolo(tmp_path / "pets.yaml").classes == CLASSES
    assert {s.image.parent for s in read_yolo(tmp_path / "pets.yaml").samples} == {moved / "images" / "train"}


def test_roboflow_layout_with_dotdot_paths(yolo_set, tmp_path):
    root = tmp_path / "roboflow"
    (root / "train").mkdir(parents=True)
    shutil.copytree(yolo_set / "images" / "train", root / "train" / "images")
    shutil.copytree(yolo_set / "labels" / "train", root / "train" / "labels")
    (root / "data.yaml").write_text("train: ../train/images\nval: ../valid/images\nnc: 3\n"
                                    "names: ['cat','dog','bird']\n")
    assert by_name(read_yolo(root / "data.yaml").samples).keys() == set(PHOTOS)
    assert len(read_yolo(root).samples) == 3  # the folder: its data.yaml is found


@pytest.mark.parametrize("classes_file", ["classes.txt", "obj.names"])
def test_darknet_labels_beside_images(yolo_set, tmp_path, classes_file):
    flat = tmp_path / "darknet"
    shutil.copytree(yolo_set / "images" / "train", flat)
    for label in (yolo_set / "labels" / "train").iterdir():
        shutil.copy(label, flat / label.name)
    (flat / classes_file).write_text("cat\ndog\nbird\n")
    (flat / "train.txt").write_text("a.jpg\nb.png\nc.jpg\n")  # Darknet's image list: not a label without image
    assert label_path(flat / "a.jpg") == flat / "a.txt"
    converted = read_yolo(flat)
    assert converted.classes == CLASSES and converted.problems == []
    np.testing.assert_allclose(by_name(converted.samples)["a.jpg"], np.array(PHOTOS["a.jpg"][2]), atol=1e-3)


BAD_LINES = [
    ("0 0.5 0.5 0.2", "expected 5 fields"),
    ("0 0.5 0.5 0.2 0.2 0.9", "expected 5 fields"),
    ("0 0.1 0.1 0.2 0.1 0.3 0.2 0.1 0.2", "segmentation polygon"),
    ("3 0.5 0.5 0.2 0.2", "class id 3 is outside 0..2"),
    ("cat 0.5 0.5 0.2 0.2", "class id 'cat' is not an integer"),
    ("0 32 24 10 10", "outside 0..1 (YOLO boxes are fractions"),
    ("0 0.5 0.5 0 0.2", "width or height <= 0"),
    ("0 0.95 0.5 0.2 0.2", "is outside the 64x48 image"),
    ("0 0.5 x 0.2 0.2", "are not numbers"),
    ("0 nan 0.5 0.2 0.2", "not finite"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES)
def test_a_bad_label_line_is_named_and_its_image_skipped(yolo_set, line, reason):
    label = yolo_set / "labels" / "train" / "a.txt"
    label.write_text(label.read_text() + line + "\n")
    converted = read_yolo(yolo_set)
    assert sorted(s.image.name for s in converted.samples) == ["b.png", "c.jpg"]
    [problem] = converted.problems
    assert problem.path == str(label) and problem.line == 3 and reason in problem.reason, problem


def test_missing_image_label_without_image_and_image_without_label(yolo_set):
    (yolo_set / "images" / "train" / "b.png").unlink()
    (yolo_set / "labels" / "train" / "c.txt").unlink()
    converted = read_yolo(yolo_set)
    assert by_name(converted.samples)["c.jpg"].shape == (0, 5)  # no label file: a background photo
    [orphan] = converted.problems
    assert orphan.path == str(yolo_set / "labels" / "train" / "b.txt")
    assert orphan.reason == "no image for this label file"


def test_broken_images_named_and_skipped(yolo_set):
    images = yolo_set / "images" / "train"
    (images / "a.jpg").write_bytes((images / "a.jpg").read_bytes()[:10])  # not even a header
    (images / "c.jpg").write_text("not an image")
    converted = read_yolo(yolo_set)
    assert [s.image.name for s in converted.samples] == ["b.png"]
    assert {(p.path, p.reason.split(" (")[0]) for p in converted.problems} == {
        (str(images / "a.jpg"), "cannot read the image header"),
        (str(images / "c.jpg"), "not an image file")}


@pytest.mark.parametrize(("yaml_text", "reason"), [
    ("train: images/train\nnames: [cat, dog\n", "not valid YAML"),
    ("- cat\n- dog\n", "expected a mapping"),
    ("train: images/train\nnames: {0: cat, 2: dog}\n", "ids must be 0..1"),
    ("train: images/train\nnc: 2\nnames: [cat, dog, bird]\n", "nc is 2 but names lists 3"),
    ("train: images/train\nnames: [cat, cat]\n", "more than once"),
    ("train: images/train\nnames: !!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
    ("val: images/train\nnames: [cat, dog, bird]\n", "has no 'train' entry"),
    ("train: nowhere\nnames: [cat, dog, bird]\n", "neither a folder nor a list file"),
])
def test_a_bad_data_yaml_is_one_error_naming_it(yolo_set, yaml_text, reason):
    (yolo_set / "data.yaml").write_text(yaml_text)
    with pytest.raises(DataFileError, match=reason) as raised:
        read_yolo(yolo_set / "data.yaml")
    assert raised.value.path == str(yolo_set / "data.yaml")


def test_no_label_file_at_all_is_an_error_not_an_empty_set(yolo_set):
    shutil.rmtree(yolo_set / "labels")
    with pytest.raises(DataFileError, match="no label file for any of the 3 images"):
        read_yolo(yolo_set)


def test_a_folder_without_class_names_is_an_error(tmp_path):
    photo(tmp_path / "a.jpg", 8, 8)
    with pytest.raises(DataFileError, match="no class names"):
        read_annotations(tmp_path, "yolo")


def test_writer_skips_a_second_image_with_the_same_name(photos, tmp_path):
    converted = read_lines_file(photos / "train.txt", CLASSES)
    (photos / "other").mkdir()
    shutil.copy(photos / "images" / "a.jpg", photos / "other" / "a.jpg")
    twin = type(converted.samples[0])(photos / "other" / "a.jpg", converted.samples[0].boxes, (64, 48))
    skipped: list[DataFileError] = []
    write_yolo([*converted.samples, twin], CLASSES, tmp_path / "out", skipped=skipped)
    assert [(e.path, "same file name" in e.reason) for e in skipped] == [(str(photos / "other" / "a.jpg"), True)]
    assert len(read_yolo(tmp_path / "out").samples) == 3
