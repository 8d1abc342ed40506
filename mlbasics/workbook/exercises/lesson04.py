"""Exercises of lesson 04 (over- and underfitting)."""

from __future__ import annotations

from typing import Any

from mlbasics.basics.fitting import classify_regime, polynomial_experiment
from mlbasics.basics.remedies import weight_decay_curve
from mlbasics.workbook.exercises import exercise


@exercise("04.1", "For noisy samples of y = x**2 (function=lambda x: x**2), give a degree that fits appropriately.")
def degree_for_square(answer: Any) -> tuple[bool, str]:
    result = polynomial_experiment(int(answer), function=lambda x: x**2)
    if result.regime == "appropriate":
        return True, f"degree {result.degree} follows the parabola without chasing the noise."
    if result.regime == "under-fitting":
        return False, "that curve is too simple to bend like a parabola: its training error is high."
    return False, "that curve follows the noise: its test error is far above its training error."


@exercise("04.2", "weight_decay_curve([strength]) fits the degree-9 polynomial to the 20 points with an L2 penalty. "
                  "Find a strength with which the fit is appropriate (test error below twice the noise variance).")
def decay_strength(answer: Any) -> tuple[bool, str]:
    strength = float(answer)
    if not 0 <= strength < 1e9:
        return False, "give a strength of 0 or more (0 is no penalty at all)."
    noise_variance = 0.1**2
    curve = weight_decay_curve([strength / 2, strength, strength * 2])
    train, test = float(curve.train_error[1]), float(curve.test_error[1])
    regime = classify_regime(train, test, noise_variance)
    if regime == "appropriate":
        return True, (f"test error {test:.4f} with training error {train:.4f}: the penalty keeps the coefficients "
                      "small, so the curve cannot bend through every noisy point.")
    if strength == 0 or curve.test_error[2] < test:
        return False, f"test error {test:.4f}, training error {train:.4f}: a stronger penalty does better. Try more."
    return False, (f"test error {test:.4f}, training error {train:.4f}: a weaker penalty does better; "
                   "the curve is held too flat to follow y = x.")
