"""A figure that redraws in place while a model trains (the notebook keeps the last version)."""

from __future__ import annotations

from collections.abc import Callable

from IPython.display import display
from matplotlib.figure import Figure


def live_figure(draw: Callable[[dict[str, list[float]]], Figure]) -> Callable[[dict[str, list[float]]], None]:
    """Return ``update(history)``, which draws ``draw(history)`` into one output that is replaced each time.

    Pass ``update`` as ``on_epoch`` to :func:`mlbasics.vision.yolo.train.train`.
    """
    import matplotlib.pyplot as plt

    handle = display(display_id=True)

    def update(history: dict[str, list[float]]) -> None:
        fig = draw(history)
        handle.update(fig)
        plt.close(fig)

    return update
