"""Boundary-crossing probabilities of group-sequential Z statistics, by recursive integration.

The canonical joint distribution (Jennison & Turnbull 2000, ch. 3 and 19):
at information fractions ``0 < t_1 < ... < t_K = 1`` the statistics
``Z_k`` are jointly normal with ``E Z_k = theta sqrt(t_k)`` (``theta`` is the
drift, the expected Z at full information) and ``Cov(Z_j, Z_k) =
sqrt(t_j / t_k)`` for ``j <= k``: the scores ``Z_k sqrt(t_k)`` have
independent increments. The sub-density of ``Z_k`` on the trials still going
(inside every earlier continuation region) obeys the recursion

``g_k(z) = int_{C_{k-1}} g_{k-1}(u) sqrt(t_k / D) phi((z sqrt t_k - u sqrt t_{k-1}
- theta D) / sqrt D) du``, ``D = t_k - t_{k-1}``,

and the probability of leaving above ``b`` at look ``k`` is the same integral
with ``Phi(-(.))`` at ``z = b`` in place of the kernel. Integrals run on
Jennison & Turnbull's grid (section 19.2): ``6r - 1`` points around the mean
``theta sqrt(t_k)`` (equally spaced within 3 SD, log-spaced out to about
``3 + 4 ln r`` SD), trimmed to the continuation region with its ends added,
with the midpoints of the intervals inserted for Simpson's rule.

A :class:`Mass` holds the nodes and ``weight x sub-density`` of one look; the
recursion starts from a point mass (the start of the trial, or an observed
interim ``Z`` for conditional power). Arrays in, arrays out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._lazy import special
from ..errors import ConvergenceError

__all__ = ["Mass", "drift_bracket", "point_mass", "exit_above", "exit_below", "density", "advance",
           "solve_above", "solve_below", "solve_symmetric", "simpson_grid"]

_SQRT_2PI = math.sqrt(2.0 * math.pi)
_X_TOL = 1e-12  # the solvers stop when the bound moves less than this
_LIMIT = 40.0  # |bounds| on the Z scale beyond which a look spends nothing


@dataclass(frozen=True, slots=True)
class Mass:
    """The sub-density of ``Z`` at one look, on quadrature nodes.

    Attributes
    ----------
    t : float
        Information fraction of the look (0 for the start of the trial).
    z : ndarray
        Nodes on the Z scale.
    h : ndarray
        Quadrature weight times sub-density at each node: ``h.sum()`` is the
        probability of being still in the trial at ``t``.
    """

    t: float
    z: np.ndarray
    h: np.ndarray


def point_mass(t: float = 0.0, z: float = 0.0) -> Mass:
    """All the probability at ``Z = z`` at information ``t`` (the start: ``t = 0``).

    Examples
    --------
    >>> float(exit_above(point_mass(), 1.0, 1.959964, 0.0)) < 0.02500001
    True
    """
    return Mass(float(t), np.array([float(z)]), np.array([1.0]))


def _standardized(mass: Mass, t: float, x, theta: float) -> np.ndarray:
    """``(x sqrt t - z sqrt t0 - theta D) / sqrt D`` for x (rows) by node (columns)."""
    step = t - mass.t
    x = np.asarray(x, float)
    shift = mass.z * math.sqrt(mass.t) + theta * step
    return (x[..., None] * math.sqrt(t) - shift) / math.sqrt(step)


def exit_above(mass: Mass, t: float, b, theta: float) -> np.ndarray:
    """P(still in the trial before ``t`` and ``Z(t) >= b``).

    Examples
    --------
    >>> round(float(exit_above(point_mass(), 0.5, 1.0, 2.0)), 6)  # Phi(2 sqrt(.5) - 1)
    0.660641
    """
    return special.ndtr(-_standardized(mass, t, b, theta)) @ mass.h


def exit_below(mass: Mass, t: float, a, theta: float) -> np.ndarray:
    """P(still in the trial before ``t`` and ``Z(t) <= a``).

    Examples
    --------
    >>> round(float(exit_below(point_mass(), 1.0, -1.959964, 0.0)), 6)
    0.025
    """
    return special.ndtr(_standardized(mass, t, a, theta)) @ mass.h


def density(mass: Mass, t: float, x, theta: float) -> np.ndarray:
    """Sub-density of ``Z(t)`` at ``x`` on the trials still in before ``t``.

    Examples
    --------
    >>> round(float(density(point_mass(), 1.0, 0.0, 0.0)), 6)  # phi(0)
    0.398942
    """
    step = t - mass.t
    root = math.sqrt(2.0 * step)  # u / sqrt 2, so that the kernel is exp(-u^2)
    shift = (mass.z * math.sqrt(mass.t) + theta * step) / root
    u = np.subtract.outer(np.asarray(x, float) * (math.sqrt(t) / root), shift)
    np.multiply(u, u, out=u)
    np.negative(u, out=u)
    np.exp(u, out=u)  # in place: the kernel matrix is the costly part of the recursion
    return u @ mass.h * (math.sqrt(t / step) / _SQRT_2PI)


@lru_cache(maxsize=8)
def _base_grid(r: int) -> np.ndarray:
    """Jennison & Turnbull's ``6r - 1`` standardized points (section 19.2.1)."""
    i = np.arange(1, 6 * r, dtype=float)
    return np.where(i < r, -3.0 - 4.0 * np.log(r / i),
                    np.where(i <= 5 * r, -3.0 + 3.0 * (i - r) / (2.0 * r),
                             3.0 + 4.0 * np.log(r / np.maximum(6 * r - i, 1.0))))


