"""Spec values validate themselves: built directly, by evolve() or by dataclasses.replace."""

from __future__ import annotations

import dataclasses

import pytest

from simulator import Scenario, ScenarioError
from simulator.spec import (
    AdverseEvent,
    AnalysisSpec,
    Design,
    Dropout,
    InterimSpec,
    MetaSpec,
    Pain,
    RecruitmentSpec,
    SimulationSpec,
    SweepSpec,
    evolve,
)

GOOD = {
    Design: dict(n_per_arm=20),
    Pain: dict(effect=-1.0),
    AdverseEvent: dict(name="nausea", placebo_risk=0.1),
    Dropout: {},
    AnalysisSpec: {},
    SimulationSpec: {},
    MetaSpec: dict(studies=((-1.0, 0.5),)),
    RecruitmentSpec: dict(sites=2, rate_per_site_month=3.0, site_open_months=(0.0, 1.0)),
    InterimSpec: dict(looks=(0.5, 1.0)),
}

# (class, field, bad value, fragment of the message): one row per field rule.
BAD = [
    (Design, "kind", "factorial", "[design] kind = 'factorial': must be one of"),
    (Design, "arms", ["a", ""], "[design] arms"),
    (Design, "allocation", [1, -1], "[design] allocation"),
    (Design, "n_per_arm", 1, "[design] n_per_arm = 1: must be an integer in [2, 100000]"),
    (Design, "within_correlation", 1.0, "[design] within_correlation = 1.0"),
    (Design, "period_effect", float("nan"), "[design] period_effect = nan"),
    (Design, "carryover", "x", "[design] carryover = 'x'"),
    (Design, "washout_dropout", 1.0, "[design] washout_dropout = 1.0"),
    (Design, "crossover_analysis", "both", "[design] crossover_analysis = 'both'"),
    (Pain, "effect", "big", "[pain] effect = 'big'"),
    (Pain, "sd", -1, "[pain] sd = -1: must be a number in [0.01, 10] (NRS points)"),
    (Pain, "baseline_mean", float("inf"), "[pain] baseline_mean = inf"),
    (Pain, "baseline_sd", 0, "[pain] baseline_sd = 0"),
    (Pain, "correlation", -1.0, "[pain] correlation = -1.0"),
    (Pain, "placebo_change", True, "[pain] placebo_change = true"),
    (Pain, "mcid", -0.5, "[pain] mcid = -0.5"),
    (Pain, "bounded", 1, "[pain] bounded = 1: must be true or false"),
    (Pain, "inclusion_min", "4", "[pain] inclusion_min = '4'"),
    (Pain, "inclusion_max", [], "[pain] inclusion_max = []"),
    (Pain, "analysis", "anova", "[pain] analysis = 'anova'"),
    (Pain, "effect_prior", "bayes", "[pain] effect_prior = 'bayes'"),
    (Pain, "effect_sd", 0, "[pain] effect_sd = 0"),
    (Pain, "tau2", -0.1, "[pain] tau2 = -0.1"),
    (Pain, "effect_smd_sd", 0, "[pain] effect_smd_sd = 0: must be a number in [0.01, 10]"),
    (Pain, "followup_weeks", 0, "[pain] followup_weeks = 0: must be a number in (0, 5200] "
                                "(weeks"),
    (Pain, "followup_weeks", 1e300, "[pain] followup_weeks = 1e+300"),
    (Pain, "effect_evidence", "", "[pain] effect_evidence = ''"),
    (Pain, "unblinding_ae", 3, "[pain] unblinding_ae = 3"),
    (Pain, "unblinding_shift", "x", "[pain] unblinding_shift = 'x'"),
    (Pain, "arm_effects", ["a"], "[pain] arm_effects"),
    (AdverseEvent, "name", "a b", "[adverse_events.a b]: the name must use"),
    (AdverseEvent, "placebo_risk", 1.5, "[adverse_events.nausea] placebo_risk = 1.5"),
    (AdverseEvent, "risk_ratio", 0, "[adverse_events.nausea] risk_ratio = 0"),
    (AdverseEvent, "risk_ratio_prior", "bayes", "[adverse_events.nausea] risk_ratio_prior"),
    (AdverseEvent, "log_rr_sd", -1, "[adverse_events.nausea] log_rr_sd = -1"),
    (AdverseEvent, "risk_ratio_evidence", 7, "[adverse_events.nausea] risk_ratio_evidence = 7"),
    (AdverseEvent, "arm_risk_ratios", [1.0, 0.0], "[adverse_events.nausea] arm_risk_ratios"),
    (Dropout, "rate", 1.0, "[dropout] rate = 1.0: must be in [0, 1)"),
    (Dropout, "after_ae", {"nausea": 1.5}, "[dropout.after_ae] nausea = 1.5"),
    (Dropout, "mechanism", "random", "[dropout] mechanism = 'random'"),
    (Dropout, "slope", "steep", "[dropout] slope = 'steep'"),
    (AnalysisSpec, "alpha", 0.5, "[analysis] alpha = 0.5: must be in [1e-10, 0.5)"),
    (AnalysisSpec, "sided", 2.0, "[analysis] sided = 2.0"),
    (AnalysisSpec, "test", "z", "[analysis] test = 'z'"),
    (AnalysisSpec, "estimand", "imputed", "[analysis] estimand = 'imputed'"),
    (AnalysisSpec, "imputations", 1, "[analysis] imputations = 1"),
    (AnalysisSpec, "multiplicity", "sidak", "[analysis] multiplicity = 'sidak'"),
    (AnalysisSpec, "responder_test", "fisher", "[analysis] responder_test = 'fisher'"),
    (SimulationSpec, "n_sims", 0, "[simulation] n_sims = 0"),
    (SimulationSpec, "chunk_mb", 0.5, "[simulation] chunk_mb = 0.5"),
    (MetaSpec, "studies", ((1.0, -0.5),), "[meta_analysis] studies"),
    (MetaSpec, "pooled", (1.0, 0.0, None), "[meta_analysis] studies / pooled"),
    (MetaSpec, "evidence", "", "[meta_analysis] evidence = ''"),
    (MetaSpec, "method", "bayes", "[meta_analysis] method = 'bayes'"),
    (MetaSpec, "hksj", "yes", "[meta_analysis] hksj = 'yes'"),
    (MetaSpec, "tau2", -1, "[meta_analysis] tau2 = -1"),
    (MetaSpec, "new_trials", 0, "[meta_analysis] new_trials = 0"),
    (MetaSpec, "rules", ("ci",), "[meta_analysis] rules"),
    (MetaSpec, "precision", 0, "[meta_analysis] precision = 0"),
    (MetaSpec, "power", 0.4, "[meta_analysis] power = 0.4"),
    (MetaSpec, "delta", -1, "[meta_analysis] delta = -1"),
    (MetaSpec, "tsa_alpha_spending", "OF", "[meta_analysis] tsa_alpha_spending = 'OF'"),
    (MetaSpec, "tsa_beta_spending", None, "[meta_analysis] tsa_beta_spending = None"),
    (MetaSpec, "tsa_binding", "no", "[meta_analysis] tsa_binding = 'no'"),
    (MetaSpec, "tsa_gamma_a", float("inf"), "[meta_analysis] tsa_gamma_a = inf"),
    (MetaSpec, "tsa_gamma_b", "x", "[meta_analysis] tsa_gamma_b = 'x'"),
    (MetaSpec, "tsa_ris", "DARIS", "[meta_analysis] tsa_ris = 'DARIS'"),
    (MetaSpec, "hksj_truncate", 1, "[meta_analysis] hksj_truncate = 1"),
    (MetaSpec, "tau2_prior", "gamma", "[meta_analysis] tau2_prior = 'gamma'"),
    (MetaSpec, "tau2_prior_mu", float("nan"), "[meta_analysis] tau2_prior_mu = nan"),
    (MetaSpec, "tau2_prior_sigma", 0, "[meta_analysis] tau2_prior_sigma = 0"),
    (MetaSpec, "ci_method", "knha", "[meta_analysis] ci_method = 'knha'"),
    (MetaSpec, "ci_studies", 1, "[meta_analysis] ci_studies = 1"),
    (MetaSpec, "tau2_method", "ols", "[meta_analysis] tau2_method = 'ols'"),
    (MetaSpec, "outcome", "", "[meta_analysis] outcome = ''"),
    (MetaSpec, "harm_margin", 0.8,
     "[meta_analysis] harm_margin = 0.8: must be a risk ratio in (1, 1000]"),
    (MetaSpec, "harm_margin", 1e300, "[meta_analysis] harm_margin = 1e+300"),
    (MetaSpec, "tsa_gamma_a", -1e300, "[meta_analysis] tsa_gamma_a = -1e+300: must be a number "
                                      "in [-40, 40]"),
    (MetaSpec, "tsa_gamma_b", 41, "[meta_analysis] tsa_gamma_b = 41"),
    (MetaSpec, "tau2_prior_mu", 1e300, "[meta_analysis] tau2_prior_mu = 1e+300: must be a "
                                       "number in [-30, 5]"),
    (MetaSpec, "tau2_prior_sigma", 1e300, "[meta_analysis] tau2_prior_sigma = 1e+300"),
    (MetaSpec, "ci_studies", 101, "[meta_analysis] ci_studies = 101"),
    (MetaSpec, "power", 1 - 1e-12, "[meta_analysis] power = 0.999999999999: must be in "
                                   "[0.5, 1 - 1e-10]"),
    (MetaSpec, "analysis_lag_months", -1, "[meta_analysis] analysis_lag_months = -1: must be"),
    (MetaSpec, "start_date", "2027-02-30", "[meta_analysis] start_date = '2027-02-30': must be a "
                                           "date"),
    (MetaSpec, "settled_by_months", 0, "[meta_analysis] settled_by_months = 0: must be a number"),
    (MetaSpec, "settled_by_months", 1e300, "[meta_analysis] settled_by_months = 1e+300"),
    (MetaSpec, "analysis_lag_months", 1e300, "[meta_analysis] analysis_lag_months = 1e+300"),
    (RecruitmentSpec, "sites", 0, "[recruitment] sites = 0"),
    (RecruitmentSpec, "rate_per_site_month", 0, "[recruitment] rate_per_site_month = 0"),
    (RecruitmentSpec, "site_open_months", (0.0, -1.0), "[recruitment] site_open_months"),
    (RecruitmentSpec, "rate_cv", 3.5, "[recruitment] rate_cv = 3.5: must be 0 or a number in "
                                      "[0.001, 3]"),
    (RecruitmentSpec, "rate_cv", 5e-324, "[recruitment] rate_cv = 5e-324"),
    (RecruitmentSpec, "screen_failure", 1.0, "[recruitment] screen_failure = 1.0"),
    (RecruitmentSpec, "chairs_per_site", 0, "[recruitment] chairs_per_site = 0"),
    (RecruitmentSpec, "sessions_per_patient", 0, "[recruitment] sessions_per_patient = 0"),
    (RecruitmentSpec, "working_days_per_week", 8,
     "[recruitment] working_days_per_week = 8: must be an integer in [1, 7]"),
    (RecruitmentSpec, "session_hours", 0, "[recruitment] session_hours = 0"),
    (RecruitmentSpec, "hours_per_day", 25, "[recruitment] hours_per_day = 25"),
    (RecruitmentSpec, "max_wait_days", -1, "[recruitment] max_wait_days = -1"),
    (RecruitmentSpec, "followup_months", -1, "[recruitment] followup_months = -1"),
    (RecruitmentSpec, "deadline_months", 0, "[recruitment] deadline_months = 0"),
    (RecruitmentSpec, "cost_per_patient", -1, "[recruitment] cost_per_patient = -1"),
    (RecruitmentSpec, "cost_per_site_month", -1, "[recruitment] cost_per_site_month = -1"),
    (RecruitmentSpec, "cost_per_infusion", -1, "[recruitment] cost_per_infusion = -1"),
    (InterimSpec, "looks", (0.5, 0.9), "[interim] looks = [0.5, 0.9]: must be 2 to 20"),
    (InterimSpec, "alpha_spending", "asXX", "[interim] alpha_spending = 'asXX'"),
    (InterimSpec, "beta_spending", "bsXX", "[interim] beta_spending = 'bsXX'"),
    (InterimSpec, "binding", 1, "[interim] binding = 1"),
    (InterimSpec, "beta", 0.5, "[interim] beta = 0.5: must be in [1e-10, 0.5)"),
    (InterimSpec, "beta", 1e-162, "[interim] beta = 1e-162: must be in [1e-10, 0.5)"),
    (InterimSpec, "gamma_a", "x", "[interim] gamma_a = 'x'"),
    (InterimSpec, "gamma_a", -1e300, "[interim] gamma_a = -1e+300: must be a number in [-40, 40]"),
    (InterimSpec, "gamma_b", float("nan"), "[interim] gamma_b = nan"),
    (InterimSpec, "delta_wt", 2, "[interim] delta_wt = 2: must be in [-0.5, 1]"),
    (InterimSpec, "user_alpha_spending", "x", "[interim] user_alpha_spending = 'x'"),
    (InterimSpec, "user_beta_spending", [1, "a"], "[interim] user_beta_spending"),
    (InterimSpec, "futility_bounds", (11.0,), "[interim] futility_bounds = [11.0]"),
    (InterimSpec, "futility_conditional_power", 1.0,
     "[interim] futility_conditional_power = 1.0"),
]


