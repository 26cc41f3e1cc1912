"""The estimate and interval after a group-sequential trial, under stage-wise ordering.

A trial that stops at an interim look because its estimate crossed a bound
overestimates the effect (it stopped *because* the estimate was large). The
median-unbiased estimate orders the outcomes of the design stage-wise
(Jennison & Turnbull 2000, section 8.4; Armitage 1957; Tsiatis, Rosner &
Mehta 1984): an outcome that stops at look ``k`` with ``Z_k = z`` is beyond
every outcome that stops later, and beyond those stopping at ``k`` with a
smaller ``Z``. Its one-sided p-value at drift ``theta`` is

``p(theta) = sum_{j<k} P_theta(exit above at j) + P_theta(no exit before k, Z_k >= z)``

and the median-unbiased estimate is the ``theta`` with ``p(theta) = 1/2``.
The final confidence interval is the ``theta`` with ``p(theta) = a`` to the
one with ``p(theta) = 1 - a``, ``a = alpha / sided`` of the design (a 95 %
interval for a one-sided alpha of 0.025): the drifts the outcome does not
reject in either direction. As rpact does (``getFinalConfidenceInterval``:
``medianUnbiased`` and ``finalConfidenceInterval``), the
continuation region before ``k`` is bounded above by the efficacy bounds
and below by the futility bounds only if they are binding; a two-sided
design's lower efficacy bounds ``-c_j`` end it below (a trial stops there,
and with them the ordering is the same seen from either side); at the
first look the estimate is the observed one. On the Z scale of look ``k`` the
estimate is ``mu = theta sqrt(t_k)``; times the look's standard error it is
an effect (rpact: the standardized estimate times the pooled SD).

:func:`median_unbiased_z` and :func:`final_interval_z` solve one outcome
exactly; :func:`stagewise_table` tabulates every look's estimate and
interval over a grid of ``z`` for simulations, which look up each trial's
by interpolation;
:func:`conditional_power_table` does the same for the conditional power at
each interim look (under the design's drift and under the current trend).
Arrays in, arrays out: nothing here knows a scenario.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .._lazy import optimize, special
from ..errors import ScenarioError
from .crossing import advance, exit_above, point_mass
from .power_inputs import check_number
from .sequential import SequentialDesign, conditional_power

__all__ = ["stagewise_pvalue", "median_unbiased_z", "final_interval_z", "StagewiseTable",
           "stagewise_table", "ConditionalPowerTable", "conditional_power_table"]

_THETA_LIMIT = 60.0  # |drift| searched by the exact solver
_Z_GRID = np.linspace(-5.0, 8.0, 131)  # the table's z (rpact returns NA beyond z = 8)
#: A two-sided design's grid: as far below 0 as above (its lower bounds cap the drift there
#: as the upper ones do above, so the values level off instead of going on with slope 1).
_Z_GRID_TWO_SIDED = np.linspace(-8.0, 8.0, 161)
_THETA_STEP = 0.2
_TABLE_GRID = 16  # Jennison & Turnbull's r for the table (the solver: the design's)


def _lower(design: SequentialDesign) -> np.ndarray:
    """The lower end of each continuation region: binding futility bounds; a two-sided
    design's lower efficacy bounds (-c: a trial stops there too); else none."""
    if design.binding:
        return np.asarray(design.futility_bounds, float)
    if design.sided == 2:
        return -np.asarray(design.critical_values[:-1], float)
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
    _check_stop(design, look, z)
    check_number("theta", theta, what="a finite drift")
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
    return _stagewise_root(design, look, z, 0.5)


def final_interval_z(design: SequentialDesign, look: int, z: float) -> tuple[float, float]:
    """The final confidence interval of the mean of ``Z`` at ``look``, from stopping there at ``z``.

    The drifts with stage-wise p-value ``a`` and ``1 - a``, ``a = alpha /
    sided``, times ``sqrt(t_look)``: a ``1 - 2a`` interval (95 % for a
    one-sided alpha of 0.025, as rpact's ``finalConfidenceInterval``). At
    the first look ``z -+ z_{1-a}``. Multiply by the look's standard error
    for the effect.

    Examples
    --------
    >>> from simulator.analysis.sequential import group_sequential_design
    >>> d = group_sequential_design(3, alpha=0.025, alpha_spending="asOF")
    >>> [round(v, 4) for v in final_interval_z(d, 0, 2.0)]  # first look: z -+ 1.96
    [0.04, 3.96]
    >>> [round(v, 4) for v in final_interval_z(d, 1, 2.6)]
    [0.6378, 4.5592]
    """
    a = design.alpha / design.sided
    return _stagewise_root(design, look, z, a), _stagewise_root(design, look, z, 1.0 - a)


def _stagewise_root(design: SequentialDesign, look: int, z: float, level: float) -> float:
    """The mean of ``Z`` at ``look`` whose stage-wise p-value of ``(look, z)`` is ``level``."""
    _check_stop(design, look, z)
    if look == 0:  # P(Z_1 >= z) = Phi(theta sqrt(t_1) - z)
        return float(z) + float(special.ndtri(level))
    try:
        root = optimize.brentq(lambda th: float(stagewise_pvalue(design, look, z, th)) - level,
                               -_THETA_LIMIT, _THETA_LIMIT, xtol=1e-12)
    except ValueError:  # no sign change: z so extreme that no drift in the bracket fits
        raise ScenarioError(f"z = {z!r} at look {look}: so extreme that no drift within "
                            f"+-{_THETA_LIMIT:g} gives it a stage-wise p-value of {level:g}"
                            ) from None
    return float(root) * math.sqrt(float(design.information_rates[look]))


