"""Exercises of lesson 00 (welcome and environment): make something happen and check that it did."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.workbook.exercises import exercise
from mlbasics.workbook.widgets.environment import WIDGET_CHECK_TARGET, widget_check_state


@exercise("00.1", "Write a function draw(seed) that calls seed_everything(seed) and returns five random numbers "
                  "drawn from the generator it returns. The check calls it twice with one seed and once with another.")
def seeded_draw(answer: Any) -> tuple[bool, str]:
    first, again, other = (np.asarray(answer(seed), dtype=float) for seed in (7, 7, 8))
    if first.size != 5:
        return False, f"draw(seed) returned {first.size} number(s); return five, e.g. with .normal(size=5)."
    if not np.array_equal(first, again):
        return False, ("two calls with the same seed gave different numbers: draw from the generator that "
                       "seed_everything(seed) returns, after calling it.")
    if np.array_equal(first, other):
        return False, "two different seeds gave the same numbers: pass draw's seed on to seed_everything."
    return True, "same seed, same numbers; another seed, other numbers. That is how every lesson's run repeats."


@exercise("00.2", f"Move the slider of the widget check to {WIDGET_CHECK_TARGET}, then pass the panel to check.")
def slider_moved(answer: Any) -> tuple[bool, str]:
    value, shown = widget_check_state(answer)
    if value == WIDGET_CHECK_TARGET and shown.startswith(f"slider = {value},"):
        return True, "the slider reached Python and the panel redrew: widgets work in this JupyterLab."
    if value != WIDGET_CHECK_TARGET:
        return False, (f"the slider is at {value}. Drag it (or click it and use the arrow keys); if you cannot "
                       "see a slider, the widget extension is missing (see the text above the panel).")
    return False, "the slider moved but the text under it did not follow: re-run the panel's cell."
