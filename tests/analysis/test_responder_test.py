"""The responder test: Yates' continuity correction, and the exact type I error and
coverage of the z-test at fixed arm sizes (issue 12, item 14)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator.analysis.power import two_proportion_accuracy, two_proportion_power
from simulator.analysis.twosample import two_proportions


@pytest.mark.parametrize("a0, n0, a1, n1", [(2, 10, 7, 10), (5, 40, 14, 37), (30, 100, 31, 90)])
def test_the_corrected_statistic_squared_is_yates_chi_square(a0, n0, a1, n1):
    table = np.array([[a0, n0 - a0], [a1, n1 - a1]])
    yates = stats.chi2_contingency(table, correction=True)[0]
    pearson = stats.chi2_contingency(table, correction=False)[0]
    cc = two_proportions(a0, n0, a1, n1, continuity=True)
    plain = two_proportions(a0, n0, a1, n1)
    assert float(cc.statistic) ** 2 == pytest.approx(yates, rel=1e-12)
    assert float(plain.statistic) ** 2 == pytest.approx(pearson, rel=1e-12)
    assert float(cc.margin) == pytest.approx(0.5 * (1 / n0 + 1 / n1))


def _by_enumeration(p0, p1, m0, m1, continuity, alpha=0.05):
    """Size and coverage summed over every pair of counts, the binomial pmf in full.

    The rule is written out here (reject when |z| exceeds the normal quantile,
    cover when the truth is within z SE plus the continuity margin), where the
    implementation applies the simulation's ``decide`` to a truncated support:
    the test checks both the truncation and that the two agree.
    """
    z = stats.norm.ppf(1 - alpha / 2)
    a0, a1 = np.meshgrid(np.arange(m0 + 1), np.arange(m1 + 1), indexing="ij")
    est = two_proportions(a0, m0, a1, m1, continuity=continuity)
    null = np.outer(stats.binom.pmf(np.arange(m0 + 1), m0, p0),
                    stats.binom.pmf(np.arange(m1 + 1), m1, p0))
    alt = np.outer(stats.binom.pmf(np.arange(m0 + 1), m0, p0),
                   stats.binom.pmf(np.arange(m1 + 1), m1, p1))
    size = np.sum(null * (np.abs(est.statistic) > z))
    covered = np.abs(est.estimate - (p1 - p0)) <= z * est.se + est.margin
    return size, np.sum(alt * covered)


@pytest.mark.parametrize("continuity", [False, True])
@pytest.mark.parametrize("p0, p1, m0, m1", [(0.2, 0.5, 6, 6), (0.1, 0.3, 12, 9),
                                             (0.35, 0.6, 40, 40)])
def test_exact_accuracy_matches_a_full_enumeration(p0, p1, m0, m1, continuity):
    got = two_proportion_accuracy(p0, p1, m0, m1, continuity=continuity)
    assert got == pytest.approx(_by_enumeration(p0, p1, m0, m1, continuity), abs=1e-10)


def test_exact_accuracy_matches_simulated_trials():
    rng = np.random.default_rng(12)
    p0, p1, m, n = 0.35, 0.51, 6, 200_000
    size, coverage = two_proportion_accuracy(p0, p1, m, m)
    z = stats.norm.ppf(0.975)
    null = two_proportions(rng.binomial(m, p0, n), m, rng.binomial(m, p0, n), m)
    alt = two_proportions(rng.binomial(m, p0, n), m, rng.binomial(m, p1, n), m)
    sim_size = np.mean(np.abs(null.statistic) > z)
    sim_cover = np.mean(np.abs(alt.estimate - (p1 - p0)) <= z * alt.se)
    assert abs(sim_size - size) < 4 * np.sqrt(size * (1 - size) / n)
    assert abs(sim_cover - coverage) < 4 * np.sqrt(coverage * (1 - coverage) / n)
    assert size > 0.06 and coverage < 0.92  # the liberal test the issue found at small n


def test_the_correction_is_conservative_where_the_plain_test_is_liberal():
    for m in (4, 6, 8, 10, 15, 20, 30):
        for p0, p1 in ((0.2, 0.5), (0.35, 0.51)):
            plain = two_proportion_accuracy(p0, p1, m, m)
            corrected = two_proportion_accuracy(p0, p1, m, m, continuity=True)
            assert corrected[0] <= 0.05 and corrected[0] < plain[0]
            assert corrected[1] > max(plain[1], 0.93)


@pytest.mark.parametrize("m", [60, 150])
def test_corrected_closed_form_power_is_near_its_exact_power(m):
    """The normal approximation of the corrected test's power against the exact sum."""
    p0, p1, z = 0.3, 0.5, stats.norm.ppf(0.975)
    a0, a1 = np.meshgrid(np.arange(m + 1), np.arange(m + 1), indexing="ij")
    est = two_proportions(a0, m, a1, m, continuity=True)
    w = np.outer(stats.binom.pmf(np.arange(m + 1), m, p0), stats.binom.pmf(np.arange(m + 1), m, p1))
    exact = np.sum(w * (np.abs(est.statistic) > z))
    approx = float(two_proportion_power(p0, p1, m, m, continuity=True))
    assert approx == pytest.approx(exact, abs=0.015)
    assert approx < float(two_proportion_power(p0, p1, m, m))
