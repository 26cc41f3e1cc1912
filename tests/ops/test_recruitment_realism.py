"""Recruitment realism (issue 12 item 13): withdrawal after adverse events in the
timeline, site-to-site rate heterogeneity (Poisson-gamma) and infusions on
working days, each against a closed form on both paths.

Tolerances are 4 Monte Carlo standard errors (conftest.Z_TOL); the SEs come
from the closed form wherever it gives them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import Z_TOL
from scipy import integrate, stats

from simulator import Scenario, ScenarioError, simulate
from simulator.ops.recruitment import DAYS_PER_MONTH, simulate_recruitment

pytestmark = pytest.mark.statistical

P_TOL = 2 * stats.norm.sf(Z_TOL)  # two-sided tail beyond 4 SE, for distribution tests


def make(recruitment: dict, n_per_arm: int = 20, **top) -> Scenario:
    data = {"design": {"n_per_arm": n_per_arm}, "pain": {"effect": -1.0},
            "recruitment": recruitment, **top}
    return Scenario.from_dict(data)


# ---------------------------------------------------------------------------
# 1. Withdrawal after adverse events: a treated patient of arm a has a primary
# outcome with the power engine's probability
#     c_a = (1 - dropout.rate) * prod over events of (1 - risk_a * after_ae),
# so an arm of n_a patients has Binomial(n_a, c_a) completers (exactly n_a are
# randomised to it: a random allocation rule).

AE_TOP = {
    "design": {"n_per_arm": 20, "allocation": [1, 2]},  # 20 placebo, 40 active
    "adverse_events": {"nausea": {"placebo_risk": 0.3, "risk_ratio": 2.0},
                       "dizziness": {"placebo_risk": 0.1, "risk_ratio": 1.5}},
    "dropout": {"rate": 0.1, "after_ae": {"nausea": 0.5, "dizziness": 0.2}},
}
AE_SIZES = (20, 40)
# hand-written closed form (not the code's completion_probabilities)
AE_WITHDRAW = (1 - (1 - 0.3 * 0.5) * (1 - 0.1 * 0.2), 1 - (1 - 0.6 * 0.5) * (1 - 0.15 * 0.2))
AE_KEEP = tuple(0.9 * (1 - w) for w in AE_WITHDRAW)  # 0.7497, 0.61110


def ae_scenario(recruitment: dict) -> Scenario:
    data = {**AE_TOP, "pain": {"effect": -1.0},
            "recruitment": {"sites": 3, "rate_per_site_month": 4.0, **recruitment}}
    return Scenario.from_dict(data)


@pytest.mark.parametrize("path, recruitment, n_reps", [
    ("vectorized", {}, 4000),
    # chairs without a waiting limit: everyone is treated, some wait
    ("simpy", {"chairs_per_site": 1, "sessions_per_patient": 3}, 1200),
])
def test_completers_per_arm_equal_the_engines_expected_completers(path, recruitment, n_reps):
    s = ae_scenario(recruitment)
    r = simulate_recruitment(s, n_reps=n_reps, seed=31, path=path)
    assert r.path == path
    t = r.timelines
    # exactly n_a patients per arm in every replication
    for a, n_a in enumerate(AE_SIZES):
        assert np.all((t.arm == a).sum(axis=1) == n_a)
    assert r.expected_completed_per_arm == pytest.approx(
        [n * c for n, c in zip(AE_SIZES, AE_KEEP)], rel=1e-12)
    for got, n_a, c in zip(r.n_completed_per_arm, AE_SIZES, AE_KEEP):
        se = math.sqrt(n_a * c * (1 - c) / n_reps)  # Binomial(n_a, c_a) per replication
        assert abs(got.value - n_a * c) < Z_TOL * se, (got, n_a * c, se)
    ae_mean = sum(n * w for n, w in zip(AE_SIZES, AE_WITHDRAW))
    ae_se = math.sqrt(sum(n * w * (1 - w) for n, w in zip(AE_SIZES, AE_WITHDRAW)) / n_reps)
    assert abs(r.n_withdrawn_after_ae.value - ae_mean) < Z_TOL * ae_se
    # an AE withdrawal has no outcome
    assert not np.isfinite(t.outcome_month[t.withdrawn_after_ae]).any()


def test_recruitment_completers_equal_the_power_engines_simulated_completers():
    s = ae_scenario({})
    r = simulate_recruitment(s, n_reps=3000, seed=32)
    engine = simulate(s, n_sims=3000, seed=33)
    for a, (n_a, c) in enumerate(zip(AE_SIZES, AE_KEEP)):
        se = math.sqrt(n_a * c * (1 - c) / 3000)
        assert abs(r.n_completed_per_arm[a].value - engine.mean_completers[a]) \
            < Z_TOL * math.sqrt(2) * se


def test_arms_and_outcomes_do_not_depend_on_the_chairs():
    base = ae_scenario({"sessions_per_patient": 5})
    chairs = ae_scenario({"sessions_per_patient": 5, "chairs_per_site": 1,
                          "max_wait_days": 3.0})
    a = simulate_recruitment(base, n_reps=30, seed=4, path="simpy")
    b = simulate_recruitment(chairs, n_reps=30, seed=4, path="simpy")
    assert np.array_equal(a.timelines.randomised_month, b.timelines.randomised_month)
    assert np.array_equal(a.timelines.arm, b.timelines.arm)
    assert b.n_withdrawn_waiting.value > 0
    # who withdraws after an AE is the same patient, unless they withdrew waiting
    treated = ~b.timelines.withdrawn
    assert np.array_equal(a.timelines.withdrawn_after_ae & treated,
                          b.timelines.withdrawn_after_ae)


# ---------------------------------------------------------------------------
# 2. Site heterogeneity (Poisson-gamma, Anisimov and Fedorov 2007): a site's rate
# is Gamma(shape k = 1/cv^2, mean mu). (a) Its count by time t (before full
# enrolment) is negative binomial: mean m = mu t, variance m + (cv m)^2.
# (b) With S sites open from 0 the total rate is Gamma(S k, scale theta), theta =
# (1 - screen_failure) mu cv^2, so the time to the N-th randomisation is
# G_N / Lambda = BetaPrime(N, S k) / theta.

HET = {"sites": 5, "rate_per_site_month": 4.0, "rate_cv": 0.6, "working_days_per_week": 7}


@pytest.mark.parametrize("path, n_reps", [("vectorized", 3000), ("simpy", 600)])
def test_site_counts_at_a_fixed_time_are_negative_binomial(path, n_reps):
    t_month, n_target = 3.0, 300
    cv, mu = HET["rate_cv"], HET["rate_per_site_month"]
    k, m = 1 / cv ** 2, mu * t_month
    # full enrolment before t is negligible: P(BetaPrime(N, S k) <= t theta)
    assert stats.betaprime.cdf(t_month * mu * cv ** 2, n_target, HET["sites"] * k) < 1e-9
    r = simulate_recruitment(make(HET, n_per_arm=n_target // 2), n_reps=n_reps, seed=51,
                             path=path)
    t = r.timelines
    by_t = t.randomised_month <= t_month
    counts = np.stack([(by_t & (t.site == s)).sum(axis=1) for s in range(HET["sites"])],
                      axis=1).ravel()  # sites are independent and alike
    nb = stats.nbinom(k, k / (k + m))
    mean, var, kurt = (float(x) for x in nb.stats(moments="mvk"))
    assert mean == pytest.approx(m) and var == pytest.approx(m + (cv * m) ** 2)
    n = counts.size
    assert abs(counts.mean() - mean) < Z_TOL * math.sqrt(var / n)
    mu4 = (kurt + 3) * var ** 2
    var_se = math.sqrt((mu4 - var ** 2 * (n - 3) / (n - 1)) / n)
    assert abs(counts.var(ddof=1) - var) < Z_TOL * var_se, (counts.var(ddof=1), var, var_se)
    # the test tells the Poisson model (cv = 0, variance m) apart
    assert var - m > 2 * Z_TOL * var_se


@pytest.mark.parametrize("path, n_reps", [("vectorized", 4000), ("simpy", 1500)])
def test_time_to_full_enrolment_is_beta_prime(path, n_reps):
    spec = {"sites": 4, "rate_per_site_month": 3.0, "rate_cv": 0.6, "screen_failure": 0.25,
            "working_days_per_week": 7}
    n_total = 30
    k = 1 / 0.6 ** 2
    theta = 0.75 * 3.0 * 0.6 ** 2
    ref = stats.betaprime(n_total, 4 * k, scale=1 / theta)
    r = simulate_recruitment(make(spec, n_per_arm=n_total // 2), n_reps=n_reps, seed=52,
                             path=path)
    x = r.timelines.months_to_full_enrolment
    assert abs(x.mean() - ref.mean()) < Z_TOL * ref.std() / math.sqrt(n_reps)
    assert stats.kstest(x, ref.cdf).pvalue > P_TOL
    # the homogeneous model's Gamma(N, S mu (1 - sf)) is rejected
    poisson = stats.gamma(n_total, scale=1 / (4 * 3.0 * 0.75))
    assert abs(x.mean() - poisson.mean()) > Z_TOL * x.std() / math.sqrt(n_reps)


def sample_variance_se(x: np.ndarray) -> float:
    """SE of the sample variance, from the sample's own fourth central moment."""
    n = x.size
    m2 = x.var(ddof=1)
    m4 = np.mean((x - x.mean()) ** 4)
    return math.sqrt((m4 - m2 ** 2 * (n - 3) / (n - 1)) / n)


