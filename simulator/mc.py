"""Monte Carlo estimates: a probability, a mean, quantiles, each with its error.

A leaf: imports numpy and scipy.special only. Every simulated number that
trialsim reports is one of these, so that its Monte Carlo error travels with
it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._lazy import special

__all__ = ["Z95", "MonteCarloProbability", "MonteCarloMean", "probability_dict", "mean_dict",
           "DistributionSummary", "quantile_with_se", "finite"]

#: The 97.5 % standard normal quantile (two-sided 95 % intervals).
Z95 = 1.959963984540054


def finite(x: float | None) -> float | None:
    """``x``, or None (null in JSON) when it is not a finite number.

    Examples
    --------
    >>> finite(1.5), finite(float("nan")), finite(None)
    (1.5, None, None)
    """
    return float(x) if x is not None and math.isfinite(x) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class MonteCarloProbability:
    """A probability estimated from simulated trials.

    Attributes
    ----------
    value : float
        Proportion of simulated trials with the event.
    se : float
        Monte Carlo standard error, ``sqrt(value (1 - value) / n_sims)``.
    ci : tuple of float
        95 % Wilson interval for the true probability.
    n_sims : int
        Simulated trials behind the estimate.

    Examples
    --------
    >>> p = MonteCarloProbability.from_counts(800, 1000)
    >>> round(p.se, 4), tuple(round(c, 4) for c in p.ci)
    (0.0126, (0.7741, 0.8236))
    """

    value: float
    se: float
    ci: tuple[float, float]
    n_sims: int

    @classmethod
    def from_counts(cls, successes: int, n_sims: int, level: float = 0.95) -> MonteCarloProbability:
        """Estimate from ``successes`` out of ``n_sims`` trials."""
        p = successes / n_sims
        z = Z95 if level == 0.95 else float(special.ndtri(0.5 + level / 2))
        denom = 1 + z * z / n_sims
        centre = (p + z * z / (2 * n_sims)) / denom
        half = z * math.sqrt(p * (1 - p) / n_sims + z * z / (4 * n_sims * n_sims)) / denom
        return cls(value=p, se=math.sqrt(p * (1 - p) / n_sims),
                   ci=(float(max(0.0, centre - half)), float(min(1.0, centre + half))),
                   n_sims=n_sims)

    def to_dict(self, name: str) -> dict[str, Any]:
        """``{name: value, name_se: se, name_ci: [low, high]}``."""
        return {name: self.value, f"{name}_se": self.se, f"{name}_ci": list(self.ci)}


@dataclass(frozen=True, slots=True, kw_only=True)
class MonteCarloMean:
    """A mean over replications and its Monte Carlo standard error.

    Attributes
    ----------
    value : float
    se : float
        ``sd / sqrt(n)`` (or as documented where it is combined).
    n : int
        Replications behind it.
    """

    value: float
    se: float
    n: int

    @classmethod
    def from_samples(cls, x: np.ndarray) -> MonteCarloMean:
        """Mean and SE of the samples ``x``."""
        x = np.asarray(x, dtype=float)
        n = x.size
        if n < 2:  # one sample has no spread, none no mean: NaN (null in JSON)
            return cls(value=float(x[0]) if n else math.nan, se=math.nan, n=n)
        return cls(value=float(np.mean(x)), se=float(np.std(x, ddof=1)) / math.sqrt(n), n=n)

    @classmethod
    def from_sums(cls, total: float, squares: float, n: int) -> MonteCarloMean:
        """Mean and SE from the sum and the sum of squares of ``n`` samples.

        Examples
        --------
        >>> m = MonteCarloMean.from_sums(6.0, 14.0, 3)  # samples 1, 2, 3
        >>> m.value, round(m.se, 6)
        (2.0, 0.57735)
        """
        n = int(n)
        if n < 1:
            return cls(value=float("nan"), se=float("nan"), n=0)
        mean = total / n
        if n < 2:  # one sample has no spread: no SE (NaN, null in JSON)
            return cls(value=float(mean), se=math.nan, n=n)
        var = max(squares - n * mean * mean, 0.0) / (n - 1)
        return cls(value=float(mean), se=math.sqrt(var / n), n=n)

    def to_dict(self, name: str) -> dict[str, Any]:
        """``{name: value, name_se: se}``, each None (null) where it is not a finite number
        (no replication, or one: no SE)."""
        return {name: finite(self.value), f"{name}_se": finite(self.se)}


def probability_dict(name: str, p: MonteCarloProbability | None) -> dict[str, Any]:
    """``p.to_dict(name)``, or its keys with nulls where there is no estimate."""
    return p.to_dict(name) if p is not None else {name: None, f"{name}_se": None,
                                                  f"{name}_ci": None}


def mean_dict(name: str, m: MonteCarloMean | None) -> dict[str, Any]:
    """``m.to_dict(name)``, or its keys with nulls where there is no estimate."""
    return m.to_dict(name) if m is not None else {name: None, f"{name}_se": None}


def quantile_with_se(sorted_x: np.ndarray, p: float) -> tuple[float, float]:
    """The ``p`` quantile of sorted samples and its order-statistic standard error.

    The SE is the width of the distribution-free 95 % interval
    ``[x_(j), x_(k)]``, ``j, k = n p -/+ 1.96 sqrt(n p (1 - p))``, over
    ``2 * 1.96``.
    """
    n = sorted_x.size
    q = float(np.quantile(sorted_x, p))
    half = Z95 * math.sqrt(n * p * (1 - p))
    lo = sorted_x[int(np.clip(math.floor(n * p - half), 0, n - 1))]
    hi = sorted_x[int(np.clip(math.ceil(n * p + half), 0, n - 1))]
    return q, float(hi - lo) / (2 * Z95)


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionSummary:
    """Mean and 5 %, 50 %, 95 % quantiles over replications, each with its SE.

    Quantile SEs come from :func:`quantile_with_se`. ``n`` counts the finite
    replications used; without any, every summary is None.
    """

    mean: float | None
    mean_se: float | None
    q05: float | None
    q05_se: float | None
    q50: float | None
    q50_se: float | None
    q95: float | None
    q95_se: float | None
    n: int

    @classmethod
    def from_samples(cls, x: np.ndarray) -> DistributionSummary:
        """Summarise the finite values of ``x``."""
        x = np.sort(np.asarray(x, dtype=float))
        x = x[np.isfinite(x)]
        n = x.size
        if n == 0:
            return cls(mean=None, mean_se=None, q05=None, q05_se=None, q50=None, q50_se=None,
                       q95=None, q95_se=None, n=0)
        qs = {p: quantile_with_se(x, p) for p in (0.05, 0.5, 0.95)}
        mean = MonteCarloMean.from_samples(x)
        return cls(mean=mean.value, mean_se=mean.se, q05=qs[0.05][0], q05_se=qs[0.05][1],
                   q50=qs[0.5][0], q50_se=qs[0.5][1], q95=qs[0.95][0], q95_se=qs[0.95][1], n=n)

    def to_dict(self) -> dict[str, float | None]:
        """The summary as a JSON-ready dictionary."""
        fields = ("mean", "mean_se", "q05", "q05_se", "q50", "q50_se", "q95", "q95_se")
        # an SE from one replication is not a number: null in JSON
        return {name: finite(getattr(self, name)) for name in fields}
