"""Text files the user gives us: a byte order mark, Windows line ends, other encodings, folders and FIFOs."""

from __future__ import annotations

import codecs
import os
import re

import numpy as np
import pytest
from PIL import Image

from mlbasics.core.errors import DataFileError
from mlbasics.data.annotation_lines import read_classes, validate_lines, voc_to_lines
from mlbasics.data.voc_xml import voc_objects, write_voc
from mlbasics.io.text import decode_text, read_text
from tests.nonblocking import raises_without_blocking

BOM = codecs.BOM_UTF8


@pytest.mark.parametrize("data", [b"a\nb\n", BOM + b"a\nb\n", b"a\r\nb\r\n", BOM + b"a\r\nb\r\n", b"a\rb\r"])
def test_bom_and_line_ends_are_normalised(tmp_path, data):
    (tmp_path / "f.txt").write_bytes(data)
    assert read_text(tmp_path / "f.txt") == "a\nb\n"


def test_only_the_leading_bom_is_dropped():
    # U+FEFF inside the text is a character (a zero-width no-break space), kept as it is.
    assert decode_text(BOM + b"a" + BOM + b"b", "f.txt") == "a\ufeffb"


@pytest.mark.parametrize(("data", "offset", "line"), [(b"cat\ncaf\xe9\n", 7, 2), (BOM + b"\xff", 3, 1)])
def test_invalid_utf8_names_the_byte_its_offset_and_line(tmp_path, data, offset, line):
    (tmp_path / "latin1.txt").write_bytes(data)
    byte = data[offset]
    with pytest.raises(DataFileError, match=f"latin1.txt:{line}: not UTF-8 text: byte {byte:#04x} at offset {offset}$"):
        read_text(tmp_path / "latin1.txt")


def test_utf16_says_what_it_is(tmp_path):
    (tmp_path / "unicode.txt").write_bytes("cat\n".encode("utf-16"))
    with pytest.raises(DataFileError, match="unicode.txt: is UTF-16 text, not UTF-8: save it again as UTF-8"):
        read_text(tmp_path / "unicode.txt")


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="nope.txt: no such file$"):
        read_text(tmp_path / "nope.txt")
    with pytest.raises(DataFileError, match="nope.txt: no such classes file$"):
        read_text(tmp_path / "nope.txt", missing="no such classes file")


def test_folder_is_refused(tmp_path):
    with pytest.raises(DataFileError, match=f"{re.escape(str(tmp_path))}: is a folder, expected a file$"):
        read_text(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "lines.txt"
    os.mkfifo(fifo)
    raises_without_blocking(read_text, fifo, DataFileError, "lines.txt: not a regular file (a FIFO)")


# The readers of annotation lines, classes files and VOC id lists.


@pytest.fixture
def images(tmp_path):
    """Two 100x80 images beside the annotation file."""
    for name in ("a.jpg", "b.png"):
        Image.new("RGB", (100, 80), (90, 90, 90)).save(tmp_path / name)
    return tmp_path


def test_annotation_file_from_notepad_parses_its_first_line(images):
    # Notepad's UTF-8: a byte order mark and \r\n. The first line used to fail as "\ufeffa.jpg: image file not found".
    (images / "lines.txt").write_bytes(BOM + b"a.jpg 10,10,50,40,0\r\nb.png 1,1,9,9,1\r\n")
    report = validate_lines(images / "lines.txt", num_classes=2)
    assert report.ok, report.summary()
    assert [s.image.name for s in report.samples] == ["a.jpg", "b.png"]
    np.testing.assert_array_equal(report.samples[0].boxes, [[10, 10, 50, 40, 0]])


def test_classes_file_with_bom(tmp_path):
    (tmp_path / "classes.txt").write_bytes(BOM + b"cat\r\ndog\r\n")
    assert read_classes(tmp_path / "classes.txt") == ["cat", "dog"]


def test_missing_classes_file(tmp_path):
    with pytest.raises(DataFileError, match="classes.txt: no such classes file$"):
        read_classes(tmp_path / "classes.txt")


def test_annotation_file_not_utf8_names_the_byte_and_the_file(images):
    (images / "lines.txt").write_bytes("a.jpg 1,1,5,5,0\nb\xe9.png 1,1,5,5,0\n".encode("latin-1"))
    with pytest.raises(DataFileError, match="lines.txt:2: not UTF-8 text: byte 0xe9 at offset 17$"):
        validate_lines(images / "lines.txt", num_classes=1)


def test_folder_given_as_annotation_file_is_one_clear_error(tmp_path):
    (tmp_path / "train.txt").mkdir()
    with pytest.raises(DataFileError, match="train.txt: is a folder, expected a file$"):
        validate_lines(tmp_path / "train.txt", num_classes=1)


def test_missing_annotation_file(tmp_path):
    with pytest.raises(DataFileError, match="train.txt: no such annotation file$"):
        validate_lines(tmp_path / "train.txt", num_classes=1)


def test_voc_id_list_with_bom(tmp_path):
    (tmp_path / "ImageSets" / "Main").mkdir(parents=True)
    (tmp_path / "Annotations").mkdir()
    for image_id in ("img1", "img2"):
        write_voc(tmp_path / "Annotations" / f"{image_id}.xml", f"{image_id}.jpg", (10, 10, 3),
                  voc_objects(np.array([[1, 1, 5, 5, 0]]), ["cat"]))
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_bytes(BOM + b"img1\r\nimg2\r\n")
    lines = voc_to_lines(tmp_path, "train", ["cat"])
    assert lines == ["JPEGImages/img1.jpg 1,1,5,5,0", "JPEGImages/img2.jpg 1,1,5,5,0"]
    with pytest.raises(DataFileError, match="val.txt: no split 'val' in this VOC folder$"):
        voc_to_lines(tmp_path, "val", ["cat"])
