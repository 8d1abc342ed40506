"""Reading VOC folders in the layouts people have, bad files named and skipped, and the seeded split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.data.voc_folder import (
    fixed_count_split,
    read_split,
    read_voc_folder,
    seeded_split,
    split_key,
    split_records,
)
from mlbasics.data.voc_xml import voc_objects, write_voc

CLASSES = ["cat", "dog"]


def _photo(path: Path, size=(40, 30)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), 90, np.uint8)).save(path)


def _labelled(xml: Path, image: Path, boxes, filename: str | None = None) -> None:
    _photo(image)
    xml.parent.mkdir(parents=True, exist_ok=True)
    write_voc(xml, image.name if filename is None else filename, (40, 30, 3),
              voc_objects(np.array(boxes, float), CLASSES))


@pytest.mark.parametrize("layout", ["voc", "labelimg", "flat"])
def test_each_layout_finds_images_by_filename_or_stem(tmp_path, layout):
    xml_dir, image_dir = {"voc": ("Annotations", "JPEGImages"), "labelimg": ("annotations", "images"),
                          "flat": (".", ".")}[layout]
    _labelled(tmp_path / xml_dir / "a.xml", tmp_path / image_dir / "a.jpg", [[1, 2, 20, 25, 1]])
    # <filename> names a file that is not there (renamed photo): the stem finds b.png
    _labelled(tmp_path / xml_dir / "b.xml", tmp_path / image_dir / "b.png", [[3, 3, 9, 9, 0]], filename="old.jpg")
    folder = read_voc_folder(tmp_path)
    assert folder.layout == layout and folder.classes == ["cat", "dog"] and not folder.skipped
    assert [(r.stem, r.image.name) for r in folder.records] == [("a", "a.jpg"), ("b", "b.png")]
    np.testing.assert_array_equal(folder.records[0].boxes, [[1, 2, 20, 25, 1]])


def test_class_names_are_found_sorted_or_given(tmp_path):
    _labelled(tmp_path / "x.xml", tmp_path / "x.jpg", [[1, 1, 5, 5, 1]])  # dog only
    assert read_voc_folder(tmp_path).classes == ["dog"]
    assert read_voc_folder(tmp_path, ["dog", "cat"]).records[0].boxes[0, 4] == 0


def test_bad_xml_missing_image_and_unknown_class_are_named_and_skipped(tmp_path):
    _labelled(tmp_path / "good.xml", tmp_path / "good.jpg", [[1, 1, 5, 5, 0]])
    (tmp_path / "broken.xml").write_text("<annotation><size>")
    _labelled(tmp_path / "lost.xml", tmp_path / "lost.jpg", [[1, 1, 5, 5, 0]])
    (tmp_path / "lost.jpg").unlink()
    (tmp_path / "bomb.xml").write_text('<!DOCTYPE x [<!ENTITY a "aaaa">]><annotation>&a;</annotation>')
    folder = read_voc_folder(tmp_path, ["cat"])
    assert [r.stem for r in folder.records] == ["good"]
    reasons = {Path(e.path).name: e.reason for e in folder.skipped}
    assert set(reasons) == {"broken.xml", "lost.xml", "bomb.xml"}
    assert "not valid XML" in reasons["broken.xml"] and "no image" in reasons["lost.xml"]
    assert "unsafe" in reasons["bomb.xml"]
    # a name outside the given classes is named too
    _labelled(tmp_path / "dog.xml", tmp_path / "dog.jpg", [[1, 1, 5, 5, 1]])
    assert any("'dog'" in e.reason for e in read_voc_folder(tmp_path, ["cat"]).skipped)


def test_filename_cannot_reach_outside_the_folder(tmp_path):
    _photo(tmp_path / "secret.jpg")
    _labelled(tmp_path / "set" / "a.xml", tmp_path / "set" / "a.jpg", [[1, 1, 5, 5, 0]], filename="../secret.jpg")
    (tmp_path / "set" / "a.jpg").unlink()
    with pytest.raises(DataFileError, match="no usable annotated image"):
        read_voc_folder(tmp_path / "set")


def test_no_annotations_is_one_clear_error(tmp_path):
    _photo(tmp_path / "a.jpg")
    with pytest.raises(DataFileError, match="no VOC annotations found"):
        read_voc_folder(tmp_path)
    with pytest.raises(DataFileError, match="no such folder"):
        read_voc_folder(tmp_path / "nope")


def test_seeded_split_is_stable_when_photos_are_added():
    stems = [f"img{i:03d}" for i in range(200)]
    train, val = seeded_split(stems, 0.2, seed=0)
    assert sorted(train + val) == stems and 25 <= len(val) <= 55  # about a fifth
    assert seeded_split(list(reversed(stems)), 0.2, seed=0) == (train, val)  # order does not matter
    more_train, more_val = seeded_split(stems + [f"new{i}" for i in range(50)], 0.2, seed=0)
    assert set(val) <= set(more_val) and set(train) <= set(more_train)  # old photos keep their side
    assert seeded_split(stems, 0.2, seed=1)[1] != val
    assert split_key("img001", 0) == split_key("img001", 0) and 0 <= split_key("x", 3) < 1
    assert seeded_split(["a", "b"], 0.01)[1]  # two photos: still one to validate on
    with pytest.raises(InputError, match="val_fraction"):
        seeded_split(stems, 1.0)


def test_split_prefers_given_list_then_image_sets(tmp_path):
    for stem in "abcd":
        _labelled(tmp_path / "Annotations" / f"{stem}.xml", tmp_path / "JPEGImages" / f"{stem}.jpg", [[1, 1, 5, 5, 0]])
    folder = read_voc_folder(tmp_path)
    assert folder.image_sets is None
    assert "seeded" in split_records(folder)[2]
    (tmp_path / "ImageSets" / "Main").mkdir(parents=True)
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("a\nb\nc\n")
    (tmp_path / "ImageSets" / "Main" / "val.txt").write_text("d\n")
    train, val, how = split_records(read_voc_folder(tmp_path))
    assert [r.stem for r in train] == ["a", "b", "c"] and [r.stem for r in val] == ["d"] and "ImageSets" in how
    train, val, _ = split_records(read_voc_folder(tmp_path), val_stems=["a"])
    assert [r.stem for r in val] == ["a"] and len(train) == 3


def test_split_file(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps({"val": ["a", "b"]}))
    assert read_split(tmp_path / "s.json") == ["a", "b"]
    (tmp_path / "bad.json").write_text('{"val": "a"}')
    with pytest.raises(DataFileError, match="list of image stems"):
        read_split(tmp_path / "bad.json")
    (tmp_path / "worse.json").write_text("{")
    with pytest.raises(DataFileError, match="not valid JSON"):
        read_split(tmp_path / "worse.json")


def test_committed_raccoon_split_is_the_documented_rule():
    """datasets/splits/raccoon.json: 40 validation stems, made by fixed_count_split(stems, 40, seed=0, groups)
    with the copy groups it names; no validation photo has a copy in the set."""
    data = json.loads((Path(__file__).resolve().parents[2] / "datasets" / "splits" / "raccoon.json").read_text())
    stems = [f"raccoon-{i}" for i in range(1, 201)]
    groups = [["raccoon-11", "raccoon-116"], ["raccoon-120", "raccoon-83"], ["raccoon-21", "raccoon-45"],
              ["raccoon-50", "raccoon-52", "raccoon-74"], ["raccoon-51", "raccoon-85"], ["raccoon-65", "raccoon-98"]]
    assert all("/".join(group) in data["how"] for group in groups)
    assert data["val"] == fixed_count_split(stems, 40, seed=0, groups=groups) and len(data["val"]) == 40
    assert data["train"] == 160 and set(data["val"]) <= set(stems)
    assert not set(data["val"]) & {stem for group in groups for stem in group}


def test_copies_stay_on_one_side_of_a_seeded_split():
    """Every member of a group takes the group's smallest key: copies never straddle the split."""
    stems = [f"p{i}" for i in range(200)]
    groups = [[f"p{i}", f"p{i + 100}"] for i in range(0, 100, 7)]
    for seed in range(3):
        train, val = seeded_split(stems, 0.2, seed, groups)
        for group in groups:
            assert set(group) <= set(train) or set(group) <= set(val)
        assert set(train) | set(val) == set(stems)


def test_copy_groups_join_bytes_and_look_alikes_transitively():
    from mlbasics.data.photo_hash import copy_groups

    byte_hashes = {"a": "x", "b": "x", "c": "y", "d": "z", "e": "w"}
    look_hashes = {"a": 0, "b": 0, "c": 0b11, "d": 2**64 - 1, "e": 2**40 - 1}
    assert copy_groups(byte_hashes, look_hashes, 5) == [["a", "b", "c"]]