@pytest.mark.parametrize("cls, field, value, fragment", BAD,
                         ids=[f"{c.__name__}.{f}" for c, f, _, _ in BAD])
def test_every_field_rule_names_the_field(cls, field, value, fragment):
    with pytest.raises(ScenarioError) as info:
        cls(**{**GOOD[cls], field: value})
    assert fragment in str(info.value)


@pytest.mark.parametrize("cls, field, value, fragment", BAD[:12],
                         ids=[f"{c.__name__}.{f}" for c, f, _, _ in BAD[:12]])
def test_dataclasses_replace_cannot_build_an_invalid_value(cls, field, value, fragment):
    good = cls(**GOOD[cls])
    with pytest.raises(ScenarioError, match=None) as info:
        dataclasses.replace(good, **{field: value})
    assert fragment in str(info.value)


def test_every_field_has_a_row_in_the_table():
    tested = {(c, f) for c, f, _, _ in BAD}
    for cls in GOOD:
        for f in dataclasses.fields(cls):
            assert (cls, f.name) in tested, f"{cls.__name__}.{f.name} has no validation test"


def test_values_are_coerced_to_their_declared_types():
    d = Design(n_per_arm=20, arms=["p", "a"], allocation=[1, 2])
    assert d.arms == ("p", "a") and d.allocation == (1.0, 2.0)
    assert isinstance(Pain(effect=-1).effect, float)
    assert Design(kind="multiarm", n_per_arm=10).arms == ("placebo", "low", "high")


