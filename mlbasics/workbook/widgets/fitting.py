"""Lesson 04: a polynomial-degree slider with training and test error."""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.figure import Figure

from mlbasics.basics.fitting import FitResult, noisy_samples, polynomial_experiment
from mlbasics.workbook.viz.plots import figure, plot_polynomial_fit
from mlbasics.workbook.widgets.common import panel, wire


def fit_summary(result: FitResult) -> str:
    """Errors and verdict of one degree, as the panel shows them."""
    return (f"degree {result.degree}: training error {result.train_error:.4f}, test error "
            f"{result.test_error:.4g} → <b>{result.regime}</b>")


def degree_panel(n_train: int = 20, noise: float = 0.1) -> widgets.VBox:
    """Slide the degree from 0 to ``n_train - 1`` and watch the fit and its errors."""
    degree = widgets.IntSlider(value=1, min=0, max=n_train - 1, description="degree")
    summary, plot = widgets.HTML(), widgets.Output()
    x_train, y_train = noisy_samples(n_train, noise)

    def update() -> tuple[str, Figure]:
        result = polynomial_experiment(degree.value, n_train=n_train, noise=noise)
        fig, (ax,) = figure(1, 5, 3.2)
        plot_polynomial_fit(ax, result.model, x_train, y_train, title=f"degree {degree.value}")
        return fit_summary(result), fig

    wire([degree], summary, plot, update)
    return panel("Polynomial degree", [degree], summary, plot)
