"""The synthetic scene generator and the dlib face-box XML reader."""

from __future__ import annotations

import numpy as np
import pytest

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.data import fetch
from mlbasics.data.dlib_xml import read_dlib_xml
from mlbasics.data.synthetic import SHAPE_CLASSES, SceneStyle, object_crops, render_scene, write_voc_dataset


def test_scenes_are_deterministic_and_boxes_fit():
    style = SceneStyle(96, 64, 2, 5)
    a = render_scene(np.random.default_rng(3), style)
    b = render_scene(np.random.default_rng(3), style)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    image, boxes = a
    assert image.shape == (64, 96, 3) and image.dtype == np.uint8
    assert 1 <= len(boxes) <= 5
    assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
    assert np.all(boxes[:, [0, 2]] <= 96) and np.all(boxes[:, [1, 3]] <= 64) and np.all(boxes[:, :4] >= 0)


def test_a_box_holds_its_shape():
    image, boxes = render_scene(np.random.default_rng(0), SceneStyle(64, 64, 1, 1, 0.5, 0.6))
    x0, y0, x1, y1, _ = boxes[0].astype(int)
    inside = image[y0:y1, x0:x1].astype(float)
    centre = inside[inside.shape[0] // 2, inside.shape[1] // 2]
    # every shape covers its box centre; the corner just outside the box is background
    assert np.abs(centre - image[max(y0 - 2, 0), max(x0 - 2, 0)]).sum() > 60


def test_crops_are_balanced_single_objects():
    images, labels = object_crops(8, size=32, seed=1)
    assert images.shape == (8, 32, 32, 3)
    assert list(labels) == [0, 1, 2, 3, 0, 1, 2, 3]


def test_style_checks():
    with pytest.raises(InputError, match="max_objects"):
        SceneStyle(min_objects=3, max_objects=2)
    with pytest.raises(InputError, match="min_size"):
        SceneStyle(min_size=0.6, max_size=0.5)


def test_voc_dataset_is_idempotent(tmp_path):
    voc = write_voc_dataset(tmp_path, {"train": 2}, SceneStyle(64, 64), seed=0)
    stamp = (voc.root / "JPEGImages" / "train_00000.jpg").stat().st_mtime_ns
    write_voc_dataset(tmp_path, {"train": 2}, SceneStyle(64, 64), seed=0)
    assert (voc.root / "JPEGImages" / "train_00000.jpg").stat().st_mtime_ns == stamp
    assert voc.classes_file.read_text().split() == list(SHAPE_CLASSES)
    assert voc.split_file("train").read_text().split() == ["train_00000", "train_00001"]


def test_dlib_face_boxes(mirror):
    samples = read_dlib_xml(fetch("faces/voc_faces/training.xml"))
    assert len(samples) == 4
    first = samples[0]
    assert first.image.name == "2007_007763.jpg" and first.boxes.shape == (7, 5)
    np.testing.assert_array_equal(first.boxes[0], [194, 90, 231, 127, 0])  # left, top, left+width, top+height


def test_dlib_xml_errors(tmp_path):
    (tmp_path / "bad.xml").write_text("<dataset><images><image file='a.jpg'><box top='x'/></image></images></dataset>")
    with pytest.raises(DataFileError, match="bad.xml: a.jpg: a <box> lacks integer"):
        read_dlib_xml(tmp_path / "bad.xml")
