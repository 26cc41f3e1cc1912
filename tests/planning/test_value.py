"""Value of information: EVPI, EVPPI, EVSI by regression, ENBS and its argmax.

References: the unit normal loss integral, computed in R; the normal-normal
preposterior closed form (Raiffa & Schlaifer); numerical integration
(scipy) for the capped log-normal mean; hand-computed enrolment times.
"""

from __future__ import annotations

import math

import pytest
from scipy import integrate, stats

from simulator import Scenario, simulate
from simulator.errors import ScenarioError
from simulator.planning.value import value_of_information
from simulator.planning.value_evsi import closed_evsi
from simulator.planning.value_model import evpi, evppi, expected_risk, normal_evpi
from simulator.planning.value_trial import trial_cost

from conftest import Z_TOL

pytestmark = pytest.mark.statistical


def _scenario(prior_sd=0.6, effect=-0.8, cost=60.0, n=50, **decision) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": n},
        "pain": {"effect": effect, "effect_sd": prior_sd, "effect_prior": "pooled",
                 "analysis": "followup"},
        "decision": {"value_per_point": 100.0, "treatment_cost": cost,
                     "population_per_year": 1000, **decision}})


# R 4.2: mu <- 100 * 0.8 - 60; s <- 100 * 0.6; z <- abs(mu) / s
#        s * (dnorm(z) - z * pnorm(-z))     # and integrate() agrees
R_EVPI = 15.254166857944


def test_evpi_matches_the_unit_normal_loss_integral_computed_in_r():
    r_value = R_EVPI
    s = _scenario()
    value = evpi(s, seed=1)
    assert value.se == 0.0
    assert abs(value.per_patient - r_value) < 1e-6
    assert value.population == pytest.approx(r_value * s.decision.population, rel=1e-12)
    # and by numerical integration, at other means and spreads
    for mu, sd in ((0.0, 1.0), (-30.0, 12.0), (5.0, 80.0)):
        ref = integrate.quad(lambda x: max(x, 0.0) * stats.norm.pdf(x, mu, sd),
                             mu - 12 * sd, mu + 12 * sd, points=[0.0], epsabs=1e-12)[0]
        assert abs(normal_evpi(mu, sd) - (ref - max(mu, 0.0))) < 1e-6


def test_evppi_of_the_effect_is_evpi_without_uncertain_events():
    s = _scenario()
    (effect,) = evppi(s, seed=1)
    assert effect.parameter == "pain.effect"
    # with the effect the only uncertain parameter, its EVPPI is the EVPI: R's value
    assert abs(effect.per_patient - R_EVPI) < 1e-6 and effect.se == 0.0


def _ae_scenario(**decision) -> Scenario:
    return Scenario.from_dict({
        "design": {"n_per_arm": 60},
        "pain": {"effect": -0.8, "effect_sd": 0.5, "effect_prior": "pooled",
                 "analysis": "followup"},
        "adverse_events": {"nausea": {"placebo_risk": 0.2, "risk_ratio": 2.0,
                                      "risk_ratio_prior": "pooled", "log_rr_sd": 0.5}},
        "decision": {"value_per_point": 100.0, "treatment_cost": 40.0,
                     "event_weights": {"nausea": 150.0}, "population_per_year": 1000,
                     **decision}})


def test_capped_lognormal_mean_and_evppi_of_a_risk_ratio():
    s = _ae_scenario()
    ae = s.adverse_events[0]
    ref = integrate.quad(lambda x: min(0.2 * math.exp(x), 1.0) * stats.norm.pdf(
        x, math.log(2.0), 0.5), math.log(2.0) - 10, math.log(2.0) + 10,
        points=[math.log(5.0)])[0]
    assert abs(expected_risk(ae) - ref) < 1e-9
    total = evpi(s, seed=3)
    effect, nausea = evppi(s, seed=3)
    assert nausea.parameter == "adverse_events.nausea.risk_ratio"
    # E[INB | RR] = mu - w (risk - E risk): its EVPPI by integration over log RR
    mu = 100 * 0.8 - 40 - 150 * (ref - 0.2)
    exact = integrate.quad(lambda x: max(mu - 150 * (min(0.2 * math.exp(x), 1.0) - ref), 0)
                           * stats.norm.pdf(x, math.log(2.0), 0.5), math.log(2.0) - 10,
                           math.log(2.0) + 10, points=[math.log(5.0)], limit=200)[0] - max(mu, 0)
    assert abs(nausea.per_patient - exact) < Z_TOL * nausea.se
    assert max(effect.per_patient, nausea.per_patient) < total.per_patient + Z_TOL * total.se
    assert total.per_patient < effect.per_patient + nausea.per_patient + Z_TOL * total.se


