"""Lessons 09 and 10: each exercise takes a right answer and gives a hint, not the answer, for a wrong one;
lesson 10's readers of a DVC run."""

from __future__ import annotations

import pytest

from mlbasics.workbook.exercises import check, prompt

RIGHT_AND_WRONG = {
    "09.1": (None, 0.3),  # right answer computed below
    "09.2": (None, 1.0),
    "10.1": (0.52, 0.3),
    "10.2": (0.53, 0.6),
}


def _right(exercise_id: str):
    from mlbasics.pipelines.embeddings_map import pca_2d
    from mlbasics.workbook.exercises.lesson09 import CALL_OVERHEAD_S, PER_IMAGE_S, exercise_embeddings

    if exercise_id == "09.1":
        return float(pca_2d(exercise_embeddings())[1].sum())
    if exercise_id == "09.2":
        return (64 / (CALL_OVERHEAD_S + 64 * PER_IMAGE_S)) * (CALL_OVERHEAD_S + PER_IMAGE_S)
    return RIGHT_AND_WRONG[exercise_id][0]


@pytest.mark.parametrize("exercise_id", sorted(RIGHT_AND_WRONG))
def test_right_answer_passes_wrong_answer_gets_a_hint(exercise_id):
    right, wrong = _right(exercise_id), RIGHT_AND_WRONG[exercise_id][1]
    assert check(exercise_id, right).correct, check(exercise_id, right).message
    feedback = check(exercise_id, wrong)
    assert not feedback.correct and feedback.message
    assert f"{right:.2f}" not in feedback.message
    assert prompt(exercise_id)


def test_door_camera_has_no_perfect_threshold_and_hints_say_which_way():
    """10.2: every threshold either lets a stranger in or locks some residents out; the hint names which."""
    import numpy as np

    from mlbasics.pipelines.faces.matching import match_counts
    from mlbasics.workbook.exercises.lesson10 import door_camera_distances

    distances, same = door_camera_distances()
    for threshold in np.linspace(0.2, 1.0, 81):
        counts = match_counts(distances, same, float(threshold))
        assert counts["false_matches"] or counts["missed"]
    assert "Raise it" in check("10.2", 0.45).message
    assert "Lower the threshold" in check("10.2", 0.57).message
    assert check("10.2", 0.55).correct  # the closest stranger pair is at 0.55 and matches only below it


DVC_LOG = """\
Running stage 'train':
> mlbasics faces train train --out out/state.json --cache .face-cache
{
  "people": {
    "Ann": 2
  },
  "analysed": 1,
  "reused": 1
}
Updating lock file 'dvc.lock'

Stage 'identify' didn't change, skipping
Running stage 'tag':
> mlbasics faces tag images out/identified --out out/tagged
{
  "tagged": 3,
  "warnings": [
    "no label image for 'Ann'"
  ]
}
Use `dvc push` to send your updates to remote storage.
"""


def test_dvc_stage_reports_and_summary():
    from mlbasics.workbook.lessons import dvc_stage_reports, stage_summary

    reports = dvc_stage_reports(DVC_LOG)
    assert reports == {"train": {"people": {"Ann": 2}, "analysed": 1, "reused": 1}, "identify": None,
                       "tag": {"tagged": 3, "warnings": ["no label image for 'Ann'"]}}
    assert stage_summary(reports).splitlines() == [
        "train: people {'Ann': 2}, analysed 1, reused 1",
        "identify: skipped by DVC (its inputs did not change)",
        "tag: tagged 3, warnings 1 item(s)",
    ]


def test_duplicate_files_groups_same_bytes_only(tmp_path):
    from mlbasics.workbook.lessons import duplicate_files

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.jpg").write_bytes(b"same")
    (tmp_path / "a" / "2.jpg").write_bytes(b"same")
    (tmp_path / "b.jpg").write_bytes(b"other")
    assert duplicate_files(tmp_path) == [["a/1.jpg", "a/2.jpg"]]
