"""The solver's range of n covers the true n at its stated level, and is as narrow as asked.

Reference: Student's t test, sigma 2.5, delta 1, alpha 0.05 two-sided, 90 %
power: n = 132.3106 per arm (R 4.2: power.t.test(power = 0.9, delta = 1, sd =
2.5)$n), 99.0803 at 80 %. The range is a 95 % interval: over 40 independent
solves (seeds) at least 34 must cover the true n (if the coverage were 95 %,
fewer than 34 would happen with probability 0.0004).
"""

from __future__ import annotations

import pytest

from simulator import Scenario, solve_sample_size

pytestmark = pytest.mark.statistical

NORMAL = Scenario.from_dict({"design": {"n_per_arm": 10},
                             "pain": {"effect": -1.0, "sd": 2.5, "analysis": "followup"}})
TRUE_N = {0.9: 132.3106, 0.8: 99.0803}


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
    # no wider than the tolerance (2 % of n), plus the rounding of its ends to integers
    assert max(widths) <= 0.02 * TRUE_N[target] + 2


def test_a_tighter_tolerance_gives_a_narrower_range_from_more_trials():
    loose = solve_sample_size(NORMAL, target=0.9, seed=3, n_sims=4000, n_tolerance=0.06)
    tight = solve_sample_size(NORMAL, target=0.9, seed=3, n_sims=4000, n_tolerance=0.015)
    width = [r.n_range[1] - r.n_range[0] for r in (loose, tight)]
    assert width[1] < width[0] and width[1] <= 0.015 * 132.3 + 2
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
