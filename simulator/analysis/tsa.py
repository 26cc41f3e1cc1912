"""Trial sequential analysis (TSA): monitoring boundaries of a cumulative meta-analysis.

A TSA treats each update of a meta-analysis as an interim look of a group-
sequential test whose maximum information is the required information size
(RIS; :mod:`simulator.analysis.information_size`): Wetterslev, Thorlund,
Brok and Gluud (2008); Thorlund et al., *User manual for Trial Sequential
Analysis (TSA)*, Copenhagen Trial Unit 2011 (revised 2017).

* **Looks and fractions.** The looks are the existing studies in order, then
  each new trial: look k has the cumulative information ``I_k`` (inverse
  variance, or participants: any unit, the same as the RIS) and the
  information fraction ``t_k = min(I_k / RIS, 1)``: information beyond the
  RIS caps the fraction at 1, as the TSA software does. The first look that
  reaches the RIS is the final analysis of the design and spends all the
  alpha left; any later look keeps that final boundary.
* **Efficacy boundaries.** Lan-DeMets alpha spending over the fractions
  (:mod:`simulator.analysis.spending`: ``asOF`` O'Brien-Fleming type, the
  TSA default, ``asP``, ``asKD``, ``asHSD``), solved by recursive
  integration (:mod:`simulator.analysis.boundaries`). Two-sided boundaries
  are symmetric (``|Z_k| >= c_k``). A look whose fraction spends no alpha
  (``asOF`` at a tiny fraction) has ``c_k = inf``.
* **Futility boundaries** (optional, beta spending ``bs*``): computed with the
  design completed by a planned final look at the RIS when the last look is
  short of it; the drift (expected Z at the RIS) is solved with the bounds so
  that the power is ``1 - beta`` and the bounds meet at the RIS (rpact's
  convention; :attr:`TSABoundaries.inflation_factor` is how much more than
  the fixed-design information this implies). One-sided: the bounds of
  :func:`simulator.analysis.boundaries.beta_spending_bounds`; two-sided: the
  inner wedge of :mod:`simulator.analysis.tsa_wedge`. Binding or not.
* **TSA-adjusted CI** (the TSA manual): the CI with the current boundary in
  place of ``z_{1-alpha/2}``: ``estimate +- c_K SE`` (:func:`tsa_adjusted_ci`).
* **t-based (HKSJ) monitoring.** The boundaries are solved on the Z scale;
  a statistic with ``df`` degrees of freedom (HKSJ: k - 1) is compared with
  the boundary at the same nominal level, ``t_df^{-1}(Phi(c_k))``
  (:func:`boundary_quantile`). As ``c_k >= z_{1-alpha/sided}`` without
  binding futility, the TSA rule on the t scale is never more lenient than
  the plain HKSJ CI, and the TSA-adjusted CI contains the HKSJ CI.

Arrays in, arrays out; nothing here knows a scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._lazy import special
from ..errors import ScenarioError
from .boundaries import (alpha_spending_bounds, beta_spending_bounds, crossings,
                         lower_bounds)
from .crossing import advance, exit_above, exit_below, point_mass
from .spending import spending
from .tsa_inputs import tsa_design_inputs, tsa_looks
from .tsa_wedge import inner_wedge_bounds

__all__ = ["TSABoundaries", "tsa_boundaries", "tsa_adjusted_ci", "boundary_quantile", "grid_for"]


def boundary_quantile(critical_value, df=None):
    """A Z-scale boundary moved to a t(df) statistic at the same nominal level.

    ``t_df^{-1}(Phi(c))``; ``df`` None (or inf) returns ``c``. Monotone,
    and larger than ``c`` in absolute value for finite ``df``.

    Examples
    --------
    >>> round(float(boundary_quantile(1.959964, 4)), 4)  # t_{0.975, 4}
    2.7764
    """
    c = np.asarray(critical_value, float)
    if df is None:
        return c
    df = np.asarray(df, float)
    if np.any(~(df > 0.0)):
        raise ScenarioError(f"df = {df.tolist()!r}: must be > 0 (or None for the normal)")
    return np.where(np.isfinite(df), special.stdtrit(np.where(np.isfinite(df), df, 1.0),
                                                     special.ndtr(c)), c)


def tsa_adjusted_ci(estimate, se, critical_value, df=None) -> tuple[np.ndarray, np.ndarray]:
    """The TSA-adjusted confidence interval: ``estimate +- c SE``.

    Thorlund et al. (TSA manual 2011, section 4.4): the CI with the
    monitoring boundary of the current look in place of ``z_{1-alpha/2}``.
    With ``df`` (HKSJ, t(k - 1)) the boundary moves to the t scale at the same
    nominal level (:func:`boundary_quantile`).

    Parameters
    ----------
    estimate, se : array_like
        The pooled estimate and its SE at the look.
    critical_value : array_like
        The boundary on the Z scale (``inf`` gives an infinite interval).
    df : array_like, optional
        Degrees of freedom of a t-based statistic.

    Returns
    -------
    (low, high) : tuple of ndarray

    Examples
    --------
    >>> lo, hi = tsa_adjusted_ci(-0.8, 0.25, 2.5)
    >>> round(float(lo), 4), round(float(hi), 4)
    (-1.425, -0.175)
    """
    half = boundary_quantile(critical_value, df) * np.asarray(se, float)
    estimate = np.asarray(estimate, float)
    return estimate - half, estimate + half


@dataclass(frozen=True, slots=True)
class TSABoundaries:
    """The monitoring boundaries of a trial sequential analysis, one entry a look.

    Attributes
    ----------
    information : ndarray
        Cumulative information at each look (as given).
    required_information : float
        The RIS, in the same units.
    fractions : ndarray
        ``min(information / RIS, 1)``.
    critical_values : ndarray
        Efficacy boundaries on the Z scale (two-sided: reject when ``|Z| >=
        c``; one-sided: when ``Z >= c``); ``inf`` where no alpha is spent.
    futility_bounds : ndarray
        One-sided: stop for futility when ``Z <= a``; two-sided: when ``|Z| <
        a``; NaN where there is none (no beta spending, a look at the RIS, a
        look that spends no beta).
    alpha_spent : ndarray
        Cumulative alpha of the spending function at each fraction.
    nominal_alpha : ndarray
        ``sided (1 - Phi(c))``: the nominal level of each efficacy boundary.
    final_critical_value : float
        The boundary at the RIS (the design's final look).
    drift, inflation_factor : float or None
        With futility: the expected Z at the RIS that gives power ``1 -
        beta``, and ``drift^2 / (z_{1-alpha/sided} + z_{1-beta})^2``.
    alpha, beta, sided, alpha_spending, beta_spending, binding, grid_points
        The design, as asked.
    """

    information: np.ndarray
    required_information: float
    fractions: np.ndarray
    critical_values: np.ndarray
    futility_bounds: np.ndarray
    alpha_spent: np.ndarray
    nominal_alpha: np.ndarray
    final_critical_value: float
    drift: float | None
    inflation_factor: float | None
    alpha: float
    beta: float
    sided: int
    alpha_spending: str
    beta_spending: str | None
    binding: bool
    grid_points: int

    def adjusted_ci(self, estimate, se, df=None) -> tuple[np.ndarray, np.ndarray]:
        """The TSA-adjusted CI at the last look (see :func:`tsa_adjusted_ci`).

        Examples
        --------
        >>> b = tsa_boundaries([4.0, 8.0], 16.0)
        >>> lo, hi = b.adjusted_ci(-1.0, 0.35)
        >>> round(float(hi), 4)
        0.0371
        """
        return tsa_adjusted_ci(estimate, se, self.critical_values[-1], df)

    def to_dict(self) -> dict:
        """JSON-ready values (lists for arrays; infinities as they are)."""
        out = {}
        for name in self.__slots__:
            value = getattr(self, name)
            out[name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out


def grid_for(t, grid_points: int) -> int:
    """Jennison & Turnbull's ``r`` that resolves the closest pair of looks.

    The step from look k-1 to k has SD ``sqrt((t_k - t_{k-1}) / t_k)`` on the
    Z scale while the grid spacing is about ``1.5 / r``: ``r`` is raised to
    ``20 sqrt(t_k / (t_k - t_{k-1}))`` (at most 256) so that every step spans
    some 13 grid intervals, which keeps the bounds within about 1e-7.

    Examples
    --------
    >>> grid_for([0.5, 1.0], 32), grid_for([0.36, 0.40, 1.0], 32)
    (32, 64)
    """
    t = np.asarray(t, float)
    steps = np.diff(np.concatenate([[0.0], t])) / t
    return int(min(256, max(grid_points, math.ceil(20.0 / math.sqrt(float(steps.min()))))))


def _design_bounds(d, t: np.ndarray):
    """(upper, futility or None, drift or None) at the design fractions ``t``."""
    cum_alpha = spending(d.alpha_spending, t, d.alpha, sided=d.sided, gamma=d.gamma_a)
    r = grid_for(t, d.grid_points)
    if d.beta_spending is None:
        return alpha_spending_bounds(t, cum_alpha, d.sided, None, r), None, None
    cum_beta = spending(d.beta_spending, t, d.beta, gamma=d.gamma_b)
    if d.sided == 1:
        upper, futility, theta = beta_spending_bounds(t, cum_alpha, cum_beta, d.alpha,
                                                      d.beta, d.binding, r)
        lower = lower_bounds(upper, futility, 1)
    else:
        plain = alpha_spending_bounds(t, cum_alpha, 2, None, r)
        upper, futility, theta = inner_wedge_bounds(t, cum_alpha, cum_beta, d.alpha, d.beta,
                                                    d.binding, plain, r)
        lower = None
    if d.binding:
        _check_binding(d, t, upper, lower, futility, r)
    return upper, futility, theta


def _check_binding(d, t, upper, lower, futility, r) -> None:
    """Binding futility must leave all of alpha spendable (else a named error)."""
    if d.sided == 1:
        spent = float(crossings(t, upper, lower, 0.0, r).above.sum())
    else:
        from_wedge = np.append(futility, upper[-1])  # |Z| < a stops; the last look accepts
        spent = _two_sided_alpha(t, upper, from_wedge, r)
    if abs(spent - d.alpha) > 1e-8:
        raise ScenarioError(f"beta_spending = {d.beta_spending!r}: binding, the futility "
                            f"bounds stop so many looks under H0 that only {spent:.6g} of "
                            f"alpha = {d.alpha} can be spent")


def _two_sided_alpha(t, upper, wedge, r) -> float:
    mass, total = point_mass(), 0.0
    for k, tk in enumerate(t):
        total += float(exit_above(mass, tk, upper[k], 0.0) + exit_below(mass, tk, -upper[k], 0.0))
        if k + 1 < len(t):
            mass = advance(mass, tk, [(-upper[k], -wedge[k]), (wedge[k], upper[k])], 0.0, r)
    return total


def _map_to_looks(fractions: np.ndarray):
    """The design fractions (distinct, ending at 1) and each look's index among them."""
    distinct = list(dict.fromkeys(fractions.tolist()))
    if distinct[-1] < 1.0:
        distinct.append(1.0)
    index = np.searchsorted(np.array(distinct), fractions)
    return np.array(distinct), index


def tsa_boundaries(information, required_information: float, *, alpha: float = 0.05,
                   beta: float = 0.1, sided: int = 2, alpha_spending: str = "asOF",
                   beta_spending: str | None = None, binding: bool = False,
                   gamma_a: float | None = None, gamma_b: float | None = None,
                   grid_points: int = 32) -> TSABoundaries:
    """The boundaries of a trial sequential analysis at the looks of a cumulative meta-analysis.

    Lan-DeMets alpha spending over the information fractions ``min(I_k / RIS,
    1)`` (Wetterslev et al. 2008; TSA manual, Thorlund et al. 2011/2017),
    with optional beta-spending futility bounds; see the module notes for the
    conventions (the cap at 1, the planned final look, the drift).

    Parameters
    ----------
    information : sequence of float
        Cumulative information at each look, strictly increasing: the
        existing studies in order, then each new trial.
    required_information : float
        The RIS (or a heterogeneity-adjusted one) in the same units.
    alpha : float
        Type I error in all (two-sided: ``alpha / 2`` a side).
    beta : float
        Type II error of the futility bounds (used only with ``beta_spending``).
    sided : {1, 2}
        Two-sided symmetric boundaries (the TSA default) or one-sided
        (upper: orient Z so that the direction tested is positive).
    alpha_spending : {"asOF", "asP", "asKD", "asHSD"}
        The alpha-spending family (rpact's names; ``asOF`` is the TSA's).
    beta_spending : {"bsOF", "bsP", "bsKD", "bsHSD"}, optional
        A beta-spending family for futility bounds.
    binding : bool
        Whether the efficacy boundaries take the futility bounds into account.
    gamma_a, gamma_b : float, optional
        Parameter of the KD (rho > 0) or HSD (gamma) families.
    grid_points : int
        The least of Jennison & Turnbull's ``r``; raised for closely spaced
        looks (:func:`grid_for`); 32 gives bounds within about 1e-7.

    Returns
    -------
    TSABoundaries

    Raises
    ------
    ScenarioError
        An invalid argument, named with its value and what is allowed.

    Examples
    --------
    >>> b = tsa_boundaries([2.0, 5.0, 8.0, 12.0], 10.5)
    >>> b.fractions.round(4).tolist()
    [0.1905, 0.4762, 0.7619, 1.0]
    >>> b.critical_values.round(4).tolist()
    [5.0038, 3.0454, 2.3318, 2.0167]
    """
    info, ris, fractions = tsa_looks(information, required_information, beta_spending,
                                   alpha_spending)
    t, index = _map_to_looks(fractions)
    d = tsa_design_inputs(alpha, beta, sided, alpha_spending, beta_spending, binding, gamma_a,
                   gamma_b, grid_points)
    upper, futility, drift = _design_bounds(d, t)
    wedge = np.full(t.size, np.nan)
    if futility is not None:
        wedge[:-1] = np.where(futility > (-np.inf if sided == 1 else 0.0), futility, np.nan)
    critical = upper[index]
    fixed = float((special.ndtri(d.alpha / d.sided) + special.ndtri(d.beta)) ** 2)
    frozen = [np.array(x, float) for x in (info, fractions, critical, wedge[index],
                                           spending(d.alpha_spending, fractions, d.alpha,
                                                    sided=d.sided, gamma=d.gamma_a),
                                           d.sided * special.ndtr(-critical))]
    for x in frozen:
        x.setflags(write=False)
    return TSABoundaries(frozen[0], ris, frozen[1], frozen[2], frozen[3], frozen[4], frozen[5],
                         float(upper[-1]), drift, None if drift is None else drift**2 / fixed,
                         d.alpha, d.beta, d.sided, d.alpha_spending, d.beta_spending,
                         d.binding, d.grid_points)
