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

__all__ = ["ProbitFit", "fit_probit"]

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
    cov = _inverse(*_moments(x, n * density**2 / (p * (1 - p))))
    return None if cov is None else ProbitFit(a=a, b=b, cov=cov)


def _terms(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The probit's probability (kept off 0 and 1) and density at ``eta``."""
    return (np.clip(special.ndtr(eta), _EPS, 1 - _EPS),
            np.exp(-0.5 * eta * eta) / math.sqrt(2 * math.pi))


def _moments(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """``sum(w)``, ``sum(w x)`` and ``sum(w x^2)``: the information matrix of a line."""
    wx = w * x
    return float(w.sum()), float(wx.sum()), float(wx @ x)


def _inverse(s0: float, s1: float, s2: float) -> np.ndarray | None:
    """The inverse of ``[[s0, s1], [s1, s2]]``, or None where it is singular or not finite."""
    det = s0 * s2 - s1 * s1
    if not (math.isfinite(det) and det > 0):
        return None
    return np.array([[s2, -s1], [-s1, s0]]) / det


def _weighted_line(x: np.ndarray, w: np.ndarray, z: np.ndarray) -> tuple[float, float] | None:
    """Weighted least-squares intercept and slope of ``z`` on ``x`` (2 x 2 normal
    equations solved in closed form: a fit makes a few dozen of them); None where the
    weights leave them singular or not finite."""
    s0, s1, s2 = _moments(x, w)
    t0, t1 = float(w @ z), float((w * x) @ z)
    det = s0 * s2 - s1 * s1
    if not (math.isfinite(det) and det > 0 and math.isfinite(t0) and math.isfinite(t1)):
        return None
    return (s2 * t0 - s1 * t1) / det, (s0 * t1 - s1 * t0) / det
