"""Quadrature over a normal prior that resolves a narrow power curve."""

from __future__ import annotations

import numpy as np

from .._lazy import stats


__all__ = ["normal_prior_nodes"]

_PANEL_X, _PANEL_W = np.polynomial.legendre.leggauss(12)


def normal_prior_nodes(mean: float, sd: float, width: float, crit: float,
                       turns=None):
    """Quadrature nodes and weights for E[f(theta)], theta ~ N(mean, sd^2).

    Composite Gauss-Legendre on panels split at the prior's SDs and around
    the points where the power turns over (theta = +-crit * width, within a
    few widths, or the points ``turns`` when given): the power is a sigmoid
    of width ``width`` (the estimate's SE), far narrower than the prior for a
    large trial, where Gauss-Hermite would miss it. A prior too narrow for
    panels in double precision (``mean +- 9 sd`` one number, or densities
    that overflow) is its mean: one node of weight 1.

    Examples
    --------
    >>> normal_prior_nodes(-1.0, 1e-20, 0.3, 1.96)
    (array([-1.]), array([1.]))
    """
    point = np.array([float(mean)]), np.array([1.0])
    lo, hi = mean - 9.0 * sd, mean + 9.0 * sd
    cuts = set(mean + sd * np.arange(-9.0, 9.5, 1.0))
    for centre in ((-crit * width, crit * width) if turns is None else turns):
        cuts |= set(centre + width * np.arange(-8.0, 8.5, 0.5))
    edges = np.array(sorted(c for c in cuts if lo <= c <= hi))
    if edges.size < 2:
        return point
    a, b = edges[:-1], edges[1:]
    x = (0.5 * (b - a)[:, None] * _PANEL_X + 0.5 * (a + b)[:, None]).ravel()
    w = (0.5 * (b - a)[:, None] * _PANEL_W).ravel()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        w = w * stats.norm.pdf(x, mean, sd)
        total = w.sum()
    if not (np.isfinite(total) and total > 0 and np.isfinite(w).all()):
        return point
    return x, w / total
