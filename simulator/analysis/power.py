"""Closed-form power on numbers: the independent reference beside every simulation.

* t-tests: the noncentral t (``scipy.stats.nct``), Student df, or Welch-
  Satterthwaite df for Welch's test (an approximation).
* ANCOVA: conditional on the baselines the t statistic is noncentral t with
  ``n0 + n1 - 3`` df and noncentrality ``delta / (sigma_e sqrt(1/n0 + 1/n1 +
  dx^2 / Sxx))``, ``sigma_e = sd sqrt(1 - r^2)``. With normal baselines
  ``dx^2 / Sxx = (1/n0 + 1/n1) F / (n0 + n1 - 2)``, ``F ~ F(1, n0 + n1 - 2)``,
  so the exact power is a one-dimensional integral over F (Gauss-Legendre on
  its quantile scale, substituted to handle the heavy tail). The common shortcut, the t-test power with variance
  factor ``1 - r^2``, is slightly higher.
* two proportions: normal approximation.
* risk ratio of an adverse event: exact, by enumerating both binomial counts.
* random completers (dropout): the power is averaged over the binomial
  numbers of completers in each arm (every pair of counts; a spline over a
  sub-grid of them where the supports are large, within 2e-8).

The noncentral t's tail is ``1 - scipy.special.nctdtr`` (a ufunc, about 25x
faster than ``scipy.stats.nct.sf`` per call), with ``stats.nct.sf`` where
``nctdtr`` returns NaN (far in its lower tail); quantiles of t and F come
from ``scipy.special`` too.
"""

from __future__ import annotations

import math

import numpy as np

from .._lazy import special, stats
from ..checks import check_flags
from .estimates import decide
from .power_inputs import check_count, check_number, check_sizes, check_test
from .twosample import log_risk_ratio, two_proportions

__all__ = [
    "nct_sf",
    "directed_power",
    "t_test_power",
    "ancova_power",
    "two_proportion_power",
    "two_proportion_accuracy",
    "binomial_support",
    "harm_detection_probability",
    "average_over_completers",
]

_TAIL = 1e-7  # binomial mass left out when averaging power over completers
_TAIL_EXACT = 1e-13  # ... and when enumerating adverse-event counts
# Gauss-Legendre on the F-quantile scale u, with u = 1 - (1 - v)^3 to crowd
# nodes where F grows without bound (u -> 1): 16 nodes give ~1e-9.
_v, _w = np.polynomial.legendre.leggauss(16)
_v = 0.5 * (_v + 1.0)
_GL_U = 1.0 - (1.0 - _v) ** 3
_GL_W = 0.5 * _w * 3.0 * (1.0 - _v) ** 2


def nct_sf(t, df, ncp):
    """P(T > t) for T ~ noncentral t(df, ncp).

    ``1 - nctdtr``; where that is NaN (far in the lower tail, the trap of
    ``nct.cdf``), ``scipy.stats.nct.sf``.

    Examples
    --------
    >>> round(float(nct_sf(1.96, 198.0, 2.828)), 6)
    0.806834
    """
    out = 1.0 - special.nctdtr(df, ncp, t)
    bad = np.isnan(out)
    if np.any(bad):
        t, df, ncp = np.broadcast_arrays(t, df, ncp)
        out = np.where(bad, stats.nct.sf(t, df, ncp), out)
    return out


def directed_power(ncp, df, crit, sided: int, benefit_sign: int, direction: str = "any"):
    """P(reject) for a statistic ~ noncentral t(df, ncp), critical value crit.

    ``direction="benefit"`` counts only rejections in the benefit direction.
    """
    if sided == 2 and direction == "any":
        # P(T > c) + P(T < -c) = sf(c; ncp) + sf(c; -ncp)
        return nct_sf(crit, df, ncp) + nct_sf(crit, df, -ncp)
    return nct_sf(crit, df, benefit_sign * ncp)


def t_test_power(delta, sd, n0, n1, *, alpha=0.05, sided=2, benefit_sign=-1, welch=False,
                 direction="any"):
    """Power of the two-sample t-test (noncentral t), vectorized over n.

    Parameters
    ----------
    delta : float
        True difference in means (active minus placebo).
    sd : float
        Common standard deviation.
    n0, n1 : array_like
        Patients analysed per arm.
    alpha, sided, benefit_sign
        As in :func:`simulator.analysis.decide`.
    welch : bool
        Use Welch-Satterthwaite degrees of freedom (equal true variances).
    direction : {"any", "benefit"}
        Count rejections in either direction (two-sided test), or only those
        in the benefit direction.

    Examples
    --------
    >>> round(float(t_test_power(1.0, 2.5, 100, 100)), 4)
    0.8036
    """
    check_test(alpha, sided, benefit_sign, direction)
    _check_effect(delta, sd)
    check_flags(welch=welch)
    check_sizes(n0, n1, least=2.0 if welch else 1.0, df_lost=2.0)
    n0 = np.asarray(n0, float)
    n1 = np.asarray(n1, float)
    inv = 1.0 / n0 + 1.0 / n1
    if welch:
        df = inv**2 / (1.0 / (n0**2 * (n0 - 1.0)) + 1.0 / (n1**2 * (n1 - 1.0)))
    else:
        df = n0 + n1 - 2.0
    ncp = delta / (sd * np.sqrt(inv))
    crit = special.stdtrit(df, 1.0 - alpha / sided)
    return directed_power(ncp, df, crit, sided, benefit_sign, direction)


