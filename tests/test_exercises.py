import numpy as np
import pytest

from mlbasics.core.seed import seed_everything
from mlbasics.workbook.exercises import check, prompt
from mlbasics.workbook.tensors import four_pixel_image
from mlbasics.workbook.widgets.environment import WIDGET_CHECK_TARGET, widget_check_panel


def _moved_panel(value):
    panel = widget_check_panel()
    panel.children[1].children[0].value = value
    return panel

RIGHT_AND_WRONG = {
    "00.1": (lambda seed: seed_everything(seed).normal(size=5), lambda seed: np.random.default_rng().normal(size=5)),
    "00.2": (_moved_panel(WIDGET_CHECK_TARGET), widget_check_panel()),
    "01.1": ((-1.0, -1.0, 1.5), (1.0, 1.0, -1.5)),
    "01.2": ((2, 3, 0, 1), (0, 1, 2, 3)),
    "01.3": (2, 1),
    "02.2": (np.moveaxis(four_pixel_image(), -1, 0), four_pixel_image().reshape(3, 2, 2)),
    "02.3": (150, 76),
    "03.1": (320, 310),
    "03.2": (0.32, 0.01),
    "04.1": (2, 0),
    "04.2": (0.1, 0.0),
}


@pytest.mark.parametrize("exercise_id", sorted(RIGHT_AND_WRONG))
def test_right_answer_passes_wrong_answer_gets_a_hint(exercise_id):
    right, wrong = RIGHT_AND_WRONG[exercise_id]
    assert check(exercise_id, right).correct
    feedback = check(exercise_id, wrong)
    assert not feedback.correct and feedback.message
    assert str(right) not in feedback.message  # hints, not the answer
    assert prompt(exercise_id)


def test_placeholder_and_garbage_answers():
    assert "no answer yet" in check("01.2", ...).message
    feedback = check("02.1", "not a batch")
    assert not feedback.correct
    assert "could not check" in check("01.1", 3).message
    assert "✘" in feedback._repr_html_()


def test_seeded_draw_that_ignores_its_seed_is_named():
    feedback = check("00.1", lambda seed: seed_everything(42).normal(size=5))
    assert not feedback.correct and "different seeds gave the same numbers" in feedback.message


def test_and_order_must_be_a_permutation():
    assert "exactly once" in check("01.2", (3, 3, 0, 1)).message


def test_too_much_weight_decay_is_named():
    feedback = check("04.2", 100.0)
    assert not feedback.correct and "weaker penalty" in feedback.message


def test_unknown_exercise():
    with pytest.raises(KeyError, match="no exercise '99.1'"):
        check("99.1", 1)


def _square() -> np.ndarray:
    """A letterboxed 416x416 picture in [0, 1] with a left-right asymmetric pattern."""
    rng = np.random.default_rng(2)
    return rng.uniform(0, 1, size=(416, 416, 3)).astype(np.float32)


def test_mirrored_batch_is_measured_and_each_miss_named():
    square = _square()
    right = np.stack([square, square[:, ::-1]])
    assert check("02.1", right).correct
    misses = {
        "check_input refuses it: your batch: expected shape": np.stack([square, square[:, ::-1]])[0],
        "expected dtype float32": (right * 255).astype(np.uint8),
        "the batch holds 1 pictures": right[:1],
        "upside down": np.stack([square, square[::-1]]),
        "colour channels reversed": np.stack([square, square[..., ::-1]]),
        "both pictures are the same": np.stack([square, square]),
        "not the first one mirrored": np.stack([square, square.transpose(1, 0, 2)]),
        "one flat colour": np.zeros((2, 416, 416, 3), np.float32),
    }
    for hint, answer in misses.items():
        feedback = check("02.1", answer)
        assert not feedback.correct and hint in feedback.message, (hint, feedback.message)


# --- lesson 13: the checks read a folder as `yolo fit` does and run the dataset report; nothing trains ------------

def test_labelled_photo_is_read_as_fit_reads_it_and_each_miss_named(mirror, tmp_path):
    import shutil

    from mlbasics.data.labelling import LabelBox
    from mlbasics.workbook.widgets.labelling import LabellingPanel

    for name in ("raccoon-1.jpg", "raccoon-2.jpg", "raccoon-3.jpg"):
        shutil.copy(mirror / "raccoon" / "images" / name, tmp_path)
    assert "nothing in this folder is labelled yet" in check("13.1", tmp_path).message
    panel = LabellingPanel(tmp_path, ["raccoon"])  # no prefill: COCO's proposals are the lesson's, not the check's
    panel.set_boxes([LabelBox(81, 88, 522, 408, "raccoon")])  # photo 1, as the lesson labels it
    panel.next()
    assert "raccoon-2.jpg has no XML" in check("13.1", panel).message  # what a box still named 'object' leaves
    panel.skip()
    assert "still marked skipped" in check("13.1", tmp_path).message
    panel.previous()
    assert panel.photo.name == "raccoon-2.jpg"
    misses = {  # the hand-drawn box is (60, 51, 462, 499) in an 800x573 photo
        "COCO's box as proposed: IoU 0.55": ([LabelBox(119, 65, 447, 368, "raccoon")], "left, bottom edge(s)"),
        "no box at all": ([], "as a photo with no raccoon in it"),
        "fractions": ([LabelBox(0, 0, 1, 1, "raccoon")], "not fractions"),
        "x, y, width, height": ([LabelBox(60, 51, 402, 448, "raccoon")], "a width and a height"),
        "a second box": ([LabelBox(60, 51, 462, 499, "raccoon"), LabelBox(500, 10, 790, 560, "raccoon")],
                         "1 more box(es)"),
    }
    for what, (boxes, hint) in misses.items():
        panel.set_boxes(boxes)
        feedback = check("13.1", tmp_path)
        assert not feedback.correct and hint in feedback.message, (what, feedback.message)
        assert "60, 51" not in feedback.message and "462" not in feedback.message  # hints, not the answer
    panel.set_boxes([LabelBox(64, 55, 455, 490, "raccoon")])
    right = check("13.1", tmp_path)
    assert right.correct and "fit reads 2 labelled photo(s)" in right.message, right.message
    assert prompt("13.1")


def test_leak_is_left_out_and_the_report_run_again(mirror, tmp_path):
    from mlbasics.workbook.exercises.lesson13 import LEAKY_PAIR, _leaky_names, leaky_folder, leaky_pair

    folder = leaky_folder(tmp_path / "leaky")
    assert (folder / "split.json").is_file() and len(list((folder / "images").glob("*.jpg"))) == 27
    original, copy = leaky_pair()
    right = check("13.2", [copy])
    assert right.correct and "out of validation" in right.message, right.message
    assert check("13.2", f"{original}.jpg").correct  # leaving the training original out also ends the leak
    nothing = check("13.2", [])
    assert not nothing.correct and "still finds 1 photo(s)" in nothing.message and copy not in nothing.message
    twin = check("13.2", [_leaky_names()[LEAKY_PAIR[0]]])  # one of the byte copies inside training
    assert not twin.correct and "does not flatter the score" in twin.message, twin.message
    assert "one photo of the pair is enough" in check("13.2", [original, copy]).message
    assert "no photo photo-99" in check("13.2", ["photo-99"]).message
    assert prompt("13.2")
