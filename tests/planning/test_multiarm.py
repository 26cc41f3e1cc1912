"""Multi-arm trials: Dunnett's critical values, multiplicity control, per-comparison power."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import ROOT, Z_TOL
from scipy import stats

from simulator import Scenario, ScenarioError, simulate
from simulator.analysis.multiplicity import dunnett_critical
from simulator.face.cli import main
from simulator.planning.closed import any_comparison_power

# Monte Carlo results against their references (the statistical tier).
pytestmark = pytest.mark.statistical

# Dunnett (1955, 1964) two-sided 5 % critical values, k comparisons with a
# control: (k, df, value), printed to two decimals.
TABLE = [(2, 10, 2.57), (2, 20, 2.38), (2, 60, 2.27), (2, np.inf, 2.21),
         (3, 20, 2.54), (3, np.inf, 2.35), (4, 30, 2.58)]


@pytest.mark.parametrize("k, df, value", TABLE)
def test_dunnett_critical_values_match_published_tables(k, df, value):
    assert dunnett_critical(10, [10] * k, df) == pytest.approx(value, abs=0.005)


@pytest.mark.parametrize("n0, active, df", [(10, [10, 10], 27), (20, [10, 15, 30], 71),
                                            (12, [24, 24], 57)])
def test_dunnett_critical_values_match_scipy_multivariate_t(n0, active, df):
    """Reference: scipy's multivariate t (Genz's quasi-Monte Carlo), a method
    independent of the one-factor quadrature: its coverage at c - 0.001 and
    c + 0.001 brackets 95 %, so the critical values agree to 1e-3."""
    c = dunnett_critical(n0, active, df)
    lam = np.array([1 / math.sqrt(1 + n0 / n) for n in active])
    corr = np.outer(lam, lam)
    np.fill_diagonal(corr, 1.0)
    mvt = stats.multivariate_t(shape=corr, df=df, seed=3)
    k = len(active)

    def coverage(x):
        return mvt.cdf(np.full(k, x), lower_limit=np.full(k, -x), maxpts=400_000)

    assert coverage(c - 0.001) < 0.95 < coverage(c + 0.001)


def three_arms(**over) -> Scenario:
    s = Scenario.from_dict({
        "design": {"kind": "multiarm", "arms": ["placebo", "low", "high"], "n_per_arm": 40},
        "pain": {"effect": -1.0, "analysis": "followup",
                 "arm_effects": {"low": -0.5, "high": -1.0}},
        "adverse_events": {"psy": {"placebo_risk": 0.1, "risk_ratio": 3.0,
                                   "arm_risk_ratios": {"low": 2.0, "high": 4.0}}}})
    return s.with_overrides(over) if over else s


@pytest.mark.parametrize("method, exact_fwer", [("dunnett", True), ("bonferroni", False),
                                                ("holm", False)])
@pytest.mark.parametrize("path", ["aggregate", "patient"])
def test_family_wise_error_under_the_global_null(method, exact_fwer, path):
    s = three_arms(**{"analysis.multiplicity": method,
                      "pain.arm_effects": {"low": 0.0, "high": 0.0}})
    r = simulate(s, n_sims=40_000, seed=5, path=path)
    se = math.sqrt(0.05 * 0.95 / 40_000)
    if exact_fwer:
        assert abs(r.power.value - 0.05) <= Z_TOL * se
    else:  # Bonferroni and Holm are conservative
        assert r.power.value <= 0.05 + Z_TOL * se
    unadjusted = simulate(s.with_overrides({"analysis.multiplicity": "none"}), n_sims=40_000,
                          seed=5, path=path)
    assert unadjusted.power.value > 0.05 + Z_TOL * se  # why adjustment is needed


@pytest.mark.parametrize("method", ["dunnett", "bonferroni"])
def test_per_comparison_power_matches_its_closed_form(method):
    r = simulate(three_arms(**{"analysis.multiplicity": method}), n_sims=20_000, seed=6)
    for arm, comp in r.per_comparison.items():
        se = math.sqrt(comp["analytic_power"] * (1 - comp["analytic_power"]) / 20_000)
        assert abs(comp["power"] - comp["analytic_power"]) <= Z_TOL * se, arm
    d = r.to_dict()
    assert d["p_any_success"] >= max(c["power_benefit"] for c in d["per_comparison"].values())
    high = d["per_comparison"]["high"]
    assert high["power"] > d["per_comparison"]["low"]["power"]


def test_holm_is_at_least_as_powerful_as_bonferroni_on_the_same_trials():
    holm = simulate(three_arms(**{"analysis.multiplicity": "holm"}), n_sims=10_000, seed=7)
    bonf = simulate(three_arms(**{"analysis.multiplicity": "bonferroni"}), n_sims=10_000, seed=7)
    for arm in ("low", "high"):
        assert holm.per_comparison[arm]["power"] >= bonf.per_comparison[arm]["power"]
    assert holm.power.value == bonf.power.value  # the first step is Bonferroni's


def test_pooled_ancova_comparisons_and_harm_per_arm():
    s = three_arms(**{"pain.analysis": "ancova", "pain.bounded": True})
    r = simulate(s, n_sims=10_000, seed=8)
    assert r.path == "patient"
    # the last arm's estimate against its true effect on the observed (clipped, rounded)
    # scale, from the model's quadrature
    assert abs(r.bias) <= Z_TOL * r.mean_estimate_se
    harm = {a: c["p_harm_detected"]["psy"] for a, c in r.per_comparison.items()}
    assert harm["high"] > harm["low"]
    assert r.adverse_events["psy"].p_harm_detected.value == pytest.approx(harm["high"])


@pytest.mark.parametrize("data, fragment", [
    ({"design": {"kind": "multiarm", "arms": ["p", "a"], "n_per_arm": 10}},
     "must be a list of 3 to 20 distinct names"),
    ({"design": {"n_per_arm": 10}, "pain": {"effect": -1, "arm_effects": {"active": -1}}},
     "[pain] arm_effects = {'active': -1}: only for design.kind = 'multiarm'"),
    ({"design": {"kind": "multiarm", "n_per_arm": 10}, "pain": {"effect": -1,
                                                                 "arm_effects": {"low": -1}}},
     "one value per active arm: low, high"),
    ({"design": {"kind": "multiarm", "n_per_arm": 10}, "analysis": {"multiplicity": "sidak"}},
     "[analysis] multiplicity = 'sidak'"),
])
def test_multiarm_validation(data, fragment):
    raw = {"pain": {"effect": -1.0}}
    raw.update(data)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(raw)
    assert fragment in str(info.value)


def test_cli_runs_the_multiarm_scenario(capsys):
    path = ROOT / "scenarios" / "ketamine_oral_doses.toml"
    assert main(["run", str(path), "--n-sims", "2000", "--json", "-"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["per_comparison"]) == {"low_dose", "high_dose"}
    assert 0 <= out["p_any_success"] <= 1
    assert main(["run", str(path), "--n-sims", "500"]) == 0
    assert "high_dose" in capsys.readouterr().out


def test_sample_size_for_any_success_in_a_multiarm_trial():
    from simulator import solve_sample_size

    r = solve_sample_size(three_arms(), target=0.8, metric="power_benefit", n_sims=10_000, seed=9)
    assert r.analytic_n_per_arm is None and r.n_total == 3 * r.n_per_arm
    assert r.achieved >= 0.8 and r.n_range[0] <= r.n_per_arm <= r.n_range[1]


@pytest.mark.parametrize("method", ["dunnett", "holm", "none"])
def test_power_of_any_comparison_closed_form_matches_simulation(method):
    """The solver's first guess for a multi-arm design: P(some comparison rejects) from
    the noncentral multivariate t, exact without dropout, against 20,000 trials."""
    s = Scenario.from_dict({
        "design": {"kind": "multiarm", "arms": ["placebo", "low", "high"], "n_per_arm": 50},
        "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup",
                 "arm_effects": {"low": -0.6, "high": -1.0}},
        "analysis": {"multiplicity": method}})
    r = simulate(s, n_sims=20_000, seed=8, closed_forms=False, comparisons=False)
    assert abs(r.power.value - any_comparison_power(s)) < Z_TOL * r.power.se


# R 4.2:  P <- list(c(0.012, 0.013, 0.04), c(0.04, 0.012, 0.013), c(0.001, 0.30, 0.02),
#                   c(0.02, 0.02, 0.02), c(0.2, 0.01, 0.03))
#         for (p in P) print(p.adjust(p, "holm") <= 0.05); ... p.adjust(p, "bonferroni")
HOLM_P = [(0.012, 0.013, 0.04), (0.04, 0.012, 0.013), (0.001, 0.30, 0.02),
          (0.02, 0.02, 0.02), (0.2, 0.01, 0.03)]
R_HOLM = [(True, True, True), (True, True, True), (True, False, True),
          (False, False, False), (False, True, False)]
R_BONFERRONI = [(True, True, False), (False, True, True), (True, False, False),
                (False, False, False), (False, True, False)]


@pytest.mark.parametrize("method, expected", [("holm", R_HOLM), ("bonferroni", R_BONFERRONI)])
def test_holm_and_bonferroni_decisions_match_r_p_adjust(method, expected):
    """Two-sided p-values of normal statistics (df infinite), one column per trial."""
    from simulator.analysis.estimates import TrialEstimates
    from simulator.analysis.multiplicity import adjusted_decisions

    p = np.array(HOLM_P).T  # (comparisons, trials)
    z = -stats.norm.isf(p / 2)  # in the benefit direction (benefit_sign -1)
    comparisons = [TrialEstimates(estimate=row, se=np.ones_like(row), statistic=row,
                                  df=np.full_like(row, np.inf)) for row in z]
    reject, benefit = adjusted_decisions(comparisons, method=method, alpha=0.05, sided=2,
                                         benefit_sign=-1, n_reference=50, n_active=[50] * 3)
    assert reject.T.tolist() == [list(e) for e in expected]
    assert (benefit == reject).all()
