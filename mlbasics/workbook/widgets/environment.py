"""Lesson 00: a slider that proves widgets work in this JupyterLab."""

from __future__ import annotations

import ipywidgets as widgets

from mlbasics.workbook.widgets.common import panel, wire

#: Where exercise 00.2 asks the reader to move the slider (it starts at 3).
WIDGET_CHECK_TARGET = 12


def widget_check_text(value: int) -> str:
    """The line the check panel shows for slider ``value``."""
    return f"slider = {value}, squared = {value * value}"


def widget_check_panel() -> widgets.VBox:
    """Move the slider: if the squared number follows, widgets work."""
    slider = widgets.IntSlider(value=3, min=0, max=20, description="number")
    summary, plot = widgets.HTML(), widgets.Output()
    wire([slider], summary, plot, lambda: (widget_check_text(slider.value), None))
    return panel("Widget check: move the slider", [slider], summary, plot)


def widget_check_state(check_panel: widgets.VBox) -> tuple[int, str]:
    """``(slider value, text shown)`` of a :func:`widget_check_panel`; ``TypeError`` for anything else."""
    if not (isinstance(check_panel, widgets.VBox) and "mlbasics-panel" in check_panel._dom_classes):
        raise TypeError(f"pass the panel that widget_check_panel() returned, not a {type(check_panel).__name__}")
    slider = check_panel.children[1].children[0]
    return int(slider.value), str(check_panel.children[2].value)
