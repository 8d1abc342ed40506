"""The face-detection policy: scale chosen from the smallest face, checked parameters, and every
labelled face of a real VOC photo with small faces found by the default."""

from __future__ import annotations

import numpy as np
import pytest

from mlbasics.cli import main
from mlbasics.core.errors import InputError
from mlbasics.data.dlib_xml import read_dlib_boxes, read_dlib_xml
from mlbasics.pipelines.faces.analysis import AnalysisCache, analyse_file
from mlbasics.pipelines.faces.detection import MIN_FACE_SIZE, DetectionPolicy, scale_boxes, scaled_size
from mlbasics.pipelines.faces.evaluation import face_sizes, match_faces


@pytest.mark.parametrize(("min_face_size", "scale", "size"), [(40, 2.0, (750, 1000)), (80, 1.0, (375, 500)),
                                                               (160, 0.5, (188, 250)), (20, 4.0, (1500, 2000))])
def test_the_scale_follows_the_smallest_face_not_the_image(min_face_size, scale, size):
    policy = DetectionPolicy(min_face_size)
    assert policy.scale == scale
    assert scaled_size(375, 500, policy.scale) == size
    assert scaled_size(3000, 4000, policy.scale) == (round(3000 * scale), round(4000 * scale))  # large images too


def test_boxes_found_in_the_scaled_image_map_back_and_are_clipped():
    found = np.array([[100, 50, 180, 130], [-10, 740, 60, 800]])  # in a 2x image of 375 x 500
    assert scale_boxes(found, 2.0, 375, 500).tolist() == [[50, 25, 90, 65], [0, 370, 30, 375]]
    assert scale_boxes(np.zeros((0, 4)), 2.0, 375, 500).shape == (0, 4)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"min_face_size": 10}, "at least 20 px"),
    ({"min_face_size": 40.5}, "whole number of pixels"),
    ({"min_face_size": True}, "whole number of pixels"),
    ({"min_face_size": "40"}, "whole number of pixels"),
    ({"detector": "yolo"}, "detector must be one of 'hog', 'cnn', got 'yolo'"),
])
def test_bad_policies_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(InputError, match=message):
        DetectionPolicy(**kwargs)


def test_the_command_line_refuses_bad_values_in_one_line(tmp_path, capsys):
    (tmp_path / "images").mkdir()
    args = ["faces", "identify", str(tmp_path / "images"), str(tmp_path / "state.json"), "--out", str(tmp_path / "o")]
    assert main([*args, "--min-face-size", "10"]) == 2
    assert "argument --min-face-size: must be an integer in 20..10,000 (below 20 px the image would be " \
           "enlarged more than 4×), got '10'" in capsys.readouterr().err
    assert main([*args, "--detector", "yolo"]) == 2
    assert "invalid choice: 'yolo'" in capsys.readouterr().err


def test_each_policy_has_its_own_cache_entries(tmp_path, faces_root):
    photo = faces_root / "voc_faces" / "2008_001009.jpg"
    sha, default, _ = analyse_file(photo, None, AnalysisCache(tmp_path))
    assert AnalysisCache(tmp_path, DetectionPolicy(160)).get(sha) is None
    assert len(AnalysisCache(tmp_path, DetectionPolicy(MIN_FACE_SIZE.default)).get(sha)) == len(default)


def test_models_and_cache_of_different_policies_are_refused(tmp_path, faces_root):
    from mlbasics.pipelines.faces.models import FaceModels

    with pytest.raises(InputError, match="use one policy"):
        analyse_file(faces_root / "voc_faces" / "2008_001009.jpg", FaceModels(DetectionPolicy(80)),
                     AnalysisCache(tmp_path))


def test_the_default_finds_every_small_labelled_face_of_a_real_photo(faces_root, tmp_path):
    labelled = {item.image.name: item for item in read_dlib_boxes(faces_root / "voc_faces" / "training.xml")}
    item = labelled["2007_007763.jpg"]  # seven faces of 37 to 45 px
    assert face_sizes([item]).max() < 50 and len(item.boxes) == 7
    _, faces, _ = analyse_file(item.image, None, AnalysisCache(tmp_path))
    found = np.array([[f.left, f.top, f.left + f.width, f.top + f.height] for f in faces])
    counts = match_faces(found, item.boxes, item.ignored)
    assert (counts.true_positives, counts.false_positives, counts.missed) == (7, 0, 0)
    _, coarse, _ = analyse_file(item.image, None, AnalysisCache(tmp_path, DetectionPolicy(80)))
    assert len(coarse) < 7  # finding only faces of 80 px and up misses them: the test can fail


