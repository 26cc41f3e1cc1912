"""A binary outcome's update: log risk ratios of an adverse event, against the normal
approximation of the update with tau^2 fixed."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import ROOT, Z_TOL

from simulator import Scenario, ScenarioError, simulate
from simulator.analysis.information_size import binary_information_size
from simulator.engine.sample import TrialSample
from simulator.face.cli import main
from simulator.planning.resolve_closed import closed_forms
from simulator.planning.review_binary import binary_estimates, binary_variance
from simulator.planning.update_closed import rule_probabilities

pytestmark = pytest.mark.statistical


def harm(n: int = 150, rr: float = 1.5, k: int = 1, **meta) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": n},
        "pain": {"effect": -1.0},
        "adverse_events": {"dizziness": {"placebo_risk": 0.2, "risk_ratio": rr}},
        "meta_analysis": {"outcome": "dizziness", "pooled": {"estimate": 0.1, "se": 0.35},
                          "tau2": 0.05, "harm_margin": 2.0, "new_trials": k,
                          "rules": ["settled", "ci-excludes-0"], **meta}})


@pytest.mark.parametrize("n, rr, k, tau2", [
    (600, 1.0, 1, 0.05), (800, 1.5, 1, 0.05), (1000, 1.5, 2, 0.05), (600, 2.0, 1, 0.05),
    (800, 1.3, 3, 0.05), (600, 1.0, 1, 0.0), (800, 1.5, 1, 0.0), (800, 1.3, 3, 0.0)])
def test_p_harm_shown_matches_the_normal_approximation(n, rr, k, tau2):
    """The acceptance test: P(harm shown) (and important harm ruled out) of the simulated
    binary update against the closed form, the normal approximation on the log RR with
    tau^2 fixed: each trial's log RR ~ N(theta, v), v = (1-p1)/(n p1) + (1-p0)/(n p0).
    (The approximation needs large trials: at 100-150 per arm and a placebo risk of 0.2
    it is off by up to 0.03, where the estimated variances weight the trials; the exact
    enumeration below checks the simulation there.)"""
    s = harm(n, rr, k, tau2=tau2)
    r = simulate(s, n_sims=20_000, seed=n + k)
    v = (1 - 0.2 * rr) / (n * 0.2 * rr) + 0.8 / (n * 0.2)
    assert binary_variance(s) == pytest.approx(v)
    p = rule_probabilities(math.log(rr), 1 / 0.35**2, 0.1, k / (v + tau2), 1.959963985,
                           math.log(2.0), binary=True)["settled"]
    by = r.resolve.by_direction["settled"]
    for direction in ("harm", "no-important-harm"):
        want = float(p[direction])
        got = by[direction]
        assert abs(got.value - want) <= Z_TOL * math.sqrt(max(want * (1 - want), 1e-4) / 20_000)
    assert r.resolve.closed.by_rule["settled"]["by_direction"]["harm"] == pytest.approx(
        float(p["harm"]))


def _exact(n: int, rr: float, tau2: float) -> tuple[float, float]:
    """One new trial, enumerated: every pair of binomial counts (0.5 added to a table with a
    zero cell, as escalc does), the update of the pooled log RR 0.1 (SE 0.35) with tau^2 held,
    averaged over the trial's true log RR ~ N(ln rr, tau2) by Gauss-Hermite."""
    from scipy import stats

    a = np.arange(n + 1.0)
    a1, a0 = np.meshgrid(a, a, indexing="ij")
    zero = (a1 == 0) | (a0 == 0) | (a1 == n) | (a0 == n)
    c = np.where(zero, 0.5, 0.0)
    y = np.log((a1 + c) / (n + 2 * c)) - np.log((a0 + c) / (n + 2 * c))
    v = 1 / (a1 + c) - 1 / (n + 2 * c) + 1 / (a0 + c) - 1 / (n + 2 * c)
    w0, w = 1 / 0.35**2, 1 / (v + tau2)
    mu, h = (w0 * 0.1 + w * y) / (w0 + w), 1.959963985 / np.sqrt(w0 + w)
    shown, ruled_out = mu - h > 0, (mu + h < math.log(2.0)) & ~(mu - h > 0)
    x, wx = np.polynomial.hermite_e.hermegauss(40 if tau2 > 0 else 1)
    out = np.zeros(2)
    for node, weight in zip(x, wx / wx.sum()):
        p1 = min(0.2 * rr * math.exp(math.sqrt(tau2) * node), 1.0)
        prob = np.outer(stats.binom.pmf(a, n, p1), stats.binom.pmf(a, n, 0.2))
        out += weight * np.array([prob[shown].sum(), prob[ruled_out].sum()])
    return float(out[0]), float(out[1])


