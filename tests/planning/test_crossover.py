"""The 2x2 crossover against its closed form and against the parallel design."""

from __future__ import annotations

import functools
import json
import math

import pytest
from conftest import ROOT, Z_TOL
from scipy import stats

from simulator import Scenario, ScenarioError, simulate, solve_sample_size
from simulator.face.cli import main

# Monte Carlo results against their references (the statistical tier).
pytestmark = pytest.mark.statistical


def crossover(n: int = 20, **design) -> Scenario:
    return Scenario.from_dict({
        "design": {"kind": "crossover", "n_per_arm": n, **design},
        "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup"}})


def within(p, ref, n_sims):
    se = math.sqrt(ref * (1 - ref) / n_sims)
    assert abs(p - ref) <= Z_TOL * se, f"{p} vs {ref} (SE {se:.3g})"


@pytest.mark.parametrize("n, rho", [(6, 0.5), (20, 0.7), (20, 0.3), (45, 0.8)])
def test_power_matches_the_noncentral_t_closed_form(n, rho):
    """No period or carry-over effect: the period-adjusted comparison is a t
    test of half period differences, variance sd^2 (1 - rho) / 2 each."""
    s = crossover(n, within_correlation=rho)
    r = simulate(s, n_sims=20_000, seed=n)
    assert r.analytic_exact
    within(r.power.value, r.analytic_power, 20_000)
    df = 2 * n - 2
    ncp = 1.0 / (2.5 * math.sqrt((1 - rho) / 2) * math.sqrt(2 / n))
    crit = stats.t.ppf(0.975, df)
    assert r.analytic_power == pytest.approx(
        stats.nct.sf(crit, df, ncp) + stats.nct.sf(crit, df, -ncp), abs=1e-12)


def test_period_effects_cancel_and_carryover_biases_by_half():
    s = crossover(25, period_effect=-0.8, carryover=0.6)
    r = simulate(s, n_sims=20_000, seed=2)
    assert r.true_effect == -1.0
    assert abs(r.bias + 0.3) <= Z_TOL * r.mean_estimate_se  # estimate = effect - carryover / 2
    within(r.power.value, r.analytic_power, 20_000)  # the closed form uses effect - carryover/2
    clean = simulate(crossover(25, period_effect=-0.8), n_sims=20_000, seed=2)
    assert abs(clean.bias) <= Z_TOL * clean.mean_estimate_se
    within(clean.ci_coverage.value, 0.95, 20_000)


@functools.lru_cache(maxsize=1)
def parallel_size():
    """The parallel trial both ratio tests compare with (solved once)."""
    return solve_sample_size(Scenario.from_dict({
        "design": {"n_per_arm": 10}, "pain": {"effect": -0.5, "sd": 2.5,
                                              "analysis": "followup"}}),
        target=0.9, n_sims=40_000, seed=1)


@pytest.mark.parametrize("rho", [0.5, 0.75])
def test_sample_size_ratio_to_parallel_is_two_over_one_minus_rho(rho):
    """N_total = 2 sigma^2 (1 - rho)(z_a + z_b)^2 / delta^2 for the crossover
    (docs/evidence.md c1), so N_parallel / N_crossover = 2 / (1 - rho). Normal
    theory: delta = 0.5 keeps both trials large enough for t ~ z."""
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.9)
    n_cross_total = 2 * 2.5**2 * (1 - rho) * z**2 / 0.25
    cross = solve_sample_size(crossover(10, within_correlation=rho).with_overrides(
        {"pain.effect": -0.5}), target=0.9, n_sims=40_000, seed=1)
    parallel = parallel_size()
    # the t-based closed form sits a patient or two above the normal-theory total
    assert n_cross_total <= 2 * cross.analytic_n_per_arm <= n_cross_total + 4
    assert cross.n_range[0] - 1 <= cross.analytic_n_per_arm <= cross.n_range[1] + 1
    # the ratio of totals, over the sizes the Monte Carlo error allows (+-1 per
    # sequence for integer rounding)
    lo = parallel.n_range[0] / (cross.n_range[1] + 1)
    hi = parallel.n_range[1] / max(cross.n_range[0] - 1, 1)
    assert lo <= 2 / (1 - rho) <= hi, (parallel.n_total / cross.n_total, lo, hi)


def test_washout_dropout_and_withdrawal_after_events():
    s = Scenario.from_dict({
        "design": {"kind": "crossover", "n_per_arm": 30, "washout_dropout": 0.2},
        "pain": {"effect": -1.0, "analysis": "followup"},
        "dropout": {"rate": 0.1, "after_ae": {"psy": 0.5}},
        "adverse_events": {"psy": {"placebo_risk": 0.1, "risk_ratio": 3.0}}})
    r = simulate(s, n_sims=20_000, seed=3)
    for mean, p_first in zip(r.mean_completers, (0.1, 0.3)):
        keep = 0.9 * 0.8 * (1 - 0.5 * p_first)
        assert mean == pytest.approx(30 * keep, abs=Z_TOL * math.sqrt(30 * keep * (1 - keep)
                                                                   / 20_000))
    within(r.power.value, r.analytic_power, 20_000)
    # events per treatment period: placebo period 1 of sequence 0 plus period 2 of sequence 1
    keep = 0.9 * 0.8 * (1 - 0.5 * 0.3)
    placebo_exposure = 30 + 30 * keep
    # per trial: Var(events) = E[exposure] p (1 - p) + p^2 Var(exposure)
    var = placebo_exposure * 0.1 * 0.9 + 0.01 * 30 * keep * (1 - keep)
    assert abs(r.adverse_events["psy"].mean_events[0] - 0.1 * placebo_exposure) <= \
        Z_TOL * math.sqrt(var / 20_000)


