"""Closed forms against R and against each other."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy import stats

from simulator import (
    ancova_power,
    harm_detection_probability,
    t_test_power,
    two_proportion_power,
)

# R 4.2:  for (n in c(10,30,100,250)) for (d in c(0.5,1,1.5)) for (s in c(1.5,2.5))
#           power.t.test(n=n, delta=d, sd=s, sig.level=0.05, strict=TRUE)$power
R_T_TEST = [
    (10, 0.5, 1.5, 0.108812153266), (10, 0.5, 2.5, 0.070821345189),
    (10, 1.0, 1.5, 0.292109982212), (10, 1.0, 2.5, 0.135451562088),
    (10, 1.5, 1.5, 0.562006646586), (10, 1.5, 2.5, 0.245932059880),
    (30, 0.5, 1.5, 0.245623883278), (30, 0.5, 2.5, 0.118679435564),
    (30, 1.0, 1.5, 0.718732802604), (30, 1.0, 2.5, 0.331521678919),
    (30, 1.5, 1.5, 0.967708258243), (30, 1.5, 2.5, 0.627504586975),
    (100, 0.5, 1.5, 0.650117016908), (100, 0.5, 2.5, 0.290645871659),
    (100, 1.0, 1.5, 0.996843866353), (100, 1.0, 2.5, 0.803647504421),
    (100, 1.5, 2.5, 0.988151686172), (250, 0.5, 2.5, 0.607122217976),
    (250, 1.0, 2.5, 0.993851972071), (250, 1.5, 2.5, 0.999998906133),
]


@pytest.mark.parametrize("n, delta, sd, expected", R_T_TEST)
def test_t_test_power_matches_r_power_t_test(n, delta, sd, expected):
    assert t_test_power(-delta, sd, n, n) == pytest.approx(expected, abs=1e-9)


# R 4.2:  library(pwr)
#         for (c in list(c(20, 40, 0.5), c(50, 100, 0.4), c(30, 90, 0.8), c(100, 25, 0.3)))
#           pwr.t2n.test(n1 = c[1], n2 = c[2], d = c[3])$power        # and alternative="greater"
R_T2N = [(20, 40, 0.5, 0.434767511513, 0.563375071039),
         (50, 100, 0.4, 0.630983518251, 0.743434628403),
         (30, 90, 0.8, 0.964361464896, 0.983331255698),
         (100, 25, 0.3, 0.265242567933, 0.378054794010)]


@pytest.mark.parametrize("n0, n1, d, two_sided, one_sided", R_T2N)
def test_t_test_power_with_unequal_arms_matches_r_pwr_t2n_test(n0, n1, d, two_sided, one_sided):
    sd = 2.5
    assert t_test_power(-d * sd, sd, n0, n1) == pytest.approx(two_sided, abs=1e-9)
    assert t_test_power(-d * sd, sd, n0, n1, sided=1) == pytest.approx(one_sided, abs=1e-9)


def test_one_sided_power_matches_r():
    # R: power.t.test(n=50, delta=1, sd=2.5, alternative="one.sided")$power
    assert t_test_power(-1.0, 2.5, 50, 50, sided=1) == pytest.approx(0.633565038377, abs=1e-9)
    # the benefit direction only: an effect the wrong way has almost no power
    assert t_test_power(+1.0, 2.5, 50, 50, sided=1) < 0.001


def test_two_proportion_power_matches_r_power_prop_test():
    # R: power.prop.test(n=100, p1=0.2, p2=0.35, strict=TRUE)$power
    assert two_proportion_power(0.2, 0.35, 100, 100) == pytest.approx(0.663290919085, abs=1e-9)
    # R: power.prop.test(n=100, p1=0.2, p2=0.35, alternative="one.sided")$power
    assert two_proportion_power(0.2, 0.35, 100, 100, sided=1) == pytest.approx(
        0.770683074238, abs=1e-9)


def test_power_at_zero_effect_is_alpha():
    assert t_test_power(0.0, 2.5, 40, 40) == pytest.approx(0.05, abs=1e-12)
    assert ancova_power(0.0, 2.5, 0.5, 40, 40) == pytest.approx(0.05, abs=1e-10)


@pytest.mark.parametrize("n", [8, 30, 200])
def test_ancova_exact_power_below_the_variance_factor_shortcut(n):
    """Baseline imbalance only loses information: the exact power lies below
    the t-test shortcut with variance factor 1 - r^2 and df n0 + n1 - 3, and
    the two meet as n grows."""
    r, sd = 0.5, 2.5
    exact = float(ancova_power(-1.0, sd, r, n, n))
    df = 2 * n - 3
    ncp = 1.0 / (sd * np.sqrt(1 - r * r) * np.sqrt(2 / n))
    crit = stats.t.ppf(0.975, df)
    shortcut = stats.nct.sf(crit, df, ncp) + stats.nct.sf(crit, df, -ncp)
    assert exact < shortcut
    assert shortcut - exact < 2.0 / n


def test_ancova_exact_power_matches_direct_integration():
    """Reference: integrate over the baseline imbalance with scipy.integrate."""
    from scipy import integrate

    n, r, sd, delta = 12, 0.4, 2.0, -1.5
    df = 2 * n - 3
    ncp0 = delta / (sd * np.sqrt(1 - r * r) * np.sqrt(2 / n))
    crit = stats.t.ppf(0.975, df)

    def integrand(f):
        ncp = ncp0 / np.sqrt(1 + f / (2 * n - 2))
        p = stats.nct.sf(crit, df, ncp) + stats.nct.sf(crit, df, -ncp)
        return p * stats.f.pdf(f, 1, 2 * n - 2)

    ref, _ = integrate.quad(integrand, 0, np.inf, limit=200)
    assert float(ancova_power(delta, sd, r, n, n)) == pytest.approx(ref, abs=1e-7)


def test_harm_detection_matches_brute_force_enumeration():
    n0, n1, p0, p1 = 25, 30, 0.1, 0.3
    total = 0.0
    for a0 in range(n0 + 1):
        for a1 in range(n1 + 1):
            c = 0.5 if a0 in (0, n0) or a1 in (0, n1) else 0.0
            lrr = np.log((a1 + c) / (n1 + 2 * c)) - np.log((a0 + c) / (n0 + 2 * c))
            se = np.sqrt(1 / (a1 + c) - 1 / (n1 + 2 * c) + 1 / (a0 + c) - 1 / (n0 + 2 * c))
            if lrr / se > stats.norm.ppf(0.975):
                total += stats.binom.pmf(a0, n0, p0) * stats.binom.pmf(a1, n1, p1)
    assert harm_detection_probability(p0, p1, n0, n1) == pytest.approx(total, abs=1e-9)


@pytest.mark.parametrize("n, allocation", [(60, 1), (135, 1), (500, 1), (2000, 1), (300, 2)])
@pytest.mark.parametrize("keep", [(0.89, 0.66), (0.5, 0.5), (0.97, 0.6)])
def test_completer_average_by_spline_is_within_2e_8_of_the_full_sum(n, allocation, keep):
    """Large supports are interpolated from a 33-point sub-grid per arm; the full
    weighted sum over every pair of completer counts is the reference."""
    from simulator.analysis.power import average_over_completers

    for power_at in (lambda a, b: ancova_power(-0.6, 2.5, 0.3, a, b),
                     lambda a, b: t_test_power(-0.4, 2.0, a, b, sided=1)):
        sizes = (n, allocation * n)
        fast = average_over_completers(power_at, sizes, keep)
        full = average_over_completers(power_at, sizes, keep, exact=True)
        assert abs(fast - full) <= 2e-8, (fast, full)


def test_nct_sf_falls_back_to_scipy_stats_where_nctdtr_gives_nan(monkeypatch):
    """Some SciPy versions' nctdtr is NaN far in the lower tail (the nct.cdf trap); those
    elements, and only those, come from stats.nct.sf."""
    import simulator.analysis.power as power

    real = power.special.nctdtr
    t, df, ncp = np.array([1.96, 1.97, 2.1]), np.array([198.0, 198.0, 40.0]), 2.5

    def nan_in_the_middle(df_, ncp_, t_):
        out = np.array(real(df_, ncp_, t_), float)
        out[1] = np.nan
        return out

    monkeypatch.setattr(power.special, "nctdtr", nan_in_the_middle)
    got = power.nct_sf(t, df, ncp)
    assert got[1] == pytest.approx(stats.nct.sf(1.97, 198.0, 2.5), rel=1e-10)
    assert got[[0, 2]] == pytest.approx(1.0 - real(df[[0, 2]], ncp, t[[0, 2]]), rel=1e-15)


@pytest.mark.parametrize("call, fragment", [
    (lambda: t_test_power(1, 2.5, 100, 100, alpha=1.5), "alpha = 1.5"),
    (lambda: t_test_power(1, 2.5, 100, 100, sided=0), "sided = 0"),
    (lambda: t_test_power(1, 2.5, 100, 100, direction="harm"), "direction = 'harm'"),
    (lambda: t_test_power(1, 2.5, 100, 100, benefit_sign=2), "benefit_sign = 2"),
    (lambda: t_test_power(1, 2.5, 100, 100, welch="yes"), "welch = 'yes'"),
    (lambda: t_test_power(1, 0.0, 100, 100), "sd = 0.0"),
    (lambda: t_test_power(np.nan, 2.5, 100, 100), "delta = nan"),
    (lambda: t_test_power(1, 2.5, -1, 100), "n0 = -1"),
    (lambda: t_test_power(1, 2.5, 1, 1), "n0 + n1 = 2.0"),
    (lambda: t_test_power(1, 2.5, 1, 30, welch=True), "n0 = 1"),
    (lambda: ancova_power(1, 2.5, 1.0000001, 100, 100), "r = 1.0000001"),
    (lambda: ancova_power(1, 2.5, 0.5, 1, 2), "n0 + n1 = 3.0"),
    (lambda: two_proportion_power(-0.1, 0.3, 100, 100), "p0 = -0.1"),
    (lambda: two_proportion_power(0.1, 0.3, 100, 100, continuity="no"), "continuity = 'no'"),
    (lambda: harm_detection_probability(0.1, 1.1, 100, 100), "p1 = 1.1"),
    (lambda: harm_detection_probability(0.1, 0.2, 2.5, 100), "n0 = 2.5"),
    (lambda: harm_detection_probability(0.1, 0.2, 10**12, 100), "n0 = 1000000000000"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_closed_forms_name_a_bad_argument(call, fragment):
    from simulator import ScenarioError

    with pytest.raises(ScenarioError, match=re.escape(fragment)):
        call()


def test_certain_proportions_reject_always_or_never():
    """Rates of 0 or 1 in both arms: the difference has SE 0 (it was NaN)."""
    assert two_proportion_power(0.0, 0.0, 100, 100) == 0.0
    assert two_proportion_power(1.0, 1.0, 50, 80, continuity=True) == 0.0
    assert two_proportion_power(0.0, 1.0, 100, 100) == 1.0
    # and an arm of one with Student's t is a test (df 1 or more), as the simulation has it
    assert 0.0 < t_test_power(-1.0, 2.5, 1, 30) < 1.0
