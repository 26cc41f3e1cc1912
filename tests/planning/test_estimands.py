"""Missing data mechanisms and estimands: bias, coverage and size against each
estimand's true value under the scenario."""

from __future__ import annotations

import math

import pytest
from conftest import Z_TOL

from simulator import Scenario, simulate
from simulator.models.estimand_truth import estimand_truth

# Monte Carlo results against their references (the statistical tier).
pytestmark = pytest.mark.statistical

N_SIMS = 6000


def scenario(**over) -> Scenario:
    base = Scenario.from_dict({"design": {"n_per_arm": 60},
                               "pain": {"effect": -1.0, "analysis": "ancova"},
                               "dropout": {"rate": 0.25},
                               "analysis": {"imputations": 10}})
    return base.with_overrides(over) if over else base


def unbiased(r) -> None:
    se = math.hypot(r.mean_estimate_se, r.true_effect_se)
    assert abs(r.mean_estimate - r.true_effect) <= Z_TOL * se, (r.mean_estimate, r.true_effect)


def covers(r, lower_only: bool = False) -> None:
    se = math.sqrt(0.95 * 0.05 / r.n_sims)
    assert r.ci_coverage.value >= 0.95 - Z_TOL * se, r.ci_coverage.value
    if not lower_only:
        assert r.ci_coverage.value <= 0.95 + Z_TOL * se, r.ci_coverage.value


def test_truths_have_closed_forms_under_mcar():
    """Under MCAR with completion c: BOCF and J2R both estimate c * effect
    (withdrawn patients contribute no difference), composite c * (p1 - p0)."""
    for estimand in ("treatment-policy-bocf", "treatment-policy-j2r"):
        value, se = estimand_truth(scenario(**{"analysis.estimand": estimand}))
        assert abs(value - 0.75 * -1.0) <= Z_TOL * se
    s = scenario(**{"analysis.estimand": "composite", "pain.analysis": "responder30"})
    from simulator.models.truth import true_effect
    value, se = estimand_truth(s)
    assert abs(value - 0.75 * true_effect(s.pain)) <= Z_TOL * se


@pytest.mark.parametrize("over", [
    {},                                                            # complete cases, MCAR
    {"dropout.mechanism": "mar", "dropout.slope": 0.6},            # MAR on baseline, ANCOVA
])
def test_complete_cases_are_unbiased_and_cover_when_dropout_ignores_the_outcome(over):
    r = simulate(scenario(**over), n_sims=N_SIMS, seed=1)
    assert r.estimand == "hypothetical"
    unbiased(r)
    covers(r)
    assert r.power_no_dropout.value > r.power.value
    null = simulate(scenario(**{**over, "pain.effect": 0.0}), n_sims=N_SIMS, seed=2)
    assert abs(null.power.value - 0.05) <= Z_TOL * math.sqrt(0.05 * 0.95 / N_SIMS)


def test_complete_cases_are_biased_when_dropout_depends_on_the_outcome_and_say_so():
    r = simulate(scenario(**{"dropout.mechanism": "mnar", "dropout.slope": 0.8}),
                 n_sims=N_SIMS, seed=3)
    assert r.true_effect == -1.0
    assert r.bias > Z_TOL * r.mean_estimate_se  # shrunk towards zero
    assert any("mnar" in note and "biased" in note for note in r.notes)
    assert "biased" in r.to_dict()["notes"][0]


def test_jump_to_reference_is_unbiased_and_not_anticonservative():
    """Rubin's rules are known to be conservative for jump to reference
    (Seaman, White & Leacy 2014), so coverage is checked from below."""
    s = scenario(**{"analysis.estimand": "treatment-policy-j2r"})
    r = simulate(s, n_sims=N_SIMS, seed=4)
    unbiased(r)
    covers(r, lower_only=True)
    null = simulate(s.with_overrides({"pain.effect": 0.0}), n_sims=N_SIMS, seed=5)
    assert null.power.value <= 0.05 + Z_TOL * math.sqrt(0.05 * 0.95 / N_SIMS)


def test_bocf_and_composite_estimate_their_estimands():
    bocf = simulate(scenario(**{"analysis.estimand": "treatment-policy-bocf"}),
                    n_sims=N_SIMS, seed=6)
    unbiased(bocf)
    assert any("carried forward" in note for note in bocf.notes)
    comp = simulate(scenario(**{"analysis.estimand": "composite",
                                "pain.analysis": "responder30", "pain.bounded": True}),
                    n_sims=N_SIMS, seed=7)
    unbiased(comp)


