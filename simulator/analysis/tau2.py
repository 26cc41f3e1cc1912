"""The between-study variance tau^2: the generalised Q statistic and its Q-profile interval.

The generalised Q statistic (DerSimonian & Kacker 2007; Viechtbauer 2007)

``Q(tau2) = sum_i w_i (y_i - mu(tau2))^2``, ``w_i = 1 / (v_i + tau2)``,
``mu(tau2) = sum w_i y_i / sum w_i``,

is chi-square with ``k - 1`` degrees of freedom at the true tau^2 and falls
strictly as tau^2 grows. So:

* the **Q-profile confidence interval** (Viechtbauer 2007, Stat Med 26:37-52)
  is the set of tau^2 with ``chi2_{k-1, alpha/2} <= Q(tau2) <= chi2_{k-1,
  1-alpha/2}``: the lower bound solves ``Q(tau2) = chi2_{k-1, 1-alpha/2}``
  (0 when ``Q(0)`` is already below it), the upper bound ``Q(tau2) =
  chi2_{k-1, alpha/2}`` (0 when ``Q(0)`` is below that too, and then the
  whole interval is 0). It does not depend on the point estimator (DL,
  REML, ...), as in metafor's ``confint(rma(...))``;
* inverting Q at a chi-square draw gives the generalised Q-profile
  distribution of tau^2 (:mod:`simulator.analysis.tau2_priors`).

:func:`tau2_for_q` inverts Q for many values at once, by bisection on
``[0, SS / q]`` (``SS = sum (y_i - mean y)^2``; ``Q(tau2) < SS / tau2``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._lazy import stats
from ..errors import ScenarioError

__all__ = ["generalized_q", "tau2_for_q", "Tau2Interval", "tau2_qprofile_ci",
           "studies_iv"]

_BISECTIONS = 110  # the bracket shrinks by 2^-110: machine precision at any root


def studies_iv(y, se=None, v=None, *, least: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Check one meta-analysis' estimates and variances; return them as 1-d arrays.

    Examples
    --------
    >>> studies_iv([0.1, 0.2], [0.5, 0.5])[1].tolist()
    [0.25, 0.25]
    """
    y = np.asarray(y, float)
    if (se is None) == (v is None):
        raise ScenarioError("se, v: give exactly one of the standard errors or the variances")
    v = np.asarray(se, float) ** 2 if v is None else np.asarray(v, float)
    if y.ndim != 1 or v.shape != y.shape or y.size < least:
        raise ScenarioError(f"y = {y.tolist()!r}: must be {least} or more study estimates, "
                            "with one standard error (or variance) each")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0.0)):
        raise ScenarioError(f"y, v = {y.tolist()!r}, {v.tolist()!r}: must be finite, with "
                            "variances > 0")
    return y, v


def generalized_q(tau2, y, v) -> np.ndarray:
    """``Q(tau2) = sum w (y - mu)^2`` with ``w = 1 / (v + tau2)``, vectorized over ``tau2``.

    Examples
    --------
    >>> y, v = [-1.2, -0.4, -2.1, 0.3, -0.9], [0.25, 0.49, 0.81, 0.36, 0.16]
    >>> round(float(generalized_q(0.0, y, v)), 6)  # Cochran's Q
    6.476454
    """
    tau2 = np.asarray(tau2, float)
    w = 1.0 / (np.asarray(v, float) + tau2[..., None])
    mu = (w * y).sum(axis=-1) / w.sum(axis=-1)
    return (w * (np.asarray(y, float) - mu[..., None]) ** 2).sum(axis=-1)


def tau2_for_q(q, y, v) -> np.ndarray:
    """The tau^2 at which ``Q(tau2) = q``, or 0 where ``Q(0) <= q``; vectorized over ``q``.

    Parameters
    ----------
    q : array_like
        Values of the generalised Q statistic, > 0.
    y, v : array_like, shape (k,)
        Study estimates and within-study variances (k >= 2).

    Examples
    --------
    >>> y, v = [-1.2, -0.4, -2.1, 0.3, -0.9], [0.25, 0.49, 0.81, 0.36, 0.16]
    >>> round(float(tau2_for_q(4.0, y, v)), 6)  # the Paule-Mandel estimate (q = k - 1)
    0.274904
    """
    y, v = np.asarray(y, float), np.asarray(v, float)
    q = np.asarray(q, float)
    if np.any(~(q > 0.0)):
        raise ScenarioError("q: values of Q must be > 0")
    positive = generalized_q(0.0, y, v) > q
    lo = np.zeros(q.shape)
    hi = np.where(positive, np.sum((y - y.mean()) ** 2) / q, 0.0)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (lo + hi)
        above = generalized_q(mid, y, v) > q
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.where(positive, 0.5 * (lo + hi), 0.0)


@dataclass(frozen=True, slots=True)
class Tau2Interval:
    """A Q-profile confidence interval of tau^2.

    Attributes
    ----------
    low, high : float
        The bounds (0 where ``Q(0)`` lies below the chi-square quantile).
    level : float
        ``1 - alpha``.
    q0 : float
        Cochran's Q, ``Q(0)``.
    k : int
        Number of studies.
    """

    low: float
    high: float
    level: float
    q0: float
    k: int

    def to_dict(self) -> dict:
        """JSON-ready values."""
        return {"low": self.low, "high": self.high, "level": self.level, "q0": self.q0,
                "k": self.k}


def tau2_qprofile_ci(y, se=None, *, v=None, alpha: float = 0.05) -> Tau2Interval:
    """The Q-profile confidence interval of tau^2 (Viechtbauer 2007).

    The bounds solve ``Q(tau2) = chi2_{k-1, 1-alpha/2}`` (lower) and
    ``chi2_{k-1, alpha/2}`` (upper), each 0 when ``Q(0)`` is already below
    its quantile; metafor's ``confint(rma(yi, vi))`` gives the same interval
    whatever the tau^2 estimator.

    Parameters
    ----------
    y : array_like, shape (k,)
        Study estimates, k >= 2.
    se, v : array_like, shape (k,)
        Their standard errors, or variances (exactly one).
    alpha : float
        1 - the confidence level.

    Returns
    -------
    Tau2Interval

    Examples
    --------
    >>> ci = tau2_qprofile_ci([-1.2, -0.4, -2.1, 0.3, -0.9], [0.5, 0.7, 0.9, 0.6, 0.4])
    >>> ci.low, round(ci.high, 6)
    (0.0, 6.056453)
    """
    y, v = studies_iv(y, se, v)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ScenarioError(f"alpha = {alpha!r}: must be a number in (0, 1)")
    df = y.size - 1
    quantiles = stats.chi2.ppf([1.0 - alpha / 2.0, alpha / 2.0], df)
    low, high = tau2_for_q(quantiles, y, v)
    return Tau2Interval(float(low), float(high), 1.0 - alpha,
                        float(generalized_q(0.0, y, v)), int(y.size))
