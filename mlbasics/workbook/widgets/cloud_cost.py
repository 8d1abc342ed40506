"""Lesson 11: rent a cloud GPU or buy one? Move the sliders, watch the break-even point."""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.figure import Figure

from mlbasics.cloud.cost import CostInputs, break_even_hours, cumulative_cost, monthly_cost
from mlbasics.workbook.viz.plots import figure


def cost_summary(inputs: CostInputs) -> str:
    """One line: monthly cost both ways and the break-even usage."""
    costs = monthly_cost(inputs)
    hours = break_even_hours(inputs)
    cheaper = "cloud" if costs["cloud"] < costs["own"] else "owning"
    even = "never" if hours == float("inf") else f"{hours:.0f} GPU hours/month"
    return (f"per month: cloud {costs['cloud']:.0f}, own {costs['own']:.0f} → {cheaper} is cheaper; "
            f"owning pays off above {even}")


def cost_figure(inputs: CostInputs, months: int = 36) -> Figure:
    """Cumulative spend over ``months`` for renting and owning."""
    curve = cumulative_cost(inputs, months)
    fig, (ax,) = figure(1, 6.0, 3.2)
    ax.plot(curve["month"], curve["cloud"], label="cloud GPU (pay per hour)")
    ax.plot(curve["month"], curve["own"], label="own GPU (buy + electricity)")
    ax.set(xlabel="month", ylabel="total spent", title=f"{inputs.hours_per_month:.0f} GPU hours per month")
    ax.legend(fontsize=8)
    return fig


def cost_panel() -> widgets.VBox:
    """Sliders for hourly price, monthly hours and purchase price."""
    from mlbasics.workbook.widgets.common import panel, wire

    rate = widgets.FloatSlider(value=0.54, min=0.1, max=4.0, step=0.01, description="cloud $/h")
    hours = widgets.IntSlider(value=40, min=1, max=400, step=1, description="hours/month")
    price = widgets.IntSlider(value=1800, min=300, max=6000, step=100, description="PC price $")
    summary, plot = widgets.HTML(), widgets.Output()

    def update() -> tuple[str, Figure]:
        inputs = CostInputs(cloud_per_hour=rate.value, hours_per_month=hours.value, purchase_price=price.value)
        return cost_summary(inputs), cost_figure(inputs)

    wire([rate, hours, price], summary, plot, update)
    return panel("Cloud GPU or your own?", [rate, hours, price], summary, plot)