BASE = Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {"effect": -1.0},
                           "adverse_events": {"nausea": {"placebo_risk": 0.1}}})


@pytest.mark.parametrize("changes, fragment", [
    ({"design.n_per_arm": 1}, "[design] n_per_arm = 1"),
    ({"pain.sd": -1}, "[pain] sd = -1"),
    ({"design.allocation": (1.0, -2.0)}, "[design] allocation"),
    ({"adverse_events.nausea.placebo_risk": 2}, "[adverse_events.nausea] placebo_risk = 2"),
    ({"dropout.after_ae": {"vomit": 0.2}}, "[dropout.after_ae] vomit = 0.2: unknown adverse"),
    ({"pain.analysis": "responder30", "analysis.estimand": "treatment-policy-bocf"},
     "for responders use 'composite'"),
    ({"seed": -1}, "seed = -1"),
])
def test_evolve_validates_the_new_scenario(changes, fragment):
    with pytest.raises(ScenarioError) as info:
        evolve(BASE, changes)
    assert fragment in str(info.value)


def test_evolve_changes_nested_values_and_leaves_the_original():
    s = evolve(BASE, {"design.n_per_arm": 80, "adverse_events.nausea.risk_ratio": 2.0})
    assert s.design.group_sizes == (80, 80) and s.adverse_events[0].active_risk == 0.2
    assert BASE.design.n_per_arm == 50 and BASE.adverse_events[0].risk_ratio == 1.0
    assert evolve(BASE, pain=Pain(effect=-2.0)).pain.effect == -2.0
    with pytest.raises(ScenarioError, match="no such entry"):
        evolve(BASE, {"adverse_events.vomit.placebo_risk": 0.1})


