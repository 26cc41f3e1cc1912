"""Group-sequential bounds on the Z scale, solved look by look by recursive integration.

* Alpha spending (Lan & DeMets 1983): at each look the efficacy bound is
  the one whose crossing probability under H0, given the bounds before it,
  is the increment of the spending function (Jennison & Turnbull 2000,
  ch. 7). Two-sided designs have symmetric bounds ``+-c_k``.
* Wang & Tsiatis (1987): ``c_k = C t_k^(Delta - 1/2)`` (``Delta = 0``
  O'Brien-Fleming, ``1/2`` Pocock), one constant ``C`` solved so that the
  total type I error is alpha (J&T ch. 2).
* Beta spending (one-sided): futility bounds ``a_k`` whose crossing
  probability under the alternative spends the increments of a beta-spending
  function, with the drift solved together with the bounds so that the
  power is ``1 - beta`` (the last futility bound meets the last efficacy
  bound: Pampallona, Tsiatis & Kim 2001; J&T ch. 7.3). Non-binding: the
  efficacy bounds ignore the futility bounds (as rpact does); binding: both
  are solved together, look by look, for each trial drift.

Every pass works on a continuation interval ``(lower_k, upper_k)`` a look:
one-sided ``lower`` is the futility bound (``-inf``: none), two-sided it is
``-upper``. At the last look ``lower_K = upper_K`` (one-sided) so that
"below" is the acceptance of H0. The drift ``theta`` is the expected Z at
full information. Arrays in, arrays out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._lazy import optimize, special
from .crossing import (advance, drift_bracket, exit_above, exit_below, point_mass, solve_above, solve_below,
                       solve_symmetric)

__all__ = ["Crossings", "crossings", "lower_bounds", "alpha_spending_bounds",
           "wang_tsiatis_bounds", "beta_spending_bounds", "drift_for_power"]

_THETA_TOL = 1e-12


@dataclass(frozen=True, slots=True)
class Crossings:
    """Per-look exit probabilities of one pass (not cumulative).

    Attributes
    ----------
    above : ndarray
        P(continue to look k and ``Z_k >= upper_k``).
    below : ndarray
        P(continue to look k and ``Z_k <= lower_k``): futility stops
        (one-sided; at the last look, the acceptance of H0) or lower
        rejections (two-sided).
    """

    above: np.ndarray
    below: np.ndarray


def crossings(t, upper, lower, theta: float, r: int) -> Crossings:
    """Exit probabilities above ``upper`` and below ``lower`` at each look.

    Examples
    --------
    >>> c = crossings([0.5, 1.0], [2.797, 1.977], [-np.inf, 1.977], 0.0, 32)
    >>> round(float(c.above.sum()), 4)
    0.025
    """
    mass = point_mass()
    above, below = np.zeros(len(t)), np.zeros(len(t))
    for k, tk in enumerate(t):
        above[k] = exit_above(mass, tk, upper[k], theta)
        below[k] = exit_below(mass, tk, lower[k], theta) if lower[k] > -math.inf else 0.0
        if k + 1 < len(t):
            mass = advance(mass, tk, [(lower[k], upper[k])], theta, r)
    return Crossings(above, below)


def alpha_spending_bounds(t, cumulative_alpha, sided: int, futility, r: int) -> np.ndarray:
    """Efficacy bounds spending ``cumulative_alpha`` under H0, look by look.

    ``futility`` (one-sided only, length K - 1 or None) are binding futility
    bounds that the type I error takes into account.

    Examples
    --------
    >>> alpha_spending_bounds([0.5, 1.0], [0.0015, 0.025], 1, None, 32).round(4).tolist()
    [2.9677, 1.9684]
    """
    mass = point_mass()
    upper = np.empty(len(t))
    spent = 0.0
    for k, tk in enumerate(t):
        target = cumulative_alpha[k] - spent
        lower = futility[k] if futility is not None and k + 1 < len(t) else -math.inf
        if sided == 1:
            upper[k] = solve_above(mass, tk, 0.0, target)
            spent += float(exit_above(mass, tk, upper[k], 0.0))
            interval = (lower, upper[k])
        else:
            upper[k] = solve_symmetric(mass, tk, 0.0, target)
            spent += float(exit_above(mass, tk, upper[k], 0.0)
                           + exit_below(mass, tk, -upper[k], 0.0))
            interval = (-upper[k], upper[k])
        if k + 1 < len(t):
            mass = advance(mass, tk, [interval], 0.0, r)
    return upper


def lower_bounds(upper, futility, sided: int) -> np.ndarray:
    """The lower end of each look's continuation interval (see the module notes).

    Examples
    --------
    >>> lower_bounds(np.array([2.8, 1.98]), [0.1], 1).tolist()
    [0.1, 1.98]
    """
    upper = np.asarray(upper, float)
    if sided == 2:
        return -upper
    lower = np.full(upper.size, -np.inf)
    if futility is not None:
        lower[:-1] = futility
    lower[-1] = upper[-1]
    return lower


def wang_tsiatis_bounds(t, alpha: float, delta: float, sided: int, futility,
                        r: int) -> np.ndarray:
    """``C t^(delta - 1/2)`` with ``C`` such that the total type I error is alpha.

    Examples
    --------
    >>> round(float(wang_tsiatis_bounds([0.5, 1.0], 0.05, 0.5, 2, None, 32)[0]), 4)
    2.1783
    """
    shape = np.asarray(t, float) ** (delta - 0.5)

    @_remembered
    def excess(scale):
        upper = scale * shape
        probabilities = crossings(t, upper, lower_bounds(upper, futility, sided), 0.0, r)
        rejected = probabilities.above.sum() + (probabilities.below.sum() if sided == 2 else 0)
        return float(rejected) - alpha

    z = -special.ndtri(alpha / sided)
    lo, hi = 0.5 * z, 2.0 * z
    while excess(hi) > 0.0:
        lo, hi = hi, 2.0 * hi
    return optimize.brentq(excess, lo, hi, xtol=_THETA_TOL) * shape


def _beta_pass(t, theta, cum_alpha, cum_beta, upper_fixed, r, near=None):
    """Futility bounds (and binding efficacy bounds) for one trial drift.

    ``upper_fixed`` is None for binding futility (the efficacy bounds are
    solved here under H0 with the futility bounds); ``near`` is (upper,
    futility) of a nearby drift, where the solvers start. Returns (power,
    upper, futility).
    """
    under_h1, under_h0 = point_mass(), point_mass()
    upper = np.empty(len(t)) if upper_fixed is None else upper_fixed
    futility = np.full(len(t) - 1, -np.inf)
    power = spent_alpha = spent_beta = 0.0
    for k, tk in enumerate(t):
        if upper_fixed is None:
            start = near[0][k] if near is not None and math.isfinite(near[0][k]) else None
            upper[k] = solve_above(under_h0, tk, 0.0, cum_alpha[k] - spent_alpha, guess=start)
            spent_alpha += float(exit_above(under_h0, tk, upper[k], 0.0))
        power += float(exit_above(under_h1, tk, upper[k], theta))
        if k + 1 == len(t):
            break
        start = near[1][k] if near is not None and math.isfinite(near[1][k]) else None
        futility[k] = solve_below(under_h1, tk, theta, cum_beta[k] - spent_beta, upper[k],
                                  guess=start)
        spent_beta += float(exit_below(under_h1, tk, futility[k], theta))
        interval = [(futility[k], upper[k])]
        under_h1 = advance(under_h1, tk, interval, theta, r)
        if upper_fixed is None:
            under_h0 = advance(under_h0, tk, interval, 0.0, r)
    return power, upper, futility


def _remembered(fun):
    """``fun`` that computes each argument once (the bracket and Brent share ends)."""
    seen: dict[float, float] = {}

    def once(x: float) -> float:
        if x not in seen:
            seen[x] = fun(x)
        return seen[x]
    return once


def beta_spending_bounds(t, cum_alpha, cum_beta, alpha: float, beta: float, binding: bool,
                         r: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Efficacy bounds, futility bounds and drift of a one-sided beta-spending design.

    Returns ``(upper, futility, theta)``: the drift ``theta`` at which the
    power is ``1 - beta``, where the futility bounds spend ``cum_beta``
    under ``theta`` and (binding) the efficacy bounds spend ``cum_alpha``
    under H0 with the futility bounds.

    Examples
    --------
    >>> from simulator.analysis.spending import spending
    >>> t = [0.5, 1.0]
    >>> up, fut, theta = beta_spending_bounds(t, spending("asOF", t, 0.025),
    ...                                      spending("bsOF", t, 0.2), 0.025, 0.2, False, 32)
    >>> round(float(fut[0]), 4), round(theta, 3)
    (0.5594, 2.879)
    """
    upper_fixed = None if binding else alpha_spending_bounds(t, cum_alpha, 1, None, r)

    passes = {}

    def excess(theta):
        near = passes[min(passes, key=lambda x: abs(x - theta))] if passes else None
        power, upper, futility = _beta_pass(t, theta, cum_alpha, cum_beta, upper_fixed, r, near)
        passes[theta] = (upper.copy(), futility)
        return power - (1.0 - beta)

    excess = _remembered(excess)
    guess = -special.ndtri(alpha) - special.ndtri(beta)
    theta = optimize.brentq(excess, *drift_bracket(excess, guess), xtol=_THETA_TOL)
    excess(theta)
    return *passes[theta], theta


def drift_for_power(t, upper, lower, power: float, r: int) -> float:
    """The drift at which the bounds cross above ``upper`` with probability ``power``.

    Examples
    --------
    >>> round(drift_for_power([1.0], [1.959964], [1.959964], 0.8, 32), 4)
    2.8016
    """
    @_remembered
    def excess(theta):
        return float(crossings(t, upper, lower, theta, r).above.sum()) - power

    guess = -special.ndtri(1.0 - power) + max(float(np.min(upper)), 1.0)
    return optimize.brentq(excess, *drift_bracket(excess, guess), xtol=_THETA_TOL)
