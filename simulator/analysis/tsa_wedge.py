"""Two-sided beta-spending futility bounds: the inner wedge of a trial sequential analysis.

A two-sided trial sequential analysis (Thorlund et al., TSA manual 2011,
2017) monitors the cumulative Z against symmetric efficacy bounds ``+-c_k``
and, optionally, an inner wedge ``(-a_k, a_k)``: at look k < K the
monitoring stops for futility when ``|Z_k| < a_k``. The continuation region
of look k is ``(-c_k, -a_k) U (a_k, c_k)``.

The bounds are solved look by look by the recursive integration of
:mod:`simulator.analysis.crossing` (Jennison & Turnbull 2000, ch. 19):

* the efficacy bounds spend the increments of the cumulative alpha under
  H0, both sides together; non-binding: ignoring the wedge (they are the
  bounds without futility); binding: on the paths that the wedge has not
  stopped;
* the futility bounds spend the increments of the cumulative beta under the
  drift ``theta`` (the expected Z at full information): ``a_k`` solves
  ``P_theta(continue to k, |Z_k| < a_k) = increment``; a look that spends no
  beta has no wedge (``a_k = 0``);
* at the last look ``a_K = c_K``: a Z inside ``(-c_K, c_K)`` accepts H0;
* the drift is solved so that the power, ``P_theta(reject in either
  direction)``, is ``1 - beta``: the bounds then meet at the last look and
  all of beta is spent (futility stops plus the final acceptance).

This is the two-sided analogue of the one-sided design of
:func:`simulator.analysis.boundaries.beta_spending_bounds` (Pampallona,
Tsiatis & Kim 2001). The tests check the bounds against independent R code
(the crossing probabilities by ``mvtnorm::pmvnorm``). Arrays in, arrays out.
"""

from __future__ import annotations

import math

import numpy as np

from .._lazy import optimize, special
from ..errors import ConvergenceError
from .crossing import advance, drift_bracket, exit_above, exit_below, point_mass, solve_symmetric

__all__ = ["inner_wedge_bounds", "inner_probability"]

_LIMIT = 40.0  # |bounds| on the Z scale beyond which nothing is spent
_X_TOL = 1e-13
_THETA_TOL = 1e-12


def inner_probability(mass, t: float, a: float, theta: float) -> float:
    """P(still in the trial before ``t`` and ``|Z(t)| < a``).

    Examples
    --------
    >>> from simulator.analysis.crossing import point_mass
    >>> round(inner_probability(point_mass(), 1.0, 1.959964, 0.0), 6)
    0.95
    """
    return float(exit_below(mass, t, a, theta) - exit_below(mass, t, -a, theta))


def _solve_inner(mass, t: float, theta: float, target: float, upper: float) -> float:
    """The ``a`` in ``[0, upper]`` with ``inner_probability = target`` (0: none)."""
    if target <= 0.0 or mass.h.size == 0:
        return 0.0
    top = min(upper, _LIMIT)
    if inner_probability(mass, t, top, theta) <= target:
        return top
    return float(optimize.brentq(lambda a: inner_probability(mass, t, a, theta) - target,
                                 0.0, top, xtol=_X_TOL))


def _wedge_pass(t, theta, cum_alpha, cum_beta, upper_fixed, r):
    """Bounds at one drift: (power, upper, futility); ``upper_fixed`` None is binding."""
    under_h1, under_h0 = point_mass(), point_mass()
    upper = np.empty(len(t)) if upper_fixed is None else upper_fixed
    futility = np.zeros(len(t) - 1)
    power = spent_alpha = spent_beta = 0.0
    for k, tk in enumerate(t):
        if upper_fixed is None:
            upper[k] = solve_symmetric(under_h0, tk, 0.0, cum_alpha[k] - spent_alpha)
            spent_alpha += float(exit_above(under_h0, tk, upper[k], 0.0)
                                 + exit_below(under_h0, tk, -upper[k], 0.0))
        power += float(exit_above(under_h1, tk, upper[k], theta)
                       + exit_below(under_h1, tk, -upper[k], theta))
        if k + 1 == len(t):
            break
        futility[k] = _solve_inner(under_h1, tk, theta, cum_beta[k] - spent_beta, upper[k])
        spent_beta += inner_probability(under_h1, tk, futility[k], theta)
        intervals = [(-upper[k], -futility[k]), (futility[k], upper[k])]
        under_h1 = advance(under_h1, tk, intervals, theta, r)
        if upper_fixed is None:
            under_h0 = advance(under_h0, tk, intervals, 0.0, r)
    return power, upper, futility


def inner_wedge_bounds(t, cum_alpha, cum_beta, alpha: float, beta: float, binding: bool,
                       upper_nonbinding, r: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Symmetric efficacy bounds, inner-wedge futility bounds and the drift.

    Parameters
    ----------
    t : sequence of float
        Information fractions, increasing, the last 1.
    cum_alpha, cum_beta : sequence of float
        Cumulative alpha (both sides) and beta at each look.
    alpha, beta : float
        The totals (``cum_*[-1]``).
    binding : bool
        Whether the efficacy bounds take the wedge into account.
    upper_nonbinding : ndarray
        The efficacy bounds without futility (used when not binding).
    r : int
        Jennison & Turnbull's grid parameter.

    Returns
    -------
    upper : ndarray
        K efficacy bounds (reject when ``|Z_k| >= c_k``).
    futility : ndarray
        K - 1 wedge bounds (stop when ``|Z_k| < a_k``; 0: none).
    theta : float
        The drift at which the power is ``1 - beta``.

    Examples
    --------
    >>> from simulator.analysis.boundaries import alpha_spending_bounds
    >>> from simulator.analysis.spending import spending
    >>> t = [0.5, 1.0]
    >>> ca, cb = spending("asOF", t, 0.05, sided=2), spending("bsOF", t, 0.1)
    >>> up = alpha_spending_bounds(t, ca, 2, None, 32)
    >>> c, a, theta = inner_wedge_bounds(t, ca, cb, 0.05, 0.1, False, up, 32)
    >>> round(float(a[0]), 4), round(theta, 4)
    (0.3447, 3.289)
    """
    fixed = None if binding else np.asarray(upper_nonbinding, float)
    passes: dict[float, tuple] = {}

    def excess(theta: float) -> float:
        if theta not in passes:
            passes[theta] = _wedge_pass(t, theta, cum_alpha, cum_beta,
                                        None if fixed is None else fixed.copy(), r)
        return passes[theta][0] - (1.0 - beta)

    guess = float(-special.ndtri(alpha / 2.0) - special.ndtri(beta))
    theta = float(optimize.brentq(excess, *drift_bracket(excess, guess), xtol=_THETA_TOL))
    excess(theta)
    _, upper, futility = passes[theta]
    if not math.isfinite(theta):
        raise ConvergenceError(f"no finite drift gives power 1 - beta = {1.0 - beta}")
    return upper, futility, theta
