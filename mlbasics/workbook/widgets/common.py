"""The pieces every panel shares: a titled box and a redraw hook."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import display
from matplotlib.figure import Figure


def panel(title: str, controls: Sequence[widgets.Widget], summary: widgets.HTML, plot: widgets.Output) -> widgets.VBox:
    """Controls on top, a one-line summary, the plot below."""
    box = widgets.VBox(
        [widgets.HTML(f"<b>{title}</b>"), widgets.HBox(list(controls)), summary, plot],
        layout=widgets.Layout(border="1px solid #ccc", padding="6px"),
    )
    box.add_class("mlbasics-panel")
    return box


def wire(controls: Sequence[widgets.Widget], summary: widgets.HTML, plot: widgets.Output,
         update: Callable[[], tuple[str, Figure | None]]) -> None:
    """Call ``update()`` now and whenever a control's value changes; show its text and figure."""

    def redraw(_: object = None) -> None:
        text, fig = update()
        with plot:
            plot.clear_output(wait=True)
            if fig is not None:
                display(fig)
                plt.close(fig)
        summary.value = text  # last, so a changed summary means the redraw is complete

    for control in controls:
        control.observe(redraw, names="value")
    redraw()
