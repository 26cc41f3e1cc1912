"""Many-to-one comparisons: Dunnett critical values and multiplicity-adjusted decisions.

Each active arm ``j`` is compared with the reference arm 0; Dunnett's
critical values (the multivariate t of the comparisons, with correlations
``lambda_j lambda_k``, ``lambda_j = 1 / sqrt(1 + n_0 / n_j)``) are computed
in :mod:`simulator.analysis.dunnett`, to about 1e-9 and interpolated over df.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .dunnett import criticals, lambdas_of
from .estimates import TrialEstimates, critical_values

__all__ = ["dunnett_critical", "dunnett_criticals", "MULTIPLICITY", "adjusted_decisions"]

MULTIPLICITY = ("dunnett", "holm", "bonferroni", "none")
Method = Literal["dunnett", "holm", "bonferroni", "none"]


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
    return float(dunnett_criticals(n_reference, n_active, df, alpha, sided))


def dunnett_criticals(n_reference: float, n_active, df, alpha: float = 0.05,
                      sided: int = 2) -> np.ndarray:
    """Dunnett's critical values at every df of an array (as :func:`dunnett_critical`)."""
    # rounded: the interpolants are cached per structure, and sizes that differ in the
    # last bits (expected completers) should share one
    lambdas = tuple(round(x, 12) for x in lambdas_of(n_reference, n_active))
    return criticals(lambdas, df, float(alpha), int(sided))


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
        crit = dunnett_criticals(n_reference, n_active, df, alpha, sided)
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
