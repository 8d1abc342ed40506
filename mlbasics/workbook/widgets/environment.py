"""Lesson 00: a slider that proves widgets work in this JupyterLab."""

from __future__ import annotations

import ipywidgets as widgets

from mlbasics.workbook.widgets.common import panel, wire


def widget_check_text(value: int) -> str:
    """The line the check panel shows for slider ``value``."""
    return f"slider = {value}, squared = {value * value}"


def widget_check_panel() -> widgets.VBox:
    """Move the slider: if the squared number follows, widgets work."""
    slider = widgets.IntSlider(value=3, min=0, max=20, description="number")
    summary, plot = widgets.HTML(), widgets.Output()
    wire([slider], summary, plot, lambda: (widget_check_text(slider.value), None))
    return panel("Widget check: move the slider", [slider], summary, plot)