def _check_stop(design: SequentialDesign, look: int, z) -> None:
    """A design, a look that is one of its looks (0-based), finite z (ScenarioError)."""
    if not isinstance(design, SequentialDesign):
        raise ScenarioError(f"design = {design!r}: must be a SequentialDesign")
    looks = len(design.information_rates)
    if (isinstance(look, bool) or not isinstance(look, numbers.Integral)
            or not 0 <= look < looks):
        raise ScenarioError(f"look = {look!r}: must be an integer in [0, {looks - 1}] (0-based: "
                            f"the design has {looks} looks)")
    check_number("z", z)


@dataclass(frozen=True, slots=True)
class StagewiseTable:
    """Every look's median-unbiased estimate and final interval on a grid of ``z``.

    All on the Z scale of the look (the mean of ``Z_k``; times the look's
    standard error, an effect).

    Attributes
    ----------
    z : ndarray
        The grid, -5 to 8 (two-sided designs: -8 to 8).
    median, lower, upper : ndarray
        (looks, grid): the median-unbiased estimate and the final confidence
        interval's ends at each ``z``.
    alpha_side : float
        ``a = alpha / sided`` of the design: the interval is ``1 - 2a``.
    """

    z: np.ndarray
    median: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    alpha_side: float

    def lookup(self, look: int, z: np.ndarray, what: str = "median") -> np.ndarray:
        """Each trial's ``what`` (median, lower, upper) at ``look`` from its ``z``.

        Linear interpolation. Beyond the grid the values go on with the slope
        of the grid's last step on that side: below, 1 where the earlier looks
        weigh nothing there (less with binding futility bounds); above, about
        0 where an earlier look's efficacy bound caps the drift (the values
        have levelled off) and about 1 where the earlier looks spend little
        or no alpha.
        """
        z = np.asarray(z, float)
        values = getattr(self, what)[look]
        out = np.interp(z, self.z, values)
        for beyond, i, j in ((z < self.z[0], 0, 1), (z > self.z[-1], -1, -2)):
            if beyond.any():
                slope = (values[i] - values[j]) / (self.z[i] - self.z[j])
                out[beyond] = values[i] + slope * (z[beyond] - self.z[i])
        return out


def stagewise_table(design: SequentialDesign) -> StagewiseTable:
    """The median-unbiased estimate and final interval of every look over ``z`` in [-5, 8]
    ([-8, 8] for a two-sided design).

    For each drift on a grid (step 0.2, over the range the roots can take)
    the stage-wise p-value of every ``z`` at every look is computed once;
    each ``z``'s roots (``p`` = 1/2, ``a`` and ``1 - a``) are then
    interpolated linearly on the probit scale between the two drifts that
    bracket them: ``Phi^-1(p)`` is nearly straight in the drift (exactly so at
    the first look). Read between the grid's ``z``, the estimate is within
    1e-3 of the exact solver's and the interval's ends within 1.5e-3 (the
    tests check both): on the effect, 1e-3 and 1.5e-3 of its standard error.
    Beyond the grid :meth:`StagewiseTable.lookup` extrapolates (within 3e-2
    at ``z = 9``, 1e-2 at ``z = 10`` where the values keep rising).
    """
    rates, crit, lower = design.information_rates, design.critical_values, _lower(design)
    k = design.kmax
    a = design.alpha / design.sided
    q = float(special.ndtri(1.0 - a))
    # Only looks 2.. need roots. At look k a root for level L lies below (z + z_L) / sqrt(t_k)
    # (p is at least P(Z_k >= z)) and below the drift at which the first look's efficacy
    # bound is crossed with probability L; above (z - q) / sqrt(t_k) - 1 with level a.
    reach = 1.0 / math.sqrt(float(rates[1]))
    grid = _Z_GRID if design.sided == 1 else _Z_GRID_TWO_SIDED
    top = (grid[-1] + q) * reach
    bottom = (grid[0] - q) * reach
    if math.isfinite(float(crit[0])):
        top = min(top, (float(crit[0]) + q) / math.sqrt(float(rates[0])))
        if design.sided == 2:  # mirrored: the first lower bound caps the drift below
            bottom = max(bottom, -(float(crit[0]) + q) / math.sqrt(float(rates[0])))
    thetas = np.arange(bottom - 1.0, top + 1.0, _THETA_STEP)
    p = np.empty((k, thetas.size, grid.size))
    for i, theta in enumerate(thetas):
        mass, total = point_mass(), 0.0
        for j in range(k):
            p[j, i] = total + exit_above(mass, rates[j], grid, theta)
            if j < k - 1:
                total += float(exit_above(mass, rates[j], crit[j], theta))
                mass = advance(mass, rates[j], [(lower[j], crit[j])], theta, _TABLE_GRID)
    roots = {}
    for name, level in (("median", 0.5), ("lower", a), ("upper", 1.0 - a)):
        values = np.empty((k, grid.size))
        values[0] = grid + special.ndtri(level)
        for j in range(1, k):
            values[j] = _roots(thetas, p[j], level) * math.sqrt(float(rates[j]))
        roots[name] = values
    return StagewiseTable(z=grid.copy(), **roots, alpha_side=a)


def _roots(thetas: np.ndarray, p: np.ndarray, level: float) -> np.ndarray:
    """Per column of ``p`` (increasing down the rows in ``thetas``), where it crosses ``level``.

    Linear interpolation of ``Phi^-1(p)`` between the two rows that bracket it.
    """
    above = p >= level
    i = np.clip(np.argmax(above, axis=0) - 1, 0, thetas.size - 2)
    cols = np.arange(p.shape[1])
    g0, g1 = (special.ndtri(np.clip(p[r, cols], 1e-300, 1.0 - 1e-16)) for r in (i, i + 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip(np.where(g1 > g0, (special.ndtri(level) - g0) / (g1 - g0), 0.5), 0.0,
                       1.0)
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
