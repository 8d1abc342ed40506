"""Lesson 09/10 panels: moving the slider changes what they show."""

import numpy as np

from mlbasics.workbook.widgets.pipelines import neighbours_panel, threshold_panel


def test_neighbours_panel_follows_the_slider():
    embeddings = np.array([[0.0, 0], [0.1, 0], [5, 5], [5.1, 5], [5, 5.2]])
    images = np.zeros((5, 4, 4, 3), np.uint8)
    labels = ["circle", "circle", "square", "square", "square"]
    panel = neighbours_panel(embeddings, images, labels, k=1)
    summary = panel.children[2]
    assert summary.value == "image 0 (circle): 1 of its 1 nearest neighbours are circles too"
    panel.children[1].children[0].value = 2
    assert summary.value.startswith("image 2 (square): 1 of its 1")


def test_threshold_panel_counts_follow_the_slider():
    distances = np.array([0.3, 0.5, 0.7, 0.9])
    same = np.array([True, True, False, False])
    panel = threshold_panel(distances, same)
    summary = panel.children[2]
    assert "2 same-person pairs matched, 0 missed, 0 different-people pairs wrongly matched" in summary.value
    panel.children[1].children[0].value = 0.8
    assert "1 different-people pairs wrongly matched" in summary.value
