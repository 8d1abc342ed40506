"""Lesson 01: train the XOR network with your own learning rate, width and epochs."""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.figure import Figure

from mlbasics.basics.logic_data import truth_table
from mlbasics.basics.mlp import MLP, train_xor
from mlbasics.workbook.viz.plots import figure, plot_decision_boundary, plot_losses
from mlbasics.workbook.widgets.common import panel, wire


def xor_summary(model: MLP) -> str:
    """Accuracy and final loss of an XOR model, as the panel shows them."""
    X, y = truth_table("xor")
    return (f"accuracy {model.score(X, y):.0%} on the 4 XOR rows, final loss {model.history_.epoch_loss[-1]:.4f} "
            f"after {model.history_.iterations} iterations")


def xor_figure(model: MLP) -> Figure:
    """Decision boundary and loss curve of an XOR model."""
    X, y = truth_table("xor")
    fig, (left, right) = figure(2, 3.6, 3.0)
    plot_decision_boundary(left, model.predict, X, y, title="what the network learned")
    plot_losses(right, model.history_.epoch_loss, title="loss (one iteration per epoch)")
    return fig


def xor_panel() -> widgets.VBox:
    """Sliders for learning rate, hidden units and epochs; retrains and redraws on every change."""
    wide = {"description_width": "initial"}
    rate = widgets.FloatLogSlider(value=0.5, base=10, min=-3, max=1, step=0.1, description="learning rate",
                                  readout_format=".3g", style=wide)
    hidden = widgets.IntSlider(value=4, min=1, max=16, description="hidden units", style=wide)
    epochs = widgets.IntSlider(value=2000, min=100, max=5000, step=100, description="epochs", style=wide)
    summary, plot = widgets.HTML(), widgets.Output()

    def update() -> tuple[str, Figure]:
        model = train_xor(rate.value, hidden.value, epochs.value)
        return xor_summary(model), xor_figure(model)

    wire([rate, hidden, epochs], summary, plot, update)
    return panel("XOR trainer", [rate, hidden, epochs], summary, plot)