def ancova_power(delta, sd, r, n0, n1, *, alpha=0.05, sided=2, benefit_sign=-1, direction="any"):
    """Exact power of ANCOVA on a normal baseline, vectorized over n.

    Integrates the conditional noncentral-t power over the baseline
    imbalance ``F ~ F(1, n0 + n1 - 2)`` (see the module notes).
    """
    check_test(alpha, sided, benefit_sign, direction)
    _check_effect(delta, sd)
    check_number("r", r, -1.0, 1.0, closed=False, what="a correlation in (-1, 1)")
    check_sizes(n0, n1, least=1.0, df_lost=3.0)
    delta, n0, n1 = (np.asarray(a, float)[..., None]
                     for a in np.broadcast_arrays(delta, np.asarray(n0, float), n1))
    df = n0 + n1 - 3.0
    ncp0 = delta / (sd * math.sqrt(1.0 - r * r) * np.sqrt(1.0 / n0 + 1.0 / n1))
    f = special.fdtri(1.0, n0 + n1 - 2.0, _GL_U)
    ncp = ncp0 / np.sqrt(1.0 + f / (n0 + n1 - 2.0))
    crit = special.stdtrit(df, 1.0 - alpha / sided)
    return np.sum(_GL_W * directed_power(ncp, df, crit, sided, benefit_sign, direction),
                  axis=-1)


def two_proportion_power(p0, p1, n0, n1, *, alpha=0.05, sided=2, benefit_sign=1,
                         direction="any", continuity=False):
    """Power of the pooled two-proportion z-test, normal approximation.

    ``continuity``: of Yates' continuity-corrected test, which rejects when
    ``|d| - (1/n0 + 1/n1) / 2`` exceeds ``z`` times the pooled SE. Rates of
    0 or 1 in both arms make the difference certain (its SE 0): it rejects
    always or never.
    """
    check_test(alpha, sided, benefit_sign, direction)
    for name, p in (("p0", p0), ("p1", p1)):
        check_number(name, p, 0.0, 1.0, what="a probability in [0, 1]")
    check_sizes(n0, n1, least=1.0, df_lost=1.0)
    check_flags(continuity=continuity)
    n0 = np.asarray(n0, float)
    n1 = np.asarray(n1, float)
    z = stats.norm.ppf(1.0 - alpha / sided)
    pbar = (n0 * p0 + n1 * p1) / (n0 + n1)
    se0 = np.sqrt(pbar * (1 - pbar) * (1 / n0 + 1 / n1))
    se1 = np.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
    cc = 0.5 * (1 / n0 + 1 / n1) if continuity else 0.0
    d = benefit_sign * (p1 - p0)
    up = _beyond(z * se0 + cc - d, se1)
    if sided == 1 or direction == "benefit":
        return up
    return up + _beyond(z * se0 + cc + d, se1)


