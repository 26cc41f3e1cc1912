"""The median-unbiased estimate and final interval after a group-sequential trial,
against rpact 3.3.4.

Each dataset is given stage-wise as rpact's ``getDataset`` takes it; the test
pools the stages (overall means, pooled SD, Student's t and its p-value as a
normal quantile, as rpact's ``overallPValues`` with ``normalApproximation =
FALSE``) and multiplies :func:`median_unbiased_z` by the overall standard
error, and :func:`final_interval_z`'s ends likewise. The R code that gave each
value:

.. code-block:: r

    library(rpact)  # 3.3.4
    fci <- function(design, ds, stage) { r <- getFinalConfidenceInterval(design, ds,
        directionUpper = TRUE, normalApproximation = FALSE, equalVariances = TRUE,
        stage = stage); c(r$finalConfidenceInterval, r$medianUnbiased) }
    d1 <- getDesignGroupSequential(kMax = 3, alpha = 0.025, sided = 1, typeOfDesign = "asOF")
    d2 <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, sided = 1,
        typeOfDesign = "asP", typeBetaSpending = "bsOF", bindingFutility = TRUE,
        informationRates = c(0.4, 0.7, 1))
    d3 <- getDesignGroupSequential(kMax = 4, alpha = 0.05, sided = 2, typeOfDesign = "asHSD",
        gammaA = -2)
    # A: d1, stops at look 2 for efficacy
    fci(d1, getDataset(n1 = c(40, 40), n2 = c(40, 40), means1 = c(1.2, 1.0),
        means2 = c(0.2, 0.3), stDevs1 = c(2.0, 2.2), stDevs2 = c(2.1, 1.9)), 2)
    # 0.2061655185 1.4719898852 0.8391846936
    # B: d1, reaches the last look
    fci(d1, getDataset(n1 = c(40, 40, 40), n2 = c(40, 40, 40), means1 = c(0.6, 0.5, 0.9),
        means2 = c(0.2, 0.3, 0.1), stDevs1 = c(2.0, 2.2, 2.1), stDevs2 = c(2.1, 1.9, 2.0)), 3)
    # -0.05522415819 0.97913224096 0.46241702508
    # C: d2 (binding futility), stops at look 2, unequal arms
    fci(d2, getDataset(n1 = c(30, 22), n2 = c(30, 23), means1 = c(0.8, 1.4),
        means2 = c(0.1, 0.2), stDevs1 = c(1.5, 1.6), stDevs2 = c(1.7, 1.5)), 2)
    # 0.09381632754 1.44260079786 0.80000885367
    # D: d2, the last look
    fci(d2, getDataset(n1 = c(30, 22, 23), n2 = c(30, 23, 22), means1 = c(0.8, 0.5, 1.0),
        means2 = c(0.1, 0.2, 0.3), stDevs1 = c(1.5, 1.6, 1.4), stDevs2 = c(1.7, 1.5, 1.6)), 3)
    # 0.004258345557 1.091976004254 0.558731072987
    # E: d3 (two-sided, 4 looks), stops at look 3
    fci(d3, getDataset(n1 = c(25, 25, 25), n2 = c(25, 25, 25), means1 = c(3.0, 4.1, 4.4),
        means2 = c(2.0, 2.2, 2.1), stDevs1 = c(3.5, 3.6, 3.4), stDevs2 = c(3.7, 3.5, 3.6)), 3)
    # 0.3326918481 2.7627380862 1.5869667811
    # F: d1, stops at the first look
    fci(d1, getDataset(n1 = 40, n2 = 40, means1 = 2.2, means2 = 0.2, stDevs1 = 2.0,
        stDevs2 = 2.1), 1)
    # 1.101297203 2.898702797 2.000000000

rpact solves its roots to 1e-6 (``C_ANALYSIS_TOLERANCE_DEFAULT``): the
values agree to that. For d2 (binding futility) rpact warns that two-sided
final bounds are "not appropriate" and suggests reading one bound; both ends
are still the roots of the same stage-wise p-value, which is what is compared.
At the first look rpact's interval is the estimate -+ 1.96 standard errors. ``getAnalysisResults(d1, <dataset B>, directionUpper =
TRUE, normalApproximation = FALSE)$medianUnbiasedEstimates`` reports the
same number at the last stage (``NA NA 0.4624170251``): it calls the same
function.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from simulator.analysis.sequential import conditional_power, group_sequential_design
from simulator.analysis.sequential_estimates import (conditional_power_table, final_interval_z,
                                                     median_unbiased_z, stagewise_pvalue,
                                                     stagewise_table)

D1 = dict(looks=3, alpha=0.025, alpha_spending="asOF")
D2 = dict(looks=[0.4, 0.7, 1.0], alpha=0.025, beta=0.2, alpha_spending="asP",
          beta_spending="bsOF", binding=True)
D3 = dict(looks=4, alpha=0.05, sided=2, alpha_spending="asHSD", gamma_a=-2)

CASES = {  # design, data, stage, (median-unbiased estimate, final interval)
    "A": (D1, ([40, 40], [40, 40], [1.2, 1.0], [0.2, 0.3], [2.0, 2.2], [2.1, 1.9]), 2,
          (0.8391846936, 0.2061655185, 1.4719898852)),
    "B": (D1, ([40] * 3, [40] * 3, [0.6, 0.5, 0.9], [0.2, 0.3, 0.1], [2.0, 2.2, 2.1],
               [2.1, 1.9, 2.0]), 3, (0.4624170251, -0.05522415819, 0.97913224096)),
    "C": (D2, ([30, 22], [30, 23], [0.8, 1.4], [0.1, 0.2], [1.5, 1.6], [1.7, 1.5]), 2,
          (0.8000088537, 0.09381632754, 1.44260079786)),
    "D": (D2, ([30, 22, 23], [30, 23, 22], [0.8, 0.5, 1.0], [0.1, 0.2, 0.3], [1.5, 1.6, 1.4],
               [1.7, 1.5, 1.6]), 3, (0.5587310730, 0.004258345557, 1.091976004254)),
    "E": (D3, ([25] * 3, [25] * 3, [3.0, 4.1, 4.4], [2.0, 2.2, 2.1], [3.5, 3.6, 3.4],
               [3.7, 3.5, 3.6]), 3, (1.5869667811, 0.3326918481, 2.7627380862)),
    "F": (D1, ([40], [40], [2.2], [0.2], [2.0], [2.1]), 1,
          (2.0, 1.101297203, 2.898702797)),
}


def design(spec: dict):
    spec = dict(spec)
    return group_sequential_design(spec.pop("looks"), **spec)


def overall(data, stage: int) -> tuple[float, float]:
    """The overall z (t's p-value as a normal quantile) and standard error at ``stage``."""
    n1, n2, m1, m2, s1, s2 = (np.asarray(x[:stage], float) for x in data)
    big1, big2 = n1.sum(), n2.sum()
    mean1, mean2 = (n1 * m1).sum() / big1, (n2 * m2).sum() / big2
    ss = (((n1 - 1) * s1**2).sum() + (n1 * (m1 - mean1) ** 2).sum()
          + ((n2 - 1) * s2**2).sum() + (n2 * (m2 - mean2) ** 2).sum())
    df = big1 + big2 - 2
    se = math.sqrt(ss / df) * math.sqrt(1 / big1 + 1 / big2)
    t = (mean1 - mean2) / se
    return float(-stats.norm.ppf(stats.t.sf(t, df))), se


@pytest.mark.parametrize("name", [c for c in CASES if c != "F"])
def test_median_unbiased_estimate_and_final_interval_match_rpact(name):
    spec, data, stage, (median, low, high) = CASES[name]
    z, se = overall(data, stage)
    d = design(spec)
    assert median_unbiased_z(d, stage - 1, z) * se == pytest.approx(median, abs=1e-6)
    ends = [v * se for v in final_interval_z(d, stage - 1, z)]
    assert ends == pytest.approx([low, high], abs=1e-6)


def test_the_first_look_interval_is_z_plus_minus_its_quantile_as_wide_as_rpacts():
    """At the first look the interval is ``z -+ z_{1-a}`` on the Z scale: as wide as rpact's
    (case F: the estimate -+ 1.96 standard errors), centred on the t statistic's z (the
    collector centres it on the estimate, as rpact: tests/planning/test_final_interval.py)."""
    spec, data, stage, (median, low, high) = CASES["F"]
    z, se = overall(data, stage)
    ends = final_interval_z(design(spec), 0, z)
    assert ends == pytest.approx((z - stats.norm.ppf(0.975), z + stats.norm.ppf(0.975)),
                                 abs=1e-12)
    assert (ends[1] - ends[0]) * se == pytest.approx(high - low, abs=1e-8)


def test_stagewise_pvalue_is_one_minus_phi_at_the_first_look_and_rises_with_theta():
    d = design(D1)
    assert float(stagewise_pvalue(d, 0, 1.5, 0.0)) == pytest.approx(stats.norm.sf(1.5), abs=1e-12)
    p = [float(stagewise_pvalue(d, 2, 1.5, th)) for th in (-1.0, 0.0, 1.0, 2.0)]
    assert p == sorted(p)
    # far above: only the chance of having stopped before is left
    d_exits = float(stagewise_pvalue(d, 1, 40.0, 2.0))
    assert d_exits == pytest.approx(stats.norm.sf(d.critical_values[0] - 2.0 * math.sqrt(1 / 3)),
                                    abs=1e-9)


@pytest.mark.parametrize("spec", [D1, D2, D3], ids=["OF", "P-binding", "HSD-4"])
def test_the_table_is_within_1e_3_of_the_exact_solver_on_its_grid(spec):
    d = design(spec)
    table = stagewise_table(d)

    def exact(look, z):
        return (median_unbiased_z(d, look, z), *final_interval_z(d, look, z))

    def read(look, z):
        return [float(table.lookup(look, np.array([z]), what)[0])
                for what in ("median", "lower", "upper")]

    for look in range(1, d.kmax):
        for z in (-4.9, -2.3, 0.1, 1.7, 2.45, 3.3, 5.2):
            got, want = read(look, z), exact(look, z)
            assert got[0] == pytest.approx(want[0], abs=1e-3)
            assert got[1:] == pytest.approx(want[1:], abs=1.5e-3)  # p is steeper at a, 1 - a
        # above the grid, extrapolated from the last step: these designs' values have
        # levelled off there (an earlier bound caps the drift), the upper end nearly
        got, want = read(look, 9.0), exact(look, 9.0)
        assert got[0] == pytest.approx(want[0], abs=1e-3)
        assert got[1:] == pytest.approx(want[1:], abs=3e-2)
        # below the grid (z < -5, a rare trial), extrapolated from its first step
        assert read(look, -6.0) == pytest.approx(exact(look, -6.0), abs=5e-3)
    q = stats.norm.ppf(1 - d.alpha / d.sided)
    assert read(0, 1.234) == pytest.approx([1.234, 1.234 - q, 1.234 + q], abs=1e-12)


@pytest.mark.parametrize("spec", [
    dict(looks=[0.1, 0.5, 1.0], alpha=0.025, alpha_spending="asOF"),
    dict(looks=3, alpha=0.025, alpha_spending="asUser", user_alpha_spending=[0.0, 0.01, 0.025]),
], ids=["OF-first-at-0.1", "user-first-spends-nothing"])
def test_above_the_grid_the_values_go_on_rising_where_the_first_look_caps_nothing(spec):
    """A first look with a bound of 7 or none leaves the drift uncapped: the estimate at
    z = 10 is about 10, not the grid's last value (about 8)."""
    d = design(spec)
    table = stagewise_table(d)
    for z in (8.5, 10.0):
        want = (median_unbiased_z(d, 1, z), *final_interval_z(d, 1, z))
        got = [float(table.lookup(1, np.array([z]), what)[0])
               for what in ("median", "lower", "upper")]
        assert got == pytest.approx(want, abs=1e-2)
    assert want[0] > 9.9


def test_conditional_power_table_is_within_1e_3_of_conditional_power():
    d = group_sequential_design(3, alpha=0.025, beta=0.1, alpha_spending="asOF",
                                beta_spending="bsOF")
    table = conditional_power_table(d)
    for look in range(2):
        for z in np.linspace(table.z[look][0], table.z[look][-1], 23)[1:-1] + 0.0137:
            t = float(d.information_rates[look])
            got = table.lookup(look, np.array([z]))
            assert float(got[0][0]) == pytest.approx(conditional_power(float(z), t, d), abs=1e-3)
            assert float(got[1][0]) == pytest.approx(conditional_power(float(z), t, d, "trend"),
                                                     abs=1e-3)