def test_a_number_from_evidence_cannot_silently_drift_from_its_entry():
    s = Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {
        "effect": {"from": "evidence", "key": "ketamine-iv/pain/immediate"}}})
    with pytest.raises(ScenarioError, match="differs from evidence entry"):
        evolve(s, {"pain.effect": -0.5})
    own = evolve(s, {"pain.effect": -0.5, "pain.effect_evidence": None})
    assert own.pain.effect == -0.5 and own.evidence_used() == []


def test_sweep_spec_rules():
    with pytest.raises(ScenarioError, match="equal numbers of values"):
        SweepSpec(zip=(("pain.sd", (1, 2)), ("pain.mcid", (1,))))
    with pytest.raises(ScenarioError, match="either in grid or in zip"):
        SweepSpec(grid=(("pain.sd", (1,)),), zip=(("pain.sd", (2,)),))


# Numbers beyond the bounds of the problem (simulator.spec.bounds): each is refused by
# name, where it used to overflow, underflow or give a silently wrong answer.
BEYOND = [
    (Design, "n_per_arm", 10**9, "[design] n_per_arm = 1000000000: must be an integer in [2, 100000]"),
    (Design, "allocation", [0.5, 1e300], "numbers in [1e-06, 1e+06]"),
    (Design, "allocation", [0.5, 600], "within a factor 1000 of the reference arm's"),
    (Design, "allocation", [1, 1e-4], "within a factor 1000 of the reference arm's"),
    (Design, "period_effect", 11, "[design] period_effect = 11: must be a number in [-10, 10]"),
    (Pain, "effect", 1e300, "[pain] effect = 1e+300: must be a number in [-10, 10]"),
    (Pain, "sd", 1e-162, "[pain] sd = 1e-162: must be a number in [0.01, 10]"),
    (Pain, "baseline_sd", 1e155, "[pain] baseline_sd = 1e+155: must be a number in [0.01, 10]"),
    (Pain, "baseline_mean", 12, "[pain] baseline_mean = 12: must be an NRS score in [0, 10]"),
    (Pain, "mcid", 1e300, "[pain] mcid = 1e+300: must be a number in [0, 10]"),
    (Pain, "inclusion_min", -5, "[pain] inclusion_min = -5: must be an NRS score in [0, 10]"),
    (Pain, "effect_sd", 1e200, "[pain] effect_sd = 1e+200: must be a number in (0, 10]"),
    (Pain, "tau2", 1e300, "[pain] tau2 = 1e+300: must be a number in [0, 100]"),
    (Pain, "arm_effects", [1e300], "[pain] arm_effects = [1e+300]: must be a number in [-10, 10]"),
    (AdverseEvent, "risk_ratio", 1e-300, "[adverse_events.nausea] risk_ratio = 1e-300: must be a "
                                         "number in [0.001, 1000]"),
    (AdverseEvent, "log_rr_sd", 1e300, "[adverse_events.nausea] log_rr_sd = 1e+300: must be a "
                                       "number in (0, 5]"),
    (Dropout, "slope", 1e300, "[dropout] slope = 1e+300: must be a number in [-10, 10]"),
    (AnalysisSpec, "alpha", 1e-300, "[analysis] alpha = 1e-300: must be in [1e-10, 0.5)"),
    (AnalysisSpec, "alpha", 5e-324, "[analysis] alpha = 5e-324: must be in [1e-10, 0.5)"),
    (SimulationSpec, "n_sims", 1, "[simulation] n_sims = 1: must be an integer in [2, 1e9]"),
    (MetaSpec, "studies", ((-1.0, 1e200),), "se in [0.001, 10]"),
    (MetaSpec, "studies", ((-1.0, 0.5),) * 101, "1 to 100 [estimate, se] pairs"),
    (MetaSpec, "delta", 1e-300, "[meta_analysis] delta = 1e-300: must be a number in [0.01, 10]"),
    (RecruitmentSpec, "rate_per_site_month", 1e-300, "[recruitment] rate_per_site_month = 1e-300"),
    (RecruitmentSpec, "session_hours", 1e-300, "[recruitment] session_hours = 1e-300"),
    (RecruitmentSpec, "followup_months", 1e308, "[recruitment] followup_months = 1e+308"),
]


@pytest.mark.parametrize("cls, field, value, fragment", BEYOND,
                         ids=[f"{c.__name__}.{f}={v!r:.12}" for c, f, v, _ in BEYOND])
def test_numbers_beyond_their_bounds_are_refused_by_name(cls, field, value, fragment):
    with pytest.raises(ScenarioError) as info:
        cls(**{**GOOD[cls], field: value})
    assert fragment in str(info.value)


def test_a_pooled_summary_with_a_tiny_se_or_many_studies_is_refused():
    with pytest.raises(ScenarioError, match=r"se in \[0.001, 10\]"):
        MetaSpec(pooled=(-1.0, 1e-300, 3), tau2=0.1)
    with pytest.raises(ScenarioError, match=r"k in \[1, 10000\]"):
        MetaSpec(pooled=(-1.0, 0.3, 10**9), tau2=0.1)
    with pytest.raises(ScenarioError, match=r"\[meta_analysis\] pooled"):
        MetaSpec(pooled=5, tau2=0.1)
