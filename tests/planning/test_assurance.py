"""Assurance: per-trial true parameters drawn from the prior, against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import Z_TOL
from scipy import stats

from simulator import Scenario, analytic_assurance, harm_detection_probability, simulate

# Monte Carlo results against their references (the statistical tier).
pytestmark = pytest.mark.statistical

IV_IMMEDIATE = {"from": "evidence", "key": "ketamine-iv/pain/immediate"}


def ohagan(m_benefit: float, s: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """O'Hagan, Stevens & Campbell (2005) assurance, known SD, normal prior
    N(m, s^2) on the benefit scale (docs/evidence.md c7):
    A(n) = Phi((m - z_{1-alpha/2} sigma_n) / sqrt(sigma_n^2 + s^2)), sigma_n^2 = 2 sd^2 / n."""
    sigma_n = sd * math.sqrt(2.0 / n)
    return float(stats.norm.cdf((m_benefit - stats.norm.ppf(1 - alpha / 2) * sigma_n)
                                / math.hypot(sigma_n, s)))


def iv_scenario(n: int, **pain) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": n},
        "pain": {"effect": IV_IMMEDIATE, "effect_prior": "pooled", "analysis": "followup",
                 "sd": 2.5, **pain}})


def within(sim, ref: float) -> None:
    se = math.sqrt(ref * (1 - ref) / sim.n_sims)
    assert abs(sim.value - ref) <= Z_TOL * se, f"{sim.value} vs {ref} (SE {se:.3g})"


def test_evidence_md_illustration_table():
    """docs/evidence.md (c7): IV immediate term N(1.579, 0.832^2), sigma 2.5:
    A = 0.73, 0.84, 0.86, 0.90 at n = 50, 100, 132, 200; bound 0.97. The table is
    O'Hagan's known-SD formula (checked here against the helper); the package's
    closed form (exact t power over the prior) rounds to the same two decimals."""
    for n, expected in [(50, 0.73), (100, 0.84), (132, 0.86), (200, 0.90)]:
        assert ohagan(1.579, 0.832, 2.5, n) == pytest.approx(expected, abs=0.006)
        assert analytic_assurance(iv_scenario(n)) == pytest.approx(expected, abs=0.006)


@pytest.mark.parametrize("n", [100, 200, 400, 1600])
def test_simulated_assurance_matches_ohagan_closed_form(n):
    s = iv_scenario(n)
    r = simulate(s, n_sims=40_000, seed=n)
    within(r.assurance, ohagan(1.579, s.pain.effect_sd, 2.5, n))


@pytest.mark.parametrize("path", ["aggregate", "patient"])
@pytest.mark.parametrize("n, overrides", [
    (20, {}),
    (60, {"analysis": "ancova"}),
    (60, {"analysis": "change", "effect_prior": "predictive", "tau2": 0.5}),
    (150, {"analysis": "ancova", "effect_prior": "predictive", "tau2": 0.25}),
])
def test_simulated_assurance_matches_quadrature_of_exact_power(path, n, overrides):
    s = iv_scenario(n, **overrides)
    r = simulate(s, n_sims=20_000, seed=3, path=path)
    assert r.analytic_assurance == pytest.approx(analytic_assurance(s))
    within(r.assurance, r.analytic_assurance)


def test_assurance_tends_to_its_ceiling():
    s = iv_scenario(50)
    ceiling = stats.norm.cdf(1.579 / s.pain.effect_sd)
    values = [ohagan(1.579, s.pain.effect_sd, 2.5, n) for n in (50, 200, 10**4, 10**9)]
    assert values == sorted(values) and values[-1] < ceiling
    assert ceiling - values[-1] < 1e-4
    for n in (200, 10**4):
        r = simulate(s.with_overrides({"design.n_per_arm": n}), n_sims=40_000, seed=1)
        assert r.assurance_ceiling == pytest.approx(ceiling)
        assert r.assurance.value <= ceiling + Z_TOL * r.assurance.se
        within(r.assurance, ohagan(1.579, s.pain.effect_sd, 2.5, n))


def test_prior_with_zero_mean_caps_assurance_at_one_half():
    s = Scenario.from_dict({"design": {"n_per_arm": 5000},
                            "pain": {"effect": 0.0, "effect_sd": 0.75, "effect_prior": "pooled",
                                     "analysis": "followup"}})
    r = simulate(s, n_sims=20_000, seed=2)
    assert r.assurance_ceiling == pytest.approx(0.5)
    within(r.assurance, r.analytic_assurance)
    within(r.power, 0.05)


def test_fixed_effect_reports_no_assurance():
    s = Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {"effect": -1.0}})
    d = simulate(s, n_sims=100).to_dict()
    assert d["assurance"] is None and d["assurance_ceiling"] is None and d["evidence"] == []


def test_power_and_assurance_share_the_trials():
    """Same data stream for both: with a zero-width prior they coincide exactly."""
    s = Scenario.from_dict({"design": {"n_per_arm": 40},
                            "pain": {"effect": -1.0, "effect_sd": 1e-12, "effect_prior": "pooled",
                                     "bounded": True}})
    r = simulate(s, n_sims=5000, seed=4)
    assert r.assurance.value == r.power_benefit.value


def test_harm_assurance_matches_quadrature_over_the_log_normal_prior():
    s = Scenario.from_dict({
        "design": {"n_per_arm": 80}, "pain": {"effect": -1.0},
        "adverse_events": {"any": {"placebo_risk": 0.1,
                                   "risk_ratio": {"from": "evidence", "key": "ketamine-iv/ae-any/any"},
                                   "risk_ratio_prior": "pooled"}}})
    r = simulate(s, n_sims=20_000, seed=6)
    ae = s.adverse_events[0]
    x, w = np.polynomial.hermite_e.hermegauss(40)
    risks = np.minimum(0.1 * np.exp(math.log(ae.risk_ratio) + ae.log_rr_sd * x), 1.0)
    ref = sum(wi * harm_detection_probability(0.1, p1, 80, 80) for wi, p1 in zip(w, risks))
    ref /= math.sqrt(2 * math.pi)
    within(r.adverse_events["any"].harm_assurance, ref)
    within(r.adverse_events["any"].p_harm_detected,
           harm_detection_probability(0.1, 0.326, 80, 80))


def test_assurance_identical_for_one_and_two_workers():
    s = iv_scenario(40, bounded=True).with_overrides({"simulation.chunk_mb": 1})
    one = simulate(s, n_sims=20_000, seed=9, n_jobs=1)
    two = simulate(s, n_sims=20_000, seed=9, n_jobs=2)
    assert two.worker_processes == 2 and one.to_dict() == two.to_dict()


@pytest.mark.parametrize("n", [30, 300, 30_000])
def test_closed_form_assurance_agrees_with_ohagan_as_t_approaches_z(n):
    """The t-based quadrature and O'Hagan's z formula differ only through the
    t quantile, which vanishes as n grows; the quadrature must resolve a
    power curve far narrower than the prior (n = 30,000)."""
    s = iv_scenario(n)
    gap = abs(analytic_assurance(s) - ohagan(1.579, s.pain.effect_sd, 2.5, n))
    assert gap < (0.02 if n == 30 else 1e-3 if n == 300 else 1e-5)


@pytest.mark.parametrize("path", ["aggregate", "patient"])
def test_drawn_risk_ratios_keep_the_pain_draws_paired(path):
    """AE counts are drawn last, so a prior on a risk ratio (whose binomial
    consumes a varying number of random numbers) leaves the pain statistics on
    common random numbers: a zero-width effect prior then reproduces
    power_benefit exactly."""
    s = Scenario.from_dict({
        "design": {"n_per_arm": 40},
        "pain": {"effect": -1.0, "effect_sd": 1e-12, "effect_prior": "pooled"},
        "dropout": {"rate": 0.1},
        "adverse_events": {"any": {"placebo_risk": 0.1, "risk_ratio": 3.0, "log_rr_sd": 0.5,
                                   "risk_ratio_prior": "pooled"}}})
    r = simulate(s, n_sims=5000, seed=4, path=path)
    assert r.assurance.value == r.power_benefit.value
    assert r.adverse_events["any"].harm_assurance is not None


def test_only_drawn_quantities_report_assurance():
    s = Scenario.from_dict({
        "design": {"n_per_arm": 40}, "pain": {"effect": -1.0},
        "adverse_events": {"a": {"placebo_risk": 0.1, "risk_ratio": 3.0, "log_rr_sd": 0.5,
                                 "risk_ratio_prior": "pooled"},
                           "b": {"placebo_risk": 0.1, "risk_ratio": 2.0}}})
    d = simulate(s, n_sims=500, seed=1).to_dict()
    assert d["assurance"] is None
    assert "harm_assurance" in d["adverse_events"]["a"]
    assert "harm_assurance" not in d["adverse_events"]["b"]


def test_aggregate_curves_keep_pairing_with_drawn_risk_ratios():
    from simulator import power_curve

    s = Scenario.from_dict({
        "design": {"n_per_arm": 40},
        "pain": {"effect": -1.0, "effect_sd": 1e-12, "effect_prior": "pooled"},
        "adverse_events": {"any": {"placebo_risk": 0.1, "risk_ratio": 3.0, "log_rr_sd": 0.5,
                                   "risk_ratio_prior": "pooled"}}})
    curve = power_curve(s, [20, 40, 60], n_sims=4000, seed=4, path="aggregate")
    for p in curve.points:
        assert p.assurance.value == p.power_benefit.value
