"""Output locations and names: an output never lands on an input, names fit the file system."""

import os

import pytest

from mlbasics.core.errors import InputError
from mlbasics.io.outputs import NAME_MAX, check_output_location, fit_name, unique_output_name


@pytest.mark.parametrize("out, relation", [("images", "is the input folder"),
                                           ("images/tagged", "is inside the input folder"),
                                           (".", "contains the input folder"),
                                           ("alias", "is the input folder")])
def test_outputs_in_inputs_are_refused(tmp_path, out, relation):
    (tmp_path / "images").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "images")
    with pytest.raises(InputError, match=f"--out .* {relation} .*images: outputs would overwrite inputs"):
        check_output_location(tmp_path / out, [None, tmp_path.parent / "elsewhere", tmp_path / "images"])


def test_outputs_next_to_inputs_and_remote_ones_are_fine(tmp_path):
    check_output_location(tmp_path / "out", [tmp_path / "images", tmp_path / "images-2", None])
    check_output_location(tmp_path / "images-out", [tmp_path / "images"])  # a common prefix is not a parent
    check_output_location("gs://bucket/out", [tmp_path])
    check_output_location(tmp_path / "out", ["gs://bucket/images"])


def test_unique_output_names_keep_folders_apart_and_suffix_changes_apart():
    names = [unique_output_name(r, ".jpg") for r in ("a/x.jpg", "b/x.jpg", "a/x.png", "a/x.jpeg", "a/x")]
    assert names[:2] == ["a/x.jpg", "b/x.jpg"]
    assert len(set(names)) == 5 and all(n.endswith(".jpg") for n in names)
    assert names[2].startswith("a/x-") and names[2] == unique_output_name("a/x.png", ".jpg")  # stable
    assert unique_output_name("a/b.jpg.json") == "a/b.jpg.json"
    for hostile in ("../x.jpg", "/etc/x.jpg", "a/../../x.jpg", ""):
        with pytest.raises(InputError, match="relative path inside"):
            unique_output_name(hostile)


@pytest.mark.parametrize("name", ["L" * 300 + ".json", "é" * 200 + ".jpg", os.fsdecode(b"\xff" * 300 + b".npy"),
                                  "x" * 600])
def test_long_names_are_shortened_to_fit_and_stay_distinct(name):
    short = fit_name(name)
    assert len(os.fsencode(short)) <= NAME_MAX
    assert os.fsencode(short).startswith(os.fsencode(name)[:100])
    assert os.path.splitext(short)[1] == (os.path.splitext(name)[1] if "." in name else "")
    assert fit_name(name[:-6] + "Z" + name[-5:]) != short
    assert fit_name("short.jpg") == "short.jpg"
    deep = unique_output_name(f"{'d' * 300}/{name}")
    assert all(len(os.fsencode(part)) <= NAME_MAX for part in deep.split("/"))


def test_file_lists_get_distinct_names_and_never_overwrite_an_input(tmp_path):
    from mlbasics.io.outputs import check_no_input_overwritten, relative_to_common_folder

    inputs = [tmp_path / "a" / "x.jpg", tmp_path / "b" / "x.jpg", tmp_path / "a" / "x.png"]
    relatives = relative_to_common_folder(inputs)
    assert relatives == ["a/x.jpg", "b/x.jpg", "a/x.png"] and relative_to_common_folder([]) == []
    assert relative_to_common_folder([tmp_path / "x.jpg"]) == ["x.jpg"]
    outputs = [tmp_path / "out" / unique_output_name(r, ".jpg") for r in relatives]
    assert len(set(outputs)) == 3
    check_no_input_overwritten(outputs, inputs)
    with pytest.raises(InputError, match=r"output .*a/x\.jpg would overwrite the input"):
        check_no_input_overwritten([tmp_path / unique_output_name(r, ".jpg") for r in relatives], inputs)
