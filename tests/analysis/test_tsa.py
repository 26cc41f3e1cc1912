"""Trial sequential analysis: boundaries against rpact and independent R code, sizes, rules.

References come from R 4.2.2 with rpact 3.3.4, metafor 3.8-1 and mvtnorm,
printed with ``sprintf("%.12g", x)``; the tests need no R. The boundary
cases use this R helper (the TSA's looks are the distinct capped fractions,
completed by a final look at the RIS, as :func:`tsa_boundaries` does)::

    library(rpact)
    run <- function(info, ris, ...) {
      t <- pmin(info / ris, 1); rates <- unique(t)
      if (tail(rates, 1) < 1) rates <- c(rates, 1)
      d <- getDesignGroupSequential(informationRates = rates, ...)
      list(rates, d$criticalValues, d$futilityBounds,
           if (d$typeBetaSpending != "none") sqrt(getDesignCharacteristics(d)$shift))
    }
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pytest
from scipy import stats

from simulator.analysis.information_size import (binary_information_size, diversity,
                                                 diversity_adjusted_ris,
                                                 inconsistency_adjusted_ris,
                                                 required_information, required_participants)
from simulator.analysis.metaanalysis import meta_analyse
from simulator.analysis.tsa import boundary_quantile, tsa_adjusted_ci, tsa_boundaries
from simulator.analysis.tsa_cumulative import trial_sequential_analysis
from simulator.errors import ScenarioError

TOL = 1e-6


class Case(NamedTuple):
    name: str
    information: tuple
    ris: float
    kwargs: dict
    critical: tuple  # rpact's, at the design looks (the distinct fractions and the RIS)
    futility: tuple | None
    drift: float | None


RPACT = [
    # run(c(2, 5, 8, 12), 10.5, sided = 2, alpha = 0.05, typeOfDesign = "asOF")
    # (the last look is beyond the RIS: its fraction is capped at 1)
    Case("of2-beyond-ris", (2, 5, 8, 12), 10.5, dict(),
         (5.00377112448, 3.04544729739, 2.33179359883, 2.01674026996), None, None),
    # run(c(3, 7, 9.5), 20, sided = 2, alpha = 0.05, typeOfDesign = "asOF")
    # (the RIS not reached: rpact's last look is the planned one at the RIS)
    Case("of2-short-of-ris", (3, 7, 9.5), 20, dict(),
         (5.66966960169, 3.61279354244, 3.06303382665, 1.96660544723), None, None),
    # run(c(4), 10, sided = 2, alpha = 0.05, typeOfDesign = "asOF")
    Case("one-look", (4,), 10, dict(), (3.35686935609, 1.96226819605), None, None),
    # bounds(c(0.125, 0.25, 0.5, 0.75, 1)) of RECURSION below (two looks beyond the RIS share
    # its final boundary). rpact's run(c(1, 2, 4, 6, 9, 11), 8, ...) gives 4.33264221996 at the
    # second look, 5.8e-6 off: the root of
    # 2 * integrate(dnorm(z) * pnorm((r z - c) / sqrt(1 - r^2)), -c1, c1, rel.tol = 1e-14)
    # = increment, r = sqrt(1/2), is 4.33263639616.
    Case("six-looks-two-capped", (1, 2, 4, 6, 9, 11), 8, dict(),
         (6.23197450389, 4.33263639616, 2.96313160116, 2.35904428562, 2.01409014403),
         None, None),
    # run(c(2, 5, 8), 10.5, sided = 1, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF",
    #     typeBetaSpending = "bsOF", bindingFutility = FALSE)
    Case("of1-futility-nonbinding", (2, 5, 8), 10.5,
         dict(sided=1, alpha=0.025, beta=0.1, beta_spending="bsOF"),
         (5.00377112448, 3.04544729739, 2.33179359883, 2.01674026996),
         (-2.11885839098, 0.211368440185, 1.34260731144), 3.37561867936),
    # run(c(2, 5, 8), 10.5, sided = 1, alpha = 0.025, beta = 0.1, typeOfDesign = "asOF",
    #     typeBetaSpending = "bsOF", bindingFutility = TRUE)
    Case("of1-futility-binding", (2, 5, 8), 10.5,
         dict(sided=1, alpha=0.025, beta=0.1, beta_spending="bsOF", binding=True),
         (5.00377112448, 3.04544728249, 2.33127184957, 1.9628809616),
         (-2.13988537927, 0.178121858742, 1.30053504137), 3.32743979047),
    # run(c(3, 6, 14), 12, sided = 2, alpha = 0.05, typeOfDesign = "asP")
    Case("pocock-beyond-ris", (3, 6, 14), 12, dict(alpha_spending="asP"),
         (2.36832770352, 2.36752428859, 2.22608079761), None, None),
    # run(c(3, 6, 9), 12, sided = 2, alpha = 0.05, typeOfDesign = "asHSD", gammaA = -4)
    Case("hsd-short-of-ris", (3, 6, 9), 12, dict(alpha_spending="asHSD", gamma_a=-4.0),
         (3.15537303266, 2.8183471486, 2.43913180381, 2.01364716142), None, None),
    # run(c(5, 13, 20), 18, sided = 1, alpha = 0.025, beta = 0.2, typeOfDesign = "asKD",
    #     gammaA = 3, typeBetaSpending = "bsKD", gammaB = 2, bindingFutility = FALSE)
    Case("kd1-futility-beyond-ris", (5, 13, 20), 18,
         dict(sided=1, alpha=0.025, beta=0.2, alpha_spending="asKD", gamma_a=3.0,
              beta_spending="bsKD", gamma_b=2.0),
         (3.27100147221, 2.36132647842, 2.0182294175), (-0.626877896766, 1.18076647772),
         2.90665422962),
]


def _design_index(information, ris):
    t = np.minimum(np.asarray(information, float) / ris, 1.0)
    distinct = list(dict.fromkeys(t.tolist()))
    return np.searchsorted(np.array(distinct + ([1.0] if distinct[-1] < 1 else [])), t)


@pytest.mark.parametrize("case", RPACT, ids=[c.name for c in RPACT])
def test_boundaries_match_rpact(case):
    b = tsa_boundaries(case.information, case.ris, **case.kwargs)
    index = _design_index(case.information, case.ris)
    critical = np.array(case.critical)
    np.testing.assert_allclose(b.critical_values, critical[index], atol=TOL, rtol=0)
    assert b.final_critical_value == pytest.approx(critical[-1], abs=TOL)
    if case.futility is None:
        assert np.all(np.isnan(b.futility_bounds)) and b.drift is None
        return
    futility = np.append(case.futility, np.nan)[index]
    np.testing.assert_allclose(b.futility_bounds, futility, atol=TOL, rtol=0)
    assert b.drift == pytest.approx(case.drift, abs=TOL)


# The two-sided inner wedge, solved independently in R by mvtnorm (Miwa, exact to ~1e-10):
#   prob(t, c, a, k, lo, hi, theta) = P(a_j < |Z_j| < c_j for j < k, lo < Z_k < hi), a sum of
#     pmvnorm rectangles, Z ~ N(theta sqrt(t), sqrt(t_min / t_max)), algorithm = Miwa(steps = 4097);
#   wedge(theta): for each look, c_k from rpact's two-sided asOF design (non-binding) or
#     uniroot(prob(.., c, Inf, 0) + prob(.., -Inf, -c, 0) = increment of
#     4 - 4 Phi(z_{1-a/4} / sqrt t))
#     (binding), then a_k = uniroot(prob(.., -a, a, theta) = increment of
#     2 - 2 Phi(z_{1-b/2}/sqrt t)), tol = 1e-13; power = sum_k P(continue, |Z_k| >= c_k);
#   theta = uniroot(power(theta) = 1 - beta, tol = 1e-11).
WEDGE = [
    # t = (0.3, 0.6, 1), alpha = 0.05, beta = 0.1, non-binding
    ((0.3, 0.6), 1.0, dict(beta=0.1, beta_spending="bsOF"),
     (3.92857254263, 2.66997200996, 1.98102449626), (0.0174601555351, 0.719203548264),
     3.31781153295),
    # the same, binding
    ((0.3, 0.6), 1.0, dict(beta=0.1, beta_spending="bsOF", binding=True),
     (3.92857254263, 2.66987572234, 1.95603655916), (0.0170479887107, 0.701360451277),
     3.29371523537),
    # t = (2, 5, 8, 10.5) / 10.5, alpha = 0.05, beta = 0.2, non-binding
    ((2, 5, 8), 10.5, dict(beta=0.2, beta_spending="bsOF"),
     (5.00377112448, 3.04544729739, 2.33179359883, 2.01674026996),
     (0.00975666077739, 0.550188803968, 1.4394683872), 2.99112424925),
]


@pytest.mark.parametrize("information, ris, kwargs, critical, futility, drift", WEDGE,
                         ids=["wedge-nonbinding", "wedge-binding", "wedge-four-looks"])
def test_two_sided_futility_matches_independent_r_code(information, ris, kwargs, critical,
                                                       futility, drift):
    b = tsa_boundaries(information, ris, sided=2, alpha=0.05, **kwargs)
    k = len(information)
    np.testing.assert_allclose(b.critical_values, critical[:k], atol=TOL, rtol=0)
    assert b.final_critical_value == pytest.approx(critical[-1], abs=TOL)
    np.testing.assert_allclose(b.futility_bounds, futility[:k], atol=TOL, rtol=0)
    assert b.drift == pytest.approx(drift, abs=TOL)


# RECURSION: two-sided asOF bounds by the recursion of Jennison & Turnbull (2000, ch. 19) on a
# fine Simpson grid, written in R from the book (rpact agrees to 2e-6, but not to 1e-6 where two
# looks are close or a look spends ~1e-5):
#   bounds <- function(t, alpha = 0.05) {
#     K <- length(t); cum <- 4 * (1 - pnorm(qnorm(1 - alpha / 4) / sqrt(t))); inc <- diff(c(0, cum))
#     grid <- function(cc) { n <- 2 * ceiling(cc / 0.004); z <- seq(-cc, cc, length.out = n + 1)
#       w <- rep(c(2, 4), length.out = n + 1); w[c(1, n + 1)] <- 1
#       list(z = z, w = w * (z[2] - z[1]) / 3) }
#     c <- numeric(K); c[1] <- qnorm(1 - inc[1] / 2); g <- grid(c[1]); dens <- dnorm(g$z)
#     for (k in seq_len(K)[-1]) {
#       r <- sqrt(t[k - 1] / t[k]); s <- sqrt(1 - r^2)
#       c[k] <- uniroot(function(x) 2 * sum(g$w * dens * pnorm((r * g$z - x) / s)) - inc[k],
#                       c(0.5, 12), tol = 1e-14)$root
#       if (k < K) { ng <- grid(c[k])
#         dens <- vapply(ng$z, function(x) sum(g$w * dens * dnorm((x - r * g$z) / s) / s), 0)
#         g <- ng } }
#     c }
#
# Data set "c" of test_metaanalysis, delta = 0.5, alpha = 0.05, beta = 0.1:
#   ris <- (qnorm(0.975) + qnorm(0.9))^2 / 0.5^2
#   fe <- rma(yi = y, sei = s, method = "FE"); dl <- rma(yi = y, sei = s, method = "DL")
#   hk <- rma(yi = y, sei = s, method = "DL", test = "knha")
#   d2 <- 1 - fe$se^2 / dl$se^2; i2 <- dl$I2 / 100; aris <- ris / (1 - d2 or i2)
#   t <- pmin(cumsum(1 / s^2) / aris, 1); rates <- unique(t) (and 1 if short of it)
#   crit <- bounds(rates) (RECURSION); cK <- crit[match(tail(t, 1), rates)]
#   dl$b + c(-1, 1) * cK * dl$se;  hk$b + c(-1, 1) * qt(pnorm(cK), 7) * hk$se
Y = [0.10, -0.35, -0.52, -1.40, 0.22, -0.80, -0.05, -0.61]
S = [0.30, 0.25, 0.40, 0.55, 0.35, 0.28, 0.20, 0.45]
HETEROGENEITY = {
    "d2": dict(share=0.538388108526, ris=91.0498473329,
               fractions=(0.12203327558, 0.297761192416, 0.366404909929, 0.402712330763,
                          0.492369431189, 0.632458650605, 0.907033520661, 0.96127053203),
               critical=(6.30982128165, 3.94450272157, 3.53980051105, 3.39315986316,
                         3.02057409568, 2.62272165824, 2.11958547898, 2.12683407407),
               ci_z=(-0.670427658167, -0.00121725189082), ci_t=(-0.771231918736, 0.099587008678)),
    "i2": dict(share=0.482878650732, ris=81.2762658228,
               fractions=(0.136707942948, 0.333567380793, 0.410465598701, 0.451139036272,
                          0.551577524968, 0.708512663556, 1, 1),
               critical=(5.94965211525, 3.70888564393, 3.32973507086, 3.19479632982,
                         2.83969971871, 2.46207274202, 2.00507966827, 2.00507966827),
               ci_z=(-0.651272587171, -0.0203723228867), ci_t=(-0.737788793265, 0.0661438832071)),
}


@pytest.mark.parametrize("adjustment", ["d2", "i2"])
def test_heterogeneity_adjusted_tsa_matches_r(adjustment):
    ref = HETEROGENEITY[adjustment]
    fit = meta_analyse(Y, S, method="dl")
    ris = required_information(0.5, alpha=0.05, beta=0.1)
    if adjustment == "d2":
        share = diversity(np.square(S), float(fit.tau2))
        adjusted = diversity_adjusted_ris(ris, share)
    else:
        share = float(fit.i2)
        adjusted = inconsistency_adjusted_ris(ris, share)
    assert share == pytest.approx(ref["share"], abs=TOL)
    assert adjusted == pytest.approx(ref["ris"], abs=TOL)
    for hksj, key in ((False, "ci_z"), (True, "ci_t")):
        tsa = trial_sequential_analysis(Y, S, adjusted, method="dl", hksj=hksj)
        np.testing.assert_allclose(tsa.boundaries.fractions, ref["fractions"], atol=TOL, rtol=0)
        np.testing.assert_allclose(tsa.boundaries.critical_values, ref["critical"], atol=TOL,
                                   rtol=0)
        np.testing.assert_allclose(tsa.adjusted_ci, ref[key], atol=TOL, rtol=0)


def test_diversity_and_inconsistency_are_distinct_and_match_metafor():
    # rma(yi = y, sei = s, method = m) for set "a": 1 - fe$se^2 / f$se^2 and f$I2 / 100
    y, s = [-1.2, -0.4, -2.1, 0.3, -0.9], [0.5, 0.7, 0.9, 0.6, 0.4]
    for method, d2, i2 in (("dl", 0.439445877241, 0.382378031539),
                           ("reml", 0.37158974886, 0.314910341344)):
        fit = meta_analyse(y, s, method=method)
        assert diversity(np.square(s), float(fit.tau2)) == pytest.approx(d2, abs=1e-6)
        assert float(fit.i2) == pytest.approx(i2, abs=1e-6)
        assert diversity_adjusted_ris(10.0, d2) > inconsistency_adjusted_ris(10.0, i2)


def test_required_information_sizes_match_the_formulas_in_r():
    # (qnorm(0.975) + qnorm(0.9))^2 / 0.5^2; (qnorm(0.99) + qnorm(0.8))^2 / (-1.2)^2;
    # 4 * 2.5^2 * (qnorm(0.975) + qnorm(0.9))^2 / 1
    assert required_information(0.5) == pytest.approx(42.0296922458, abs=TOL)
    assert required_information(-1.2, alpha=0.02, beta=0.2) == pytest.approx(6.96946407416,
                                                                               abs=TOL)
    assert required_participants(1.0, 2.5) == pytest.approx(262.685576536, abs=TOL)
    assert required_information(0.5, alpha=0.025, sided=1) == pytest.approx(42.0296922458,
                                                                              abs=TOL)


# bin <- function(pc, rrr, alpha = 0.05, beta = 0.1, sided = 2) {
#   z <- qnorm(1 - alpha / sided) + qnorm(1 - beta); pe <- pc * (1 - rrr); pbar <- (pc + pe) / 2
#   c(4 * z^2 * pbar * (1 - pbar) / (pc - pe)^2, z^2 / log(1 - rrr)^2) }
BINARY = [
    # bin(0.2, 0.2, 0.05, 0.2); bin(0.1, 0.1); bin(0.6, -0.5, 0.025, 0.1, 1)
    ((0.2, 0.2), dict(alpha=0.05, beta=0.2), (2896.23662197, 157.630042795)),
    ((0.1, 0.1), dict(), (36135.0279083, 946.543208327)),
    ((0.6, -0.5), dict(alpha=0.025, beta=0.1, sided=1), (87.5618588453, 63.9130059748)),
]


@pytest.mark.parametrize("args, kwargs, expected", BINARY)
def test_binary_information_size_matches_the_tsa_manual_formula_in_r(args, kwargs, expected):
    size = binary_information_size(*args, **kwargs)
    assert size.participants == pytest.approx(expected[0], abs=TOL)
    assert size.information == pytest.approx(expected[1], abs=TOL)
    assert size.active_risk == pytest.approx(args[0] * (1 - args[1]))


def test_binary_information_size_needs_a_feasible_active_risk():
    with pytest.raises(ScenarioError, match=r"relative_risk_reduction = -1.5: with "
                                            r"control_risk = 0.5 the active risk"):
        binary_information_size(0.5, -1.5)
    with pytest.raises(ScenarioError, match="relative_risk_reduction = 0.0: must not be 0"):
        binary_information_size(0.5, 0.0)
    with pytest.raises(ScenarioError, match=r"control_risk = 1.2: must be a risk in \(0, 1\)"):
        binary_information_size(1.2, 0.2)
    with pytest.raises(ScenarioError, match="d2 = 1.0: must be a proportion in"):
        diversity_adjusted_ris(10.0, 1.0)


def test_looks_beyond_the_ris_keep_the_final_boundary_and_spend_all_alpha():
    b = tsa_boundaries((1, 2, 4, 6, 9, 11), 8.0)
    assert b.fractions.tolist()[-2:] == [1.0, 1.0]
    assert b.critical_values[-1] == b.critical_values[-2] == b.final_critical_value
    assert b.alpha_spent[-1] == pytest.approx(0.05)


@pytest.mark.statistical
def test_type_one_error_of_the_boundaries_by_simulation():
    # Under H0 the cumulative Z at fractions t is a Brownian motion W(t) / sqrt(t).
    information = (1.5, 3.0, 6.5, 9.0, 14.0)
    b = tsa_boundaries(information, 10.0)
    t = b.fractions
    rng = np.random.default_rng(20240611)
    n = 400_000
    steps = np.diff(np.concatenate([[0.0], np.unique(t)]))
    w = np.cumsum(rng.standard_normal((n, steps.size)) * np.sqrt(steps), axis=1)
    z = (w / np.sqrt(np.unique(t)))[:, np.searchsorted(np.unique(t), t)]
    rate = np.mean(np.any(np.abs(z) >= b.critical_values, axis=1))
    se = math.sqrt(0.05 * 0.95 / n)
    assert abs(rate - 0.05) < 4 * se


def test_t_scale_boundary_is_never_more_lenient_than_the_plain_t_interval():
    b = tsa_boundaries((2.0, 5.0, 8.0, 12.0), 10.5)
    for df in (1, 2, 4, 9, 30):
        crit_t = boundary_quantile(b.critical_values, df)
        assert np.all(crit_t >= stats.t.ppf(0.975, df) - 1e-12)
        assert np.all(crit_t >= b.critical_values)
    lo, hi = tsa_adjusted_ci(-0.5, 0.2, b.critical_values[-1], df=4)
    assert lo <= -0.5 - stats.t.ppf(0.975, 4) * 0.2 and hi >= -0.5 + stats.t.ppf(0.975, 4) * 0.2


def test_cumulative_analysis_crossing_and_random_information():
    tsa = trial_sequential_analysis([-1.2, -0.4, -2.1, 0.3, -0.9], [0.5, 0.7, 0.9, 0.6, 0.4],
                                    18.0)
    assert tsa.crossed == ("", "", "", "", "benefit") and tsa.first_crossing == 4
    flipped = trial_sequential_analysis([1.2, 0.4, 2.1, -0.3, 0.9], [0.5, 0.7, 0.9, 0.6, 0.4],
                                        18.0)
    assert flipped.crossed[-1] == "harm"
    d = tsa.to_dict()
    assert d["crossed"][-1] == "benefit" and d["boundaries"]["required_information"] == 18.0
    assert d["first_crossing"] == 4 and len(d["statistic"]) == 5
    with pytest.raises(ScenarioError, match="information = 'random': the random-effects "
                                            "information"):
        trial_sequential_analysis([0.0, 3.0], [0.3, 0.3], 18.0, information="random")


@pytest.mark.parametrize("kwargs, message", [
    (dict(information=(3, 2)), r"information = \(3, 2\): must be one or more finite"),
    (dict(required_information=0.0), r"required_information = 0.0: must be a finite number"),
    (dict(alpha_spending="asUser"), r"alpha_spending = 'asUser': must be one of asOF"),
    (dict(beta_spending="asOF"), r"beta_spending = 'asOF': must be None or one of bsOF"),
    (dict(alpha=0.6, sided=1), r"alpha = 0.6: must be a number in \(0, 0.5\)"),
    (dict(alpha_spending="asKD"), r"gamma_a = None: 'asKD' needs a finite number > 0"),
    (dict(sided=3), "sided = 3: must be 1 or 2"),
])
def test_invalid_arguments_are_named(kwargs, message):
    args = dict(information=(2.0, 5.0), required_information=10.0)
    args.update(kwargs)
    with pytest.raises(ScenarioError, match=message):
        tsa_boundaries(args.pop("information"), args.pop("required_information"), **args)
