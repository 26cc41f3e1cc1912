"""Two-sample tests from summary statistics, vectorized along the trials axis.

Student and Welch t, closed-form ANCOVA, two proportions and the log risk
ratio. Each takes arrays of per-trial summary statistics and returns
:class:`~simulator.analysis.estimates.TrialEstimates`.
"""

from __future__ import annotations

import numpy as np

from .estimates import TrialEstimates, safe_ratio

__all__ = ["student_t", "welch_t", "ancova", "two_proportions", "log_risk_ratio", "per_size"]


def per_size(n) -> np.ndarray:
    """Patient counts as floats; (trials, sizes) counts that are the same in every trial
    (a view broadcast over the trials) as one row, so that what follows from them is
    worked out once per size.

    Examples
    --------
    >>> per_size(np.broadcast_to([[10.0, 20.0]], (1000, 2))).shape
    (1, 2)
    """
    n = np.asarray(n, float)
    return n[:1] if n.ndim == 2 and n.strides[0] == 0 else n


def student_t(mean_diff, ss_pooled, n0, n1) -> TrialEstimates:
    """Two-sample Student t-test from summary statistics.

    Parameters
    ----------
    mean_diff : array_like
        Difference of arm means (active minus placebo).
    ss_pooled : array_like
        Sum of the two arms' within-arm sums of squared deviations.
    n0, n1 : array_like
        Patients analysed in each arm.
    """
    n0, n1 = per_size(n0), per_size(n1)
    df = n0 + n1 - 2.0
    ok = (n0 >= 1) & (n1 >= 1) & (df >= 1)
    shape = np.shape(mean_diff)
    every = (bool(ok.all()) and np.shape(ss_pooled) == shape
             and (ok.shape == shape or np.broadcast_shapes(ok.shape, shape) == shape))
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(ss_pooled / (df if every else np.where(ok, df, 1.0)) * (1.0 / n0 + 1.0 / n1))
    if every:  # every trial analysable (the usual case): no masking
        return TrialEstimates(estimate=np.asarray(mean_diff, float), se=se,
                              statistic=safe_ratio(mean_diff, se),
                              df=df if df.shape == shape else np.broadcast_to(df, shape))
    estimate = np.where(ok, mean_diff, np.nan)
    return TrialEstimates(estimate=estimate, se=np.where(ok, se, np.nan),
                          statistic=np.where(ok, safe_ratio(mean_diff, se), 0.0),
                          df=np.broadcast_to(np.where(ok, df, 1.0), estimate.shape))


