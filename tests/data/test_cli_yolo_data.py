"""``mlbasics yolo convert`` and ``mlbasics yolo report`` as a user runs them: real files, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlbasics.cli import main
from tests.data.conftest import CLASSES, PHOTOS, photo
from tests.data.test_report import cut


def run(args, capsys) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_convert_lines_to_yolo_to_coco_to_lines(photos, tmp_path, capsys):
    code, out, err = run(["yolo", "convert", photos / "train.txt", "--from", "lines", "--classes",
                          photos / "classes.txt", "--to", "yolo", "--out", tmp_path / "yolo"], capsys)
    assert (code, err) == (0, "")
    assert out == f"3 image(s), 3 box(es), classes {CLASSES} -> {tmp_path / 'yolo' / 'data.yaml'}\n"
    code, out, err = run(["yolo", "convert", tmp_path / "yolo" / "data.yaml", "--from", "yolo", "--to", "coco",
                          "--out", tmp_path / "yolo" / "instances_train.json"], capsys)
    assert code == 0 and len(json.loads((tmp_path / "yolo" / "instances_train.json").read_text())["images"]) == 3
    code, out, err = run(["yolo", "convert", tmp_path / "yolo" / "instances_train.json", "--from", "coco", "--to",
                          "lines", "--out", tmp_path / "back" / "train.txt"], capsys)
    assert code == 0 and (tmp_path / "back" / "classes.txt").read_text().split() == CLASSES
    lines = sorted((tmp_path / "back" / "train.txt").read_text().splitlines())
    assert lines[0] == "../yolo/images/train/a.jpg 4,6,30,40,0 32,2,63,47,2"
    code, out, err = run(["yolo", "check", tmp_path / "back" / "train.txt", "--classes",
                          tmp_path / "back" / "classes.txt"], capsys)
    assert code == 0 and out.startswith("3 usable image(s), 0 line(s) skipped")


def test_convert_names_bad_records_on_stderr_and_goes_on(photos, tmp_path, capsys):
    text = (photos / "train.txt").read_text() + "images/gone.jpg 1,1,5,5,0\nimages/b.png 1,1,5,5,7\n"
    (photos / "train.txt").write_text(text)
    code, out, err = run(["yolo", "convert", photos / "train.txt", "--from", "lines", "--classes",
                          photos / "classes.txt", "--to", "coco", "--out", photos / "x.json"], capsys)
    assert code == 0 and "(2 skipped)" in out
    assert err.splitlines() == [f"skipped {photos / 'train.txt'}:4: images/gone.jpg: image file not found",
                                f"skipped {photos / 'train.txt'}:5: box 1 '1,1,5,5,7': class id 7 is outside 0..2 "
                                "of the classes file"]


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "lines", "--to", "yolo", "--out", "{out}"], "--classes is required to read lines"),
    (["--from", "lines", "--classes", "{classes}", "--to", "yolo", "--out", "{file}"], "--out: is a file"),
    (["--from", "lines", "--classes", "{classes}", "--to", "coco", "--out", "{folder}"], "--out: is a folder"),
    (["--from", "coco", "--to", "lines", "--out", "{out}"], "not valid JSON"),
])
def test_convert_refuses_bad_arguments_in_one_line(photos, tmp_path, capsys, args, message):
    (tmp_path / "folder").mkdir()
    values = {"out": tmp_path / "o", "classes": photos / "classes.txt", "file": photos / "classes.txt",
              "folder": tmp_path / "folder"}
    code, out, err = run(["yolo", "convert", photos / "train.txt", *[a.format(**values) for a in args]], capsys)
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1 and message in err, err


def test_report_writes_json_and_png_and_names_a_truncated_photo(photos, tmp_path, capsys):
    cut(photos / "images" / "a.jpg", 600)
    (photos / "anchors.txt").write_text("10,10,  20,20,  30,30,  40,40,  50,50,  60,60\n")
    photo(photos / "images" / "v.jpg", 32, 32)
    (photos / "val.txt").write_text("images/v.jpg 1,1,20,20,0\nimages/b.png 0,0,40,80,1\n")
    code, out, err = run(["yolo", "report", photos / "train.txt", "--from", "lines", "--classes",
                          photos / "classes.txt", "--val", photos / "val.txt", "--anchors", photos / "anchors.txt",
                          "--input-size", "64", "--out", tmp_path / "report"], capsys)
    assert (code, err) == (0, "")
    assert out.startswith(f"{len(PHOTOS)} images, 3 boxes (cat 1 in 1, dog 1 in 1, bird 1 in 1), 1 with no box")
    assert "truncated (decoded as far as it goes): 1 photo(s)" in out
    assert "the same photo in training and validation: 1 pair(s)" in out
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["truncated"][0].startswith(f"{photos / 'images' / 'a.jpg'}: image file is truncated")
    assert report["train_val_overlap"] == [[str(photos / "images" / "b.png"), str(photos / "images" / "b.png"),
                                           "same bytes"]]
    assert report["strides"] == [32, 16] and report["mean_anchor_iou"] > 0
    assert (tmp_path / "report" / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_anchors_need_an_input_size(photos, tmp_path, capsys):
    (photos / "anchors.txt").write_text("10,10\n")
    code, out, err = run(["yolo", "report", photos / "train.txt", "--from", "lines", "--classes",
                          photos / "classes.txt", "--anchors", photos / "anchors.txt", "--out", tmp_path / "r"], capsys)
    assert code == 2 and "--anchors are in input pixels: give --input-size too" in err


def test_anchors_and_check_name_a_truncated_photo_and_go_on(photos, tmp_path, capsys):
    cut(photos / "images" / "a.jpg", 600)
    photo(photos / "images" / "d.jpg", 60, 60, seed=9)
    (photos / "train.txt").write_text((photos / "train.txt").read_text() + "images/d.jpg 5,5,50,40,0\n")
    code, out, err = run(["yolo", "anchors", photos / "train.txt", "--classes", photos / "classes.txt", "--k", "2",
                          "--out", tmp_path / "anchors.txt"], capsys)
    assert code == 0 and err.startswith(f"skipped {photos / 'train.txt'}:1: images/a.jpg: cannot decode image "
                                        "(image file is truncated")
    code, out, err = run(["yolo", "check", photos / "train.txt", "--classes", photos / "classes.txt"], capsys)
    assert code == 1 and "train.txt:1: images/a.jpg: cannot decode image (image file is truncated" in out


def test_convert_a_voc_split_naming_a_broken_xml(tmp_path, capsys):
    root = tmp_path / "voc"
    assert main(["yolo", "make-data", "--out", str(root), "--train", "4", "--val", "0", "--test", "0",
                 "--image-size", "64"]) == 0
    capsys.readouterr()
    broken = sorted((root / "Annotations").glob("*.xml"))[1]
    broken.write_text(broken.read_text()[:40])
    code, out, err = run(["yolo", "convert", root, "--from", "voc", "--classes", root / "classes.txt", "--to", "yolo",
                          "--out", tmp_path / "yolo"], capsys)
    assert code == 0 and out.startswith("3 image(s)") and "(1 skipped)" in out
    assert err.startswith(f"skipped {broken}:") and "not valid XML" in err
    from mlbasics.data.convert import read_voc
    from mlbasics.data.yolo_txt import read_yolo
    from tests.data.conftest import by_name

    voc, yolo = by_name(read_voc(root, "train", read_yolo(tmp_path / "yolo").classes).samples), \
        by_name(read_yolo(tmp_path / "yolo").samples)
    assert voc.keys() == yolo.keys()
    for name in voc:
        np.testing.assert_allclose(yolo[name], voc[name], atol=1e-3)


def test_convert_to_lines_never_replaces_a_classes_file_with_other_names(photos, tmp_path, capsys):
    (tmp_path / "classes.txt").write_text("cat\ndog\nbird\nfish\n")
    code, out, err = run(["yolo", "convert", photos / "train.txt", "--from", "lines", "--classes",
                          photos / "classes.txt", "--to", "lines", "--out", tmp_path / "train.txt"], capsys)
    assert code == 2 and "lists other classes than ['cat', 'dog', 'bird']: not replaced" in err
    assert (tmp_path / "classes.txt").read_text() == "cat\ndog\nbird\nfish\n" and not (tmp_path / "train.txt").exists()


def test_report_takes_a_detector_config(photos, tmp_path, capsys):
    from mlbasics.vision.yolo.spec import YoloSpec

    spec = YoloSpec(np.array([[4, 4], [8, 8], [12, 12], [16, 16], [24, 24], [32, 32]]), CLASSES, 64, 0.25)
    spec.write(tmp_path / "final.config.json")
    code, out, err = run(["yolo", "report", photos / "train.txt", "--from", "lines", "--classes",
                          photos / "classes.txt", "--config", tmp_path / "final.config.json",
                          "--out", tmp_path / "r"], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert (report["input_size"], report["strides"], len(report["anchors"])) == (64, [32, 16], 6)
    code, out, err = run(["yolo", "report", photos / "train.txt", "--from", "lines", "--classes",
                          photos / "classes.txt", "--config", tmp_path / "final.config.json", "--input-size", "64",
                          "--out", tmp_path / "r"], capsys)
    assert code == 2 and "--config gives the anchors and the input size" in err


@pytest.mark.parametrize("source_format", ["yolo", "coco", "lines"])
def test_convert_names_a_truncated_photo_and_goes_on(photos, tmp_path, capsys, source_format):
    from mlbasics.data.convert import read_lines_file, write_annotations

    lines = read_lines_file(photos / "train.txt", CLASSES)
    source = {"yolo": lambda: write_annotations(lines, "yolo", tmp_path / "yolo"),
              "coco": lambda: write_annotations(lines, "coco", photos / "instances.json"),
              "lines": lambda: photos / "train.txt"}[source_format]()
    broken = {"yolo": tmp_path / "yolo" / "images" / "train" / "a.jpg"}.get(source_format, photos / "images" / "a.jpg")
    cut(broken, 600)
    args = ["yolo", "convert", source, "--from", source_format, "--classes", photos / "classes.txt", "--to", "coco",
            "--out", tmp_path / "out.json"]
    code, out, err = run(args, capsys)
    assert code == 0 and out.startswith("2 image(s)") and "(1 skipped)" in out
    assert len(err.splitlines()) == 1 and "a.jpg: cannot decode image (image file is truncated" in err
    assert err.startswith(f"skipped {photos / 'train.txt'}:1: " if source_format == "lines" else f"skipped {broken}: ")
    code, out, err = run([*args, "--no-decode-images"], capsys)  # headers only: the photo is kept
    assert (code, err) == (0, "") and out.startswith("3 image(s)")