def test_ignored_boxes_are_dont_care(tmp_path):
    xml = tmp_path / "faces.xml"
    xml.write_text("<dataset><images><image file='a.jpg'>"
                   "<box top='10' left='10' width='40' height='40'/>"
                   "<box top='100' left='100' width='40' height='40' ignore='1'/>"
                   "</image></images></dataset>")
    [item] = read_dlib_boxes(xml)
    assert item.boxes.tolist() == [[10, 10, 50, 50]] and item.ignored.tolist() == [[100, 100, 140, 140]]
    assert read_dlib_xml(xml)[0].boxes.tolist() == [[10, 10, 50, 50, 0]]
    hit_and_ignored = np.array([[12, 11, 51, 50], [101, 99, 141, 139]])
    counts = match_faces(hit_and_ignored, item.boxes, item.ignored)
    assert (counts.true_positives, counts.false_positives, counts.missed) == (1, 0, 0)
    counts = match_faces(np.array([[12, 11, 51, 50], [11, 10, 50, 49], [300, 300, 340, 340]]), item.boxes,
                         item.ignored)
    assert (counts.true_positives, counts.false_positives, counts.missed) == (1, 2, 0)  # a duplicate is false
    assert match_faces(np.zeros((0, 4)), item.boxes, item.ignored).missed == 1


def test_the_workspace_run_passes_the_policy_to_its_stages(tmp_path, capsys):
    from mlbasics.pipelines.faces.workspace import dvc_yaml, run

    text = dvc_yaml(policy=DetectionPolicy(80, "cnn"))
    assert text.count("--min-face-size 80 --detector cnn") == 2  # train and identify
    (tmp_path / "train").mkdir()
    with pytest.raises(InputError, match="at least 20 px"):
        run(tmp_path, min_face_size=10, use_dvc=False)
    assert main(["faces", "run", str(tmp_path), "--min-face-size", "10", "--no-dvc"]) == 2
    assert "argument --min-face-size: must be an integer in 20..10,000 (below 20 px the image would be " \
           "enlarged more than 4×), got '10'" in capsys.readouterr().err


def test_the_saved_hog_detector_is_dlibs_and_is_rebuilt_when_damaged(tmp_path, faces_root, monkeypatch):
    import dlib
    from PIL import Image

    from mlbasics.pipelines.faces.saved_detector import detector_path, frontal_face_detector

    grey = np.asarray(Image.open(faces_root / "voc_faces" / "2008_004176.jpg").convert("L"))
    built = frontal_face_detector(tmp_path)  # first call: built by dlib, saved
    path = detector_path(tmp_path)
    assert path.is_file() and path.with_name(path.name + ".sha256").is_file()
    rebuilt = []
    real_build = dlib.get_frontal_face_detector
    monkeypatch.setattr(dlib, "get_frontal_face_detector", lambda: rebuilt.append(1) or real_build())
    saved = frontal_face_detector(tmp_path)
    assert rebuilt == []  # read from the file, not rebuilt
    found = [(r.left(), r.top(), r.right(), r.bottom()) for r in saved(grey, 1)]
    assert len(found) >= 5 and found == [(r.left(), r.top(), r.right(), r.bottom()) for r in built(grey, 1)]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: dlib might load it, the checksum does not match
    path.write_bytes(bytes(data))
    frontal_face_detector(tmp_path)
    assert rebuilt == [1] and path.read_bytes() != bytes(data)  # rebuilt and saved again
    path.write_bytes(b"not a detector")
    path.with_name(path.name + ".sha256").write_text("0" * 64)
    assert frontal_face_detector(tmp_path) is not None and rebuilt == [1, 1]


def test_the_hog_detector_is_kept_in_the_data_cache_and_built_when_there_is_none(tmp_path, monkeypatch):
    from mlbasics.pipelines.faces.saved_detector import FOLDER, detector_path, frontal_face_detector

    monkeypatch.setenv("MLBASICS_CACHE", str(tmp_path / "cache"))
    assert frontal_face_detector() is not None and detector_path(tmp_path / "cache" / FOLDER).is_file()
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("MLBASICS_CACHE", str(tmp_path / "file" / "cache"))  # cannot be created
    assert frontal_face_detector() is not None