@pytest.mark.parametrize("path, n_reps", [("vectorized", 2000), ("simpy", 500)])
def test_heterogeneous_sites_randomise_in_proportion_to_their_rates(path, n_reps):
    # all sites open from 0: given the rates, the N randomisations fall on the sites
    # multinomially with the rate shares, which are Dirichlet(k, ..., k); so a site's
    # share of one replication has variance v + (p (1 - p) - v) / N, with p = 1/S and
    # v = p (1 - p) / (S k + 1) the Dirichlet variance
    spec = {"sites": 4, "rate_per_site_month": 5.0, "rate_cv": 0.8,
            "working_days_per_week": 7}
    n = 400
    r = simulate_recruitment(make(spec, n_per_arm=n // 2), n_reps=n_reps, seed=53, path=path)
    share = (r.timelines.site == 0).mean(axis=1)
    k, p = 1 / 0.8 ** 2, 0.25
    v = p * (1 - p) / (4 * k + 1)
    expected = v + (p * (1 - p) - v) / n
    assert abs(share.mean() - p) < Z_TOL * math.sqrt(expected / n_reps)
    assert abs(share.var(ddof=1) - expected) < Z_TOL * sample_variance_se(share)


# ---------------------------------------------------------------------------
# 3. Working days: the unit works days 0..w-1 of each 7-day week. A course of k
# sessions from a working time s ends at W^-1(W(s) + k), W the working time.

def weekend_wait_closed_form(rate_day: float, n: int, w: int) -> float:
    """Mean wait (days) from randomisation to the next working day, over patients.

    The first n points of a Poisson process of rate lambda have intensity
    lambda P(N(t) <= n - 1) at t (Campbell), so the expected total wait is the
    integral over the days off of (next Monday - t) times that intensity.
    """
    total, week = 0.0, 0
    while True:
        lo, hi = 7.0 * week + w, 7.0 * (week + 1)
        part = integrate.quad(
            lambda t: (hi - t) * rate_day * stats.poisson.cdf(n - 1, rate_day * t), lo, hi)[0]
        total += part
        if lo > n / rate_day and part < 1e-12:
            return total / n
        week += 1


@pytest.mark.parametrize("path, n_reps", [("vectorized", 3000), ("simpy", 800)])
def test_without_chairs_patients_wait_for_the_next_working_day(path, n_reps):
    spec = {"sites": 1, "rate_per_site_month": 6.0, "rate_cv": 0.0,
            "working_days_per_week": 5, "sessions_per_patient": 5}
    n = 30
    r = simulate_recruitment(make(spec, n_per_arm=n // 2), n_reps=n_reps, seed=61, path=path)
    ref = weekend_wait_closed_form(6.0 / DAYS_PER_MONTH, n, 5)
    assert ref == pytest.approx(2 / 7, rel=0.1)  # about uniform over the week: (7-w)^2/14
    got = r.mean_wait_days
    assert abs(got.value - ref) < Z_TOL * got.se, (got, ref)
    t = r.timelines
    start = t.start_month * DAYS_PER_MONTH
    assert np.all((start + 1e-9) % 7 < 5)  # every course starts on a working day
    # 5 sessions on a 5-day week: a week to the same time, or Monday to Friday evening
    length = (t.course_end_month - t.start_month) * DAYS_PER_MONTH
    monday = np.isclose((start + 1e-9) % 7, 0.0, atol=1e-8)
    assert np.allclose(length[~monday], 7.0) and np.allclose(length[monday], 5.0)
    np.testing.assert_allclose((t.outcome_month - t.course_end_month)[np.isfinite(
        t.outcome_month)], 1.0)  # follow-up from the course end


def test_saturated_chair_delivers_working_days_sessions_a_week():
    # one slot, demand far above capacity, no waiting limit: the slot works every
    # working time from the first start, so the last course ends at
    # W^-1(W(first start) + n k) and the unit delivers w sessions per calendar week.
    w, k, n = 5, 3, 40
    spec = {"sites": 1, "rate_per_site_month": 600.0, "rate_cv": 0.0, "chairs_per_site": 1,
            "session_hours": 4.0, "hours_per_day": 4.0, "sessions_per_patient": k,
            "working_days_per_week": w, "followup_months": 0.0}
    r = simulate_recruitment(make(spec, n_per_arm=n // 2), n_reps=20, seed=62)
    t = r.timelines
    days = DAYS_PER_MONTH
    first = t.start_month[:, 0] * days
    end = t.infusion_end_month * days
    # the queue never empties: each patient arrived before the previous course ended
    assert np.all(t.randomised_month[:, 1:] <= t.course_end_month[:, :-1])

    def working(x):
        return np.floor(x / 7) * w + np.minimum(x - np.floor(x / 7) * 7, w)
    # n k sessions in exactly n k working days: w sessions per calendar week
    np.testing.assert_allclose(working(end) - working(first), n * k, rtol=1e-12)
    # busy slot-working-days = sessions delivered; utilisation over working hours
    np.testing.assert_allclose(t.busy_area_days, n * k, rtol=1e-9)
    expected_util = n * k / working(end)  # one chair, one slot, open from day 0
    assert r.chair_utilisation.value == pytest.approx(expected_util.mean(), rel=1e-9)


def test_littles_law_holds_with_working_days():
    spec = {"sites": 2, "rate_per_site_month": 8.0, "rate_cv": 0.5, "chairs_per_site": 1,
            "session_hours": 4.0, "hours_per_day": 8.0, "sessions_per_patient": 10,
            "max_wait_days": 10.0, "working_days_per_week": 5}
    r = simulate_recruitment(make(spec, n_per_arm=40), n_reps=30, seed=63)
    t = r.timelines
    assert r.n_withdrawn_waiting.value > 0
    phase = t.infusion_end_month * DAYS_PER_MONTH
    # area under the number waiting for a first session (from simpy's queues and the
    # slots held over days off) = total wait of the patients
    np.testing.assert_allclose(t.queue_area_days / phase,
                               t.wait_days.shape[1] / phase * t.wait_days.mean(axis=1),
                               rtol=1e-9)
    np.testing.assert_allclose(t.busy_area_days, (~t.withdrawn).sum(axis=1) * 10, rtol=1e-9)
    assert 0 < r.chair_utilisation.value <= r.utilisation_ceiling


def test_working_time_and_its_inverse():
    from simulator.ops.recruitment.workdays import (
        course_end,
        from_working_time,
        next_working,
        working_time,
    )

    t = np.linspace(0.0, 70.0, 7001)
    w = working_time(t, 5)
    assert np.all(np.diff(w) >= 0) and w[-1] == 50.0  # 10 weeks of 5 working days
    on = (t % 7) < 5
    # W grows at rate 1 on working days and stays flat on days off
    np.testing.assert_allclose(np.diff(w)[on[:-1]], 0.01, atol=1e-12)
    # the inverse: the earliest time with that working time
    x = np.linspace(0.01, 50.0, 5000)
    np.testing.assert_allclose(working_time(from_working_time(x, 5), 5), x, atol=1e-12)
    assert from_working_time(5.0, 5) == 5.0  # Friday evening, not Monday morning
    assert np.all(next_working(t, 5)[on] == t[on])
    assert np.all(next_working(t, 5)[~on] == 7 * (t[~on] // 7 + 1))
    assert course_end(2.5, 3, 7) == 5.5  # every day a working day: k days
    assert course_end(4.5, 3, 5) == 9.5  # Friday noon: Fri, Mon, Tue


def test_row_wise_search_matches_searchsorted():
    from simulator.ops.recruitment.vectorized import count_at_or_below

    rng = np.random.default_rng(0)
    a = np.sort(rng.integers(0, 20, size=(50, 7)).astype(float), axis=1)
    v = rng.integers(-2, 23, size=(50, 30)).astype(float)  # ties with a included
    expected = np.stack([np.searchsorted(a[r], v[r], side="right") for r in range(50)])
    assert np.array_equal(count_at_or_below(a, v), expected)


# ---------------------------------------------------------------------------
# the two paths agree with every feature on (heterogeneity, working days, AE
# withdrawal), without a capacity limit


def test_simpy_and_vectorized_agree_with_every_new_feature():
    s = ae_scenario({"site_open_months": 2.0, "rate_cv": 0.7, "working_days_per_week": 5,
                     "sessions_per_patient": 4, "screen_failure": 0.3,
                     "deadline_months": 6.0})
    a = simulate_recruitment(s, n_reps=3000, seed=71, path="vectorized", n_power_sims=200)
    b = simulate_recruitment(s, n_reps=1000, seed=72, path="simpy", n_power_sims=200)
    for name in ("months_to_full_enrolment", "months_to_last_outcome"):
        x, y = getattr(a.timelines, name), getattr(b.timelines, name)
        assert stats.ks_2samp(x, y).pvalue > P_TOL, name
    for name in ("n_completed", "n_withdrawn_after_ae", "mean_wait_days", "n_screened",
                 "n_randomized_by_deadline", "n_completed_by_deadline"):
        x, y = getattr(a, name), getattr(b, name)
        assert abs(x.value - y.value) < Z_TOL * math.hypot(x.se, y.se), name
    for x, y in zip(a.n_completed_per_arm, b.n_completed_per_arm):
        assert abs(x.value - y.value) < Z_TOL * math.hypot(x.se, y.se)


# ---------------------------------------------------------------------------
# spec and outputs

@pytest.mark.parametrize("patch, message", [
    ({"rate_cv": -0.1}, "[recruitment] rate_cv = -0.1: must be 0 or a number in [0.001, 3]"),
    ({"working_days_per_week": 0}, "[recruitment] working_days_per_week = 0: must be an "
                                   "integer in [1, 7]"),
    ({"working_days_per_week": 5.0}, "[recruitment] working_days_per_week = 5.0"),
])
def test_bad_new_values_are_named(patch, message):
    with pytest.raises(ScenarioError, match=None) as info:
        make({"sites": 2, "rate_per_site_month": 1.0, **patch})
    assert message in str(info.value)


def test_defaults_are_the_documented_ones_and_reach_the_output():
    s = make({"sites": 2, "rate_per_site_month": 1.0})
    assert s.recruitment.rate_cv == 0.6 and s.recruitment.working_days_per_week == 5
    d = simulate_recruitment(s, n_reps=20, seed=1).to_dict()
    assert d["rate_cv"] == 0.6 and d["working_days_per_week"] == 5
    assert set(d["n_completed_per_arm"]) == {"placebo", "active"}
    assert d["expected_completed_per_arm"] == {"placebo": 20.0, "active": 20.0}
    assert "n_withdrawn_after_ae" in d and "n_withdrawn_after_ae_se" in d
