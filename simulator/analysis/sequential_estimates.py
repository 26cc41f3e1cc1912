"""The estimate after a group-sequential trial: median unbiased under stage-wise ordering.

A trial that stops at an interim look because its estimate crossed a bound
overestimates the effect (it stopped *because* the estimate was large). The
median-unbiased estimate orders the outcomes of the design stage-wise
(Jennison & Turnbull 2000, section 8.4; Armitage 1957; Tsiatis, Rosner &
Mehta 1984): an outcome that stops at look ``k`` with ``Z_k = z`` is beyond
every outcome that stops later, and beyond those stopping at ``k`` with a
smaller ``Z``. Its one-sided p-value at drift ``theta`` is

``p(theta) = sum_{j<k} P_theta(exit above at j) + P_theta(no exit above before k, Z_k >= z)``

and the median-unbiased estimate is the ``theta`` with ``p(theta) = 1/2``.
As rpact does (``getFinalConfidenceInterval``, ``medianUnbiased``), the
continuation region before ``k`` is bounded above by the efficacy bounds
and below by the futility bounds only if they are binding; at the first
look the estimate is the observed one. On the Z scale of look ``k`` the
estimate is ``mu = theta sqrt(t_k)``; times the look's standard error it is
an effect (rpact: the standardized estimate times the pooled SD).

:func:`median_unbiased_z` solves one outcome exactly;
:func:`median_unbiased_table` tabulates every look's estimate over a grid
of ``z`` for simulations, which look up each trial's by interpolation;
:func:`conditional_power_table` does the same for the conditional power at
each interim look (under the design's drift and under the current trend).
Arrays in, arrays out: nothing here knows a scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._lazy import optimize
from .crossing import advance, exit_above, point_mass
from .sequential import SequentialDesign, conditional_power

__all__ = ["stagewise_pvalue", "median_unbiased_z", "MedianUnbiasedTable",
           "median_unbiased_table", "ConditionalPowerTable", "conditional_power_table"]

_THETA_LIMIT = 60.0  # |drift| searched by the exact solver
_Z_GRID = np.linspace(-5.0, 8.0, 131)  # the table's z (rpact returns NA beyond z = 8)
_THETA_STEP = 0.2
_TABLE_GRID = 16  # Jennison & Turnbull's r for the table (the solver: the design's)


def _lower(design: SequentialDesign) -> np.ndarray:
    """The lower end of each continuation region: binding futility bounds, else none."""
    if design.binding:
        return np.asarray(design.futility_bounds, float)
    return np.full(design.kmax - 1, -np.inf)


def stagewise_pvalue(design: SequentialDesign, look: int, z, theta: float) -> np.ndarray:
    """P(an outcome at least as extreme, stage-wise) of stopping at ``look`` with ``Z = z``.

    Parameters
    ----------
    design : SequentialDesign
    look : int
        The look the trial stopped at, 0-based.
    z : float or ndarray
        Its Z statistic (benefit positive).
    theta : float
        The drift (expected Z at full information).

    Examples
    --------
    >>> from simulator.analysis.sequential import group_sequential_design
    >>> d = group_sequential_design(2, alpha=0.025, alpha_spending="asOF")
    >>> round(float(stagewise_pvalue(d, 0, 1.96, 0.0)), 4)  # the first look: 1 - Phi(z)
    0.025
    """
    rates, crit, lower = design.information_rates, design.critical_values, _lower(design)
    mass, total = point_mass(), 0.0
    for j in range(look):
        total += float(exit_above(mass, rates[j], crit[j], theta))
        mass = advance(mass, rates[j], [(lower[j], crit[j])], theta, design.grid_points)
    return total + exit_above(mass, rates[look], z, theta)


def median_unbiased_z(design: SequentialDesign, look: int, z: float) -> float:
    """The median-unbiased estimate of the mean of ``Z`` at ``look``, from stopping there at ``z``.

    The drift ``theta`` with stage-wise p-value 1/2, times ``sqrt(t_look)``;
    at the first look ``z`` itself. Multiply by the look's standard error
    for the effect.

    Examples
    --------
    >>> from simulator.analysis.sequential import group_sequential_design
    >>> d = group_sequential_design(3, alpha=0.025, alpha_spending="asOF")
    >>> round(median_unbiased_z(d, 1, 2.6), 4)  # below 2.6: stopping early is selected
    2.5988
    """
    if look == 0:
        return float(z)
    root = optimize.brentq(lambda th: float(stagewise_pvalue(design, look, z, th)) - 0.5,
                           -_THETA_LIMIT, _THETA_LIMIT, xtol=1e-12)
    return float(root) * math.sqrt(float(design.information_rates[look]))


@dataclass(frozen=True, slots=True)
class MedianUnbiasedTable:
    """Every look's median-unbiased estimate on a grid of ``z`` (Z scale of the look).

    Attributes
    ----------
    z : ndarray
        The grid, -5 to 8.
    mu : ndarray
        (looks, grid): the estimate of the mean of ``Z_k`` at each ``z``.
    """

    z: np.ndarray
    mu: np.ndarray

    def lookup(self, look: int, z: np.ndarray) -> np.ndarray:
        """Each trial's estimate at ``look`` from its ``z``, by linear interpolation.

        Beyond the grid: below, the estimate goes on with the slope of the
        grid's first step (1 where the earlier looks weigh nothing there,
        less with binding futility bounds); above, it has levelled off.
        """
        z = np.asarray(z, float)
        mu = self.mu[look]
        out = np.interp(z, self.z, mu)
        low = z < self.z[0]
        if low.any():
            slope = (mu[1] - mu[0]) / (self.z[1] - self.z[0])
            out[low] = mu[0] + slope * (z[low] - self.z[0])
        return out


def median_unbiased_table(design: SequentialDesign) -> MedianUnbiasedTable:
    """The median-unbiased estimate of every look over ``z`` in [-5, 8].

    For each drift on a grid (step 0.1, over the range the roots can take)
    the stage-wise p-value of every ``z`` at every look is computed once;
    each ``z``'s root is then interpolated linearly between the two drifts
    that bracket 1/2 (``p`` is nearly linear there: the root is off by less
    than 1e-3 on the Z scale on the grid, 5e-3 at ``z = -6`` below it, which
    the tests check against the exact solver).
    """
    rates, crit, lower = design.information_rates, design.critical_values, _lower(design)
    k = design.kmax
    finite = np.isfinite(crit[:-1])
    top = float(np.max(crit[:-1][finite] / np.sqrt(rates[:-1][finite]))) if finite.any() else 0.0
    thetas = np.arange(_Z_GRID[0] / math.sqrt(rates[0]) - 1.0, max(top, _Z_GRID[-1]) + 1.0,
                       _THETA_STEP)
    # Only looks 2.. need roots, and each lies within [-9, 12] / sqrt(t_2): p(theta) is at
    # least P(Z_k >= z), so a root is at most z / sqrt(t_k). A first look at a tiny
    # information fraction would otherwise stretch the drifts over thousands of steps.
    reach = 1.0 / math.sqrt(float(rates[1]))
    thetas = thetas[(thetas >= -9.0 * reach) & (thetas <= 12.0 * reach)]
    p = np.empty((k, thetas.size, _Z_GRID.size))
    for i, theta in enumerate(thetas):
        mass, total = point_mass(), 0.0
        for j in range(k):
            p[j, i] = total + exit_above(mass, rates[j], _Z_GRID, theta)
            if j < k - 1:
                total += float(exit_above(mass, rates[j], crit[j], theta))
                mass = advance(mass, rates[j], [(lower[j], crit[j])], theta, _TABLE_GRID)
    mu = np.empty((k, _Z_GRID.size))
    mu[0] = _Z_GRID
    for j in range(1, k):
        mu[j] = _roots(thetas, p[j]) * math.sqrt(float(rates[j]))
    return MedianUnbiasedTable(z=_Z_GRID.copy(), mu=mu)


def _roots(thetas: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Per column of ``p`` (increasing down the rows in ``thetas``), where it crosses 1/2."""
    above = p >= 0.5
    i = np.clip(np.argmax(above, axis=0) - 1, 0, thetas.size - 2)
    cols = np.arange(p.shape[1])
    p0, p1 = p[i, cols], p[i + 1, cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip(np.where(p1 > p0, (0.5 - p0) / (p1 - p0), 0.5), 0.0, 1.0)
    return thetas[i] + frac * (thetas[i + 1] - thetas[i])


@dataclass(frozen=True, slots=True)
class ConditionalPowerTable:
    """Conditional power at each interim look over its continuation region.

    Attributes
    ----------
    z : ndarray
        (looks - 1, points): a grid of ``Z`` across each interim look's
        continuation region (from its futility bound, or -5, to its
        efficacy bound).
    design, trend : ndarray
        (looks - 1, points): the conditional power at each ``z`` under the
        design's drift and under the current trend ``z / sqrt(t)``
        (:func:`~simulator.analysis.sequential.conditional_power`).
    """

    z: np.ndarray
    design: np.ndarray
    trend: np.ndarray

    def lookup(self, look: int, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each trial's conditional power at ``look`` from its ``z`` (design, trend)."""
        return (np.interp(z, self.z[look], self.design[look]),
                np.interp(z, self.z[look], self.trend[look]))


def conditional_power_table(design: SequentialDesign, points: int = 61
                            ) -> ConditionalPowerTable:
    """:func:`conditional_power` on ``points`` values of ``Z`` at every interim look.

    Interpolated linearly, the table is within about 1e-3 of the exact
    conditional power (the tests check it); a trial still going at a look
    has its ``z`` inside that look's region.
    """
    rates, crit = design.information_rates, design.critical_values
    k = design.kmax
    lows = np.maximum(np.asarray(design.futility_bounds, float), -5.0) if k > 1 else np.empty(0)
    z = np.empty((k - 1, points))
    cp = np.empty((2, k - 1, points))
    for j in range(k - 1):
        top = min(float(crit[j]), 8.0)
        z[j] = np.linspace(min(lows[j], top - 1.0), top, points)
        for i, value in enumerate(z[j]):
            cp[0, j, i] = conditional_power(float(value), float(rates[j]), design)
            cp[1, j, i] = conditional_power(float(value), float(rates[j]), design, "trend")
    return ConditionalPowerTable(z=z, design=cp[0], trend=cp[1])
