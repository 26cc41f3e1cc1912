"""The solver's range of n covers the true n at its stated level, and is as narrow as asked.

Reference: Student's t test, sigma 2.5, delta 1, alpha 0.05 two-sided, 90 %
power: n = 132.3106 per arm (R 4.2: power.t.test(power = 0.9, delta = 1, sd =
2.5)$n), 99.0803 at 80 %; the smallest whole n with that power, the answer
the solver estimates, is 133 and 100. The range is a 95 % interval of it:
over 40 independent solves (seeds) at least 34 must cover it (if the coverage
were 95 %, fewer than 34 would happen with probability 0.0034: scipy's
binom.cdf(33, 40, 0.95)).
"""

from __future__ import annotations

import numpy as np
import pytest

from simulator import Scenario, solve_sample_size

pytestmark = pytest.mark.statistical

NORMAL = Scenario.from_dict({"design": {"n_per_arm": 10},
                             "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup"}})
TRUE_N = {0.9: 133, 0.8: 100}  # ceil(132.3106), ceil(99.0803)


@pytest.mark.parametrize("target", [0.9, 0.8])
def test_the_range_covers_the_true_n_at_its_level(target):
    covered, widths = 0, []
    for seed in range(40):
        r = solve_sample_size(NORMAL, target=target, seed=seed, n_sims=4000)
        lo, hi = r.n_range
        covered += lo <= TRUE_N[target] <= hi
        widths.append(hi - lo)
        assert r.converged and lo <= r.n_per_arm <= hi
    assert covered >= 34, f"{covered} of 40 ranges cover n = {TRUE_N[target]}"
    # whole sizes no further apart than the tolerance: 2 % of n, and at least 2 patients
    assert max(widths) <= max(0.02 * TRUE_N[target], 2)


def test_a_tighter_tolerance_gives_a_narrower_range_from_more_trials():
    loose = solve_sample_size(NORMAL, target=0.9, seed=3, n_sims=4000, n_tolerance=0.06)
    tight = solve_sample_size(NORMAL, target=0.9, seed=3, n_sims=4000, n_tolerance=0.015)
    width = [r.n_range[1] - r.n_range[0] for r in (loose, tight)]
    assert width[1] < width[0] and width[1] <= max(0.015 * 132.3, 2)
    assert tight.n_sims > loose.n_sims


def test_a_saw_tooth_metric_is_read_where_it_stays_above_the_target():
    """P(harm detected) jumps with n (exact: 0.913 at 15, 0.894 at 16, 0.914 at 17 per arm
    for placebo risk 0.18 and RR 4.2): the answer is 17, where it stays above 0.9."""
    s = Scenario.from_dict({"design": {"n_per_arm": 20}, "pain": {"effect": -1.0},
                            "adverse_events": {"psy": {"placebo_risk": 0.18,
                                                       "risk_ratio": 4.2}}})
    r = solve_sample_size(s, target=0.9, metric="harm:psy", seed=2, n_sims=4000)
    assert r.analytic_n_per_arm == 17 and r.n_per_arm == 17
    assert r.n_range[0] <= 17 <= r.n_range[1]


def _bisection(f, target: float, n_max: int):
    """The reference: a plain integer bisection for the smallest n with f(n) >= target."""
    if f(2) >= target:
        return 2
    if f(n_max) < target:
        return None
    lo, hi = 2, n_max
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if f(mid) >= target else (mid, hi)
    return hi


def test_closed_form_n_search_equals_plain_bisection_in_a_few_evaluations():
    """smallest_n (the probit line's guesses) gives bisection's answer on power curves
    and on curves far from the probit line, in at most 8 evaluations on t-test powers."""
    import math

    from scipy import stats

    from simulator.planning.closed_n import smallest_n

    rng = np.random.default_rng(7)
    for _ in range(600):
        d, target = rng.uniform(0.01, 2.0), rng.uniform(0.5, 0.99)
        n_max = int(rng.choice([50, 1000, 100_000]))
        curves = [lambda n: float(stats.norm.cdf(d * math.sqrt(n / 2) - 1.96)),
                  lambda n: 1 - math.exp(-d * n / 50),
                  lambda n: min(1.0, (n / (1 + 200 * d)) ** 0.3)]
        for f in curves:
            assert smallest_n(f, target, n_max) == _bisection(f, target, n_max)
    for n_star in (120, 1300, 3000):
        d = math.sqrt(2 * (1.959964 + 1.281552) ** 2 / n_star)
        calls = []

        def power(n: int) -> float:
            calls.append(n)
            df = 2 * n - 2
            return float(stats.nct.sf(stats.t.isf(0.025, df), df, d * math.sqrt(n / 2)))

        found = smallest_n(power, 0.9, 100_000)
        assert len(set(calls)) <= 8  # a plain bisection over [2, 1e5] takes 17
        assert found == _bisection(power, 0.9, 100_000)