def simpson_grid(lo: float, hi: float, mean: float, r: int, scale: float = 1.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and Simpson weights on ``[lo, hi]`` (either may be infinite).

    The J&T grid around ``mean`` (in units of ``scale``, the SD of the
    density integrated), trimmed to the interval with its finite ends added,
    each interval split at its midpoint.

    Examples
    --------
    >>> z, w = simpson_grid(-1.0, 2.0, 0.0, 16)
    >>> round(float(w @ np.exp(-z * z / 2) / np.sqrt(2 * np.pi)), 6)  # Phi(2) - Phi(-1)
    0.818595
    """
    points = mean + scale * _base_grid(r)
    inside = points[(points > lo) & (points < hi)]
    ends = [np.array([lo])] if math.isfinite(lo) else []
    tail = [np.array([hi])] if math.isfinite(hi) else []
    y = np.concatenate(ends + [inside] + tail)
    if y.size < 2:
        return np.empty(0), np.empty(0)
    width = np.diff(y)
    z = np.empty(2 * y.size - 1)
    z[0::2] = y
    z[1::2] = y[:-1] + 0.5 * width
    w = np.zeros(z.size)
    w[0:-1:2] += width / 6.0
    w[2::2] += width / 6.0
    w[1::2] = 4.0 * width / 6.0
    return z, w


def advance(mass: Mass, t: float, intervals, theta: float, r: int) -> Mass:
    """The sub-density at look ``t`` on the trials that continue past it.

    ``intervals`` is a sequence of ``(lo, hi)`` continuation intervals of
    ``Z(t)``; an empty sequence (or empty intervals) stops every trial. From
    a point mass (an observed interim ``Z``) the grid is centred on the
    conditional mean of ``Z(t)`` and scaled by its SD ``sqrt(D / t)``: a
    look just after the observed ``Z`` has a narrow density that the
    unconditional grid (unit SD, centred on ``theta sqrt t``) would miss.
    From the start of the trial both are the same.

    Examples
    --------
    >>> mass = advance(point_mass(), 0.5, [(-np.inf, 2.0)], 0.0, 32)
    >>> round(float(mass.h.sum()), 6)  # Phi(2)
    0.97725
    """
    nodes, weights = [], []
    centre, scale = theta * math.sqrt(t), 1.0
    if mass.z.size == 1 and mass.t > 0:  # an observed interim Z: the conditional law of Z(t)
        step = t - mass.t
        centre = (float(mass.z[0]) * math.sqrt(mass.t) + theta * step) / math.sqrt(t)
        scale = math.sqrt(step / t)
    for lo, hi in intervals:
        if lo < hi:
            z, w = simpson_grid(lo, hi, centre, r, scale)
            nodes.append(z)
            weights.append(w)
    if not nodes or mass.h.size == 0:
        return Mass(float(t), np.empty(0), np.empty(0))
    z = np.concatenate(nodes)
    return Mass(float(t), z, np.concatenate(weights) * density(mass, t, z, theta))


def _root(f, target: float, x: float, lo: float, hi: float, increasing: bool) -> float:
    """Safeguarded Newton on ``log f(x) = log target``; f monotone, returns (value, slope).

    Newton on the log converges in a few steps even far in a normal tail;
    any step that leaves the bracket ``[lo, hi]`` is replaced by bisection.
    """
    log_target = math.log(target)
    for _ in range(200):
        value, slope = f(x)
        if value <= 0.0:
            gap = -math.inf
        else:
            gap = math.log(value) - log_target
        if (gap < 0.0) == increasing:
            lo = x
        else:
            hi = x
        step = gap / (slope / value) if value > 0.0 and slope != 0.0 else math.nan
        new = x - step
        if not lo < new < hi:
            new = 0.5 * (lo + hi)
        if abs(new - x) < _X_TOL or hi - lo < _X_TOL:
            return float(new)
        x = new
    raise ConvergenceError(f"no bound found for the target probability {target!r}")


def solve_above(mass: Mass, t: float, theta: float, target: float, floor: float = -_LIMIT,
                guess: float | None = None) -> float:
    """The bound ``b >= floor`` with ``exit_above(mass, t, b, theta) = target``.

    ``inf`` when the target is 0 (nothing spent), ``floor`` when it is at
    least all that can leave above ``floor``.

    Examples
    --------
    >>> round(solve_above(point_mass(), 1.0, 0.0, 0.025), 6)
    1.959964
    """
    if target <= 0.0 or mass.h.size == 0:
        return math.inf
    if exit_above(mass, t, floor, theta) <= target:
        return floor
    x = guess if guess is not None else theta * math.sqrt(t) - special.ndtri(target)

    def f(b):
        return float(exit_above(mass, t, b, theta)), -float(density(mass, t, b, theta))
    return _root(f, target, min(max(x, floor), _LIMIT), floor, _LIMIT, increasing=False)


def solve_below(mass: Mass, t: float, theta: float, target: float, ceiling: float = _LIMIT,
                guess: float | None = None) -> float:
    """The bound ``a <= ceiling`` with ``exit_below(mass, t, a, theta) = target``.

    ``-inf`` when the target is 0, ``ceiling`` when it is at least all that
    can leave below ``ceiling``.

    Examples
    --------
    >>> round(solve_below(point_mass(), 1.0, 2.0, 0.2), 6)  # 2 - z_0.8
    1.158379
    """
    if target <= 0.0 or mass.h.size == 0:
        return -math.inf
    if exit_below(mass, t, ceiling, theta) <= target:
        return ceiling
    x = guess if guess is not None else theta * math.sqrt(t) + special.ndtri(target)

    def f(a):
        return float(exit_below(mass, t, a, theta)), float(density(mass, t, a, theta))
    return _root(f, target, max(min(x, ceiling), -_LIMIT), -_LIMIT, ceiling, increasing=True)


def solve_symmetric(mass: Mass, t: float, theta: float, target: float,
                    guess: float | None = None) -> float:
    """The ``c >= 0`` with P(``|Z(t)| >= c``, still in) = ``target`` (two-sided bounds).

    Examples
    --------
    >>> round(solve_symmetric(point_mass(), 1.0, 0.0, 0.05), 6)
    1.959964
    """
    if target <= 0.0:
        return math.inf
    if float(mass.h.sum()) <= target:
        return 0.0
    x = guess if guess is not None else -special.ndtri(target / 2.0)

    def f(c):
        value = float(exit_above(mass, t, c, theta) + exit_below(mass, t, -c, theta))
        slope = -float(density(mass, t, c, theta) + density(mass, t, -c, theta))
        return value, slope
    return _root(f, target, min(max(x, 0.0), _LIMIT), 0.0, _LIMIT, increasing=False)


def drift_bracket(fun, guess: float) -> tuple[float, float]:
    """An interval around the root of an increasing ``fun`` near ``guess > 0``.

    Used to solve for the drift that gives a design its power (group-sequential
    and trial sequential designs alike).
    """
    lo, hi = 0.8 * guess, 1.25 * guess
    for _ in range(60):
        if fun(lo) > 0.0:
            lo, hi = 0.5 * lo, lo
        elif fun(hi) < 0.0:
            lo, hi = hi, 1.5 * hi
        else:
            return lo, hi
    raise ConvergenceError(f"no drift found near {guess!r} that gives the power asked")