def welch_t(mean_diff, ss0, ss1, n0, n1) -> TrialEstimates:
    """Welch's unequal-variance t-test with Satterthwaite degrees of freedom."""
    n0 = np.asarray(n0, float)
    n1 = np.asarray(n1, float)
    ok = (n0 >= 2) & (n1 >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        v0 = ss0 / (n0 - 1.0) / n0
        v1 = ss1 / (n1 - 1.0) / n1
        var = v0 + v1
        df = var**2 / (v0**2 / (n0 - 1.0) + v1**2 / (n1 - 1.0))
        se = np.sqrt(var)  # NaN where a trial has fewer than 2 patients in an arm (not ok)
    df = np.where(ok & np.isfinite(df), df, 1.0)
    return TrialEstimates(estimate=np.where(ok, mean_diff, np.nan), se=np.where(ok, se, np.nan),
                          statistic=np.where(ok, safe_ratio(mean_diff, se), 0.0), df=df)


def ancova(dx, dy, sxx, sxy, syy, n0, n1) -> TrialEstimates:
    """ANCOVA of follow-up on arm and baseline (common slope), closed form.

    Parameters
    ----------
    dx, dy : array_like
        Differences of arm means of baseline and follow-up (active - placebo).
    sxx, sxy, syy : array_like
        Pooled within-arm scatter: sums over both arms of the centred
        squares and cross-products of baseline ``x`` and follow-up ``y``.
    n0, n1 : array_like
        Patients analysed in each arm.

    Notes
    -----
    The slope is ``b = sxy / sxx``; the adjusted difference is
    ``dy - b dx`` with variance ``s^2 (1/n0 + 1/n1 + dx^2 / sxx)``, where
    ``s^2 = (syy - sxy^2 / sxx) / (n0 + n1 - 3)``: the least-squares fit of
    ``y ~ arm + x``.
    """
    n0 = np.asarray(n0, float)
    n1 = np.asarray(n1, float)
    df = n0 + n1 - 3.0
    ok = (n0 >= 1) & (n1 >= 1) & (df >= 1) & (np.asarray(sxx) > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = sxy / sxx
        estimate = dy - slope * dx
        s2 = np.maximum(syy - slope * sxy, 0.0) / np.where(ok, df, 1.0)
        se = np.sqrt(s2 * (1.0 / n0 + 1.0 / n1 + dx * dx / sxx))
    return TrialEstimates(estimate=np.where(ok, estimate, np.nan), se=np.where(ok, se, np.nan),
                          statistic=np.where(ok, safe_ratio(estimate, se), 0.0),
                          df=np.where(ok, df, 1.0))


def two_proportions(r0, n0, r1, n1, *, continuity: bool = False) -> TrialEstimates:
    """Difference of two proportions: pooled-variance z-test, Wald interval.

    The statistic uses the pooled proportion (the usual test of equal
    proportions, equal to Pearson's chi-square without continuity correction);
    ``se`` is the unpooled standard error, for the confidence interval.
    ``continuity``: Yates' correction, ``c = (1/n0 + 1/n1) / 2``: the
    statistic is ``sign(d) max(|d| - c, 0) / se_pooled`` (its square is the
    corrected chi-square) and the interval ``d -/+ (z se + c)``.

    Examples
    --------
    >>> plain = two_proportions(2, 10, 7, 10)
    >>> corrected = two_proportions(2, 10, 7, 10, continuity=True)
    >>> round(float(plain.statistic), 4), round(float(corrected.statistic), 4)
    (2.2473, 1.7979)
    >>> float(corrected.margin)
    0.1
    """
    n0 = np.asarray(n0, float)
    n1 = np.asarray(n1, float)
    ok = (n0 >= 1) & (n1 >= 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = r0 / n0
        p1 = r1 / n1
        pooled = (r0 + r1) / (n0 + n1)
        se_test = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n0 + 1.0 / n1))
        se = np.sqrt(p0 * (1.0 - p0) / n0 + p1 * (1.0 - p1) / n1)
    diff = p1 - p0
    margin = 0.0
    shrunk = diff
    if continuity:
        with np.errstate(divide="ignore", invalid="ignore"):
            margin = np.where(ok, 0.5 * (1.0 / n0 + 1.0 / n1), 0.0)
        shrunk = np.sign(diff) * np.maximum(np.abs(diff) - margin, 0.0)
    return TrialEstimates(estimate=np.where(ok, diff, np.nan), se=np.where(ok, se, np.nan),
                          statistic=np.where(ok, safe_ratio(shrunk, se_test), 0.0),
                          df=np.full(np.shape(diff), np.inf), margin=margin)


def log_risk_ratio(a1, n1, a0, n0) -> TrialEstimates:
    """Log risk ratio of an event, active (``a1`` of ``n1``) over placebo.

    Wald test and interval on the log scale with
    ``se = sqrt(1/a1 - 1/n1 + 1/a0 - 1/n0)``; when either arm has no events
    (or only events) 0.5 is added to every cell (Haldane-Anscombe).
    """
    a1 = np.asarray(a1, float)
    a0 = np.asarray(a0, float)
    n1 = np.asarray(n1, float) + np.zeros_like(a1)
    n0 = np.asarray(n0, float) + np.zeros_like(a0)
    zero = (a1 == 0) | (a0 == 0) | (a1 == n1) | (a0 == n0)
    c = np.where(zero, 0.5, 0.0)
    a1c, a0c = a1 + c, a0 + c
    n1c, n0c = n1 + 2 * c, n0 + 2 * c
    estimate = np.log(a1c / n1c) - np.log(a0c / n0c)
    se = np.sqrt(1.0 / a1c - 1.0 / n1c + 1.0 / a0c - 1.0 / n0c)
    return TrialEstimates(estimate=estimate, se=se, statistic=safe_ratio(estimate, se),
                          df=np.full(np.shape(estimate), np.inf))
