"""A probit regression of binomial counts on one covariate, and where it crosses a level.

The solver fits ``P(success | n) = Phi(a + b sqrt(n))`` to independent
simulation runs at a few sizes near the answer (the power of a z test is
exactly of this form, and that of a t test nearly so) and reads the size at
which the fitted curve crosses the target, with a confidence interval for it
(delta method on the linear predictor's root, so the interval is not cut at
the sizes that were run). Arrays in, numbers out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._lazy import special

__all__ = ["ProbitFit", "fit_probit", "pearson_chi2"]

_EPS = 1e-10


@dataclass(frozen=True, slots=True)
class ProbitFit:
    """``P = Phi(a + b x)`` fitted by maximum likelihood.

    Attributes
    ----------
    a, b : float
        Intercept and slope of the linear predictor.
    cov : ndarray, shape (2, 2)
        Their covariance (inverse Fisher information at the estimate).
    """

    a: float
    b: float
    cov: np.ndarray

    def probability(self, x: float) -> tuple[float, float]:
        """Fitted probability at ``x`` and its standard error (delta method)."""
        eta = self.a + self.b * x
        grad = np.array([1.0, x])
        se_eta = math.sqrt(max(float(grad @ self.cov @ grad), 0.0))
        density = math.exp(-0.5 * eta * eta) / math.sqrt(2 * math.pi)
        return float(special.ndtr(eta)), density * se_eta

    def root(self, level_target: float, coverage: float = 0.95) -> tuple[float, float, float]:
        """Where the fitted probability equals ``level_target``, with a ``coverage`` interval.

        Returns ``(x, low, high)``: the root of ``a + b x = Phi^-1(target)`` and
        the delta-method interval, on the scale of ``x``.
        """
        q = float(special.ndtri(level_target))
        x = (q - self.a) / self.b
        grad = np.array([-1.0 / self.b, -(q - self.a) / self.b**2])
        se = math.sqrt(max(float(grad @ self.cov @ grad), 0.0))
        z = float(special.ndtri(0.5 + coverage / 2))
        return x, x - z * se, x + z * se


def fit_probit(x, successes, trials, *, iterations: int = 50) -> ProbitFit | None:
    """Maximum-likelihood probit fit of ``successes`` out of ``trials`` at covariate ``x``.

    Iteratively reweighted least squares. Returns None when the data do not
    identify an increasing curve (fewer than two distinct ``x``, all
    successes or none, a slope <= 0, or runs so far in the tails that the
    information matrix is singular in double precision).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([8.0, 10.0, 12.0])
    >>> p = special.ndtr(-3.0 + 0.4 * x)
    >>> fit = fit_probit(x, np.round(p * 1e6), np.full(3, 1e6))
    >>> round(fit.a, 2), round(fit.b, 3)
    (-3.0, 0.4)
    """
    x = np.asarray(x, float)
    s = np.asarray(successes, float)
    n = np.asarray(trials, float)
    if len(np.unique(x)) < 2 or s.sum() in (0.0, n.sum()):
        return None
    p_obs = np.clip((s + 0.5) / (n + 1.0), _EPS, 1 - _EPS)
    beta = _weighted_line(x, np.ones_like(x), special.ndtri(p_obs))  # least squares start
    if beta is None:
        return None
    for _ in range(iterations):
        eta = beta[0] + beta[1] * x
        p, density = _terms(eta)
        weight = n * density**2 / (p * (1 - p))
        z = eta + (s / n - p) / np.maximum(density, _EPS)
        new = _weighted_line(x, weight, z)
        if new is None:  # the weights underflowed (every run at a probability of 0 or 1)
            return None
        done = max(abs(new[0] - beta[0]), abs(new[1] - beta[1])) < 1e-10
        beta = new
        if done:
            break
    a, b = beta
    if not (math.isfinite(a) and math.isfinite(b)) or b <= 0:
        return None
    p, density = _terms(a + b * x)
    cov = _covariance(x, n * density**2 / (p * (1 - p)))
    return None if cov is None else ProbitFit(a=a, b=b, cov=cov)


def pearson_chi2(fit: ProbitFit, x, successes, trials) -> tuple[float, int]:
    """Pearson's lack-of-fit statistic of ``fit`` on its data, and its degrees of freedom.

    ``X^2 = sum (s - n p)^2 / (n p (1 - p))`` over the points, on ``points - 2``
    df: about chi-square when the probit curve holds (Finney 1971, section
    4.4), larger when the points bend away from it. Points whose expected
    successes or failures are below 1 are left out (one rare event there
    would swamp the sum; Finney pools such classes).

    Examples
    --------
    >>> x = np.array([8.0, 10.0, 12.0, 14.0])
    >>> n = np.full(4, 1e4)
    >>> fit = fit_probit(x, np.round(special.ndtr(-3.0 + 0.4 * x) * n), n)
    >>> x2, df = pearson_chi2(fit, x, np.round(special.ndtr(-3.0 + 0.4 * x) * n), n)
    >>> df, x2 < 1.0
    (2, True)
    """
    x = np.asarray(x, float)
    n = np.asarray(trials, float)
    p, _ = _terms(fit.a + fit.b * x)
    kept = (n * p >= 1.0) & (n * (1.0 - p) >= 1.0)
    s, n, p = np.asarray(successes, float)[kept], n[kept], p[kept]
    return float(np.sum((s - n * p) ** 2 / (n * p * (1 - p)))), int(kept.sum() - 2)


def _terms(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The probit's probability (kept off 0 and 1) and density at ``eta``."""
    return (np.clip(special.ndtr(eta), _EPS, 1 - _EPS),
            np.exp(-0.5 * eta * eta) / math.sqrt(2 * math.pi))


def _centred(x: np.ndarray, w: np.ndarray) -> tuple[float, float, np.ndarray, float] | None:
    """``sum(w)``, the weighted mean of ``x``, ``x`` centred on it and ``sum(w (x - mean)^2)``;
    None where the weights leave no spread (or are not finite).

    Centring keeps the 2 x 2 normal equations well conditioned: their
    determinant is ``sum(w) * sum(w (x - mean)^2)``, with no cancellation.
    """
    s0 = float(w.sum())
    if not (math.isfinite(s0) and s0 > 0):
        return None
    mean = float(w @ x) / s0
    d = x - mean
    sxx = float(w @ (d * d))
    if not (math.isfinite(sxx) and sxx > 0):
        return None
    return s0, mean, d, sxx


def _weighted_line(x: np.ndarray, w: np.ndarray, z: np.ndarray) -> tuple[float, float] | None:
    """Weighted least-squares intercept and slope of ``z`` on ``x`` (2 x 2 normal
    equations solved in closed form: a fit makes a few dozen of them); None where the
    weights leave them singular or not finite."""
    c = _centred(x, w)
    if c is None:
        return None
    s0, mean, d, sxx = c
    wz = w * z
    slope = float(wz @ d) / sxx
    intercept = float(wz.sum()) / s0 - slope * mean
    return (intercept, slope) if math.isfinite(intercept) and math.isfinite(slope) else None


def _covariance(x: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """The inverse of the information ``[[sum w, sum w x], [sum w x, sum w x^2]]``."""
    c = _centred(x, w)
    if c is None:
        return None
    s0, mean, _, sxx = c
    return np.array([[1.0 / s0 + mean * mean / sxx, -mean / sxx],
                     [-mean / sxx, 1.0 / sxx]])
