"""Recruitment and infusion capacity (simulator.ops.recruitment).

Tolerances are 4 Monte Carlo standard errors (conftest.Z_TOL); the SEs come
from the reference distribution where there is one, else from the samples.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from conftest import ROOT, Z_TOL
from scipy import integrate, optimize, stats

from simulator import Scenario, ScenarioError, simulate
from simulator.face.tables_recruitment import format_recruitment
from simulator.ops.recruitment import (
    DAYS_PER_MONTH,
    RecruitmentResult,
    simulate_recruitment,
)

# Monte Carlo results against their references (the statistical tier).
pytestmark = pytest.mark.statistical

P_TOL = 2 * stats.norm.sf(Z_TOL)  # two-sided tail beyond 4 SE, for distribution tests


#: The model these closed forms hold for: every site at the mean rate (a Poisson
#: process) and infusions every day; tests/ops/test_recruitment_realism.py covers
#: rate heterogeneity and working days.
POISSON_EVERY_DAY = {"rate_cv": 0.0, "working_days_per_week": 7}


def make(recruitment: dict, n_per_arm: int = 20, **top) -> Scenario:
    data = {"design": {"n_per_arm": n_per_arm}, "pain": {"effect": -1.0},
            "recruitment": {**POISSON_EVERY_DAY, **recruitment}, **top}
    return Scenario.from_dict(data)


# ---------------------------------------------------------------------------
# closed form: randomisations are a Poisson process of rate
# lambda(t) = (1 - screen_failure) * rate * #(sites open at t), so the time T_n
# of the n-th satisfies P(T_n <= t) = P(N(t) >= n), N(t) ~ Poisson(Lambda(t)).


class PoissonEnrolment:
    """Time to the n-th event of a Poisson process with staggered site openings."""

    def __init__(self, opens, rate, screen_failure, n):
        self.opens = np.asarray(opens, dtype=float)
        self.rate = rate * (1 - screen_failure)
        self.n = n

    def cum(self, t):
        return self.rate * np.clip(t - self.opens, 0, None).sum()

    def cdf(self, t):
        return stats.poisson.sf(self.n - 1, self.cum(t))

    def pdf(self, t):
        open_now = (self.opens <= t).sum()
        return self.rate * open_now * stats.poisson.pmf(self.n - 1, self.cum(t))

    def quantile(self, p):
        hi = self.opens.max() + 10 * self.n / (self.rate * len(self.opens)) + 10
        return optimize.brentq(lambda t: self.cdf(t) - p, 0.0, hi, xtol=1e-10)

    def moments(self):
        hi = self.quantile(1 - 1e-12)
        pts = sorted(set(self.opens))
        surv = lambda t: 1 - self.cdf(t)  # noqa: E731
        m1 = integrate.quad(surv, 0, hi, points=pts, limit=200)[0]
        m2 = integrate.quad(lambda t: 2 * t * surv(t), 0, hi, points=pts, limit=200)[0]
        return m1, math.sqrt(m2 - m1 * m1)


STAGGERED = {"sites": 3, "rate_per_site_month": 1.5, "site_open_months": [0.0, 2.0, 5.0],
             "screen_failure": 0.2, "followup_months": 1.0, "sessions_per_patient": 5}
STAGGERED_N = 40  # 20 per arm


def check_against_closed_form(result: RecruitmentResult) -> None:
    ref = PoissonEnrolment(STAGGERED["site_open_months"], STAGGERED["rate_per_site_month"],
                           STAGGERED["screen_failure"], STAGGERED_N)
    t = result.timelines.months_to_full_enrolment
    r = t.size
    mean, sd = ref.moments()
    assert abs(result.months_to_full_enrolment.mean - mean) < Z_TOL * sd / math.sqrt(r)
    d = result.months_to_full_enrolment
    for p, got, got_se in ((0.05, d.q05, d.q05_se), (0.5, d.q50, d.q50_se),
                           (0.95, d.q95, d.q95_se)):
        q = ref.quantile(p)
        se = math.sqrt(p * (1 - p) / r) / ref.pdf(q)  # SE of a sample quantile
        assert abs(got - q) < Z_TOL * se, (p, got, q, se)
        # the reported order-statistic SE is the width of ~2 x 1.96 sqrt(R p (1-p))
        # order statistics (34 at R = 1500, p = 0.95): relative SD ~ 1/sqrt(34) = 0.17,
        # so a factor 2 either way is beyond 4 of its SDs on the log scale
        assert 0.5 < got_se / se < 2.0, (p, got_se, se)
    # and the whole distribution (KS against the closed-form CDF)
    assert stats.kstest(t, np.vectorize(ref.cdf)).pvalue > P_TOL


@pytest.fixture(scope="module")
def staggered_vectorized() -> RecruitmentResult:
    return simulate_recruitment(make(STAGGERED, dropout={"rate": 0.1}), n_reps=4000, seed=11,
                                path="vectorized", deadline_months=14.0, n_power_sims=400)


@pytest.fixture(scope="module")
def staggered_simpy() -> RecruitmentResult:
    return simulate_recruitment(make(STAGGERED, dropout={"rate": 0.1}), n_reps=1500, seed=12,
                                path="simpy", deadline_months=14.0, n_power_sims=400)


def test_vectorized_time_to_full_enrolment_matches_the_poisson_closed_form(staggered_vectorized):
    assert staggered_vectorized.path == "vectorized"
    check_against_closed_form(staggered_vectorized)


def test_simpy_time_to_full_enrolment_matches_the_poisson_closed_form(staggered_simpy):
    assert staggered_simpy.path == "simpy"
    check_against_closed_form(staggered_simpy)


def test_simpy_and_vectorized_agree_in_distribution_without_capacity_limit(
        staggered_vectorized, staggered_simpy):
    a, b = staggered_vectorized, staggered_simpy
    ta, tb = a.timelines, b.timelines
    for name in ("months_to_full_enrolment", "months_to_last_outcome"):
        x, y = getattr(ta, name), getattr(tb, name)
        diff_se = math.hypot(x.std(ddof=1) / math.sqrt(x.size), y.std(ddof=1) / math.sqrt(y.size))
        assert abs(x.mean() - y.mean()) < Z_TOL * diff_se, name
        assert stats.ks_2samp(x, y).pvalue > P_TOL, name
    for name in ("n_randomized_by_deadline", "n_completed_by_deadline", "n_screened",
                 "n_completed"):
        x, y = getattr(a, name), getattr(b, name)
        assert abs(x.value - y.value) < Z_TOL * math.hypot(x.se, y.se), name
    # who randomises: sites open longer randomise more, in both paths alike
    share_a = np.bincount(ta.site.ravel(), minlength=3) / ta.site.size
    share_b = np.bincount(tb.site.ravel(), minlength=3) / tb.site.size
    assert share_a[0] > share_a[1] > share_a[2]
    se = np.sqrt(share_a * (1 - share_a) / ta.site.size + share_b * (1 - share_b) / tb.site.size)
    assert np.all(np.abs(share_a - share_b) <= Z_TOL * se)
    # screened = randomised / (1 - screen failure) on average
    expected = STAGGERED_N / (1 - STAGGERED["screen_failure"])
    for res in (a, b):
        assert abs(res.n_screened.value - expected) < Z_TOL * math.sqrt(
            STAGGERED_N * 0.2 / 0.8 ** 2 / res.n_reps)


def test_timelines_are_consistent(staggered_simpy):
    t = staggered_simpy.timelines
    follow = STAGGERED["followup_months"] + STAGGERED["sessions_per_patient"] / DAYS_PER_MONTH
    assert np.all(np.diff(t.randomised_month, axis=1) >= 0)
    assert np.all(t.randomised_month >= np.array(STAGGERED["site_open_months"])[t.site])
    has = np.isfinite(t.outcome_month)
    assert np.allclose(t.outcome_month[has] - t.start_month[has], follow)
    # dropout: independent per patient, so the share without an outcome is binomial
    p = 1 - has.mean()
    assert abs(p - 0.1) < Z_TOL * math.sqrt(0.1 * 0.9 / has.size)


# ---------------------------------------------------------------------------
# capacity: one chair open 4 h a day -> one 4-hour slot; with 5 sessions the
# slot is held 5 days: each site is an M/D/1 queue.

MD1 = {"sites": 1, "rate_per_site_month": 3.0, "chairs_per_site": 1, "session_hours": 4.0,
       "hours_per_day": 4.0, "sessions_per_patient": 5}


def test_md1_mean_wait_matches_pollaczek_khinchine():
    # Pollaczek-Khinchine, M/D/1: Wq = rho S / (2 (1 - rho)), rho = lambda S.
    lam = MD1["rate_per_site_month"] / DAYS_PER_MONTH
    s_days = MD1["sessions_per_patient"]
    rho = lam * s_days
    wq = rho * s_days / (2 * (1 - rho))
    n = 1000  # patients per trial: long enough for the empty start not to matter
    r = simulate_recruitment(make(MD1, n_per_arm=n // 2), n_reps=48, seed=5)
    assert r.path == "simpy"
    assert abs(r.mean_wait_days.value - wq) < Z_TOL * r.mean_wait_days.se, (r.mean_wait_days, wq)
    # utilisation of the single slot: n S / T with T ~ Gamma(n, lambda) (plus the
    # last course, negligible), whose mean is rho n / (n - 1)
    expected = rho * n / (n - 1)
    assert abs(r.chair_utilisation.value - expected) < Z_TOL * r.chair_utilisation.se


@pytest.fixture(scope="module")
def congested() -> RecruitmentResult:
    # 2 sites, 1 chair open 10 h (two 4-h slots, 80 % of the hours at most),
    # 10 sessions, a 10-day waiting limit, demand above capacity.
    spec = {"sites": 2, "rate_per_site_month": 8.0, "site_open_months": [0.0, 3.0],
            "chairs_per_site": 1, "session_hours": 4.0, "hours_per_day": 10.0,
            "sessions_per_patient": 10, "max_wait_days": 10.0, "deadline_months": 6.0}
    return simulate_recruitment(make(spec, n_per_arm=60), n_reps=60, seed=3, n_power_sims=400)


def test_littles_law_holds_for_the_chair_queues(congested):
    t = congested.timelines
    assert congested.n_withdrawn_waiting.value > 1  # the waiting limit bites
    # over each trial's infusion phase: L (time-average number waiting, from
    # simpy's queues) = arrival rate x W (mean wait, from the patients' records)
    phase = (t.infusion_end_month - 0.0) * DAYS_PER_MONTH
    big_l = t.queue_area_days / phase
    arrival_rate = t.randomised_month.shape[1] / phase
    w = t.wait_days.mean(axis=1)
    np.testing.assert_allclose(big_l, arrival_rate * w, rtol=1e-9)
    assert np.all(w > 0)
    # a withdrawn patient waited exactly the limit; a treated one less
    assert np.allclose(t.wait_days[t.withdrawn], 10.0)
    assert np.all(t.wait_days[~t.withdrawn] <= 10.0 + 1e-9)
    # the averaged outputs obey it too
    ratio = congested.mean_number_waiting.value / np.mean(arrival_rate * w)
    assert abs(ratio - 1) < 1e-9


def test_utilisation_never_exceeds_capacity(congested):
    t = congested.timelines
    ceiling = congested.utilisation_ceiling
    assert ceiling == pytest.approx(0.8)
    assert np.nanmax(congested.utilisation.q95) <= ceiling + 1e-12
    assert np.nanmax(congested.utilisation.mean) <= ceiling + 1e-12
    per_rep = congested.per_replication()
    assert 0 < congested.chair_utilisation.value <= ceiling
    # exact concurrency from the patients' courses: at most 2 slots per site
    for r in range(t.n_reps):
        for site in (0, 1):
            mine = (t.site[r] == site) & ~t.withdrawn[r]
            starts = t.start_month[r, mine] * DAYS_PER_MONTH  # days: a slot is held 10
            ends = starts + 10.0 - 1e-6  # a release and the next start coincide
            events = np.concatenate([np.stack([starts, np.ones_like(starts)], 1),
                                     np.stack([ends, -np.ones_like(starts)], 1)])
            events = events[np.argsort(events[:, 0], kind="stable")]
            assert np.cumsum(events[:, 1]).max() <= 2
    # busy slot-days measured from simpy equal the courses delivered
    np.testing.assert_allclose(t.busy_area_days, (~t.withdrawn).sum(axis=1) * 10.0, rtol=1e-9)
    assert per_rep["n_withdrawn_waiting"].sum() == t.withdrawn.sum()


def test_waiting_limit_withdrawals_reduce_randomised_and_treated():
    spec = {"sites": 2, "rate_per_site_month": 6.0, "chairs_per_site": 1,
            "session_hours": 4.0, "hours_per_day": 8.0, "sessions_per_patient": 10,
            "deadline_months": 5.0}
    patient = simulate_recruitment(make(spec, n_per_arm=40), n_reps=40, seed=8, n_power_sims=300)
    strict = simulate_recruitment(make({**spec, "max_wait_days": 3.0}, n_per_arm=40),
                                  n_reps=40, seed=8, n_power_sims=300)
    # same seed: the same randomisations (chairs do not change who is randomised when) ...
    assert np.array_equal(patient.timelines.randomised_month, strict.timelines.randomised_month)
    assert patient.n_randomized_by_deadline == strict.n_randomized_by_deadline
    # ... but with a 3-day limit some withdraw, so fewer are treated and complete
    assert patient.n_withdrawn_waiting.value == 0
    assert patient.n_treated_by_deadline.value == patient.n_randomized_by_deadline.value
    assert strict.n_withdrawn_waiting.value > 0
    drop = patient.n_treated_by_deadline.value - strict.n_treated_by_deadline.value
    per_rep = (patient.per_replication()["n_treated_by_deadline"]
               - strict.per_replication()["n_treated_by_deadline"])
    assert np.all(per_rep >= 0) and drop > Z_TOL * per_rep.std(ddof=1) / math.sqrt(per_rep.size)
    assert strict.n_completed.value < patient.n_completed.value
    # waiting is capped, so the mean wait falls
    assert strict.mean_wait_days.value < patient.mean_wait_days.value


# ---------------------------------------------------------------------------
# reproducibility


def test_one_and_two_workers_give_identical_timelines():
    spec = {"sites": 3, "rate_per_site_month": 4.0, "site_open_months": 2.0,
            "chairs_per_site": 1, "sessions_per_patient": 4, "max_wait_days": 5.0,
            "deadline_months": 5.0}
    s = make(spec, n_per_arm=15)
    one = simulate_recruitment(s, n_reps=60, seed=21, n_jobs=1, n_power_sims=300)
    two = simulate_recruitment(s, n_reps=60, seed=21, n_jobs=2, n_power_sims=300)
    assert one.worker_pids == (os.getpid(),)
    assert os.getpid() not in two.worker_pids  # really ran in loky worker processes
    assert one.timelines.equals(two.timelines)
    assert one.to_dict() == two.to_dict()
    other = simulate_recruitment(s, n_reps=60, seed=22, n_jobs=1, n_power_sims=300)
    assert not one.timelines.equals(other.timelines)


def test_vectorized_path_is_reproducible_across_workers():
    s = make(STAGGERED)
    one = simulate_recruitment(s, n_reps=300, seed=2, n_jobs=1)
    two = simulate_recruitment(s, n_reps=300, seed=2, n_jobs=2)
    assert one.timelines.equals(two.timelines) and one.to_dict() == two.to_dict()


# ---------------------------------------------------------------------------
# power at the deadline


POWER_SPEC = {"sites": 4, "rate_per_site_month": 5.0, "site_open_months": 2.0,
              "followup_months": 1.0}


def test_power_at_deadline_lies_between_the_power_at_the_smallest_and_largest_n():
    s = make(POWER_SPEC, n_per_arm=60, dropout={"rate": 0.1})
    r = simulate_recruitment(s, n_reps=400, seed=4, deadline_months=5.0, n_power_sims=4000)
    n_values = sorted(r.n_per_arm_at_deadline)
    assert len(n_values) > 5 and n_values[-1] < 60  # the deadline cuts enrolment short
    assert sum(r.n_per_arm_at_deadline.values()) == r.n_reps
    # n per arm reached = treated by the deadline // 2 (1:1)
    treated = r.per_replication()["n_treated_by_deadline"]
    assert np.array_equal(np.bincount(treated // 2, minlength=61)[n_values],
                          [r.n_per_arm_at_deadline[n] for n in n_values])
    # independent simulations at the extremes (their own seeds)
    lo = simulate(s.with_overrides({"design.n_per_arm": n_values[0]}), n_sims=20_000, seed=41)
    hi = simulate(s.with_overrides({"design.n_per_arm": n_values[-1]}), n_sims=20_000, seed=42)
    p = r.power_at_deadline
    assert lo.power.value - Z_TOL * math.hypot(lo.power.se, p.se) < p.value
    assert p.value < hi.power.value + Z_TOL * math.hypot(hi.power.se, p.se)
    assert lo.power.value + 0.05 < hi.power.value  # a real spread of n


def test_power_at_deadline_increases_with_the_deadline():
    s = make(POWER_SPEC, n_per_arm=60)
    early = simulate_recruitment(s, n_reps=300, seed=6, deadline_months=4.0, n_power_sims=3000)
    late = simulate_recruitment(s, n_reps=300, seed=6, deadline_months=6.0, n_power_sims=3000)
    assert late.n_randomized_by_deadline.value > early.n_randomized_by_deadline.value
    gain = late.power_at_deadline.value - early.power_at_deadline.value
    assert gain > Z_TOL * math.hypot(late.power_at_deadline.se, early.power_at_deadline.se)
    assert late.p_complete_by_deadline.value >= early.p_complete_by_deadline.value


def test_power_at_a_late_deadline_is_the_power_at_the_design_n():
    s = make(POWER_SPEC, n_per_arm=30)
    r = simulate_recruitment(s, n_reps=200, seed=7, deadline_months=60.0, n_power_sims=20_000)
    assert r.p_complete_by_deadline.value == 1.0 and r.n_per_arm_at_deadline == {30: 200}
    ref = simulate(s, n_sims=20_000, seed=70)
    assert abs(r.power_at_deadline.value - ref.power.value) < Z_TOL * math.hypot(
        r.power_at_deadline.se, ref.power.se)


def test_assurance_at_deadline_with_a_prior():
    s = make(POWER_SPEC, n_per_arm=30,
             pain={"effect": -1.0, "effect_prior": "pooled", "effect_sd": 0.5})
    r = simulate_recruitment(s, n_reps=100, seed=9, deadline_months=4.0, n_power_sims=2000)
    a = r.assurance_at_deadline
    assert a is not None and 0 < a.value < 1 and a.se > 0
    assert r.to_dict()["assurance_at_deadline"] == a.value


def test_without_a_deadline_the_deadline_outputs_are_none():
    r = simulate_recruitment(make(STAGGERED), n_reps=50, seed=1)
    d = r.to_dict()
    for key in ("p_complete_by_deadline", "n_randomized_by_deadline", "power_at_deadline"):
        assert d[key] is None and d[f"{key}_se"] is None
    assert r.p_complete_by(100.0).value == 1.0  # any date can still be asked


def test_p_complete_by_increases_with_the_date(staggered_vectorized):
    p = [staggered_vectorized.p_complete_by(m).value for m in (8, 10, 12, 14, 16)]
    assert p == sorted(p) and p[0] < p[-1]
    assert staggered_vectorized.p_complete_by(14.0) == staggered_vectorized.p_complete_by_deadline


# ---------------------------------------------------------------------------
# costs and outputs


def test_costs_add_up():
    spec = {"sites": 1, "rate_per_site_month": 4.0, "sessions_per_patient": 10,
            "followup_months": 1.0, "cost_per_patient": 1000.0, "cost_per_site_month": 500.0,
            "cost_per_infusion": 200.0}
    r = simulate_recruitment(make(spec, n_per_arm=10, dropout={"rate": 0.0}), n_reps=500, seed=2)
    # one site open from 0 until the last outcome, 20 patients, 10 infusions each
    last = r.timelines.months_to_last_outcome
    expected = 1000.0 * 20 + 200.0 * 10 * 20 + 500.0 * last.mean()
    assert r.cost.mean == pytest.approx(expected, rel=1e-12)
    # the last outcome comes follow-up + course after the last randomisation
    assert r.months_to_last_outcome.mean == pytest.approx(
        r.months_to_full_enrolment.mean + 1.0 + 10 / DAYS_PER_MONTH)


def test_to_dict_is_stable_and_json_ready(congested):
    d = congested.to_dict()
    for key in ("months_to_full_enrolment", "months_to_last_outcome"):
        assert {"mean", "q05", "q50", "q95"} <= set(d[key])
        assert d[key]["q05"] <= d[key]["q50"] <= d[key]["q95"]
    for key in ("p_complete_by_deadline", "n_randomized_by_deadline", "chair_utilisation",
                "mean_wait_days", "power_at_deadline"):
        assert key in d and f"{key}_se" in d
    json.dumps(d)
    assert d["seed_entropy"] == 3 and d["path"] == "simpy"
    text = format_recruitment(congested)
    assert "full enrolment" in text and "chair utilisation" in text and "power at" in text


# ---------------------------------------------------------------------------
# validation


@pytest.mark.parametrize("patch, message", [
    ({"screen_failure": 1.0}, "[recruitment] screen_failure = 1.0: must be in [0, 0.99]"),
    ({"site_open_months": [0.0, 1.0]}, "[recruitment] site_open_months = [0.0, 1.0]: must be 3"),
    ({"chairs_per_site": 0}, "[recruitment] chairs_per_site = 0: must be an integer in [1, 1000]"),
    ({"session_hours": 9.0}, "[recruitment] session_hours = 9.0: must fit in a day"),
    ({"chair_per_site": 2}, "did you mean 'chairs_per_site'?"),
])
def test_bad_recruitment_values_are_named(patch, message):
    with pytest.raises(ScenarioError, match=re_escape(message)):
        make({**STAGGERED, **patch})


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_bad_arguments_are_named():
    no_table = Scenario.from_dict({"design": {"n_per_arm": 20}, "pain": {"effect": -1.0}})
    with pytest.raises(ScenarioError, match=r"\[recruitment\]: required"):
        simulate_recruitment(no_table)
    chairs = make({**STAGGERED, "chairs_per_site": 1})
    with pytest.raises(ScenarioError, match="path 'vectorized' has no capacity limit"):
        simulate_recruitment(chairs, n_reps=10, path="vectorized")
    with pytest.raises(ScenarioError, match="path = 'fast'"):
        simulate_recruitment(chairs, n_reps=10, path="fast")
    with pytest.raises(ScenarioError, match="deadline_months = -1"):
        simulate_recruitment(chairs, n_reps=10, deadline_months=-1)
    with pytest.raises(ScenarioError, match="n_reps = 1"):
        simulate_recruitment(chairs, n_reps=1)


def test_the_ketamine_recruitment_scenario_runs():
    from simulator import load_scenario

    s = load_scenario(ROOT / "scenarios" / "ketamine_iv_recruitment.toml")
    rec = s.recruitment
    assert rec.chairs_per_site is not None and rec.sessions_per_patient == 10
    assert rec.rate_per_site_month * (1 - rec.screen_failure) == pytest.approx(0.92, abs=0.01)
    r = simulate_recruitment(s, n_reps=20, seed=1, n_power_sims=200)
    assert r.path == "simpy" and r.n_target == s.design.n_total


# ---------------------------------------------------------------------------
# plots


def test_plots_return_labelled_axes(congested):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from simulator.face.plots_recruitment import plot_chair_utilisation, plot_enrolment

    ax = plot_enrolment(congested)
    assert ax.get_xlabel() == "months from the start" and ax.get_ylabel() == "patients"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("target" in lab for lab in labels) and any("deadline" in lab for lab in labels)
    ax2 = plot_chair_utilisation(congested)
    assert "chair hours" in ax2.get_ylabel() and ax2.get_legend() is not None
    assert any("most possible" in t.get_text() for t in ax2.get_legend().get_texts())
    fig, given = plt.subplots()
    assert plot_enrolment(congested, ax=given) is given
    plt.close("all")
    no_chairs = simulate_recruitment(make(STAGGERED), n_reps=20, seed=1)
    with pytest.raises(ScenarioError, match="chairs_per_site is not set"):
        plot_chair_utilisation(no_chairs)


def test_cli_recruit_json_has_the_stable_keys_and_plots(tmp_path, capsys):
    from simulator.face.cli import main

    path = ROOT / "scenarios" / "ketamine_iv_recruitment.toml"
    png = tmp_path / "r.png"
    assert main(["recruit", str(path), "--reps", "60", "--n-sims", "500",
                 "--deadline-months", "30", "--json", "-", "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("months_to_full_enrolment", "months_to_last_outcome"):
        assert set(out[key]) >= {"mean", "q05", "q50", "q95"}
    for key in ("p_complete_by_deadline", "n_randomized_by_deadline", "chair_utilisation",
                "mean_wait_days", "power_at_deadline"):
        assert key in out
    assert png.stat().st_size > 10_000
    assert main(["recruit", str(path), "--reps", "0"]) == 2
    assert "--reps 0" in capsys.readouterr().err


def test_sweeping_sites_keeps_the_opening_ramp():
    s = Scenario.from_dict({"design": {"n_per_arm": 20}, "pain": {"effect": -1},
                            "recruitment": {"sites": 4, "rate_per_site_month": 1.0,
                                            "site_open_months": 6}})
    t = s.with_overrides({"recruitment.sites": 7})
    assert t.recruitment.site_open_months == tuple(6 * i / 6 for i in range(7))
    with pytest.raises(ScenarioError, match="max_wait_days = 10.0: only applies with chairs"):
        s.with_overrides({"recruitment.max_wait_days": 10})
