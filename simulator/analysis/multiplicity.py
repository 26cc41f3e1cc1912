"""Many-to-one comparisons: Dunnett critical values and multiplicity-adjusted decisions.

Each active arm ``j`` is compared with the reference arm 0. With a pooled
variance estimate on ``df`` degrees of freedom the statistics are
multivariate t with correlations ``lambda_j lambda_k``, where
``lambda_j = 1 / sqrt(1 + n_0 / n_j)``. That product structure gives a one-
factor representation: given the reference arm's standardized mean ``z0`` and
the variance ratio ``s`` (``s^2 ~ chi2(df) / df``) the statistics are
independent, so

    P(max_j |T_j| <= c) = E_{z0, s} prod_j [Phi((c s + lambda_j z0) / a_j)
                                           - Phi((-c s + lambda_j z0) / a_j)],

``a_j = sqrt(1 - lambda_j^2)``, computed by Gauss-Hermite (z0) and Gauss-
Legendre (on the quantile scale of s) quadrature; Dunnett's critical value
solves it for ``1 - alpha``. The tests check it against scipy's multivariate
t and published tables.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Literal

import numpy as np

from .._lazy import optimize, special, stats
from .estimates import TrialEstimates, critical_values

__all__ = ["dunnett_critical", "MULTIPLICITY", "adjusted_decisions"]

MULTIPLICITY = ("dunnett", "holm", "bonferroni", "none")
Method = Literal["dunnett", "holm", "bonferroni", "none"]

_HX, _HW = np.polynomial.hermite_e.hermegauss(64)
_HW = _HW / math.sqrt(2 * math.pi)
_LV, _LW = np.polynomial.legendre.leggauss(48)
_LV = 0.5 * (_LV + 1.0)
_LW = 0.5 * _LW


def _coverage(c: float, lambdas: np.ndarray, df: float, sided: int) -> float:
    a = np.sqrt(1.0 - lambdas**2)
    if math.isinf(df):
        s, ws = np.array([1.0]), np.array([1.0])
    else:
        s = np.sqrt(stats.chi2.ppf(_LV, df) / df)
        ws = _LW
    z0 = _HX[:, None, None]
    cs = c * s[None, :, None]
    lam = lambdas[None, None, :]
    if sided == 2:
        inside = special.ndtr((cs + lam * z0) / a) - special.ndtr((-cs + lam * z0) / a)
    else:  # one-sided, benefit direction: -T_j <= c
        inside = special.ndtr((cs - lam * z0) / a)
    return float(np.einsum("i,j,ij->", _HW, ws, np.prod(inside, axis=2)))


@lru_cache(maxsize=1024)
def _dunnett(lambdas: tuple[float, ...], df: float, alpha: float, sided: int) -> float:
    lam = np.array(lambdas)
    lo = stats.norm.ppf(1 - alpha / sided) * 0.9
    hi = stats.t.ppf(1 - alpha / (sided * len(lam)), min(df, 1e6)) * 1.2 + 1.0
    return float(optimize.brentq(lambda c: _coverage(c, lam, df, sided) - (1 - alpha),
                                 lo, hi, xtol=1e-10))


def dunnett_critical(n_reference: float, n_active, df: float, alpha: float = 0.05,
                     sided: int = 2) -> float:
    """Dunnett's many-to-one critical value.

    Parameters
    ----------
    n_reference : float
        Patients in the reference arm.
    n_active : sequence of float
        Patients in each active arm.
    df : float
        Degrees of freedom of the pooled variance (``inf`` = known variance).
    alpha : float
        Family-wise error rate.
    sided : {1, 2}

    Examples
    --------
    >>> round(dunnett_critical(10, [10, 10], df=24), 2)  # Dunnett (1955) table: 2.35
    2.35
    """
    lambdas = tuple(round(1.0 / math.sqrt(1.0 + n_reference / n), 12) for n in n_active)
    return _dunnett(lambdas, float(df), float(alpha), int(sided))


def adjusted_decisions(comparisons: list[TrialEstimates], *, method: Method, alpha: float,
                       sided: int, benefit_sign: int, n_reference, n_active):
    """Rejections of each comparison, adjusted for multiplicity.

    Returns ``(reject, reject_benefit)``, arrays of shape (comparisons, trials).
    ``n_reference`` and ``n_active`` give the planned arm sizes for Dunnett's
    correlations; its critical value is computed for each distinct df.
    """
    k = len(comparisons)
    stat = np.array([np.where(c.valid, c.statistic, 0.0) for c in comparisons])
    valid = np.array([c.valid for c in comparisons])
    directed = benefit_sign * stat
    if method in ("none", "bonferroni"):
        a = alpha if method == "none" else alpha / k
        crit = np.array([critical_values(1 - a / sided, c.df) for c in comparisons])
        reject = (np.abs(stat) > crit) if sided == 2 else (directed > crit)
    elif method == "dunnett":
        df = np.broadcast_to(np.asarray(comparisons[0].df, float), stat.shape[1:])
        uniq, inverse = np.unique(df, return_inverse=True)
        values = np.array([dunnett_critical(n_reference, n_active, d, alpha, sided)
                           for d in uniq])
        crit = values[inverse.reshape(df.shape)]
        reject = (np.abs(stat) > crit) if sided == 2 else (directed > crit)
    else:  # holm: step down on the p-values
        p = np.array([c.pvalues(sided=sided, benefit_sign=benefit_sign) for c in comparisons])
        order = np.argsort(p, axis=0)
        ranked = np.take_along_axis(p, order, axis=0)
        thresholds = alpha / (k - np.arange(k))[:, None]
        passed = np.logical_and.accumulate(ranked <= thresholds, axis=0)
        reject = np.zeros_like(passed)
        np.put_along_axis(reject, order, passed, axis=0)
    reject = reject & valid
    benefit = reject & (directed > 0)
    return reject, benefit
