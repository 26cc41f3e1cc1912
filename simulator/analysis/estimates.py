"""Vectorized tests along the sims axis.

Every function takes arrays of per-trial summary statistics (one entry per
simulated trial) and returns :class:`TrialEstimates`: the estimate, its
standard error, the test statistic and its degrees of freedom, per trial.
:func:`decide` turns them into rejections and confidence intervals. Nothing
here loops over trials; nothing here draws random numbers.

Arm 0 is the reference (placebo) arm and arm 1 the active arm; estimates are
active minus placebo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special, stats

from ..moments import ArmMoments

__all__ = [
    "TrialEstimates",
    "Decisions",
    "student_t",
    "welch_t",
    "ancova",
    "two_proportions",
    "log_risk_ratio",
    "decide",
    "critical_values",
    "ArmMoments",
    "primary_analysis",
    "TrialSample",
    "pooled_comparisons",
    "analyse_arms",
    "split_sizes",
]


@dataclass(frozen=True, slots=True)
class TrialEstimates:
    """Per-trial results of one analysis; every field is an array over trials.

    Attributes
    ----------
    estimate : ndarray
        Point estimate (active minus placebo; a log risk ratio for AEs).
        NaN where the trial cannot be analysed (too few patients).
    se : ndarray
        Standard error of the estimate, for confidence intervals.
    statistic : ndarray
        Test statistic (0 where it is undefined, e.g. no variation at all).
    df : ndarray
        Degrees of freedom of the reference t distribution (``inf`` = normal).
    """

    estimate: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    df: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        """Trials whose estimate is defined."""
        return np.isfinite(self.estimate)

    def pvalues(self, *, sided: int, benefit_sign: int) -> np.ndarray:
        """P-values: two-sided, or one-sided in the benefit direction."""
        stat = np.where(self.valid, self.statistic, 0.0)
        if sided == 2:
            tail = -np.abs(stat)
            return 2.0 * _cdf(tail, self.df)
        return _cdf(-benefit_sign * stat, self.df)


@dataclass(frozen=True, slots=True)
class Decisions:
    """Test decisions and confidence intervals, arrays over trials.

    Attributes
    ----------
    reject : ndarray of bool
        The test rejects the null (either direction when two-sided).
    reject_benefit : ndarray of bool
        It rejects with the estimate in the benefit direction.
    ci_low, ci_high : ndarray
        The matching confidence interval: level ``1 - alpha`` two-sided,
        ``1 - 2 alpha`` for a one-sided test.
    """

    reject: np.ndarray
    reject_benefit: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


def _cdf(x: np.ndarray, df: np.ndarray) -> np.ndarray:
    x, df = np.broadcast_arrays(np.asarray(x, float), np.asarray(df, float))
    return np.where(np.isinf(df), special.ndtr(x), special.stdtr(np.where(np.isinf(df), 1, df), x))


@lru_cache(maxsize=4096)
def _quantile(q: float, df: float) -> float:
    return float(stats.norm.ppf(q) if math.isinf(df) else stats.t.ppf(q, df))


def critical_values(q: float, df: np.ndarray | float) -> np.ndarray:
    """Quantile ``q`` of the t distribution for each ``df`` (``inf`` = normal).

    Degrees of freedom take few distinct values in a simulation, so the
    quantile is computed once per distinct value (and cached).
    """
    df = np.asarray(df, dtype=float)
    if df.ndim == 0:
        return np.asarray(_quantile(float(q), float(df)))
    if df.size and df.min() == df.max():  # no dropout: one df for every trial
        return np.full(df.shape, _quantile(float(q), float(df.flat[0])))
    uniq, inverse = np.unique(df, return_inverse=True)
    finite = np.where(np.isinf(uniq), 1.0, np.maximum(uniq, 1e-300))
    crit = np.where(np.isinf(uniq), stats.norm.ppf(q), stats.t.ppf(q, finite))
    return crit[inverse.reshape(df.shape)]


def decide(est: TrialEstimates, *, alpha: float, sided: int, benefit_sign: int) -> Decisions:
    """Apply the test at level ``alpha``.

    Parameters
    ----------
    est : TrialEstimates
    alpha : float
        Type I error rate.
    sided : {1, 2}
        2: reject when ``|statistic|`` exceeds the ``1 - alpha/2`` quantile;
        1: reject when ``benefit_sign * statistic`` exceeds the ``1 - alpha``
        quantile.
    benefit_sign : {-1, 1}
        Sign of an estimate that favours the active arm (-1 for pain scores,
        +1 for responder proportions and for harm on the log risk ratio).
    """
    crit = critical_values(1.0 - alpha / sided, est.df)
    with np.errstate(invalid="ignore"):
        directed = benefit_sign * est.statistic
        if sided == 2:
            reject = np.abs(est.statistic) > crit
            reject_benefit = reject & (directed > 0)
        else:
            reject = reject_benefit = directed > crit
        half = crit * est.se
    return Decisions(reject=reject & est.valid, reject_benefit=reject_benefit & est.valid,
                     ci_low=est.estimate - half, ci_high=est.estimate + half)


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


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
    n0 = np.asarray(n0, float)
    n1 = np.asarray(n1, float)
    df = n0 + n1 - 2.0
    ok = (n0 >= 1) & (n1 >= 1) & (df >= 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(ss_pooled / np.where(ok, df, 1.0) * (1.0 / n0 + 1.0 / n1))
    estimate = np.where(ok, mean_diff, np.nan)
    return TrialEstimates(estimate=estimate, se=np.where(ok, se, np.nan),
                          statistic=np.where(ok, _safe_ratio(mean_diff, se), 0.0),
                          df=np.where(ok, df, 1.0))


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
    se = np.sqrt(var)
    df = np.where(ok & np.isfinite(df), df, 1.0)
    return TrialEstimates(estimate=np.where(ok, mean_diff, np.nan), se=np.where(ok, se, np.nan),
                          statistic=np.where(ok, _safe_ratio(mean_diff, se), 0.0), df=df)


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
                          statistic=np.where(ok, _safe_ratio(estimate, se), 0.0),
                          df=np.where(ok, df, 1.0))


def two_proportions(r0, n0, r1, n1) -> TrialEstimates:
    """Difference of two proportions: pooled-variance z-test, Wald interval.

    The statistic uses the pooled proportion (the usual test of equal
    proportions, equal to Pearson's chi-square without continuity correction);
    ``se`` is the unpooled standard error, for the confidence interval.
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
    return TrialEstimates(estimate=np.where(ok, diff, np.nan), se=np.where(ok, se, np.nan),
                          statistic=np.where(ok, _safe_ratio(diff, se_test), 0.0),
                          df=np.full(np.shape(diff), np.inf))


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
    return TrialEstimates(estimate=estimate, se=se, statistic=_safe_ratio(estimate, se),
                          df=np.full(np.shape(estimate), np.inf))


def primary_analysis(analysis: str, test: str, arm0: ArmMoments, arm1: ArmMoments) -> TrialEstimates:
    """Dispatch the scenario's primary analysis on per-arm moments.

    Parameters
    ----------
    analysis : {"ancova", "change", "followup", "responder30", "responder50"}
    test : {"student", "welch"}
        Used by the followup and change t-tests.
    arm0, arm1 : ArmMoments
        Placebo and active arm.
    """
    if analysis.startswith("responder"):
        return two_proportions(arm0.responders, arm0.n, arm1.responders, arm1.n)
    if analysis == "ancova":
        return ancova(arm1.mean_x - arm0.mean_x, arm1.mean_y - arm0.mean_y,
                      arm0.cxx + arm1.cxx, arm0.cxy + arm1.cxy, arm0.cyy + arm1.cyy,
                      arm0.n, arm1.n)
    if analysis == "change":
        diff = (arm1.mean_y - arm1.mean_x) - (arm0.mean_y - arm0.mean_x)
        ss0 = arm0.cyy + arm0.cxx - 2 * arm0.cxy
        ss1 = arm1.cyy + arm1.cxx - 2 * arm1.cxy
    else:
        diff = arm1.mean_y - arm0.mean_y
        ss0, ss1 = arm0.cyy, arm1.cyy
    if test == "welch":
        return welch_t(diff, ss0, ss1, arm0.n, arm1.n)
    return student_t(diff, ss0 + ss1, arm0.n, arm1.n)


def pooled_comparisons(analysis: str, arms: list[ArmMoments]) -> list[TrialEstimates]:
    """Each active arm against the reference, with the variance (and, for
    ANCOVA, the slope) pooled over all arms: the many-to-one comparisons of a
    multi-arm trial (Dunnett's setting). Responder analyses compare pairs."""
    ref, active = arms[0], arms[1:]
    if analysis.startswith("responder"):
        return [two_proportions(ref.responders, ref.n, a.responders, a.n) for a in active]
    n = [np.asarray(a.n, float) for a in arms]
    total = sum(n)
    if analysis == "ancova":
        sxx = sum(a.cxx for a in arms)
        sxy = sum(a.cxy for a in arms)
        syy = sum(a.cyy for a in arms)
        df = total - len(arms) - 1.0
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = sxy / sxx
            s2 = np.maximum(syy - slope * sxy, 0.0) / np.where(df >= 1, df, 1.0)
        out = []
        for a, na in zip(active, n[1:]):
            dx, dy = a.mean_x - ref.mean_x, a.mean_y - ref.mean_y
            with np.errstate(divide="ignore", invalid="ignore"):
                est = dy - slope * dx
                se = np.sqrt(s2 * (1.0 / na + 1.0 / n[0] + dx * dx / sxx))
            ok = (na >= 1) & (n[0] >= 1) & (df >= 1) & (sxx > 0)
            out.append(TrialEstimates(estimate=np.where(ok, est, np.nan),
                                      se=np.where(ok, se, np.nan),
                                      statistic=np.where(ok, _safe_ratio(est, se), 0.0),
                                      df=np.where(ok, df, 1.0)))
        return out
    if analysis == "change":
        means = [a.mean_y - a.mean_x for a in arms]
        ss = sum(a.cyy + a.cxx - 2 * a.cxy for a in arms)
    else:
        means = [a.mean_y for a in arms]
        ss = sum(a.cyy for a in arms)
    df = total - len(arms)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = ss / np.where(df >= 1, df, 1.0)
    out = []
    for mean, na in zip(means[1:], n[1:]):
        diff = mean - means[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.sqrt(s2 * (1.0 / na + 1.0 / n[0]))
        ok = (na >= 1) & (n[0] >= 1) & (df >= 1)
        out.append(TrialEstimates(estimate=np.where(ok, diff, np.nan), se=np.where(ok, se, np.nan),
                                  statistic=np.where(ok, _safe_ratio(diff, se), 0.0),
                                  df=np.where(ok, df, 1.0)))
    return out


def analyse_arms(analysis: str, test: str, arms: list[ArmMoments]
                 ) -> tuple[TrialEstimates, list[TrialEstimates] | None]:
    """The primary estimate and, with more than two arms, every comparison.

    Two arms: the scenario's test of active against reference. More arms: the
    pooled many-to-one comparisons; the primary is the last arm's.
    """
    if len(arms) == 2:
        return primary_analysis(analysis, test, arms[0], arms[1]), None
    comparisons = pooled_comparisons(analysis, arms)
    return comparisons[-1], comparisons


@dataclass(frozen=True, slots=True)
class TrialSample:
    """What a data path hands to the engine for one chunk of trials.

    Attributes
    ----------
    primary : TrialEstimates
        The primary pain analysis.
    completers : tuple of ndarray
        Patients with a primary outcome, per arm.
    ae_counts : dict of str to tuple of ndarray
        Patients with each adverse event, per arm (all randomised patients).
    ae_exposed : tuple of ndarray or None
        Exposures behind ``ae_counts`` per treatment (placebo, active) when
        they are not the arm sizes (a crossover's treatment periods).
    comparisons : list of TrialEstimates or None
        Multi-arm: every active arm against the reference (``primary`` is
        the last).
    """

    primary: TrialEstimates
    completers: tuple[np.ndarray, ...]
    ae_counts: dict[str, tuple[np.ndarray, ...]]
    ae_exposed: tuple[np.ndarray, ...] | None = None
    comparisons: list[TrialEstimates] | None = None


def split_sizes(primary: TrialEstimates, comparisons: list[TrialEstimates] | None,
                completers, ae_counts: dict, n_sizes: int,
                ae_exposed=None) -> list[TrialSample]:
    """One TrialSample per size from (trials, sizes) arrays.

    Each array is transposed into one contiguous (sizes, trials) copy, so
    every size gets contiguous rows (views) at the cost of a single copy.
    """
    shape = primary.estimate.shape

    def rows(a):
        a = np.asarray(a)
        return a if a.ndim < 2 else np.ascontiguousarray(np.broadcast_to(a, shape).T)

    def pick(a, g):
        return a if a.ndim < 2 else a[g]

    def estimates(e: TrialEstimates):
        return tuple(rows(x) for x in (e.estimate, e.se, e.statistic, e.df))

    def at(parts, g) -> TrialEstimates:
        return TrialEstimates(*(pick(x, g) for x in parts))

    main = estimates(primary)
    comps = None if comparisons is None else [estimates(c) for c in comparisons]
    done = [rows(c) for c in completers]
    events = {k: [rows(c) for c in v] for k, v in ae_counts.items()}
    exposed = None if ae_exposed is None else [rows(e) for e in ae_exposed]
    return [TrialSample(
        primary=at(main, g),
        completers=tuple(pick(c, g) for c in done),
        ae_counts={k: tuple(pick(c, g) for c in v) for k, v in events.items()},
        ae_exposed=None if exposed is None else tuple(pick(e, g) for e in exposed),
        comparisons=None if comps is None else [at(c, g) for c in comps])
        for g in range(n_sizes)]
