"""Renting a cloud GPU versus owning one: monthly cost and the break-even usage.

The defaults are example figures for the lesson (a T4 on an n1-standard-4 machine
on demand, a consumer GPU PC at home); look up today's prices for your region before
deciding anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlbasics.core.errors import InputError


@dataclass(frozen=True)
class CostInputs:
    """Prices in one currency; hours are GPU hours actually used per month."""

    cloud_per_hour: float = 0.54          # GPU + machine, on demand, per hour
    hours_per_month: float = 40.0
    purchase_price: float = 1800.0        # GPU PC bought outright
    lifetime_months: float = 36.0         # written off over this many months
    power_watts: float = 350.0            # whole PC under training load
    electricity_per_kwh: float = 0.30

    def __post_init__(self) -> None:
        for name in ("cloud_per_hour", "hours_per_month", "purchase_price", "power_watts", "electricity_per_kwh"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InputError(f"{name} must be a number >= 0, got {value}")
        if not np.isfinite(self.lifetime_months) or self.lifetime_months <= 0:
            raise InputError(f"lifetime_months must be > 0, got {self.lifetime_months}")

    @property
    def own_per_hour(self) -> float:
        """Electricity cost of one hour of training on the owned machine."""
        return self.power_watts / 1000 * self.electricity_per_kwh


def monthly_cost(inputs: CostInputs) -> dict[str, float]:
    """``{"cloud": ..., "own": ...}`` per month at ``inputs.hours_per_month``."""
    own = inputs.purchase_price / inputs.lifetime_months + inputs.own_per_hour * inputs.hours_per_month
    return {"cloud": inputs.cloud_per_hour * inputs.hours_per_month, "own": own}


def break_even_hours(inputs: CostInputs) -> float:
    """GPU hours per month above which owning is cheaper (``inf`` if the cloud is always cheaper)."""
    margin = inputs.cloud_per_hour - inputs.own_per_hour
    if margin <= 0:
        return float("inf")
    return inputs.purchase_price / inputs.lifetime_months / margin


def cumulative_cost(inputs: CostInputs, months: int) -> dict[str, np.ndarray]:
    """Total spent after each month ``1..months``: arrays of shape ``(months,)`` for cloud and own
    (owning pays the purchase up front)."""
    if months < 1:
        raise InputError(f"months must be >= 1, got {months}")
    month = np.arange(1, months + 1)
    return {
        "month": month,
        "cloud": month * inputs.cloud_per_hour * inputs.hours_per_month,
        "own": inputs.purchase_price + month * inputs.own_per_hour * inputs.hours_per_month,
    }
