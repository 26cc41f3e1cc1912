"""The calendar dates of a sequential trial's looks (recruitment with [interim])."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from conftest import Z_TOL
from simulator import Scenario
from simulator.ops.recruitment import simulate_recruitment
from simulator.ops.recruitment.interim_timing import look_months

BASE = {"design": {"n_per_arm": 6}, "pain": {"effect": -1.0, "analysis": "followup"},
        "interim": {"looks": [0.5, 1.0]},
        "recruitment": {"sites": 1, "rate_per_site_month": 2.0, "rate_cv": 0.0,
                        "working_days_per_week": 7, "followup_months": 1.0}}


def test_a_look_waits_for_the_last_due_outcome_of_its_patients_in_every_arm():
    s = Scenario.from_dict(BASE)
    r = simulate_recruitment(s, n_reps=3, seed=1, n_power_sims=200)
    t = r.timelines
    # rebuild by hand: randomised 1..12 months, arms alternating badly: AAABBBAAABBB
    arm = np.array([[0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1]], np.int8)
    month = np.arange(1.0, 13.0)[None, :]
    course_end = month + 0.1
    fake = dataclasses.replace(t, randomised_month=month, arm=arm, course_end_month=course_end,
                               start_month=month, site=np.zeros_like(month, int),
                               wait_days=np.zeros_like(month),
                               withdrawn=np.zeros_like(month, bool),
                               withdrawn_after_ae=np.zeros_like(month, bool),
                               outcome_month=course_end + 1.0, n_screened=np.array([12]),
                               queue_area_days=np.zeros(1), busy_area_days=np.zeros(1),
                               infusion_end_month=np.array([12.1]))
    # look 1: 3 per arm -> arm A's 3rd patient is #3, arm B's 3rd is #6: due 6.1 + 1
    assert look_months(s, fake)[0].tolist() == pytest.approx([7.1, 13.1])


def test_look_dates_match_the_negative_hypergeometric_closed_form():
    """One site at rate 2/month from month 0, no chairs, no dropout: patient p
    is randomised at Gamma(p, 2) and the arms are a random order of (n, n).
    The look at m per arm waits for patient P = max over arms of the position
    of the arm's m-th patient; P(P <= p) = P(at least m of each arm among the
    first p) (hypergeometric). Then E[T] = E[P] / 2 + the course and follow-up."""
    n, m = 6, 3
    s = Scenario.from_dict(BASE)
    r = simulate_recruitment(s, n_reps=4000, seed=2, n_power_sims=200)
    t = r.timelines
    offset = t.course_end_month - t.randomised_month + 1.0
    assert np.ptp(offset) < 1e-9  # a fixed course: the look date is P's date plus it
    p = np.arange(2 * n + 1)
    cdf = np.array([stats.hypergeom(2 * n, n, q).cdf(q - m) - stats.hypergeom(2 * n, n, q).cdf(m - 1)
                    if q >= 2 * m else 0.0 for q in p])
    expected_position = float(np.sum(1.0 - cdf[:-1]))  # E[P] = sum_p P(P > p)
    expected = expected_position / 2.0 + float(offset.flat[0])
    months = look_months(s, t)[:, 0]
    se = months.std(ddof=1) / math.sqrt(months.size)
    assert abs(months.mean() - expected) <= Z_TOL * se, (months.mean(), expected)
    # the last look is the last due outcome: every patient completes here
    assert np.allclose(look_months(s, t)[:, 1], t.months_to_last_outcome)


def test_recruit_reports_the_expected_end_of_a_sequential_trial(capsys):
    s = Scenario.from_dict({**BASE, "design": {"n_per_arm": 60},
                            "pain": {"effect": -1.5, "analysis": "followup"}})
    r = simulate_recruitment(s, n_reps=200, seed=3, n_power_sims=2000)
    i = r.interim
    p = [k.p_stop for k in i.looks]
    assert sum(p) == pytest.approx(1.0) and p[0] > 0.2  # a large effect often stops early
    assert i.expected_stop_months.value == pytest.approx(
        sum(k.p_stop * k.months.mean for k in i.looks))
    assert i.months_saved > 0
    assert r.to_dict()["interim"]["looks"][0]["group_sizes"] == [30, 30]
