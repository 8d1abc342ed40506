"""Lesson 12: pick a format, see its size, speed and difference from Keras next to the others."""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets
from matplotlib.figure import Figure

from mlbasics.export.report import ExportRow
from mlbasics.workbook.viz.plots import figure


def format_summary(rows: Sequence[ExportRow], name: str) -> str:
    """What the panel says about format ``name`` (a row of :func:`mlbasics.export.report.compare_formats`)."""
    row = next((r for r in rows if r.format == name), None)
    if row is None:
        raise KeyError(f"no format {name!r}; have {[r.format for r in rows]}")
    if row.latency_ms is None:
        return f"{name}: {row.size_mb:.2f} MB; runs on Apple devices only, so its spec was checked instead"
    agree = "" if row.boxes_agree is None else f", same detections on {row.boxes_agree:.0%} of images"
    diff = "" if row.max_abs_diff is None else f", max |diff| {row.max_abs_diff:.1e}"
    score = "" if row.map50 is None else f", mAP@0.5 {row.map50:.3f}"
    return f"{name}: {row.size_mb:.2f} MB, {row.latency_ms:.2f} ms per image{diff}{agree}{score}"


def formats_figure(rows: Sequence[ExportRow], name: str) -> Figure:
    """Size and latency bars of every format, the chosen one highlighted."""
    fig, (left, right) = figure(2, 4.2, 3.0)
    names = [r.format for r in rows]
    colours = ["#d1495b" if n == name else "#9db4c0" for n in names]
    left.barh(names, [r.size_mb for r in rows], color=colours)
    left.set(xlabel="MB", title="file size")
    timed = [(r.format, r.latency_ms, c) for r, c in zip(rows, colours) if r.latency_ms is not None]
    right.barh([t[0] for t in timed], [t[1] for t in timed], color=[t[2] for t in timed])
    right.set(xlabel="ms per image (1 CPU thread)", title="latency")
    return fig


def formats_panel(rows: Sequence[ExportRow]) -> widgets.VBox:
    """A format chooser over measured rows."""
    from mlbasics.workbook.widgets.common import panel, wire

    chooser = widgets.Dropdown(options=[r.format for r in rows], value=rows[1].format, description="format")
    summary, plot = widgets.HTML(), widgets.Output()
    wire([chooser], summary, plot, lambda: (format_summary(rows, chooser.value), formats_figure(rows, chooser.value)))
    return panel("Export formats side by side", [chooser], summary, plot)
