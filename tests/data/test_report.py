"""The dataset report on photos made to hold each problem, the truncated-image policy, and the raccoon set."""

from __future__ import annotations

import hashlib
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mlbasics.core.errors import DataFileError, InputError
from mlbasics.data.annotation_lines import Sample
from mlbasics.data.converted import Converted
from mlbasics.data.report import dataset_report
from mlbasics.io.images import TruncatedImageWarning, exif_orientation, image_size, open_image, open_image_partial
from tests.data.conftest import photo


def cut(path: Path, drop: int = 400) -> Path:
    """``path`` without its last ``drop`` bytes (an interrupted copy); the header stays whole."""
    path.write_bytes(path.read_bytes()[:-drop])
    return path


def sample(path: Path, *boxes: tuple[float, ...]) -> Sample:
    return Sample(path, np.array(boxes, dtype=np.float32).reshape(-1, 5))


# --- io/images: one policy for files cut short -------------------------------------------------------------


def test_truncated_jpeg_is_refused_by_default_and_decoded_with_a_warning_on_request(tmp_path):
    broken = cut(photo(tmp_path / "cut.jpg", 64, 48))
    with pytest.raises(DataFileError, match="cannot decode image .image file is truncated"):
        open_image(broken)
    with pytest.warns(TruncatedImageWarning, match=f"{broken}: image file is truncated .* decoded what is there"):
        assert open_image(broken, truncated="warn").size == (64, 48)
    image, damage = open_image_partial(broken)
    assert image.size == (64, 48) and damage is not None and damage.startswith("image file is truncated")
    whole = photo(tmp_path / "whole.jpg", 8, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert open_image_partial(whole)[1] is None and open_image(whole, truncated="warn").size == (8, 8)
    with pytest.raises(ValueError, match="truncated must be one of"):
        open_image(whole, truncated="ignore")  # type: ignore[arg-type]


def test_a_file_that_is_not_an_image_stays_an_error_under_either_policy(tmp_path):
    (tmp_path / "text.jpg").write_text("hello")
    for call in (lambda: open_image(tmp_path / "text.jpg", truncated="warn"),
                 lambda: open_image_partial(tmp_path / "text.jpg")):
        with pytest.raises(DataFileError, match="not an image file"):
            call()


def test_exif_orientation_and_upright_size(tmp_path):
    path = photo(tmp_path / "side.jpg", 64, 32)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.open(path).save(path, exif=exif)
    assert exif_orientation(path) == 6 and image_size(path) == (32, 64)
    assert exif_orientation(photo(tmp_path / "plain.jpg", 8, 8)) == 1


# --- the report -------------------------------------------------------------------------------------------


@pytest.fixture
def problem_set(tmp_path) -> tuple[Converted, Converted, Path]:
    """Train and val samples, each photo made to show one fact the report must find."""
    d = tmp_path
    a = photo(d / "a.jpg", 64, 48, seed=1)
    shutil.copy(a, d / "a_copy.jpg")  # same bytes
    pixels = np.asarray(Image.open(a))
    Image.fromarray(pixels).save(d / "a_same_pixels.png", compress_level=1)
    Image.fromarray(pixels).save(d / "a_same_pixels_2.png", compress_level=9)  # same pixels, other bytes
    smooth = np.kron(np.random.default_rng(5).integers(0, 256, (6, 8, 3)), np.ones((16, 16, 1))).astype(np.uint8)
    Image.fromarray(smooth).save(d / "b.png")
    Image.fromarray(smooth).resize((64, 48), Image.Resampling.BILINEAR).save(d / "b_small.jpg", quality=90)
    side = photo(d / "side.jpg", 64, 32, seed=2)  # stored 64x32, viewed 32x64
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.open(side).save(side, exif=exif)
    cut(photo(d / "cut.jpg", 64, 48, seed=3))
    (d / "text.jpg").write_text("not an image")
    empty = photo(d / "empty.jpg", 30, 30, seed=4)
    train = Converted([sample(a, (0, 0, 32, 24, 0), (40, 30, 50, 36, 1)), sample(d / "a_copy.jpg", (0, 0, 10, 10, 0)),
                       sample(d / "a_same_pixels.png", (0, 0, 10, 10, 0)),
                       sample(d / "a_same_pixels_2.png", (0, 0, 10, 10, 0)),
                       sample(d / "b.png", (0, 0, 64, 48, 1)), sample(side, (40, 2, 60, 30, 1)),
                       sample(d / "cut.jpg", (1, 1, 20, 20, 0)), sample(d / "text.jpg", (1, 1, 2, 2, 0)),
                       sample(empty)], ["cat", "dog"],
                      [DataFileError(d / "train.txt", "class id 9 is outside 0..1", line=12)])
    val = Converted([sample(d / "b_small.jpg", (0, 0, 30, 30, 1)), sample(photo(d / "v.jpg", 40, 40, seed=6))],
                    ["cat", "dog"])
    return train, val, d


def test_the_report_finds_each_planted_problem(problem_set):
    train, val, d = problem_set
    report = dataset_report(train, val, anchors=np.array([[16.0, 12.0], [64.0, 48.0]]), input_size=64,
                            strides=(32, 16))
    assert report.images == 8  # text.jpg cannot be decoded: named in skipped, left out of the counts
    assert report.boxes_per_class == {"cat": 5, "dog": 3} and report.images_per_class == {"cat": 5, "dog": 3}
    assert report.no_boxes == [str(d / "empty.jpg")]
    assert report.same_bytes == [[str(d / "a.jpg"), str(d / "a_copy.jpg")]]
    assert report.same_pixels == [[str(d / "a.jpg"), str(d / "a_copy.jpg"), str(d / "a_same_pixels.png"),
                                   str(d / "a_same_pixels_2.png")]]
    assert [(a, b) for a, b, _ in report.look_alike] == []  # nothing resized inside train
    assert [(t, v) for t, v, how in report.train_val_overlap if how.startswith("look alike")] == [
        (str(d / "b.png"), str(d / "b_small.jpg"))]
    [rotated] = report.rotated
    assert (rotated.image, rotated.orientation, rotated.boxes_fit) == (str(d / "side.jpg"), 6, "raw")
    assert report.truncated[0].startswith(f"{d / 'cut.jpg'}: image file is truncated")
    skipped = "\n".join(report.skipped)
    assert f"{d / 'train.txt'}:12: class id 9" in skipped and f"{d / 'text.jpg'}: not an image file" in skipped
    assert f"{d / 'side.jpg'}: box 1 (40,2,60,30) is outside the 32x64 image (EXIF orientation 6: the boxes fit " \
           "the stored, unrotated pixels)" in skipped
    # a.jpg is 64 px wide at input 64: its 10x6 box is under the finest stride (16); so are the 10x10 boxes
    small = {(s.image, s.box, s.width, s.height) for s in report.small_boxes}
    assert (str(d / "a.jpg"), 2, 10.0, 6.0) in small and (str(d / "a_copy.jpg"), 1, 10.0, 10.0) in small
    assert all(min(s.width, s.height) < 16 for s in report.small_boxes)
    assert report.mean_anchor_iou is not None and 0 < report.mean_anchor_iou < 1
    json_ready = report.to_json()
    assert "box_sizes" not in json_ready and json_ready["rotated"][0]["boxes_fit"] == "raw"
    assert "EXIF-rotated: 1 photo(s)" in report.summary()


def test_box_sizes_are_letterboxed_and_anchor_fit_is_exact_for_matching_anchors(tmp_path):
    wide = photo(tmp_path / "wide.jpg", 200, 100)
    converted = Converted([sample(wide, (0, 0, 100, 50, 0), (10, 10, 60, 30, 0))], ["x"])
    report = dataset_report(converted, anchors=np.array([[50.0, 25.0], [25.0, 10.0]]), input_size=100,
                            strides=(32, 16))
    np.testing.assert_allclose(report.box_sizes, [[50, 25], [25, 10]])  # scaled by 100 / 200
    assert report.mean_anchor_iou == 1.0
    assert [(s.box, s.width, s.height) for s in report.small_boxes] == [(2, 25.0, 10.0)]


def test_strides_without_input_size_is_refused(tmp_path):
    converted = Converted([sample(photo(tmp_path / "a.jpg", 8, 8))], ["x"])
    with pytest.raises(InputError, match="input_size"):
        dataset_report(converted, strides=(32,))


# --- the real raccoon set: all 200 photos, facts checked independently -----------------------------------


@pytest.fixture
def raccoon(mirror) -> Converted:
    """The 200 raccoon photos read in place from the offline mirror (read only), with their VOC boxes."""
    from mlbasics.data.voc import read_voc_xml

    root = mirror / "raccoon"
    samples = []
    for xml in sorted((root / "annotations").glob("*.xml")):
        voc = read_voc_xml(xml, ["raccoon"])
        samples.append(Sample(root / "images" / voc.filename, voc.boxes))
    return Converted(samples, ["raccoon"])


def test_raccoon_report_on_all_200_photos_matches_an_independent_check(raccoon):
    report = dataset_report(raccoon, input_size=224, strides=(32, 16))
    assert report.images == 200 and report.boxes_per_class == {"raccoon": 217} and report.skipped == []
    by_bytes: dict[str, list[str]] = {}
    for s in raccoon.samples:
        by_bytes.setdefault(hashlib.sha256(s.image.read_bytes()).hexdigest(), []).append(str(s.image))
    expected = sorted(sorted(g) for g in by_bytes.values() if len(g) > 1)
    assert sorted(sorted(g) for g in report.same_bytes) == expected
    assert sorted(Path(p).name for g in expected for p in g) == [  # found by hand: docs/yolo.md
        "raccoon-11.jpg", "raccoon-116.jpg", "raccoon-120.jpg", "raccoon-52.jpg", "raccoon-65.jpg",
        "raccoon-74.jpg", "raccoon-83.jpg", "raccoon-98.jpg"]
    orientations = {s.image.name: Image.open(s.image).getexif().get(0x0112, 1) for s in raccoon.samples}
    assert [r.image for r in report.rotated] == [str(s.image) for s in raccoon.samples
                                                 if orientations[s.image.name] != 1] == []
    # resized copies: raccoon-50 (275x183) is raccoon-52/74 (800x533), raccoon-21 (290x174) is raccoon-45 (620x372)
    pairs = {frozenset((Path(a).name, Path(b).name)) for a, b, _ in report.look_alike}
    assert {frozenset(("raccoon-50.jpg", "raccoon-52.jpg")), frozenset(("raccoon-21.jpg", "raccoon-45.jpg"))} <= pairs
    assert report.small_boxes == [] and report.truncated == []


def test_close_pairs_agree_with_hamming_on_every_pair():
    from mlbasics.data.photo_hash import close_pairs, hamming

    rng = np.random.default_rng(0)
    hashes = [int(h) for h in rng.integers(0, 2**63, 150, dtype=np.uint64)] + [2**64 - 1]
    hashes += [h ^ (1 << int(bit)) ^ (1 << 63) for h, bit in zip(hashes[:40], rng.integers(0, 63, 40))]  # 1-2 bits
    expected = {(i, j, hamming(a, b)) for i, a in enumerate(hashes) for j, b in enumerate(hashes)
                if i < j and hamming(a, b) <= 6}
    assert len(expected) >= 40 and set(close_pairs(hashes, hashes, 6, same=True)) == expected
    assert set(close_pairs(hashes[:3], hashes, 0)) == {(0, 0, 0), (1, 1, 0), (2, 2, 0)}