@pytest.mark.parametrize("prior_sd", [0.3, 1.0])
def test_evsi_matches_the_preposterior_closed_form(prior_sd):
    s = _scenario(prior_sd=prior_sd)
    r = value_of_information(s, [10, 40, 160], n_sims=8192, seed=11)
    for p in r.points:
        assert p.evsi_closed is not None
        assert abs(p.evsi - p.evsi_closed) < Z_TOL * p.evsi_se, (p.n_per_arm, p.evsi,
                                                                   p.evsi_closed, p.evsi_se)
        assert abs(p.p_change.value - p.p_change_closed) < Z_TOL * p.p_change.se


def test_evsi_of_two_trials_matches_the_closed_form_of_their_pooled_estimate():
    s = _scenario(prior_sd=0.6)
    r = value_of_information(s, [30], trials=2, n_sims=8192, seed=5)
    (p,) = r.points
    assert p.evsi_closed == pytest.approx(closed_evsi(s.with_overrides(
        {"design.n_per_arm": 60}), 1), rel=1e-12)  # 2 x 30 per arm pool like 60
    assert abs(p.evsi - p.evsi_closed) < Z_TOL * p.evsi_se
    assert p.trial_cost == 0.0


def test_evsi_non_decreasing_in_n_and_bounded_by_evpi():
    s = Scenario.from_dict({
        "design": {"n_per_arm": 50},
        "pain": {"effect": -0.8, "effect_sd": 0.6, "effect_prior": "pooled", "bounded": True,
                 "inclusion_min": 4},
        "dropout": {"rate": 0.1},
        "decision": {"value_per_point": 100.0, "treatment_cost": 60.0,
                     "population_per_year": 1000}})
    r = value_of_information(s, [10, 20, 40, 80, 160, 320], n_sims=4096, seed=2)
    evsi = [p.evsi for p in r.points]
    assert all(p.evsi_closed is None for p in r.points)  # bounded scores: no closed form
    assert all(b >= a for a, b in zip(evsi, evsi[1:])), evsi
    assert evsi[-1] < r.evpi.per_patient
    closed = [closed_evsi(_scenario(n=n), 1) for n in (10, 20, 40, 80, 160, 320, 10_000)]
    assert all(b > a for a, b in zip(closed, closed[1:]))
    assert closed[-1] < evpi(_scenario(), 1).per_patient


def test_the_futures_are_assurance_trials():
    s = _scenario()
    r = value_of_information(s, n_sims=4096, seed=7)
    a = simulate(s, n_sims=4096, seed=7, closed_forms=False)
    assert r.points[0].assurance.value == a.assurance.value


def _optimum(**decision):
    s = _scenario(prior_sd=0.6, **decision)
    return value_of_information(s, list(range(10, 410, 20)), n_sims=8192, seed=4)


def test_optimal_n_moves_with_cost_and_population():
    base = _optimum(trial_fixed_cost=1e4, trial_cost_per_patient=200.0)
    dearer = _optimum(trial_fixed_cost=1e4, trial_cost_per_patient=800.0)
    bigger = _optimum(trial_fixed_cost=1e4, trial_cost_per_patient=200.0,
                      population_per_year=4000)
    for r in (base, dearer, bigger):
        low, high = r.optimal_range  # the argmax's Monte Carlo range holds the exact one
        assert low <= r.optimal_n <= high and low <= r.optimal_n_closed <= high
    assert dearer.optimal_n < base.optimal_n < bigger.optimal_n
    assert dearer.optimal_n_closed < base.optimal_n_closed < bigger.optimal_n_closed
    assert base.worth_running


def test_trial_cost_and_time_from_the_recruitment_model():
    s = Scenario.from_dict({
        "design": {"n_per_arm": 50},
        "pain": {"effect": -0.8, "effect_sd": 0.6, "effect_prior": "pooled"},
        "recruitment": {"sites": 2, "rate_per_site_month": 5.0, "screen_failure": 0.5,
                        "site_open_months": [0.0, 4.0], "sessions_per_patient": 5,
                        "followup_months": 1.0, "cost_per_patient": 100.0,
                        "cost_per_site_month": 1000.0, "cost_per_infusion": 10.0},
        "decision": {"value_per_point": 100.0, "population_per_year": 1000,
                     "trial_fixed_cost": 5000.0}})
    c = trial_cost(s, 50)
    # 100 patients at 2.5 a month per site: site 1 alone gives 10 by month 4,
    # then 5 a month: 4 + 90 / 5 = 22 months; a 5-day course (one week) and 1 month
    end = 22.0 + 7.0 / 30.4375 + 1.0
    assert c.months_to_result == pytest.approx(end, rel=1e-12)
    assert c.cost == pytest.approx(5000 + 100 * (100 + 50) + 1000 * (end + end - 4.0), rel=1e-12)