@pytest.mark.parametrize("n, rr, tau2", [(100, 1.0, 0.0), (150, 1.5, 0.0), (150, 1.5, 0.05),
                                         (100, 1.0, 0.05)])
def test_small_trials_match_exact_enumeration(n, rr, tau2):
    r = simulate(harm(n, rr, 1, tau2=tau2), n_sims=20_000, seed=n)
    by = r.resolve.by_direction["settled"]
    for got, want in zip((by["harm"], by["no-important-harm"]), _exact(n, rr, tau2)):
        assert abs(got.value - want) <= Z_TOL * math.sqrt(max(want * (1 - want), 1e-4) / 20_000)


def test_each_new_trial_adds_its_own_log_rr_from_its_counts():
    s = harm(10)
    sample = TrialSample(primary=None, completers=(), ae_counts={
        "dizziness": (np.array([2.0, 0.0, 3.0]), np.array([5.0, 4.0, 10.0]))})
    est, se = binary_estimates(s, sample, (10, 10))
    # metafor 3.8-1: escalc(measure = "RR", ai = c(5, 4, 10), n1i = c(10, 10, 10),
    #                       ci = c(2, 0, 3), n2i = c(10, 10, 10))
    # yi 0.916290731874 2.19722457734 1.09861228867; vi 0.5 2.0404040404 0.199134199134
    # (0.5 added to every cell of the 2nd and 3rd tables: a zero cell)
    assert est == pytest.approx([0.916290731874, 2.19722457734, 1.09861228867], abs=1e-9)
    assert se**2 == pytest.approx([0.5, 2.0404040404, 0.199134199134], abs=1e-9)


def test_binary_information_size_and_feasibility():
    c = closed_forms(harm())
    want = binary_information_size(0.2, 1 - 2.0, alpha=0.05, beta=0.1)
    assert c.ris == pytest.approx(want.participants)
    assert c.required_information == pytest.approx(want.information)
    with pytest.raises(ScenarioError, match=r"\[meta_analysis\] harm_margin = 6.0: with "
                                            r"placebo_risk = 0.2 the harmful risk 1.2"):
        harm(harm_margin=6.0)


@pytest.mark.parametrize("meta, fragment", [
    ({"harm_margin": None}, "[meta_analysis] harm_margin = (missing): required with outcome"),
    ({"outcome": "nausea"}, "[meta_analysis] outcome = 'nausea': must be 'pain' or the name"),
    ({"rules": ["mcid"]}, "a binary outcome takes 'settled'"),
    ({"tau2_prior": "rhodes"}, "Rhodes et al.'s priors are for standardized mean"),
])
def test_binary_options_are_validated(meta, fragment):
    with pytest.raises(ScenarioError) as info:
        harm(**meta)
    assert fragment in str(info.value)


def test_a_binary_update_takes_an_rr_entry():
    s = Scenario.from_dict({
        "design": {"n_per_arm": 100}, "pain": {"effect": -1.0},
        "adverse_events": {"psy": {"placebo_risk": 0.18, "risk_ratio": 2.0}},
        "meta_analysis": {"outcome": "psy", "evidence": "ketamine-any/ae-psychotomimetic/michelet",
                          "tau2": 0.1, "harm_margin": 2.0}})
    assert s.meta_analysis.pooled[0] == pytest.approx(math.log(5.35))
    with pytest.raises(ScenarioError, match="needs a RR entry"):
        Scenario.from_dict({
            "design": {"n_per_arm": 100}, "pain": {"effect": -1.0},
            "adverse_events": {"psy": {"placebo_risk": 0.18}},
            "meta_analysis": {"outcome": "psy", "evidence": "ketamine-iv/pain/immediate",
                              "tau2": 0.1, "harm_margin": 2.0}})


def test_cli_settles_the_psychotomimetic_harm(capsys):
    path = ROOT / "scenarios" / "ketamine_iv_resolve_harm.toml"
    assert main(["resolve", str(path), "--n-sims", "1000", "--json", "-", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rule"] == "settled"
    assert set(out["rules"]["settled"]["by_direction"]) == {"harm", "no-important-harm"}
    assert out["p_conclusive"] > 0.95  # Michelet's RR 5.35 (2.64-10.81) already shows harm
    assert main(["resolve", str(path), "--n-sims", "1000", "--quiet"]) == 0
    assert "important harm ruled out" in capsys.readouterr().out
