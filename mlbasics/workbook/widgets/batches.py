"""Lesson 03: choose a batch size, see iterations per epoch and how noisy the loss is."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from mlbasics.basics.linear import batch_size_experiment
from mlbasics.basics.training import History
from mlbasics.workbook.viz.plots import figure, plot_losses
from mlbasics.workbook.widgets.common import panel, wire


def loss_noise(history: History) -> float:
    """Standard deviation of the step losses in the last epoch: how much the loss jitters."""
    last = np.asarray(history.step_loss[-history.steps_per_epoch :])
    return float(last.std())


def batch_summary(history: History, n_samples: int, batch_size: int) -> str:
    """Steps per epoch, total iterations, final loss and loss noise, as the panel shows them."""
    return (f"N = {n_samples}, batch size {batch_size}: {history.steps_per_epoch} iterations per epoch, "
            f"{history.iterations} in {history.epochs_run} epochs; final epoch loss "
            f"{history.epoch_loss[-1]:.3f}, loss jitter in the last epoch {loss_noise(history):.3f}")


def batch_panel(n_samples: int = 1000, epochs: int = 5) -> widgets.VBox:
    """A batch-size slider (powers of two) over the line-fitting model."""
    batch = widgets.SelectionSlider(options=[2**k for k in range(11)], value=32, description="batch size")
    summary, plot = widgets.HTML(), widgets.Output()

    def update() -> tuple[str, Figure]:
        _, history = batch_size_experiment(batch.value, n_samples=n_samples, epochs=epochs)
        fig, (ax,) = figure(1, 7, 3)
        plot_losses(ax, history.step_loss, history.steps_per_epoch, title=f"loss per iteration, batch {batch.value}")
        return batch_summary(history, n_samples, batch.value), fig

    wire([batch], summary, plot, update)
    return panel("Batch-size explorer", [batch], summary, plot)