@pytest.mark.parametrize("change, message", [
    ({"decision": None}, "[decision]: missing"),
    ({"pain.effect_prior": "fixed"}, "nothing is uncertain"),
])
def test_value_needs_a_decision_and_uncertainty(change, message):
    data = _scenario().to_dict()
    for key, value in change.items():
        if value is None:
            del data[key]
        else:
            section, field = key.split(".")
            data[section][field] = value
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        value_of_information(Scenario.from_dict(data), n_sims=100)


def test_decision_table_rules():
    with pytest.raises(ScenarioError, match="event_weights"):
        Scenario.from_dict({"design": {"n_per_arm": 50}, "pain": {"effect": -1.0},
                            "decision": {"value_per_point": 1.0, "population_per_year": 1,
                                         "event_weights": {"nausea": 1.0}}})
    with pytest.raises(ScenarioError, match=r"\[decision\] discount_rate = 1"):
        _scenario(discount_rate=1)
    s = _scenario(horizon_years=2.5, discount_rate=0.1)
    assert s.decision.annuity == pytest.approx(1 + 1 / 1.1 + 0.5 / 1.21, rel=1e-12)
    assert Scenario.from_dict(_ae_scenario().to_dict()) == _ae_scenario()


def test_futures_without_estimates_carry_no_information_and_the_json_is_strict():
    import json

    s = Scenario.from_dict({
        "design": {"n_per_arm": 4},
        "pain": {"effect": -0.5, "effect_sd": 0.5, "effect_prior": "pooled", "bounded": True},
        "dropout": {"rate": 0.9},
        "decision": {"value_per_point": 100.0, "population_per_year": 100}})
    r = value_of_information(s, [3, 4], n_sims=300, seed=1)
    assert [p.evsi for p in r.points] == [0.0, 0.0]  # almost no trial gives an estimate
    json.dumps(r.to_dict(), allow_nan=False)


def test_no_bootstrap_leaves_the_range_out_and_the_rest_unchanged():
    s = _scenario(trial_fixed_cost=1e4, trial_cost_per_patient=200.0)
    full = value_of_information(s, [20, 60, 120], n_sims=2000, seed=8)
    bare = value_of_information(s, [20, 60, 120], n_sims=2000, seed=8, bootstraps=0)
    assert bare.optimal_range is None and bare.optimal_share is None
    assert bare.to_dict()["optimal_range"] is None
    assert bare.points == full.points and bare.optimal_n == full.optimal_n
    with pytest.raises(ScenarioError, match="bootstraps = -1"):
        value_of_information(s, n_sims=100, bootstraps=-1)


def test_optimal_design_compares_numbers_of_trials():
    from simulator.planning.value import optimal_design

    s = _scenario(prior_sd=0.6, trial_fixed_cost=1e4, trial_cost_per_patient=200.0)
    d = optimal_design(s, [20, 60, 120], max_trials=2, n_sims=2000, seed=3, bootstraps=0)
    assert set(d.by_trials) == {1, 2}
    best = max((r.point_at(n).enbs, k, n) for k, r in d.by_trials.items()
               for n in (20, 60, 120))
    assert (d.enbs, d.trials, d.n_per_arm) == best
    # two trials of n pool like one of 2n (normal-normal): their closed forms agree
    two, one = d.by_trials[2].point_at(60), d.by_trials[1].point_at(120)
    assert two.evsi_closed == pytest.approx(one.evsi_closed, rel=1e-12)
    assert two.trial_cost == pytest.approx(one.trial_cost + 1e4, rel=1e-12)


def test_the_decision_and_the_best_size_are_read_from_the_points():
    import dataclasses
    import json

    sizes = [20, 60, 120]
    s = _scenario(trial_fixed_cost=1e4, trial_cost_per_patient=200.0)
    r = value_of_information(s, sizes, n_sims=2000, seed=8, bootstraps=0)
    enbs = [p.enbs for p in r.points]
    closed = [p.enbs_closed for p in r.points]
    assert r.optimal_n == sizes[enbs.index(max(enbs))]
    assert r.optimal_n_closed == sizes[closed.index(max(closed))]
    assert r.worth_running is (max(enbs) > 0)
    assert r.decision == ("adopt" if r.prior_mean_inb > 0 else "do not adopt")
    out = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    derived = {"decision", "optimal_n", "optimal_n_closed", "worth_running"}
    assert set(out) == {f.name for f in dataclasses.fields(r)} | derived
    assert {k: out[k] for k in derived} == {k: getattr(r, k) for k in derived}
