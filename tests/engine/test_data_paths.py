"""The engine against closed forms, the two paths against each other, and
reproducibility. Every Monte Carlo tolerance is Z_TOL standard errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import Z_TOL, make_scenario
from scipy import stats

from simulator import ScenarioError, simulate
from simulator.analysis.estimates import decide
from simulator.analysis.twosample import two_proportions
from simulator.engine.layout import chunk_layout
from simulator.planning.closed import completion_probabilities

# Monte Carlo results against their references (the statistical tier).
pytestmark = pytest.mark.statistical

N_SIMS = 20_000


def assert_close_to_reference(p_sim: float, p_ref: float, n_sims: int) -> None:
    se = math.sqrt(max(p_ref * (1 - p_ref), 1e-12) / n_sims)
    assert abs(p_sim - p_ref) <= Z_TOL * se, f"{p_sim} vs {p_ref} (SE {se:.4g})"


def assert_paths_agree(a, b) -> None:
    se = math.hypot(a.se, b.se)
    assert abs(a.value - b.value) <= Z_TOL * max(se, 1e-9), f"{a.value} vs {b.value}"


GRID = [(8, -1.5, 1.5), (40, -0.5, 2.5), (40, -1.2, 1.5), (150, -0.5, 2.5), (150, -1.0, 2.5)]


@pytest.mark.parametrize("path", ["aggregate", "patient"])
@pytest.mark.parametrize("analysis", ["followup", "change", "ancova"])
@pytest.mark.parametrize("n, effect, sd", GRID)
def test_power_matches_closed_form(path, analysis, n, effect, sd):
    s = make_scenario(**{"design.n_per_arm": n, "pain.effect": effect, "pain.sd": sd,
                         "pain.analysis": analysis})
    r = simulate(s, n_sims=N_SIMS, seed=11, path=path)
    assert r.path == path and r.analytic_exact
    assert_close_to_reference(r.power.value, r.analytic_power, N_SIMS)


@pytest.mark.parametrize("path", ["aggregate", "patient"])
@pytest.mark.parametrize("overrides", [
    {"pain.analysis": "ancova", "design.allocation": [1, 2], "design.n_per_arm": 40},
    {"pain.analysis": "followup", "design.allocation": [1, 3], "design.n_per_arm": 30},
    {"pain.analysis": "change", "design.allocation": [2, 1], "design.n_per_arm": 60},
], ids=["ancova-1:2", "followup-1:3", "change-2:1"])
def test_power_with_unequal_arms_matches_closed_form(path, overrides):
    """The exact closed forms with n0 != n1 (the grid above has equal arms): Student's
    noncentral t and the ANCOVA integral over the baseline imbalance."""
    s = make_scenario(**{"pain.effect": -1.0, "pain.sd": 2.5, **overrides})
    r = simulate(s, n_sims=N_SIMS, seed=12, path=path)
    assert r.analytic_exact and s.design.group_sizes[0] != s.design.group_sizes[1]
    assert_close_to_reference(r.power.value, r.analytic_power, N_SIMS)


@pytest.mark.parametrize("path", ["aggregate", "patient"])
@pytest.mark.parametrize("analysis", ["ancova", "followup"])
def test_closed_form_counts_the_completers_the_test_analyses(path, analysis):
    """Four per arm with 30 % dropout: trials with one completer in an arm are analysed
    (Student's t and ANCOVA pool the variance), so the closed form averaged over the
    binomial completers counts them too (it once counted only arms of two or more:
    0.042 against a simulated 0.048 under the null)."""
    s = make_scenario(**{"pain.effect": 0.0, "pain.analysis": analysis,
                         "design.n_per_arm": 4, "dropout.rate": 0.3})
    r = simulate(s, n_sims=40_000, seed=14, path=path)
    assert r.analytic_exact and "averaged over binomial completers" in r.analytic_method
    assert r.n_not_analysable > 0
    assert_close_to_reference(r.power.value, r.analytic_power, 40_000)


@pytest.mark.parametrize("n, allocation, effect", [(30, [1, 3], -1.2), (10, [1, 2], -2.0)])
def test_welch_power_matches_its_closed_form_away_from_the_null(n, allocation, effect):
    """The Welch-Satterthwaite closed form is an approximation (the df are random in
    the test); 400,000 trials put it within 0.0015 of the simulated power at these
    designs, well inside the 4 SE (0.014) of this check. Per-patient draws, Welch's
    statistic (checked against scipy in tests/analysis/test_twosample.py)."""
    s = make_scenario(**{"pain.effect": effect, "pain.analysis": "followup",
                         "analysis.test": "welch", "design.allocation": allocation,
                         "design.n_per_arm": n})
    r = simulate(s, n_sims=N_SIMS, seed=13, path="patient")
    assert not r.analytic_exact and "Welch" in r.analytic_method
    assert_close_to_reference(r.power.value, r.analytic_power, N_SIMS)


@pytest.mark.parametrize("path", ["aggregate", "patient"])
@pytest.mark.parametrize("overrides", [
    {"pain.analysis": "followup"},
    {"pain.analysis": "change", "analysis.sided": 1},
    {"pain.analysis": "ancova", "design.n_per_arm": 12},
    {"pain.analysis": "followup", "analysis.test": "welch", "design.allocation": [1, 3]},
    {"pain.analysis": "ancova", "analysis.alpha": 0.01, "dropout.rate": 0.3},
], ids=["followup", "change-one-sided", "ancova-small", "welch-unequal", "ancova-dropout"])
def test_null_rejection_rate_is_alpha(path, overrides):
    s = make_scenario(**{"pain.effect": 0.0, **overrides})
    r = simulate(s, n_sims=40_000, seed=3, path=path)
    assert_close_to_reference(r.power.value, s.analysis.alpha, 40_000)


def _exact_null_rate_two_proportions(p, n0, n1, alpha, p1=None, continuity=False):
    """P(the z test rejects) by enumerating both binomials (rates p and p1, default p)."""
    k0, k1 = np.arange(n0 + 1), np.arange(n1 + 1)
    a0, a1 = np.meshgrid(k0, k1, indexing="ij")
    reject = decide(two_proportions(a0, n0, a1, n1, continuity=continuity), alpha=alpha,
                    sided=2, benefit_sign=1).reject
    w = np.outer(stats.binom.pmf(k0, n0, p), stats.binom.pmf(k1, n1, p if p1 is None else p1))
    return float(np.sum(w * reject))


@pytest.mark.parametrize("analysis", ["responder30", "responder50"])
def test_responder_null_rate_matches_exact_enumeration(analysis):
    """No exact closed form for the z-test's size, so enumerate both binomials
    at the responder rate the quadrature gives."""
    from simulator.models.truth import arm_truth

    s = make_scenario(**{"pain.effect": 0.0, "pain.analysis": analysis, "pain.bounded": True})
    rate = arm_truth(s.pain, False).responder_rate[s.pain.responder_cutoff]
    r = simulate(s, n_sims=40_000, seed=5)
    assert_close_to_reference(r.power.value, _exact_null_rate_two_proportions(rate, 60, 60, 0.05),
                              40_000)


@pytest.mark.parametrize("test, allocation", [("z", [1, 1]), ("z-cc", [1, 2])])
def test_responder_power_matches_exact_enumeration(test, allocation):
    """Away from the null, with unequal arms and the continuity correction: the
    simulated power of the z test against both binomials enumerated at the arms'
    responder rates (the quadrature's)."""
    from simulator.models.truth import arm_truth

    s = make_scenario(**{"pain.effect": -1.0, "pain.analysis": "responder30",
                         "pain.bounded": True, "design.n_per_arm": 50,
                         "design.allocation": allocation, "analysis.responder_test": test})
    rates = [arm_truth(s.pain, active).responder_rate[s.pain.responder_cutoff]
             for active in (False, True)]
    n0, n1 = s.design.group_sizes
    exact = _exact_null_rate_two_proportions(rates[0], n0, n1, 0.05, p1=rates[1],
                                             continuity=test == "z-cc")
    r = simulate(s, n_sims=40_000, seed=6)
    assert 0.2 < exact < 0.9
    assert_close_to_reference(r.power.value, exact, 40_000)


@pytest.mark.parametrize("overrides", [
    {"pain.analysis": "followup", "design.n_per_arm": 25},
    {"pain.analysis": "change", "dropout.rate": 0.25},
    {"pain.analysis": "ancova", "design.allocation": [1, 2]},
    {"pain.analysis": "ancova", "analysis.sided": 1, "pain.effect": -0.4},
])
def test_aggregate_and_patient_paths_agree(overrides):
    s = make_scenario(**overrides)
    a = simulate(s, n_sims=N_SIMS, seed=21, path="aggregate")
    p = simulate(s, n_sims=N_SIMS, seed=22, path="patient")
    assert_paths_agree(a.power, p.power)
    assert_paths_agree(a.power_benefit, p.power_benefit)
    assert_paths_agree(a.ci_coverage, p.ci_coverage)
    se = math.hypot(a.mean_estimate_se, p.mean_estimate_se)
    assert abs(a.mean_estimate - p.mean_estimate) <= Z_TOL * se
    for ca, cp, n, c in zip(a.mean_completers, p.mean_completers, s.design.group_sizes,
                            completion_probabilities(s)):
        sd = math.sqrt(n * c * (1 - c) / N_SIMS)
        assert abs(ca - n * c) <= Z_TOL * sd + 1e-12 and abs(cp - n * c) <= Z_TOL * sd + 1e-12


@pytest.mark.parametrize("path", ["aggregate", "patient"])
def test_estimates_are_unbiased_and_intervals_cover(path):
    s = make_scenario(**{"pain.analysis": "ancova", "dropout.rate": 0.1})
    r = simulate(s, n_sims=N_SIMS, seed=8, path=path)
    assert abs(r.bias) <= Z_TOL * r.mean_estimate_se
    assert_close_to_reference(r.ci_coverage.value, 0.95, N_SIMS)


@pytest.mark.parametrize("overrides", [
    {"pain.bounded": True},
    {"pain.bounded": True, "pain.inclusion_min": 4, "pain.analysis": "change"},
    {"pain.inclusion_min": 5.5, "pain.analysis": "followup"},
    {"pain.analysis": "responder30"},
    {"pain.analysis": "responder50", "pain.bounded": True, "pain.inclusion_min": 4},
])
def test_patient_path_estimates_the_quadrature_truth(overrides):
    """Clipped, rounded, truncated or dichotomised data: the mean estimate must
    equal the estimand computed by quadrature, without random numbers."""
    s = make_scenario(**{"pain.effect": -1.5, **overrides})
    r = simulate(s, n_sims=N_SIMS, seed=4)
    assert r.path == "patient"
    assert abs(r.mean_estimate - r.true_effect) <= Z_TOL * r.mean_estimate_se
    if overrides.get("pain.bounded"):
        assert abs(r.true_effect) < 1.5  # clipping at 0 shrinks the effect


@pytest.mark.parametrize("path", ["aggregate", "patient"])
def test_harm_detection_matches_exact_enumeration(path):
    s = make_scenario(**{"adverse_events.psychotomimetic.placebo_risk": 0.1,
                         "adverse_events.psychotomimetic.risk_ratio": 2.5,
                         "adverse_events.nausea.placebo_risk": 0.04,
                         "adverse_events.nausea.risk_ratio": 1.0})
    r = simulate(s, n_sims=N_SIMS, seed=9, path=path)
    for ae in r.adverse_events.values():
        assert_close_to_reference(ae.p_harm_detected.value, ae.analytic_p_harm_detected, N_SIMS)
    events = r.adverse_events["psychotomimetic"].mean_events
    assert events[1] == pytest.approx(60 * 0.25, abs=Z_TOL * math.sqrt(60 * .25 * .75 / N_SIMS))


def test_withdrawal_after_an_adverse_event():
    """A patient with the event withdraws with probability q: completers fall
    to n (1 - d)(1 - p q) per arm, the AE counts are unchanged, and power
    equals the closed form averaged over those completers."""
    s = make_scenario(**{"adverse_events.psy.placebo_risk": 0.2,
                         "adverse_events.psy.risk_ratio": 3.0,
                         "dropout.rate": 0.1, "dropout.after_ae.psy": 0.5,
                         "pain.analysis": "followup"})
    r = simulate(s, n_sims=N_SIMS, seed=13)
    assert r.path == "patient"
    for mean, p in zip(r.mean_completers, (0.2, 0.6)):
        c = 0.9 * (1 - 0.5 * p)
        assert mean == pytest.approx(60 * c, abs=Z_TOL * math.sqrt(60 * c * (1 - c) / N_SIMS))
    assert_close_to_reference(r.power.value, r.analytic_power, N_SIMS)
    assert_close_to_reference(r.adverse_events["psy"].p_harm_detected.value,
                              r.adverse_events["psy"].analytic_p_harm_detected, N_SIMS)


def test_same_seed_same_numbers_for_one_and_two_workers():
    s = make_scenario(**{"pain.bounded": True, "adverse_events.n.placebo_risk": 0.1,
                         "simulation.chunk_mb": 1})
    one = simulate(s, n_sims=30_000, seed=123, n_jobs=1)
    two = simulate(s, n_sims=30_000, seed=123, n_jobs=2)
    assert len(chunk_layout(30_000, 8 * 8 * 60 + 128, 1)) > 4
    assert one.worker_processes == 1
    assert two.worker_processes == 2  # really ran in two loky processes
    assert one == two and one.to_dict() == two.to_dict()
    other = simulate(s, n_sims=30_000, seed=124, n_jobs=1)
    assert other.power != one.power


def test_chunk_layout_depends_on_budget_not_workers():
    assert chunk_layout(10, 1, 64) == [10]
    assert chunk_layout(250_000, 512, 64) == [65_536] * 3 + [53_392]
    sizes = chunk_layout(1_000_000, 8 * 8 * 200, 64)
    assert sum(sizes) == 1_000_000 and max(sizes) * 8 * 8 * 200 <= 64e6


def test_forcing_the_aggregate_path_where_it_is_not_exact_is_an_error():
    with pytest.raises(ScenarioError, match="pain.bounded"):
        simulate(make_scenario(**{"pain.bounded": True}), n_sims=10, path="aggregate")
    assert simulate(make_scenario(), n_sims=10).path == "aggregate"
    assert simulate(make_scenario(**{"pain.bounded": True}), n_sims=10).path == "patient"


def test_power_grows_with_n_and_effect():
    powers = [simulate(make_scenario(**{"design.n_per_arm": n}), n_sims=N_SIMS, seed=1).power.value
              for n in (20, 40, 80, 160)]
    assert powers == sorted(powers)
    by_effect = [simulate(make_scenario(**{"pain.effect": e}), n_sims=N_SIMS, seed=1).power.value
                 for e in (-0.25, -0.5, -1.0)]
    assert by_effect == sorted(by_effect)
