"""Annotation lines: VOC conversion, parsing, and a named problem for every kind of bad line."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from mlbasics.core.errors import DataFileError
from mlbasics.data.annotation_lines import (
    Sample,
    check_samples,
    format_line,
    read_annotation_lines,
    read_classes,
    validate_lines,
    voc_to_lines,
    write_lines,
)
from mlbasics.data.synthetic import SHAPE_CLASSES, SceneStyle, write_voc_dataset
from mlbasics.data.voc import read_voc_xml
from mlbasics.data.voc_xml import voc_objects, write_voc


@pytest.fixture
def images(tmp_path):
    """Two 100x80 images beside the annotation file."""
    for name in ("a.jpg", "b.png"):
        Image.new("RGB", (100, 80), (90, 90, 90)).save(tmp_path / name)
    return tmp_path


def _write(folder, text):
    path = folder / "lines.txt"
    path.write_text(text)
    return path


def test_good_lines_parse(images):
    path = _write(images, "a.jpg 10,10,50,40,0 60,20,90,70,3\n\nb.png\n")
    report = validate_lines(path, num_classes=4)
    assert report.ok
    assert [s.image.name for s in report.samples] == ["a.jpg", "b.png"]
    np.testing.assert_array_equal(report.samples[0].boxes[1], [60, 20, 90, 70, 3])
    assert report.samples[1].boxes.shape == (0, 5)


def test_samples_in_memory_are_checked_as_their_written_lines_are_read(images):
    """``yolo fit`` trains on samples in memory; they must give what the lines it writes for them give."""
    a, b = images / "a.jpg", images / "b.png"
    samples = [Sample(a, np.array([[10.4, 10, 50, 40, 0], [60, 20, 90.6, 70, 3]])),  # rounded to pixels
               Sample(b, np.array([[50, 10, 50, 40, 0]])),  # empty
               Sample(a, np.array([[10, 10, 50, 40, 4]])),  # no such class
               Sample(b, np.array([[10, 10, 101, 40, 0]]), (100, 80)),  # outside the image
               Sample(images / "missing.jpg", np.zeros((0, 5))),
               Sample(b, np.zeros((0, 5)), (100, 80))]
    path = write_lines(images / "lines.txt", [format_line(str(s.image), s.boxes) for s in samples])
    from_file, in_memory = read_annotation_lines(path, 4), check_samples(samples, 4, path)
    assert in_memory.problems == from_file.problems and len(in_memory.problems) == 4
    assert [(s.image, s.size) for s in in_memory.samples] == [(s.image, s.size) for s in from_file.samples]
    for ours, theirs in zip(in_memory.samples, from_file.samples):
        np.testing.assert_array_equal(ours.boxes, theirs.boxes)
        assert ours.boxes.dtype == theirs.boxes.dtype
    with pytest.raises(DataFileError, match="no usable annotation line"):
        check_samples(samples[1:3], 4, path)


@pytest.mark.parametrize(
    "line, reason",
    [
        ("a.jpg 10,10,50,40", "expected 5 fields"),
        ("a.jpg 10,10.5,50,40,0", "must be integers"),
        ("a.jpg ten,10,50,40,0", "must be integers"),
        ("a.jpg 50,10,50,40,0", "x_max <= x_min"),
        ("a.jpg 10,40,50,30,0", "x_max <= x_min or y_max <= y_min"),
        ("a.jpg 10,10,50,40,4", "class id 4 is outside 0..3"),
        ("a.jpg 10,10,50,40,-1", "class id -1"),
        ("a.jpg 10,10,101,40,0", "outside the 100x80 image"),
        ("a.jpg -1,10,50,40,0", "outside the 100x80 image"),
        ("missing.jpg 10,10,50,40,0", "image file not found"),
        ("notimage.jpg 10,10,50,40,0", "not an image file"),
    ],
)
def test_each_bad_line_kind_is_reported_with_line_number(images, line, reason):
    (images / "notimage.jpg").write_text("not a jpeg")
    path = _write(images, f"a.jpg 1,1,5,5,0\n{line}\nb.png 2,2,9,9,1\n")
    report = validate_lines(path, num_classes=4)
    assert len(report.samples) == 2, "the good lines around the bad one are kept"
    (problem,) = report.problems
    assert problem.line == 2 and reason in problem.reason
    assert "lines.txt:2: " in str(problem)


def test_every_bad_line_is_reported_not_only_the_first(images):
    path = _write(images, "a.jpg 1,1,0,5,0\na.jpg 1,1,5,5,9\na.jpg 1,1,5,5,0\nnope.jpg\n")
    report = validate_lines(path, num_classes=2)
    assert [p.line for p in report.problems] == [1, 2, 4]
    assert report.summary().startswith("1 usable image(s), 3 line(s) skipped")


def test_file_with_no_usable_line_is_an_error(images):
    path = _write(images, "nope.jpg 1,1,5,5,0\n")
    with pytest.raises(DataFileError, match="no usable annotation line.*image file not found"):
        read_annotation_lines(path, 2)


def test_exif_rotated_image_size_is_used_for_bounds(tmp_path):
    image = Image.new("RGB", (100, 40))
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90: the photo is 40 wide, 100 high
    image.save(tmp_path / "rot.jpg", exif=exif)
    path = _write(tmp_path, "rot.jpg 0,0,40,100,0\nrot.jpg 0,0,100,40,0\n")
    report = validate_lines(path, 1)
    assert len(report.samples) == 1 and "outside the 40x100 image" in report.problems[0].reason


def test_classes_file_errors(tmp_path):
    (tmp_path / "empty.txt").write_text("\n")
    (tmp_path / "twice.txt").write_text("cat\ndog\ncat\n")
    with pytest.raises(DataFileError, match="empty"):
        read_classes(tmp_path / "empty.txt")
    with pytest.raises(DataFileError, match="more than once"):
        read_classes(tmp_path / "twice.txt")


def test_voc_round_trip_and_conversion(tmp_path):
    voc = write_voc_dataset(tmp_path / "voc", {"train": 3, "val": 2}, SceneStyle(64, 64), seed=1)
    lines = voc_to_lines(voc.root, "val", SHAPE_CLASSES)
    assert len(lines) == 2 and all(line.startswith("JPEGImages/val_") for line in lines)
    (voc.root / "val.txt").write_text("\n".join(lines) + "\n")
    report = validate_lines(voc.root / "val.txt", len(SHAPE_CLASSES))
    assert report.ok and len(report.samples) == 2
    xml = read_voc_xml(voc.root / "Annotations" / "val_00000.xml", SHAPE_CLASSES)
    np.testing.assert_array_equal(xml.boxes, report.samples[0].boxes)
    assert format_line("x.jpg", xml.boxes) == "x.jpg " + " ".join(
        ",".join(str(int(v)) for v in box) for box in xml.boxes)


def test_voc_xml_errors_name_the_file(tmp_path):
    write_voc(tmp_path / "ok.xml", "a.jpg", (10, 10, 3), voc_objects(np.array([[1, 1, 5, 5, 0]]), ["cat"]))
    with pytest.raises(DataFileError, match="ok.xml: object name 'cat' is not in the classes"):
        read_voc_xml(tmp_path / "ok.xml", ["dog"])
    (tmp_path / "bomb.xml").write_text('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>')
    with pytest.raises(DataFileError, match="bomb.xml: refused unsafe XML"):
        read_voc_xml(tmp_path / "bomb.xml", ["cat"])
    (tmp_path / "broken.xml").write_text("<annotation>\n<size>")
    with pytest.raises(DataFileError, match="broken.xml:2: not valid XML"):
        read_voc_xml(tmp_path / "broken.xml", ["cat"])
