"""Dunnett's many-to-one critical values to about 1e-9, interpolated over df.

Each active arm ``j`` is compared with the reference arm 0. With a pooled
variance estimate on ``df`` degrees of freedom the statistics are
multivariate t with correlations ``lambda_j lambda_k``, where
``lambda_j = 1 / sqrt(1 + n_0 / n_j)``. That product structure gives a one-
factor representation: given the reference arm's standardized mean ``z0`` and
the variance ratio ``s`` (``s^2 ~ chi2(df) / df``) the statistics are
independent, so

    P(max_j |T_j| <= c) = E_{z0, s} prod_j [Phi((c s + lambda_j z0) / a_j)
                                           - Phi((-c s + lambda_j z0) / a_j)],

``a_j = sqrt(1 - lambda_j^2)``. Both expectations are composite Gauss-Legendre
sums whose integrands are smooth on every panel: over ``s`` the panels run
between quantiles of its (chi) distribution, from 1e-17 to 1 - 1e-17, and
the weights are its density (a rule on the quantile scale instead would put
the density's square-root singularities into the integrand); over ``z0`` the
panels are no wider than the scale ``a_j / lambda_j`` on which the product
turns. Dunnett's critical value solves the coverage for ``1 - alpha`` (Brent,
between the one-comparison and the Bonferroni quantiles, to 1e-12).

A simulation with dropout needs a critical value for every df its trials
reach; ``criticals`` interpolates them. In ``x = 1 / df`` the critical value
is analytic (down to ``x = 0``, the normal limit), so each octave of df,
``x`` in ``[2^-(j+1), 2^-j]``, gets a Chebyshev interpolant through values
solved at its Chebyshev points, doubled (9, 17, 33 points) until its last
coefficients are below 1e-11; df below 8 is solved exactly. An octave is
built once per process and correlation structure, on first use. The tests
check the solved and the interpolated values against R's mvtnorm (Genz's
TVPACK) to 1e-8.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .._lazy import optimize, special, stats

__all__ = ["lambdas_of", "critical", "criticals", "coverage", "any_rejection"]

# Gauss-Legendre points per panel, and the quantile levels of s between which
# its panels run (with their mirror images), for df < 8 and for df >= 8: the
# coarser rule agrees with the finer to 1e-9 there (tests/analysis/test_dunnett.py)
_RULES = {True: (10, (1e-17, 1e-14, 1e-11, 1e-8, 1e-6, 1e-4, 1e-3, 0.01, 0.03, 0.08, 0.16,
                      0.28, 0.42)),
          False: (6, (1e-17, 1e-11, 1e-6, 1e-3, 0.03, 0.25))}
_Z_POINTS = 6
_Z_EDGE = 8.7  # phi(8.7) ~ 4e-17
_EXACT_BELOW = 8.0  # df below this: solved, not interpolated
_LAST_OCTAVE = 24  # x in [0, 2^-25] is the last panel (df beyond 3e7, and infinity)
_TAIL = 1e-11  # accepted size of an interpolant's last Chebyshev coefficients
_POINTS = (5, 9, 17, 33)


def lambdas_of(n_reference: float, n_active) -> tuple[float, ...]:
    """The comparisons' ``lambda_j = 1 / sqrt(1 + n_0 / n_j)`` (correlations ``lambda_j lambda_k``).

    Examples
    --------
    >>> lambdas_of(10, [10, 30])
    (0.7071067811865475, 0.8660254037844387)
    """
    return tuple(1.0 / math.sqrt(1.0 + n_reference / n) for n in n_active)


def _panels(edges: np.ndarray, points: int, width: float | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre nodes and weights on the panels between ``edges``."""
    if width is not None:  # split each panel into pieces no wider than width
        pieces = [np.linspace(a, b, max(1, math.ceil((b - a) / width)) + 1)[:-1]
                  for a, b in zip(edges[:-1], edges[1:])]
        edges = np.append(np.concatenate(pieces), edges[-1])
    x, w = np.polynomial.legendre.leggauss(points)
    lo, hi = edges[:-1, None], edges[1:, None]
    return ((hi - lo) / 2 * x + (hi + lo) / 2).ravel(), ((hi - lo) / 2 * w).ravel()


