"""Lesson 12: pick a format, see its size, speed and difference from Keras next to the others."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

from mlbasics.workbook.viz.plots import figure


def format_summary(rows: list[dict[str, Any]], name: str) -> str:
    """What the panel says about format ``name`` (a row of :func:`mlbasics.export.report.compare_formats`)."""
    row = next((r for r in rows if r["format"] == name), None)
    if row is None:
        raise KeyError(f"no format {name!r}; have {[r['format'] for r in rows]}")
    if row["ms/image"] is None:
        return f"{name}: {row['MB']:.2f} MB; runs on Apple devices only, so its spec was checked instead"
    agree = "" if row["boxes agree"] is None else f", same detections on {row['boxes agree']:.0%} of images"
    return f"{name}: {row['MB']:.2f} MB, {row['ms/image']:.2f} ms per image, max |diff| {row['max |diff|']:.1e}{agree}"


def formats_figure(rows: list[dict[str, Any]], name: str) -> Figure:
    """Size and latency bars of every format, the chosen one highlighted."""
    fig, (left, right) = figure(2, 4.2, 3.0)
    names = [r["format"] for r in rows]
    colours = ["#d1495b" if n == name else "#9db4c0" for n in names]
    left.barh(names, [r["MB"] for r in rows], color=colours)
    left.set(xlabel="MB", title="file size")
    timed = [(r["format"], r["ms/image"], c) for r, c in zip(rows, colours) if r["ms/image"] is not None]
    right.barh([t[0] for t in timed], [t[1] for t in timed], color=[t[2] for t in timed])
    right.set(xlabel="ms per image (1 CPU thread)", title="latency")
    return fig


def formats_panel(rows: list[dict[str, Any]]) -> widgets.VBox:
    """A format chooser over measured rows."""
    from mlbasics.workbook.widgets.common import panel, wire

    chooser = widgets.Dropdown(options=[r["format"] for r in rows], value=rows[1]["format"], description="format")
    summary, plot = widgets.HTML(), widgets.Output()
    wire([chooser], summary, plot, lambda: (format_summary(rows, chooser.value), formats_figure(rows, chooser.value)))
    return panel("Export formats side by side", [chooser], summary, plot)