def _beyond(gap, se):
    """``P(N(0, se^2) > gap)``, and where ``se`` is 0 whether ``gap < 0`` (certain)."""
    gap, se = np.broadcast_arrays(np.asarray(gap, float), np.asarray(se, float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, stats.norm.sf(gap / np.where(se > 0, se, 1.0)),
                        (gap < 0).astype(float))


def _check_effect(delta, sd) -> None:
    check_number("delta", delta)
    check_number("sd", sd, 0.0, np.inf, closed=False, what="a finite number > 0")


def two_proportion_accuracy(p0, p1, m0: int, m1: int, *, alpha=0.05, sided=2,
                            continuity=False) -> tuple[float, float]:
    """Exact type I error and CI coverage of the two-proportion z-test at fixed arm sizes.

    Every pair of responder counts of ``Binomial(m0, p)`` and ``Binomial(m1, p)``
    is enumerated: the type I error at ``p = p0`` in both arms (the test of
    :func:`~simulator.analysis.twosample.two_proportions`, at its ``1 - alpha``
    level), and the coverage of its interval for ``p1 - p0`` at the true
    rates. A sample without spread in both arms (the statistic undefined) never
    rejects, and its interval (of width 0 without ``continuity``) covers only a
    difference of 0.

    Returns
    -------
    size, coverage : float
    """
    def decided(q0, q1):  # the simulation's decision on every pair of counts, and weights
        (a0, w0), (a1, w1) = (binomial_support(m, q, _TAIL_EXACT) for m, q in
                              ((m0, q0), (m1, q1)))
        A0, A1 = np.meshgrid(a0, a1, indexing="ij")
        est = two_proportions(A0, m0, A1, m1, continuity=continuity)
        return decide(est, alpha=alpha, sided=sided, benefit_sign=1), np.outer(w0, w1)

    d, w = decided(p0, p0)
    size = float(np.sum(w * d.reject))
    d, w = decided(p0, p1)
    covered = (d.ci_low <= p1 - p0) & (p1 - p0 <= d.ci_high)
    return _probability(size), _probability(np.sum(w * covered))


def binomial_support(n: int, p: float, tail: float = _TAIL) -> tuple[np.ndarray, np.ndarray]:
    """Values of Binomial(n, p) holding all but about ``tail`` of the mass, and pmf.

    When ``n p`` (or ``n (1 - p)``) is below ``tail``, one value holds all but
    less than ``tail`` of the mass (P(X > 0) <= n p): it is the support (a
    probability of 1e-300 would overflow the pmf's beta function).
    """
    if p <= 0.0 or p >= 1.0 or n * p < tail or n * (1.0 - p) < tail:
        k = np.array([0 if p <= 0.5 else n])
        return k, np.ones(1)
    lo = int(stats.binom.ppf(tail, n, p))
    hi = int(stats.binom.isf(tail, n, p))
    k = np.arange(max(lo, 0), min(hi, n) + 1)
    pmf = stats.binom.pmf(k, n, p)
    return k, pmf / pmf.sum()


def harm_detection_probability(p0, p1, n0, n1, *, alpha=0.05, sided=2):
    """Exact probability that the log-risk-ratio test detects harm.

    Enumerates every pair of event counts ``(a0, a1)`` of the two binomials
    and applies the same decision the simulation applies.
    """
    check_test(alpha, sided)
    for name, p in (("p0", p0), ("p1", p1)):
        check_number(name, p, 0.0, 1.0, what="a probability in [0, 1]")
    for name, n in (("n0", n0), ("n1", n1)):
        check_count(name, n)
    a0, w0 = binomial_support(n0, p0, _TAIL_EXACT)
    a1, w1 = binomial_support(n1, p1, _TAIL_EXACT)
    A0, A1 = np.meshgrid(a0, a1, indexing="ij")
    est = log_risk_ratio(A1, n1, A0, n0)
    harm = decide(est, alpha=alpha, sided=sided, benefit_sign=1).reject_benefit
    return _probability(np.sum(np.outer(w0, w1) * harm))


#: Support points per arm beyond which the power is interpolated (see below).
SPLINE_POINTS = 33


def average_over_completers(power_at, sizes, keep, *, exact: bool = False,
                            min_arm: int = 2, df_lost: int | None = None):
    """E[power(m0, m1)] over independent binomial completers.

    Every pair of completer counts in the binomials' supports (all but 1e-7
    of their mass) is weighted by its probability; a pair the analysis
    cannot analyse counts 0, as the simulation counts such a trial: an arm
    with fewer than ``min_arm`` patients, or (with ``df_lost``, the
    parameters the test estimates) fewer than one residual df,
    ``m0 + m1 - df_lost < 1``. Student's t and the change score analyse an
    arm of one (``min_arm=1, df_lost=2``), ANCOVA too (``df_lost=3``),
    Welch's t needs two per arm. Where a support has more
    than ``SPLINE_POINTS`` values (a few hundred patients or more), the power
    is computed on ``SPLINE_POINTS`` evenly spaced counts per arm and carried
    to every pair by a bicubic spline: the power is smooth in the counts,
    and the result is within 2e-8 of the full sum (``exact=True``; tested
    up to 2,000 per arm) at a fraction of its cost (the full sum evaluates
    the noncentral t at about 20,000 pairs at 2,000 per arm).
    """
    (m0, w0), (m1, w1) = (binomial_support(n, c) for n, c in zip(sizes, keep))
    lost = 0 if df_lost is None else df_lost

    def analysable(a, b):
        return (a >= min_arm) & (b >= min_arm) & (a + b - lost >= 1)

    if not exact and max(len(m0), len(m1)) > SPLINE_POINTS and min(len(m0), len(m1)) > 3:
        from scipy.interpolate import RectBivariateSpline

        s0, s1 = (np.unique(np.round(np.linspace(m[0], m[-1], min(len(m), SPLINE_POINTS)))
                            ).astype(int) for m in (m0, m1))
        values = _power_on_grid(power_at, s0, s1, analysable)
        spline = RectBivariateSpline(s0, s1, values, kx=3, ky=3)
        return _probability(np.sum(np.outer(w0, w1) * spline(m0, m1)))
    return _probability(np.sum(np.outer(w0, w1) * _power_on_grid(power_at, m0, m1, analysable)))


def _probability(total: float) -> float:
    """A sum of probability-weighted terms, without the rounding that takes it past 1
    (or, with a spline's overshoot, below 0)."""
    return float(min(1.0, max(0.0, total)))


def _power_on_grid(power_at, m0, m1, analysable) -> np.ndarray:
    """``power_at`` on every pair of counts (0 where ``analysable`` is False)."""
    M0, M1 = np.meshgrid(m0, m1, indexing="ij")
    ok = analysable(M0, M1)
    values = np.zeros(M0.shape)
    values[ok] = power_at(M0[ok], M1[ok])
    return values
