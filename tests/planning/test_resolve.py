"""Resolving the review: the updated meta-analysis against its closed forms."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import ROOT, Z_TOL
from scipy import stats

from simulator import (
    ConvergenceError,
    Scenario,
    ScenarioError,
    simulate,
    solve_sample_size,
)
from simulator.face.cli import main
from simulator.planning.resolve_closed import closed_forms

# Monte Carlo results against their references (the statistical tier).
pytestmark = pytest.mark.statistical


def iv(n: int = 114, tau2: float = 0.0, **meta) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": n},
        "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup", "mcid": 1.0},
        "meta_analysis": {"evidence": "ketamine-iv/pain/immediate", "tau2": tau2, **meta}})


def test_information_size_view_for_iv_ketamine():
    """docs/evidence.md (c3): SE0 0.832, delta 1, sigma 2.5, 90 %: one trial of 114
    per arm when tau^2 = 0; at least 3, 5, 10 trials when tau^2 = 0.25, 0.5, 1."""
    c = closed_forms(iv(tau2=0.0))
    assert c.required_information == pytest.approx(10.51, abs=0.01)
    assert c.existing_information == pytest.approx(1.445, abs=0.002)
    assert c.k_min == 1 and c.n_per_arm_for_k[1] == 114
    for tau2, k_min in [(0.25, 3), (0.5, 5), (1.0, 10)]:
        c = closed_forms(iv(tau2=tau2))
        assert c.k_min == k_min and 1 not in c.n_per_arm_for_k
        gap = c.required_information - c.existing_information
        assert k_min > tau2 * gap >= k_min - 1  # the smallest integer k > tau^2 (I* - I0)
        # each of k_min trials, of the size given, supplies the missing information
        v = 2 * 2.5**2 / c.n_per_arm_for_k[k_min]
        assert k_min / (v + tau2) >= gap


@pytest.mark.parametrize("tau2, n, expected", [
    (0.0, 50, 0.60), (0.0, 100, 0.88), (0.0, 200, 0.99),
    (0.25, 50, 0.31), (0.25, 100, 0.43), (0.25, 200, 0.50), (0.25, 500, 0.56), (0.25, 2000, 0.59),
    (0.5, 50, 0.17), (0.5, 100, 0.23), (0.5, 200, 0.26), (0.5, 500, 0.29), (0.5, 2000, 0.30),
])
def test_conditional_power_reproduces_the_evidence_md_table(tau2, n, expected):
    """docs/evidence.md (c4): short term, estimate -0.532, SE 0.520, true -1.0, one trial."""
    s = Scenario.from_dict({
        "design": {"n_per_arm": n}, "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup"},
        "meta_analysis": {"pooled": {"estimate": -0.532, "se": 0.520}, "tau2": tau2}})
    assert closed_forms(s).conditional_power == pytest.approx(expected, abs=0.006)


def test_plateau_is_the_limit_one_trial_cannot_pass():
    s = iv(tau2=0.25)
    w0, est0, z = 1 / 0.8316479347871861**2, -1.579, stats.norm.ppf(0.975)
    w1 = 1 / 0.25
    expected = (stats.norm.cdf((w0 * est0 + w1 * -1.0 - z * math.sqrt(w0 + w1)) / math.sqrt(w1))
                + stats.norm.cdf((-w0 * est0 - w1 * -1.0 - z * math.sqrt(w0 + w1)) / math.sqrt(w1)))
    assert closed_forms(s).plateau == pytest.approx(expected, abs=1e-12)
    huge = closed_forms(s.with_overrides({"design.n_per_arm": 100_000}))  # the largest arm
    assert huge.conditional_power == pytest.approx(expected, abs=2e-4)  # v = 1.25e-4 left
    assert closed_forms(iv(tau2=0.0)).plateau == 1.0


@pytest.mark.parametrize("tau2", [0.0, 0.25, 1.0])
@pytest.mark.parametrize("n", [30, 114, 400])
def test_simulated_p_conclusive_matches_conditional_power(tau2, n):
    s = iv(n=n, tau2=tau2)
    r = simulate(s, n_sims=20_000, seed=int(100 * tau2) + n)
    p = r.resolve.p_conclusive["ci-excludes-0"]
    cp = r.resolve.closed.conditional_power
    assert abs(p.value - cp) <= Z_TOL * math.sqrt(cp * (1 - cp) / p.n_sims)


def test_conditional_power_with_several_trials_and_a_prior():
    s = iv(n=60, tau2=0.25, new_trials=3).with_overrides(
        {"pain.effect_sd": 0.4, "pain.effect_prior": "pooled"})
    r = simulate(s, n_sims=20_000, seed=5, path="patient")
    p = r.resolve.p_conclusive["ci-excludes-0"]
    cp = r.resolve.closed.conditional_power
    assert abs(p.value - cp) <= Z_TOL * math.sqrt(cp * (1 - cp) / p.n_sims)


def test_studies_with_held_tau2_equal_their_pooled_summary():
    """The update is the same; the tsa rule is not (its looks are the studies, not one)."""
    studies = [[-1.2, 0.5], [-0.4, 0.7], [-2.1, 0.9], [0.3, 0.6]]
    w = 1 / (np.square([r[1] for r in studies]) + 0.2)
    est = float(np.dot(w, [r[0] for r in studies]) / w.sum())
    base = {"design": {"n_per_arm": 50}, "pain": {"effect": -0.8, "analysis": "ancova"}}
    a = simulate(Scenario.from_dict({**base, "meta_analysis": {
        "studies": studies, "tau2": 0.2, "rules": ["settled", "ci-excludes-0", "mcid"]}}),
        n_sims=5000, seed=2)
    b = simulate(Scenario.from_dict({**base, "meta_analysis": {
        "pooled": {"estimate": est, "se": float(1 / np.sqrt(w.sum()))}, "tau2": 0.2,
        "rules": ["settled", "ci-excludes-0", "mcid"]}}), n_sims=5000, seed=2)
    for rule in ("settled", "ci-excludes-0", "mcid"):
        assert a.resolve.p_conclusive[rule].value == pytest.approx(
            b.resolve.p_conclusive[rule].value, abs=1e-12)


def test_refitting_studies_with_reml_runs_and_reports_directions():
    s = Scenario.from_dict({
        "design": {"n_per_arm": 80}, "pain": {"effect": 0.0, "analysis": "ancova"},
        "meta_analysis": {"studies": [[-1.2, 0.5], [-0.4, 0.7], [-2.1, 0.9], [0.3, 0.6]],
                          "method": "reml", "hksj": True, "new_trials": 2,
                          "rules": ["mcid", "precision"], "precision": 0.6}})
    r = simulate(s, n_sims=3000, seed=1)
    res = r.resolve
    assert set(res.by_direction["mcid"]) == {"benefit", "no-important-effect", "harm"}
    total = sum(p.value for p in res.by_direction["mcid"].values())
    assert total == pytest.approx(res.p_conclusive["mcid"].value)
    assert res.closed.conditional_power is None  # tau^2 re-estimated: no closed form
    assert set(res.by_direction["precision"]) == {"precise"}


def test_precision_rule_matches_the_chi_square_law_of_the_new_trials_variance():
    """With tau^2 = 0 held and one new trial, the update's half-width is
    z / sqrt(w0 + 1 / se^2), so it is below ``precision`` exactly when se^2 is below
    v* = 1 / ((z / precision)^2 - w0); the trial's se^2 = s_p^2 (2 / n) with
    s_p^2 ~ sigma^2 chi2(2n - 2) / (2n - 2) (Student t on the follow-up score)."""
    n, sigma, se0, precision = 50, 2.5, 0.5, 0.693
    s = Scenario.from_dict({
        "design": {"n_per_arm": n},
        "pain": {"effect": -0.5, "sd": sigma, "analysis": "followup"},
        "analysis": {"test": "student"},
        "meta_analysis": {"pooled": {"estimate": -0.4, "se": se0}, "tau2": 0.0,
                          "rules": ["precision"], "precision": precision}})
    n_sims = 20_000
    got = simulate(s, n_sims=n_sims, seed=4).resolve.p_conclusive["precision"]
    z = stats.norm.isf(0.025)
    v_star = 1.0 / ((z / precision) ** 2 - 1.0 / se0**2)
    df = 2 * n - 2
    expected = stats.chi2.cdf(v_star * n / 2 / sigma**2 * df, df)
    assert 0.2 < expected < 0.8
    assert abs(got.value - expected) <= Z_TOL * math.sqrt(expected * (1 - expected) / n_sims)


def test_solver_for_conclusive():
    r = solve_sample_size(iv(tau2=0.0), target=0.9, metric="conclusive:ci-excludes-0",
                          n_sims=20_000, seed=3)
    assert r.n_range[0] - 1 <= r.analytic_n_per_arm <= r.n_range[1] + 1
    with pytest.raises(ConvergenceError) as info:
        solve_sample_size(iv(tau2=0.25), target=0.9, metric="conclusive:ci-excludes-0",
                          n_sims=1000)
    message = str(info.value)
    assert "plateaus at 0.80" in message and "k_min = 3" in message


@pytest.mark.parametrize("meta, fragment", [
    ({}, "give exactly one of studies"),
    ({"studies": [[1, 0.5]], "pooled": {"estimate": 1, "se": 1}}, "give exactly one"),
    ({"studies": [[1, -0.5]]}, "[meta_analysis] studies"),
    ({"pooled": {"estimate": -1, "se": 0.5}}, "[meta_analysis] tau2 = (missing): required"),
    ({"pooled": {"estimate": -1, "se": 0.5}, "tau2": 0, "hksj": True}, "needs per-study"),
    ({"studies": [[1, 0.5]], "rules": ["ci"]}, "[meta_analysis] rules"),
    ({"studies": [[1, 0.5]], "rules": ["precision"]}, "[meta_analysis] precision = (missing)"),
    ({"studies": [[1, 0.5]], "new_trials": 0}, "[meta_analysis] new_trials = 0"),
    ({"evidence": "ketamine-iv/ae-any/any", "tau2": 0}, "needs a MD entry"),
])
def test_meta_analysis_table_validation(meta, fragment):
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({"design": {"n_per_arm": 10}, "pain": {"effect": -1},
                            "meta_analysis": meta})
    assert fragment in str(info.value)


def test_cli_resolve_json_has_the_stable_keys(capsys):
    path = ROOT / "scenarios" / "ketamine_iv_resolve.toml"
    assert main(["resolve", str(path), "--n-sims", "2000", "--json", "-", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("p_conclusive", "p_conclusive_se", "p_conclusive_benefit",
                "p_conclusive_harm", "conditional_power", "plateau", "k_min", "ris", "daris"):
        assert key in out
    assert out["k_min"] == 3 and out["plateau"] < 1
    assert main(["resolve", str(path), "--n-sims", "500", "--trials", "2", "--rule", "mcid",
                 "--n", "50:150:50", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "k=2" in text and "mcid" in text


def test_cli_meta_fits_csv_and_toml_like_metafor(tmp_path, capsys):
    table = tmp_path / "studies.csv"
    table.write_text("estimate,se\n-1.2,0.5\n-0.4,0.7\n-2.1,0.9\n0.3,0.6\n-0.9,0.4\n")
    assert main(["meta", str(table), "--method", "dl", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    # metafor: rma(yi, sei, method="DL"): b = -0.790295207460, tau2 = 0.204606263954
    assert out["estimate"] == pytest.approx(-0.790295207460, abs=1e-9)
    assert out["tau2"] == pytest.approx(0.204606263954, abs=1e-9)
    toml = tmp_path / "studies.toml"
    toml.write_text("studies = [[-1.2, 0.5], [-0.4, 0.7], [-2.1, 0.9], [0.3, 0.6], [-0.9, 0.4]]\n")
    assert main(["meta", str(toml), "--method", "dl", "--hksj"]) == 0
    assert "HKSJ" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("est,se\n1,2\n")
    assert main(["meta", str(bad)]) == 2
    assert "columns estimate,se" in capsys.readouterr().err


def test_predictive_prior_does_not_count_tau2_twice():
    """New trials add tau^2 around the centre themselves, so the centre takes
    the pooled uncertainty only: pooled and predictive priors give the same futures."""
    base = iv(n=80, tau2=0.25).with_overrides({"pain.effect_sd": 0.4, "pain.tau2": 0.25})
    pooled = simulate(base.with_overrides({"pain.effect_prior": "pooled"}), n_sims=4000, seed=8)
    predictive = simulate(base.with_overrides({"pain.effect_prior": "predictive"}),
                          n_sims=4000, seed=8)
    assert (pooled.resolve.p_conclusive["ci-excludes-0"].value
            == predictive.resolve.p_conclusive["ci-excludes-0"].value)
    assert (pooled.resolve.closed.conditional_power
            == pytest.approx(predictive.resolve.closed.conditional_power, abs=1e-12))


def test_no_closed_form_with_hksj_and_hksj_needs_two_studies():
    s = Scenario.from_dict({
        "design": {"n_per_arm": 50}, "pain": {"effect": -1.0, "analysis": "followup"},
        "meta_analysis": {"studies": [[-1.2, 0.5], [-0.4, 0.7]], "tau2": 0.1, "hksj": True}})
    assert closed_forms(s).conditional_power is None
    with pytest.raises(ScenarioError, match="hksj = true: needs per-study estimates of at least 2"):
        s.with_overrides({"meta_analysis.studies": [[-1.2, 0.5]]})
