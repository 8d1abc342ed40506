import numpy as np
import pytest

from mlbasics.cloud.cost import CostInputs, break_even_hours, cumulative_cost, monthly_cost
from mlbasics.core.errors import InputError


def test_break_even_is_where_monthly_costs_meet():
    inputs = CostInputs(cloud_per_hour=1.0, purchase_price=1200, lifetime_months=12, power_watts=500,
                        electricity_per_kwh=0.2)
    hours = break_even_hours(inputs)
    assert hours == pytest.approx(100 / 0.9)
    costs = monthly_cost(CostInputs(**{**inputs.__dict__, "hours_per_month": hours}))
    assert costs["cloud"] == pytest.approx(costs["own"])


def test_cloud_always_cheaper_when_power_costs_more_per_hour():
    assert break_even_hours(CostInputs(cloud_per_hour=0.1, power_watts=1000, electricity_per_kwh=0.5)) == np.inf


def test_cumulative_cost_starts_with_the_purchase():
    curve = cumulative_cost(CostInputs(hours_per_month=10, cloud_per_hour=2), 3)
    np.testing.assert_allclose(curve["cloud"], [20, 40, 60])
    assert curve["own"][0] > CostInputs().purchase_price


@pytest.mark.parametrize("field", ["cloud_per_hour", "hours_per_month", "lifetime_months"])
def test_bad_inputs_are_named(field):
    with pytest.raises(InputError, match=field):
        CostInputs(**{field: -1.0})
