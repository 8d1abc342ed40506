import numpy as np
import pytest

from mlbasics.cloud.annotations import format_line, read_annotations, read_classes, resolve
from mlbasics.errors import DataFileError


def test_read_annotations_resolves_relative_paths(tmp_path):
    (tmp_path / "a.txt").write_text("images/1.png 1,2,10,20,0 3,4,5,6,1\n\n/abs/2.png 0,0,4,4,1\n")
    first, second = read_annotations(tmp_path / "a.txt", num_classes=2)
    assert first.image == str(tmp_path / "images" / "1.png")
    np.testing.assert_array_equal(first.boxes, [[1, 2, 10, 20, 0], [3, 4, 5, 6, 1]])
    assert second.image == "/abs/2.png"
    assert resolve("gs://b/x/a.txt", "img/1.png") == "gs://b/x/img/1.png"


@pytest.mark.parametrize(
    ("line", "reason"),
    [("x.png 1,2,3", "5 comma-separated"), ("x.png 1,2,a,4,0", "not a number"),
     ("x.png 5,5,1,1,0", "x_max <= x_min"), ("x.png 1,1,5,5,7", "class id 7")],
)
def test_bad_line_is_named(tmp_path, line, reason):
    (tmp_path / "a.txt").write_text(f"ok.png 1,1,2,2,0\n{line}\n")
    with pytest.raises(DataFileError, match=rf"a.txt:2: .*{reason}"):
        read_annotations(tmp_path / "a.txt", num_classes=3)


def test_classes_file_checks(tmp_path):
    (tmp_path / "c.txt").write_text("red\n\ngreen\n")
    assert read_classes(tmp_path / "c.txt") == ["red", "green"]
    (tmp_path / "e.txt").write_text("\n")
    with pytest.raises(DataFileError, match="empty"):
        read_classes(tmp_path / "e.txt")
    (tmp_path / "d.txt").write_text("a\na\n")
    with pytest.raises(DataFileError, match="twice"):
        read_classes(tmp_path / "d.txt")


def test_format_line_round_trips(tmp_path):
    (tmp_path / "a.txt").write_text(format_line("/x.png", np.array([[1, 2, 3, 4, 0]])) + "\n")
    np.testing.assert_array_equal(read_annotations(tmp_path / "a.txt", 1)[0].boxes, [[1, 2, 3, 4, 0]])
