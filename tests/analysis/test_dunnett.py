"""Dunnett's critical values: solved to 1e-8 against R's mvtnorm, and interpolated over df."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from simulator.analysis import dunnett
from simulator.analysis.multiplicity import dunnett_critical, dunnett_criticals

# The reference: R 4 with mvtnorm 1.1-3, Genz's TVPACK (a deterministic
# algorithm for two and three dimensions, abseps 1e-14), the two-sided
# probability by inclusion-exclusion over the 2^k orthants, solved by uniroot
# to 1e-13. The R code:
#
# library(mvtnorm)
# crit <- function(n0, na, df, alpha=0.05, sided=2) {
#   lam <- 1/sqrt(1 + n0/na); k <- length(na)
#   R <- outer(lam, lam); diag(R) <- 1
#   f <- function(c) {
#     up <- function(u) if (is.infinite(df)) pmvnorm(upper=u, corr=R, algorithm=TVPACK(abseps=1e-14))
#                       else pmvt(upper=u, corr=R, df=df, algorithm=TVPACK(abseps=1e-14))
#     if (sided == 1) return(as.numeric(up(rep(c, k))) - (1 - alpha))
#     p <- 0
#     for (m in 0:(2^k - 1)) {
#       neg <- bitwAnd(m, 2^(0:(k-1))) > 0
#       p <- p + (-1)^sum(neg) * as.numeric(up(ifelse(neg, -c, c)))
#     }
#     p - (1 - alpha)
#   }
#   uniroot(f, c(0.5, 200), tol=1e-13)$root
# }
# cases <- list(
#  list(10, c(10,10), 5), list(10, c(10,10), 10), list(10, c(10,10), 24), list(10, c(10,10), 60),
#  list(10, c(10,10), 200), list(10, c(10,10), 1000), list(10, c(10,10), Inf),
#  list(10, c(10,10,10), 20), list(10, c(10,10,10), 100), list(10, c(10,10,10), Inf),
#  list(20, c(10,15,30), 71), list(12, c(24,24), 57), list(4, c(40,40), 30), list(40, c(4,4), 30),
#  list(10, c(10,10), 3), list(10, c(10,10), 1), list(10, c(10,10), 2))
# for (cs in cases) for (sided in c(2,1)) {
#   r <- crit(cs[[1]], cs[[2]], cs[[3]], 0.05, sided)
#   cat(sprintf("(%s, [%s], %s, 0.05, %d, %.9f),\n", cs[[1]], paste(cs[[2]], collapse=", "), cs[[3]], sided, r))
# }
# r <- crit(10, c(10,10), 30, 0.01, 2); cat(sprintf("(10, [10, 10], 30, 0.01, 2, %.9f),\n", r))
#
# (n_reference, n_active, df, alpha, sided, critical value)
R_MVTNORM = [
    (10, [10, 10], 5, 0.05, 2, 3.030235947),
    (10, [10, 10], 5, 0.05, 1, 2.440378640),
    (10, [10, 10], 10, 0.05, 2, 2.568338876),
    (10, [10, 10], 10, 0.05, 1, 2.150613827),
    (10, [10, 10], 24, 0.05, 2, 2.349407777),
    (10, [10, 10], 24, 0.05, 1, 2.008004553),
    (10, [10, 10], 60, 0.05, 2, 2.265266965),
    (10, [10, 10], 60, 0.05, 1, 1.952047063),
    (10, [10, 10], 200, 0.05, 2, 2.227829388),
    (10, [10, 10], 200, 0.05, 1, 1.926916748),
    (10, [10, 10], 1000, 0.05, 2, 2.215251842),
    (10, [10, 10], 1000, 0.05, 1, 1.918440119),
    (10, [10, 10], math.inf, 0.05, 2, 2.212127747),
    (10, [10, 10], math.inf, 0.05, 1, 1.916331945),
    (10, [10, 10, 10], 20, 0.05, 2, 2.540349610),
    (10, [10, 10, 10], 20, 0.05, 1, 2.192283462),
    (10, [10, 10, 10], 100, 0.05, 2, 2.385226645),
    (10, [10, 10, 10], 100, 0.05, 1, 2.087004905),
    (10, [10, 10, 10], math.inf, 0.05, 2, 2.348970590),
    (10, [10, 10, 10], math.inf, 0.05, 1, 2.062083933),
    (20, [10, 15, 30], 71, 0.05, 2, 2.409481346),
    (20, [10, 15, 30], 71, 0.05, 1, 2.108931134),
    (12, [24, 24], 57, 0.05, 2, 2.240806779),
    (12, [24, 24], 57, 0.05, 1, 1.921413819),
    (4, [40, 40], 30, 0.05, 2, 2.197135607),
    (4, [40, 40], 30, 0.05, 1, 1.853143819),
    (40, [4, 4], 30, 0.05, 2, 2.349423373),
    (40, [4, 4], 30, 0.05, 1, 2.029709276),
    (10, [10, 10], 3, 0.05, 2, 3.866509902),
    (10, [10, 10], 3, 0.05, 1, 2.938315055),
    (10, [10, 10], 1, 0.05, 2, 17.369448455),
    (10, [10, 10], 1, 0.05, 1, 9.509978125),
    (10, [10, 10], 2, 0.05, 2, 5.417852786),
    (10, [10, 10], 2, 0.05, 1, 3.804453178),
    (10, [10, 10], 30, 0.01, 2, 3.008611586),
]


def _lambdas(n0, active):
    return tuple(round(1.0 / math.sqrt(1.0 + n0 / n), 12) for n in active)


@pytest.mark.parametrize("n0, active, df, alpha, sided, value", R_MVTNORM)
def test_critical_values_match_r_mvtnorm_to_1e8(n0, active, df, alpha, sided, value):
    assert abs(dunnett_critical(n0, active, df, alpha, sided) - value) < 1e-8
    assert abs(dunnett.critical(_lambdas(n0, active), float(df), alpha, sided) - value) < 1e-8


@pytest.mark.parametrize("n0, active, sided", [(10, [10, 10], 2), (10, [10, 10, 10], 1),
                                               (4, [40, 40], 2), (20, [10, 15, 30], 2)])
def test_interpolation_over_df_agrees_with_the_solved_values_to_1e9(n0, active, sided):
    lam = _lambdas(n0, active)
    rng = np.random.default_rng(5)
    df = np.concatenate([np.exp(rng.uniform(np.log(8), np.log(1e6), 12)),
                         rng.integers(8, 3000, 12), [8.0, 16.0, 1024.0, 3e7, 1e9, np.inf]])
    got = dunnett_criticals(n0, active, df, 0.05, sided)
    want = [dunnett.critical(lam, float(d), 0.05, sided) for d in df]
    assert np.max(np.abs(got - want)) < 1e-9


def test_coverage_matches_an_adaptive_quadrature_of_the_one_factor_integral():
    """A second, independent quadrature (QUADPACK, adaptive) of the same integral."""
    lam, c, df = (0.5, 0.8), 2.3, 7.0
    a = [math.sqrt(1 - x * x) for x in lam]

    def phi(x):
        return 0.5 * math.erfc(-x / math.sqrt(2))

    def inner(z, s):
        p = math.prod(phi((c * s + x * z) / b) - phi((-c * s + x * z) / b)
                      for x, b in zip(lam, a))
        return p * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)

    def outer(s):
        dens = 2 * df * s * stats.chi2.pdf(df * s * s, df)
        return dens * integrate.quad(inner, -9, 9, args=(s,), epsabs=1e-13)[0]

    want = integrate.quad(outer, 0, 6, epsabs=1e-13, limit=200)[0]
    assert abs(dunnett.coverage(c, lam, df, 2) - want) < 1e-10


def test_the_coarse_rule_agrees_with_the_fine_rule_from_df_8():
    """From df = 8 the scale s has the coarser Gauss-Legendre rule: its coverage agrees
    with the finer rule's to 1e-10 (the coverage's slope in c is about 0.1 there, so the
    critical values to about 1e-9)."""
    lam = _lambdas(10, [10, 10, 10])
    for df in (8.0, 9.5, 40.0, 1e4):
        fine = dunnett._RULES[True]
        coarse_nodes = dunnett._scale_nodes(df)
        dunnett._RULES[False], saved = fine, dunnett._RULES[False]
        dunnett._scale_nodes.cache_clear()
        try:
            fine_cov = dunnett.coverage(2.4, lam, df, 2)
        finally:
            dunnett._RULES[False] = saved
            dunnett._scale_nodes.cache_clear()
        assert len(dunnett._scale_nodes(df)[0]) == len(coarse_nodes[0])
        assert abs(dunnett.coverage(2.4, lam, df, 2) - fine_cov) < 1e-10


@pytest.mark.parametrize("sided", [1, 2])
@pytest.mark.parametrize("df", [12.0, 150.0, math.inf])
def test_any_rejection_of_one_comparison_is_the_noncentral_t_power(sided, df):
    """One comparison: P(reject) of a noncentral t (scipy's nct, or the normal at df = inf)."""
    c, shift = 2.1, 1.7
    if math.isinf(df):
        want = stats.norm.sf(c - shift) + (stats.norm.cdf(-c - shift) if sided == 2 else 0)
    else:
        want = stats.nct.sf(c, df, shift) + (stats.nct.cdf(-c, df, shift) if sided == 2 else 0)
    assert abs(dunnett.any_rejection(c, (0.6,), [shift], df, sided) - want) < 1e-10


def test_any_rejection_without_shifts_is_one_minus_the_coverage():
    lam = _lambdas(20, [10, 15, 30])
    for sided in (1, 2):
        got = dunnett.any_rejection(2.3, lam, [0.0, 0.0, 0.0], 40.0, sided)
        assert abs(got - (1 - dunnett.coverage(2.3, lam, 40.0, sided))) < 1e-12
