"""Exercises of lesson 04 (over- and underfitting)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlbasics.basics.fitting import SPEED_OF_LIGHT, galilean_valid_up_to, polynomial_experiment
from mlbasics.workbook.exercises import exercise


@exercise("04.1", "For noisy samples of y = x**2 (function=lambda x: x**2), give a degree that fits appropriately.")
def degree_for_square(answer: Any) -> tuple[bool, str]:
    result = polynomial_experiment(int(answer), function=lambda x: x**2)
    if result.regime == "appropriate":
        return True, f"degree {result.degree} follows the parabola without chasing the noise."
    if result.regime == "under-fitting":
        return False, "that curve is too simple to bend like a parabola: its training error is high."
    return False, "that curve follows the noise: its test error is far above its training error."


@exercise("04.2", "Up to what fraction of light speed is v + v within 1% of the relativistic result? (a float)")
def one_percent(answer: Any) -> tuple[bool, str]:
    truth = galilean_valid_up_to(0.01) / SPEED_OF_LIGHT
    if np.isclose(float(answer), truth, rtol=0.02):
        return True, "a tenth of c, 30,000 km/s: no car or plane comes close, so u + v is a useful over-simplification."
    return False, "the error of u + v is u*v/c**2; set u = v and solve for v/c."