def test_harm_detection_without_dropout_matches_exact_enumeration():
    s = Scenario.from_dict({
        "design": {"kind": "crossover", "n_per_arm": 20}, "pain": {"effect": -1.0,
                                                                    "analysis": "followup"},
        "adverse_events": {"psy": {"placebo_risk": 0.1, "risk_ratio": 2.5}}})
    r = simulate(s, n_sims=20_000, seed=4)
    ae = r.adverse_events["psy"]
    within(ae.p_harm_detected.value, ae.analytic_p_harm_detected, 20_000)


def test_bounded_crossover_estimates_the_quadrature_truth():
    s = crossover(30, period_effect=-0.5).with_overrides(
        {"pain.bounded": True, "pain.inclusion_min": 4, "pain.effect": -1.5})
    r = simulate(s, n_sims=20_000, seed=5)
    assert -1.5 < r.true_effect < -1.0 and not r.analytic_exact
    assert abs(r.bias) <= Z_TOL * r.mean_estimate_se


def test_first_period_analysis_is_the_parallel_trial():
    s = crossover(30, crossover_analysis="first-period").with_overrides(
        {"pain.analysis": "ancova"})
    parallel = Scenario.from_dict({"design": {"n_per_arm": 30},
                                   "pain": {"effect": -1.0, "sd": 2.5, "analysis": "ancova"}})
    a = simulate(s, n_sims=5000, seed=6).to_dict()
    b = simulate(parallel, n_sims=5000, seed=6).to_dict()
    assert a["power"] == b["power"] and a["mean_estimate"] == b["mean_estimate"]


def test_common_random_numbers_curve_for_crossovers():
    from simulator import power_curve

    curve = power_curve(crossover(10), [6, 10, 16, 24], n_sims=20_000, seed=7,
                         closed_forms=True)
    power = [p.power.value for p in curve.points]
    assert power == sorted(power)
    for p in curve.points:
        within(p.power.value, p.analytic_power, 20_000)


@pytest.mark.parametrize("design, pain, fragment", [
    ({"kind": "crossover"}, {"analysis": "ancova"}, "[pain] analysis = 'ancova'"),
    ({"carryover": 0.5}, {}, "[design] carryover = 0.5: only for kind = 'crossover'"),
    ({"kind": "crossover", "washout_dropout": 1.0}, {}, "[design] washout_dropout = 1.0"),
    ({"kind": "crossover", "within_correlation": 0.05},
     {"inclusion_min": 4, "correlation": 0.5}, "must be >= pain.correlation^2 = 0.25"),
])
def test_crossover_validation(design, pain, fragment):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({"design": {"n_per_arm": 10, **design},
                            "pain": {"effect": -1.0, "analysis": "followup", **pain}})
    assert fragment in str(info.value)


def test_cli_runs_the_crossover_scenario(capsys):
    path = ROOT / "scenarios" / "dextromethorphan_crossover.toml"
    assert main(["run", str(path), "--n-sims", "2000", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["design"] == "crossover" and out["path"] == "patient"
    assert main(["run", str(path), "--n-sims", "500"]) == 0
    assert "2x2 crossover" in capsys.readouterr().out


def test_crossover_reports_the_power_washout_dropout_costs_and_its_design():
    r = simulate(crossover(30, washout_dropout=0.2), n_sims=4000, seed=9)
    assert r.power_no_dropout is not None and r.power_no_dropout.value > r.power.value
    first = simulate(crossover(30, crossover_analysis="first-period"), n_sims=500, seed=9)
    assert first.design == "crossover-first-period"
    with pytest.raises(ScenarioError, match="crossover designs model dropout completely"):
        crossover(30).with_overrides({"dropout.rate": 0.1, "dropout.mechanism": "mnar",
                                      "dropout.slope": 0.5})


def test_crossover_assurance_matches_its_closed_form_and_size_handles_dropout():
    from simulator import solve_sample_size

    s = crossover(20, carryover=0.4).with_overrides(
        {"pain.effect_sd": 0.8, "pain.effect_prior": "pooled"})
    r = simulate(s, n_sims=20_000, seed=10)
    within(r.assurance.value, r.analytic_assurance, 20_000)
    size = solve_sample_size(crossover(20).with_overrides({"dropout.rate": 0.1}), target=0.8,
                             n_sims=4000, seed=1)
    assert size.inflation_n_per_arm is None  # the textbook rule is for parallel groups
    assert size.n_range[0] <= size.analytic_n_per_arm <= size.n_range[1]