@lru_cache(maxsize=256)
def _scale_nodes(df: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of s (``s^2 ~ chi2(df) / df``) and weights of its density, summing to 1."""
    if math.isinf(df):
        return np.ones(1), np.ones(1)
    points, levels = _RULES[df < _EXACT_BELOW]
    levels = np.array(levels)
    q = np.concatenate([stats.chi2.ppf(levels, df), stats.chi2.isf(levels[::-1], df)])
    s, w = _panels(np.sqrt(np.maximum(q, 0.0) / df), points)
    logpdf = np.log(2.0 * df * s) + stats.chi2.logpdf(df * s * s, df)
    w = w * np.exp(logpdf - logpdf.max())
    return s, w / w.sum()


@lru_cache(maxsize=64)
def _z_nodes(lambdas: tuple[float, ...], sided: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of z0 ~ N(0, 1) and weights summing to 1 (two-sided: z0 >= 0, by symmetry)."""
    lam = np.array(lambdas)
    width = min(1.0, float(np.min(np.sqrt(1.0 - lam**2) / np.maximum(lam, 1e-12))))
    edges = np.array([0.0 if sided == 2 else -_Z_EDGE, _Z_EDGE])
    z, w = _panels(edges, _Z_POINTS, width)
    w = w * np.exp(-0.5 * z * z)
    return z, w / w.sum()


def coverage(c: float, lambdas: tuple[float, ...], df: float, sided: int) -> float:
    """P(max_j |T_j| <= c) (two-sided) or P(max_j -T_j <= c) (one-sided)."""
    lam, times = np.unique(np.array(lambdas), return_counts=True)  # equal arms: a power
    a = np.sqrt(1.0 - lam**2)
    s, ws = _scale_nodes(float(df))
    z, wz = _z_nodes(lambdas, sided)
    cs = (c * s)[:, None, None]
    lz = lam * z[:, None]  # (z, distinct arms)
    if sided == 2:
        inside = special.ndtr((cs + lz) / a) - special.ndtr((lz - cs) / a)
    else:
        inside = special.ndtr((cs - lz) / a)
    return float(ws @ np.prod(inside ** times, axis=2) @ wz)


def any_rejection(c: float, lambdas: tuple[float, ...], shifts, df: float, sided: int) -> float:
    """P(some comparison rejects) when comparison j's standardized mean is ``shifts[j]``.

    The statistics are ``T_j = (shifts[j] + Z_j) / s`` (``shifts`` in the
    benefit direction, the one a one-sided test rejects in), ``Z`` the
    correlated normals above: the same one-factor integral, the product now
    of ``P(-c s <= shifts[j] + Z_j <= c s | z0)`` (one-sided: ``<= c s``).
    The power of any comparison of a many-to-one design with normal data.
    """
    lam, d = np.array(lambdas), np.asarray(shifts, dtype=float)
    a = np.sqrt(1.0 - lam**2)
    s, ws = _scale_nodes(float(df))
    z, wz = _z_nodes(lambdas, 1)  # the whole line: no symmetry once shifted
    cs = (c * s)[:, None, None]
    m = d + lam * z[:, None]  # (z, arms)
    inside = special.ndtr((cs - m) / a)
    if sided == 2:
        inside = inside - special.ndtr((-cs - m) / a)
    return float(1.0 - ws @ np.prod(inside, axis=2) @ wz)


@lru_cache(maxsize=4096)
def critical(lambdas: tuple[float, ...], df: float, alpha: float, sided: int) -> float:
    """Dunnett's critical value, solved (no interpolation)."""
    k = len(lambdas)
    if math.isinf(df):
        lo, hi = (stats.norm.isf(alpha / (sided * m)) for m in (1, k))
    else:
        lo, hi = (stats.t.isf(alpha / (sided * m), df) for m in (1, k))

    def gap(c):
        return coverage(c, lambdas, df, sided) - (1.0 - alpha)

    lo, hi = lo * (1 - 1e-6) - 1e-9, hi * (1 + 1e-6) + 1e-9
    if gap(lo) > 0 or gap(hi) < 0:  # the bounds hold; the quadrature's error could not
        lo, hi = 0.5 * lo, 2.0 * hi + 1.0
    return float(optimize.brentq(gap, lo, hi, xtol=1e-12, rtol=1e-14))


@lru_cache(maxsize=1024)
def _octave(lambdas: tuple[float, ...], j: int, alpha: float, sided: int):
    """The Chebyshev interpolant of the critical value over x = 1/df in octave j."""
    a, b = (0.0, 2.0 ** -j) if j > _LAST_OCTAVE else (2.0 ** -(j + 1), 2.0 ** -j)
    cheb = np.polynomial.Chebyshev
    for m in _POINTS:
        t = np.cos(np.pi * np.arange(m) / (m - 1))  # Chebyshev extrema, endpoints included
        x = 0.5 * (a + b) + 0.5 * (b - a) * t
        y = [critical(lambdas, math.inf if xi <= 0 else 1.0 / xi, alpha, sided) for xi in x]
        fit = cheb.fit(x, y, m - 1, domain=[a, b])
        if np.max(np.abs(fit.coef[-2:])) < _TAIL:
            break
    return fit


def criticals(lambdas: tuple[float, ...], df, alpha: float, sided: int) -> np.ndarray:
    """Critical values at every df of an array (interpolated where df >= 8)."""
    df = np.asarray(df, dtype=float)
    uniq, inverse = np.unique(df, return_inverse=True)
    out = np.empty(uniq.shape)
    small = uniq < _EXACT_BELOW
    out[small] = [critical(lambdas, float(d), alpha, sided) for d in uniq[small]]
    x = 1.0 / uniq[~small]
    j = np.minimum(np.floor(-np.log2(np.where(x > 0, x, 1.0))).astype(int), _LAST_OCTAVE + 1)
    j = np.where(x > 0, j, _LAST_OCTAVE + 1)
    vals = np.empty(x.shape)
    for octave in np.unique(j):
        here = j == octave
        vals[here] = _octave(lambdas, int(octave), alpha, sided)(x[here])
    out[~small] = vals
    return out[inverse.reshape(df.shape)]
