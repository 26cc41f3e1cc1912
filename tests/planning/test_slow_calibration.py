"""Long calibration checks (``pytest -m slow``): 400,000 trials per case.

At this size the Monte Carlo SE of a 5 % rejection rate is 0.034 points, so
these catch biases of a few hundredths of a point that the default suite
(40,000 trials) cannot see. Each test's reference is exact for its model.
"""

from __future__ import annotations

import math

import pytest
from conftest import Z_TOL, make_scenario

from simulator import simulate

pytestmark = [pytest.mark.slow, pytest.mark.statistical]

N_SIMS = 400_000


def within(p_sim: float, p_ref: float) -> bool:
    return abs(p_sim - p_ref) <= Z_TOL * math.sqrt(p_ref * (1 - p_ref) / N_SIMS)


@pytest.mark.parametrize("path", ["aggregate", "patient"])
@pytest.mark.parametrize("overrides", [
    {"pain.analysis": "followup"},
    {"pain.analysis": "ancova", "dropout.rate": 0.2},
    {"pain.analysis": "change", "analysis.test": "welch", "design.allocation": [1, 2]},
], ids=["followup", "ancova-dropout", "welch-unequal"])
def test_the_null_rejection_rate_is_alpha(path, overrides):
    s = make_scenario(**{"pain.effect": 0.0, "design.n_per_arm": 20, **overrides})
    r = simulate(s, n_sims=N_SIMS, seed=17, path=path, closed_forms=False)
    assert within(r.power.value, s.analysis.alpha)


@pytest.mark.parametrize("path", ["aggregate", "patient"])
def test_power_equals_the_exact_ancova_closed_form(path):
    s = make_scenario(**{"pain.analysis": "ancova", "pain.effect": -1.0, "dropout.rate": 0.1,
                         "design.n_per_arm": 60})
    r = simulate(s, n_sims=N_SIMS, seed=19, path=path)
    assert r.analytic_exact and within(r.power.value, r.analytic_power)


def test_a_multiarm_dunnett_familywise_error_is_alpha():
    s = make_scenario(**{"design.kind": "multiarm", "design.arms": ["p", "a", "b", "c"],
                         "design.allocation": [1, 1, 1, 1], "design.n_per_arm": 15,
                         "pain.effect": 0.0,
                         "pain.analysis": "followup"})
    r = simulate(s, n_sims=N_SIMS, seed=23, closed_forms=False)
    assert within(r.power.value, 0.05)
