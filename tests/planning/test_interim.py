"""Interim analyses: simulated operating characteristics against the closed form.

The closed form (:mod:`simulator.planning.closed_sequential`) integrates the
joint distribution of the looks' z statistics recursively, with the design's
bounds (themselves matched to rpact 3.3.4 in tests/analysis/test_sequential.py).
On the normal model the simulation must agree with it within 4 Monte Carlo
SE, on both data paths; with no effect, the rejection rate of every design
is its alpha (with futility applied if the bounds are binding, ignoring
futility if not: non-binding bounds keep alpha either way, so with futility
applied the rate is below alpha, and equal to the closed form's).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import Z_TOL
from simulator import (Scenario, evolve, sequential_closed_form, simulate, simulate_grid,
                       solve_sample_size)

pytestmark = pytest.mark.statistical

N_SIMS = 100_000

DESIGNS = {
    "OF-3-two-sided": ({"looks": [1 / 3, 2 / 3, 1.0]}, {"alpha": 0.05, "sided": 2}),
    "P-2-bsOF-nonbinding": ({"looks": [0.5, 1.0], "alpha_spending": "asP",
                             "beta_spending": "bsOF"}, {"alpha": 0.025, "sided": 1}),
    "OF-3-futility-binding": ({"looks": [0.3, 0.6, 1.0], "futility_bounds": [0.0, 0.5],
                               "binding": True}, {"alpha": 0.025, "sided": 1}),
    "WT-Pocock-4-two-sided": ({"looks": 4, "alpha_spending": "P"}, {"alpha": 0.05, "sided": 2}),
}


def scenario(design: str, effect: float, n: int = 150, analysis: str = "followup") -> Scenario:
    interim, spec = DESIGNS[design]
    return Scenario.from_dict({"design": {"n_per_arm": n},
                               "pain": {"effect": effect, "sd": 2.0, "analysis": analysis},
                               "analysis": spec, "interim": interim})


def within(simulated, expected: float, n: int = N_SIMS) -> bool:
    se = math.sqrt(max(expected * (1 - expected), 1e-12) / n)
    return abs(simulated - expected) <= Z_TOL * se


@pytest.mark.parametrize("path", ["aggregate", "patient"])
@pytest.mark.parametrize("design", list(DESIGNS))
def test_type_one_error_is_alpha(design, path):
    s = scenario(design, 0.0, n=100)
    r = simulate(s, n_sims=N_SIMS, seed=11, path=path)
    alpha = s.analysis.alpha
    q = r.sequential
    kept = r.power.value if s.interim.binding or s.interim.beta_spending == "none" \
        and s.interim.futility_bounds is None else q.reject_ignoring_futility.value
    assert within(kept, alpha), (kept, alpha)
    # with the futility stops followed, the rate is the closed form's (below alpha if
    # non-binding)
    assert within(r.power.value, sequential_closed_form(s).power)


@pytest.mark.parametrize("path", ["aggregate", "patient"])
@pytest.mark.parametrize("design", list(DESIGNS))
def test_power_stopping_and_expected_n_match_the_closed_form(design, path):
    s = scenario(design, -0.5)
    r = simulate(s, n_sims=N_SIMS, seed=12, path=path)
    q, cf = r.sequential, sequential_closed_form(s)
    assert within(r.power.value, cf.power)
    assert within(r.power_benefit.value, cf.power_benefit)
    for simulated, expected in zip(q.efficacy, cf.efficacy):
        assert within(simulated.value, expected)
    for simulated, expected in zip(q.futility, cf.futility):
        assert within(simulated.value, expected)
    assert abs(q.expected_n.value - cf.expected_n) <= Z_TOL * q.expected_n.se
    assert r.analytic_power == pytest.approx(cf.power)
    # the fixed design of the same maximum n is more powerful than any sequential one
    assert q.power_fixed.value >= r.power.value - Z_TOL * r.power.se


def test_ancova_and_dropout_match_the_closed_form():
    s = evolve(scenario("P-2-bsOF-nonbinding", -0.45, analysis="ancova"),
               {"dropout.rate": 0.15})
    r = simulate(s, n_sims=N_SIMS, seed=13)
    cf = sequential_closed_form(s)
    assert within(r.power.value, cf.power)
    assert abs(r.sequential.expected_n.value - cf.expected_n) <= Z_TOL * r.sequential.expected_n.se


def test_bounded_scores_report_the_difference_not_hide_it():
    s = evolve(scenario("OF-3-two-sided", -0.6), {"pain.bounded": True})
    r = simulate(s, n_sims=20_000, seed=14)
    assert r.analytic_exact is False and "joint normal" in r.analytic_method
    assert r.analytic_power == pytest.approx(sequential_closed_form(s).power)


def test_the_last_look_is_the_fixed_design_on_the_same_patients():
    """On the per-patient path the look grid draws the same patients: the fixed
    design's rejections of the interim run are those of a run without looks,
    and its estimates too (summed look segment by look segment, they agree
    with the one-size sums to rounding)."""
    s = scenario("OF-3-two-sided", -0.5, n=60)
    fixed = evolve(s, {"interim": None})
    a = simulate(s, n_sims=3000, seed=5, path="patient")
    b = simulate(fixed, n_sims=3000, seed=5, path="patient")
    assert a.sequential.power_fixed.value == b.power.value
    assert a.mean_estimate == pytest.approx(b.mean_estimate, rel=1e-13, abs=0)


def test_numbers_do_not_depend_on_workers_or_blocks():
    s = scenario("P-2-bsOF-nonbinding", -0.5, n=80)
    one = simulate_grid(s, None, n_sims=3000, seed=6, n_jobs=1, block_size=256)[0].to_dict()
    two = simulate_grid(s, None, n_sims=3000, seed=6, n_jobs=2, block_size=256)[0].to_dict()
    assert one["sequential"] == two["sequential"] and one["power"] == two["power"]
    # chunk_mb groups blocks into tasks differently: the numbers stay
    s = evolve(s, {"simulation.chunk_mb": 1})
    three = simulate_grid(s, None, n_sims=3000, seed=6, block_size=256)[0].to_dict()
    assert one["sequential"] == three["sequential"]


def test_estimate_at_stopping_is_biased_away_from_zero_by_early_efficacy_stops():
    """Trials that stop early for efficacy do so on large estimates: with no
    futility bound the mean estimate at stopping exceeds the truth in size."""
    s = scenario("WT-Pocock-4-two-sided", -0.4)
    q = simulate(s, n_sims=50_000, seed=15).sequential
    assert q.estimate_at_stop.value < -0.4 - Z_TOL * q.estimate_at_stop.se


def test_assurance_is_the_sequential_trials():
    s = evolve(scenario("OF-3-two-sided", -0.5), {"pain.effect_prior": "pooled",
                                                 "pain.effect_sd": 0.2})
    r = simulate(s, n_sims=20_000, seed=16)
    # averaged over the prior, by quadrature of the closed form at drawn effects
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    closed = sum(w * sequential_closed_form(evolve(s, {"pain.effect": -0.5 + 0.2 * x,
                                                       "pain.effect_prior": "fixed",
                                                       "pain.effect_sd": None})
                                            ).power_benefit
                 for x, w in zip(nodes, weights)) / math.sqrt(2 * math.pi)
    assert within(r.assurance.value, closed, 20_000)


def test_the_solver_sizes_the_sequential_trial():
    s = scenario("P-2-bsOF-nonbinding", -0.5)
    r = solve_sample_size(s, target=0.9, n_sims=4000, seed=3)
    closed_n = next(n for n in range(50, 1000) if sequential_closed_form(s, n).power >= 0.9)
    assert r.analytic_n_per_arm == closed_n
    assert r.n_range[0] <= closed_n <= r.n_range[1]
    assert "group-sequential" in r.analytic_method


# rpact 3.3.4, getPowerMeans(design, groups = 2, alternative, stDev, maxNumberOfSubjects,
# normalApproximation = TRUE) with
#   d1 <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.1, sided = 1,
#           typeOfDesign = "asOF", typeBetaSpending = "bsOF", bindingFutility = FALSE)
#   getPowerMeans(d1, ..., alternative = 0.6, stDev = 2.5, maxNumberOfSubjects = 300)
#   d2 <- getDesignGroupSequential(kMax = 4, alpha = 0.05, sided = 2, typeOfDesign = "P")
#   getPowerMeans(d2, ..., alternative = 0.5, stDev = 2, maxNumberOfSubjects = 400)
#   d3 <- getDesignGroupSequential(informationRates = c(0.3, 0.6, 1), alpha = 0.025,
#           sided = 1, typeOfDesign = "asOF", futilityBounds = c(0, 0.5), bindingFutility = TRUE)
#   getPowerMeans(d3, ..., alternative = 0.5, stDev = 2, maxNumberOfSubjects = 300)
# $overallReject, $expectedNumberOfSubjects, $rejectPerStage, $futilityPerStage
RPACT_POWER = {
    "d1": (({"looks": 3, "beta_spending": "bsOF", "beta": 0.1}, 0.025, 1, -0.6, 2.5, 150),
           0.5210344788, 251.0052885994, [0.0060313825, 0.2019877468, 0.3130153495],
           [0.0290766078, 0.2177433865]),
    "d2": (({"looks": 4, "alpha_spending": "P"}, 0.05, 2, -0.5, 2.0, 200),
           0.6148593215, 308.3516345077,
           [0.1333724077, 0.1750894885, 0.1661874550, 0.1402099703], [0.0, 0.0, 0.0]),
    "d3": (({"looks": [0.3, 0.6, 1.0], "futility_bounds": [0.0, 0.5], "binding": True},
            0.025, 1, -0.5, 2.0, 150),
           0.5624571059, 248.4266358730, [0.0030466456, 0.1574426275, 0.4019678329],
           [0.1178399567, 0.0607838529]),
}


@pytest.mark.parametrize("case", list(RPACT_POWER))
def test_z_closed_form_matches_rpact_get_power_means(case):
    (interim, alpha, sided, effect, sd, n), power, en, reject, futility = RPACT_POWER[case]
    s = Scenario.from_dict({"design": {"n_per_arm": n},
                            "pain": {"effect": effect, "sd": sd, "analysis": "followup"},
                            "analysis": {"alpha": alpha, "sided": sided}, "interim": interim})
    cf = sequential_closed_form(s, t_test=False)
    assert cf.power == pytest.approx(power, abs=1e-6)
    assert cf.expected_n == pytest.approx(en, abs=1e-4)  # patients: 1e-6 of the information
    assert list(cf.efficacy) == pytest.approx(reject, abs=1e-6)
    assert list(cf.futility) == pytest.approx(futility, abs=1e-6)


def test_z_closed_form_maximum_n_matches_rpact_get_sample_size_means():
    """rpact: getSampleSizeMeans(d1, groups = 2, alternative = 0.6, stDev = 2.5,
    normalApproximation = TRUE)$maxNumberOfSubjects = 773.0205040201 (386.51 per arm)."""
    (interim, alpha, sided, effect, sd, _), *_ = RPACT_POWER["d1"]
    s = Scenario.from_dict({"design": {"n_per_arm": 100},
                            "pain": {"effect": effect, "sd": sd, "analysis": "followup"},
                            "analysis": {"alpha": alpha, "sided": sided}, "interim": interim})
    assert sequential_closed_form(s, 386, t_test=False).power < 0.9
    assert sequential_closed_form(s, 387, t_test=False).power >= 0.9
