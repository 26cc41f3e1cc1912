"""``resolve --n``: the curves for 1 .. K new trials from one pass over the same futures."""

from __future__ import annotations

import math

import pytest
from conftest import ROOT, Z_TOL

from simulator import load_scenario, power_curve
from simulator.planning.curves import conclusive_curves
from simulator.spec.schema import evolve

# Monte Carlo results against their references (the statistical tier).
pytestmark = pytest.mark.statistical

GRID = [40, 120]


def review(k: int, **over):
    s = load_scenario(ROOT / "tests" / "backtest" / "resolve_fixed_effect.toml")
    return evolve(s, {"meta_analysis.new_trials": k, **over})


def test_the_curve_for_k_trials_is_the_power_curve_of_k_trials():
    s = review(3)
    shared = conclusive_curves(s, GRID, n_sims=600, seed=4)
    alone = power_curve(s, GRID, n_sims=600, seed=4)
    assert sorted(shared) == [1, 2, 3]
    assert [p.resolve.to_dict() for p in shared[3].points] == \
        [p.resolve.to_dict() for p in alone.points]
    for k in (1, 2):
        assert [p.resolve.new_trials for p in shared[k].points] == [k, k]
        assert shared[k].n_per_arm == tuple(GRID)


@pytest.mark.parametrize("over", [{}, {"meta_analysis.rules": ["tsa", "mcid"]}])
def test_a_prefix_of_k_trials_has_the_distribution_of_k_trials(over):
    """The first k of K independent new trials against a separate run of k trials (other
    seed): every rule's P(conclusive), within 4 SE of the difference."""
    s = review(3, **over)
    shared = conclusive_curves(s, GRID, n_sims=4000, seed=11)
    for k in (1, 2):
        alone = power_curve(review(k, **over), GRID, n_sims=4000, seed=12)
        for a, b in zip(shared[k].points, alone.points):
            for rule in a.resolve.rules:
                x, y = a.resolve.p_conclusive[rule], b.resolve.p_conclusive[rule]
                assert abs(x.value - y.value) <= Z_TOL * math.hypot(x.se, y.se) + 1e-12


def test_with_closed_forms_each_curve_has_its_own():
    s = review(2)
    shared = conclusive_curves(s, [60], n_sims=200, seed=4, closed_forms=True)
    one = power_curve(review(1), [60], n_sims=200, seed=4, closed_forms=True)
    assert shared[1].points[0].resolve.closed == one.points[0].resolve.closed
    assert shared[2].points[0].resolve.closed != shared[1].points[0].resolve.closed
