"""The panels are thin: moving a control must change what the panel shows."""

import numpy as np

from mlbasics.workbook.tensors import four_pixel_image
from mlbasics.workbook.widgets.batches import batch_panel
from mlbasics.workbook.widgets.colour_spaces import VIEWS, colour_panel
from mlbasics.workbook.widgets.environment import widget_check_panel
from mlbasics.workbook.widgets.fitting import degree_panel
from mlbasics.workbook.widgets.xor import xor_panel


def _controls(panel):
    return panel.children[1].children


def _summary(panel):
    return panel.children[2].value


def test_xor_panel_retrains_when_a_slider_moves():
    panel = xor_panel()
    assert "accuracy 100%" in _summary(panel)
    rate, hidden, _ = _controls(panel)
    hidden.value = 1
    assert "accuracy 100%" not in _summary(panel)
    rate.value = 0.001
    assert "after 2000 iterations" in _summary(panel)


def test_batch_panel_counts_iterations():
    panel = batch_panel()
    assert "32 iterations per epoch" in _summary(panel)
    _controls(panel)[0].value = 256
    assert "4 iterations per epoch" in _summary(panel)


def test_degree_panel_verdict_follows_the_slider():
    panel = degree_panel()
    assert "appropriate" in _summary(panel)
    _controls(panel)[0].value = 15
    assert "over-fitting" in _summary(panel)
    _controls(panel)[0].value = 0
    assert "under-fitting" in _summary(panel)


def test_colour_panel_and_check_panel():
    image = np.kron(four_pixel_image(), np.ones((4, 4, 1), np.uint8))
    panel = colour_panel(image)
    assert "0.0 levels" in _summary(panel)
    _controls(panel)[0].value = VIEWS[1]
    assert "0.0 levels" not in _summary(panel)
    check = widget_check_panel()
    _controls(check)[0].value = 7
    assert _summary(check) == "slider = 7, squared = 49"