def test_withdrawal_after_adverse_events_under_each_estimand():
    s = scenario(**{"dropout.rate": 0.0, "dropout.mechanism": "ae",
                    "adverse_events.psy.placebo_risk": 0.2,
                    "adverse_events.psy.risk_ratio": 3.0, "dropout.after_ae.psy": 0.6,
                    "analysis.estimand": "treatment-policy-bocf"})
    r = simulate(s, n_sims=N_SIMS, seed=8)
    unbiased(r)
    # The truth in closed form: withdrawal (after an AE, independent of pain) leaves
    # completion c0 = 1 - 0.2 * 0.6 and c1 = 1 - 0.6 * 0.6, and a withdrawn patient's
    # baseline is carried forward: E[Y1] - E[Y0] = c1 mu_y1 + (1 - c1) mu_x
    # - c0 mu_y0 - (1 - c0) mu_x = (c1 - c0) placebo_change + c1 effect = -0.4.
    c0, c1 = 1 - 0.2 * 0.6, 1 - 0.6 * 0.6
    closed = (c1 - c0) * s.pain.placebo_change + c1 * s.pain.effect
    assert closed == pytest.approx(-0.4)
    assert abs(r.true_effect - closed) <= Z_TOL * r.true_effect_se


@pytest.mark.parametrize("data, fragment", [
    ({"analysis": {"estimand": "composite"}}, "composite (withdrawal = non-response) needs"),
    ({"analysis": {"estimand": "treatment-policy-bocf"}, "pain": {"effect": -1,
                                                               "analysis": "responder30"}},
     "for responders use 'composite'"),
    ({"dropout": {"rate": 0.1, "mechanism": "ae"}}, "must be 0 with mechanism = 'ae'"),
    ({"dropout": {"rate": 0.1, "slope": 0.5}}, "only with mechanism 'mar' or 'mnar'"),
    ({"analysis": {"estimand": "imputed"}}, "[analysis] estimand = 'imputed'"),
])
def test_estimand_validation(data, fragment):
    from simulator import ScenarioError

    raw = {"design": {"n_per_arm": 20}, "pain": {"effect": -1.0}}
    raw.update(data)
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(raw)
    assert fragment in str(info.value)


@pytest.mark.parametrize("placebo_risk, risk_ratio", [(0.18, 4.2), (0.6, 1.0)],
                         ids=["inert-placebo", "active-placebo"])
def test_functional_unblinding_bias_is_the_shift_times_the_risk_difference(placebo_risk,
                                                                           risk_ratio):
    """Patients with the event report pain shifted by `shift` in either arm, so
    the observed effect moves by shift x (p_active - p_placebo); an active
    placebo with the same risk removes the bias."""
    s = Scenario.from_dict({
        "design": {"n_per_arm": 80},
        "pain": {"effect": -1.0, "unblinding_ae": "psy", "unblinding_shift": -1.0,
                 "analysis": "followup"},
        "adverse_events": {"psy": {"placebo_risk": placebo_risk, "risk_ratio": risk_ratio}}})
    r = simulate(s, n_sims=N_SIMS, seed=9)  # follow-up t test: the shift enters the means only
    p0, p1 = placebo_risk, placebo_risk * risk_ratio
    expected = -1.0 * (p1 - p0)
    se = math.sqrt(p0 * (1 - p0) / 80 + p1 * (1 - p1) / 80) / math.sqrt(N_SIMS)
    assert abs(r.unblinding_bias - expected) <= Z_TOL * se
    assert abs(r.bias - expected) <= Z_TOL * math.hypot(r.mean_estimate_se, se)
    assert r.to_dict()["unblinding_share"] == pytest.approx(r.unblinding_bias / r.mean_estimate)


def test_unblinding_validation():
    from simulator import ScenarioError

    with pytest.raises(ScenarioError, match="unblinding_ae = 'psy': unknown adverse event"):
        Scenario.from_dict({"design": {"n_per_arm": 10},
                            "pain": {"effect": -1, "unblinding_ae": "psy"}})
    with pytest.raises(ScenarioError, match="unblinding_shift = -1.0: needs pain.unblinding_ae"):
        Scenario.from_dict({"design": {"n_per_arm": 10},
                            "pain": {"effect": -1, "unblinding_shift": -1}})


def test_unblinding_runs_are_paired_trial_by_trial():
    s = Scenario.from_dict({
        "design": {"n_per_arm": 40},
        "pain": {"effect": -1.0, "unblinding_ae": "psy", "unblinding_shift": 0.0},
        "adverse_events": {"psy": {"placebo_risk": 0.2, "risk_ratio": 3.0}}})
    assert simulate(s, n_sims=2000, seed=1).unblinding_bias == pytest.approx(0.0, abs=1e-12)
    # the estimand's truth is the treatment effect, not the expectancy shift
    t = s.with_overrides({"pain.unblinding_shift": -1.0, "dropout.rate": 0.2,
                          "analysis.estimand": "treatment-policy-bocf"})
    assert estimand_truth(t)[0] == pytest.approx(0.8 * -1.0, abs=Z_TOL * estimand_truth(t)[1])
