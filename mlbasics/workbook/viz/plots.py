"""Plots the lessons share: decision boundaries, loss curves, fits, image rows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

CLASS_COLOURS = ("#d1495b", "#00798c")


def figure(ncols: int = 1, width: float = 4.5, height: float = 3.5) -> tuple[Figure, list[Axes]]:
    """A row of ``ncols`` axes with the workbook's size and layout."""
    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, height), layout="constrained", squeeze=False)
    return fig, list(axes[0])


def plot_decision_boundary(
    ax: Axes, predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, y: np.ndarray, title: str = ""
) -> None:
    """Shade where ``predict`` says 1 over the plane of ``X`` ``(n, 2)``, and draw the labelled points."""
    low, high = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    xx, yy = np.meshgrid(np.linspace(low[0], high[0], 200), np.linspace(low[1], high[1], 200))
    grid = np.c_[xx.ravel(), yy.ravel()]
    zz = np.asarray(predict(grid), dtype=float).reshape(xx.shape)
    ax.contourf(xx, yy, zz, levels=[-0.5, 0.5, 1.5], colors=CLASS_COLOURS, alpha=0.25)
    ax.contour(xx, yy, zz, levels=[0.5], colors="k", linewidths=1)
    for label in (0, 1):
        points = X[np.asarray(y) == label]
        ax.scatter(points[:, 0], points[:, 1], s=120, c=CLASS_COLOURS[label], edgecolors="k", label=f"class {label}")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8)


def plot_losses(ax: Axes, step_loss: Sequence[float], steps_per_epoch: int | None = None, title: str = "",
                log: bool = True) -> None:
    """Loss of every iteration; dashed lines mark epoch ends when ``steps_per_epoch`` is given."""
    ax.plot(np.arange(1, len(step_loss) + 1), step_loss, lw=1)
    if steps_per_epoch and len(step_loss) // steps_per_epoch <= 20:
        for end in range(steps_per_epoch, len(step_loss) + 1, steps_per_epoch):
            ax.axvline(end, color="grey", ls="--", lw=0.5)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="iteration", ylabel="loss", title=title)


def plot_final_losses(ax: Axes, batch_sizes: Sequence[int], losses: dict[str, Sequence[float]],
                      floor: float | None = None, title: str = "") -> None:
    """Final epoch loss against batch size (log-log), one line per entry of ``losses`` (label -> values);
    ``floor`` draws the best loss any model can reach as a dashed line."""
    for (label, values), marker in zip(losses.items(), "os^v"):
        ax.loglog(batch_sizes, values, f"{marker}-", label=label)
    if floor is not None:
        ax.axhline(floor, color="grey", ls="--", lw=1, label="noise floor")
    ax.set(xlabel="batch size", ylabel="final epoch loss", title=title)
    ax.legend(fontsize=8)


def plot_error_curves(ax: Axes, x: Sequence[float], curves: dict[str, Sequence[float]], floor: float | None = None,
                      xlabel: str = "", title: str = "", logx: bool = False) -> None:
    """Error curves (log y) against ``x``, one per entry of ``curves``; ``floor`` as a dashed grey line."""
    for (label, values), marker in zip(curves.items(), "os^vdx"):
        ax.plot(x, values, f"{marker}-", ms=4, label=label)
    if floor is not None:
        ax.axhline(floor, color="grey", ls="--", lw=1, label="noise level")
    ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set(xlabel=xlabel, ylabel="mean squared error", title=title)
    ax.legend(fontsize=8)


def plot_polynomial_fit(ax: Axes, model: Callable[[np.ndarray], np.ndarray], x_train: np.ndarray,
                        y_train: np.ndarray, title: str = "") -> None:
    """Training points, the true line ``y = x`` and the fitted curve, with the view clipped to the data."""
    grid = np.linspace(-1.0, 1.0, 400)
    ax.scatter(x_train, y_train, s=20, c="k", label="training points")
    ax.plot(grid, grid, "g--", lw=1, label="truth y = x")
    ax.plot(grid, model(grid), c=CLASS_COLOURS[0], lw=2, label="model")
    ax.set(ylim=(-1.6, 1.6), xlabel="x", ylabel="y", title=title)
    ax.legend(fontsize=8, loc="upper left")


def show_images(images: Sequence[np.ndarray], titles: Sequence[str], size: float = 2.5, dpi: int = 72) -> Figure:
    """A row of images with titles (nearest-neighbour, so tiny images stay crisp).

    The low default ``dpi`` keeps photos small in saved notebooks.
    """
    fig, axes = figure(len(images), size, size)
    fig.set_dpi(dpi)
    for ax, image, title in zip(axes, images, titles):
        ax.imshow(image, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
    return fig
