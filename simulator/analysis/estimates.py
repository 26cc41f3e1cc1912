"""Per-trial estimates, and the decisions and intervals a test makes from them.

Every function takes arrays with one entry per simulated trial; nothing here
loops over trials or draws random numbers. Estimates are active minus
reference (placebo).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._lazy import special, stats


__all__ = ["TrialEstimates", "Decisions", "decide", "half_width", "critical_values", "safe_ratio",
           "z_of_t"]


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
    margin : ndarray or float
        Added to the half-width of the confidence interval (a continuity
        correction); 0 for most analyses.
    """

    estimate: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    df: np.ndarray
    margin: np.ndarray | float = 0.0

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


def z_of_t(t, df) -> np.ndarray:
    """The standard normal quantile with the one-sided p-value of ``t`` on ``df`` (inf: ``t``).

    Computed in the tail of ``|t|``, so that both tails keep their precision
    (``-ndtri(stdtr(df, -t))`` loses digits for a negative ``t``: the
    p-value near 1 is rounded).

    Examples
    --------
    >>> np.round(z_of_t(np.array([-2.0, 2.0]), np.inf), 12).tolist()  # the normal
    [-2.0, 2.0]
    >>> round(float(z_of_t(-12.0, 30.0)), 7)  # -ndtri(stdtr(30, 12)): -7.2103706
    -7.2103656
    """
    t = np.asarray(t, float)
    return np.sign(t) * -special.ndtri(special.stdtr(df, -np.abs(t)))


@lru_cache(maxsize=4096)
def _quantile(q: float, df: float) -> float:
    return float(stats.norm.ppf(q) if math.isinf(df) else stats.t.ppf(q, df))


_TABLE_DF = 1 << 20  # whole df up to this are looked up in a table per quantile
_TABLES: dict[float, np.ndarray] = {}
_TABLES_LOCK = threading.Lock()


def _integer_quantiles(q: float, lo: int, hi: int) -> np.ndarray:
    """Quantile ``q`` of t at df = 0, 1, ..., at least ``hi``: a table per ``q``,
    filled from ``lo`` to ``hi`` as runs need them (NaN where not yet needed)."""
    with _TABLES_LOCK:
        table = _TABLES.get(q)
        if table is None or len(table) <= hi:
            grown = np.full(max(hi + 1, 2 * len(table) if table is not None else 64), np.nan)
            if table is not None:
                grown[:len(table)] = table
            table = _TABLES[q] = grown
        missing = np.flatnonzero(np.isnan(table[lo:hi + 1])) + lo
        if missing.size:
            table[missing] = special.stdtrit(missing.astype(float), q)
        return table


def critical_values(q: float, df: np.ndarray | float) -> np.ndarray:
    """Quantile ``q`` of the t distribution for each ``df`` (``inf`` = normal).

    Degrees of freedom take few distinct values in a simulation, so the
    quantile is computed once per distinct value and cached: one per size
    without dropout, and with it a table over whole df per quantile.
    """
    df = np.asarray(df, dtype=float)
    if df.ndim == 0:
        return np.asarray(_quantile(float(q), float(df)))
    if df.size and not any(df.strides):  # one df broadcast over every trial: one quantile
        return np.broadcast_to(_quantile(float(q), float(df.flat[0])), df.shape)

    def by_size() -> np.ndarray:  # (sizes, trials), one df per size: the sizes' quantiles
        return np.broadcast_to(critical_values(q, df[:, 0])[:, None], df.shape)

    if df.ndim == 2 and df.shape[1] and df.strides[1] == 0:  # one df per size, broadcast
        return by_size()
    lo, hi = (float(df.min()), float(df.max())) if df.size else (math.nan, math.nan)
    if lo == hi:  # no dropout: one df for every trial
        return np.full(df.shape, _quantile(float(q), lo))
    if df.ndim == 2 and df.shape[1] and (df == df[:, :1]).all():  # no dropout, a curve
        return by_size()
    if 1 <= lo and hi <= _TABLE_DF:  # with dropout: whole df (patients - groups)
        whole = df.astype(np.intp)
        if (whole == df).all():  # look them up instead of sorting them out (np.unique)
            return _integer_quantiles(float(q), int(lo), int(hi))[whole]
    uniq, inverse = np.unique(df, return_inverse=True)
    finite = np.where(np.isinf(uniq), 1.0, np.maximum(uniq, 1e-300))
    # special.stdtrit is what stats.t.ppf evaluates, without its per-call checks
    crit = np.where(np.isinf(uniq), _quantile(float(q), math.inf), special.stdtrit(finite, q))
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
            # |t| > crit and t in the benefit direction (crit > 0: q > 1/2)
            reject_benefit = directed > crit
        else:
            reject = directed > crit
            reject_benefit = reject.copy()  # two arrays, as a two-sided test gives
        half = _half_width(est, crit)
    valid = est.valid
    if not valid.all():  # (every trial analysable, the usual case: nothing to mask)
        reject, reject_benefit = reject & valid, reject_benefit & valid
    return Decisions(reject=reject, reject_benefit=reject_benefit,
                     ci_low=est.estimate - half, ci_high=est.estimate + half)


def half_width(est: TrialEstimates, *, alpha: float, sided: int) -> np.ndarray:
    """Half the width of each trial's confidence interval at level ``1 - 2 alpha / sided``
    (:func:`decide`'s ``ci_low`` and ``ci_high`` are the estimate -+ it): the t (or
    normal) quantile times the SE, plus a continuity correction's margin."""
    with np.errstate(invalid="ignore"):
        return _half_width(est, critical_values(1.0 - alpha / sided, est.df))


def _half_width(est: TrialEstimates, crit: np.ndarray) -> np.ndarray:
    half = crit * est.se
    return half if _is_zero(est.margin) else half + est.margin


def _is_zero(margin) -> bool:
    """Whether a margin is 0 everywhere: a scalar, or one value broadcast (no margin)."""
    margin = np.asarray(margin)
    return not any(margin.strides) and not margin.flat[0] if margin.size else True


def safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, else 0 (a new float array).

    Examples
    --------
    >>> safe_ratio(np.array([1.0, 2.0, 3.0]), np.array([2.0, 0.0, np.nan])).tolist()
    [0.5, 0.0, 0.0]
    >>> safe_ratio(np.array([1.0, -3.0]), np.array([2.0, 4.0])).tolist()
    [0.5, -0.75]
    """
    # A plain division where every denominator is positive (the usual case), else one
    # masked division into zeros: the values of where(den > 0, num / ..., 0), with less work.
    den = np.asarray(den)
    positive = den > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if positive.all():  # the usual case: a plain division
            return np.divide(num, den, dtype=float)
        # in den's memory order: the (trials, sizes) arrays of a curve are transposed views
        out = (np.zeros_like(den, dtype=float) if np.shape(num) == den.shape
               else np.zeros(np.broadcast_shapes(np.shape(num), den.shape)))
        return np.divide(num, den, out=out, where=positive)
