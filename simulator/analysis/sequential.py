"""Group-sequential designs: bounds, futility, characteristics and conditional power.

:func:`group_sequential_design` builds a design with K looks at given
information fractions, one- or two-sided (symmetric efficacy bounds), from
an alpha-spending family (:mod:`simulator.analysis.spending`) or the
Wang-Tsiatis family, with optional one-sided futility: beta spending
(binding or not; the drift solved with the bounds so that the power is
``1 - beta``) or fixed bounds on the z scale. The bounds come from the
recursive numerical integration of :mod:`simulator.analysis.crossing` and
:mod:`simulator.analysis.boundaries`; the characteristics are those of
rpact's ``getDesignCharacteristics``, against which the tests check every
number. :func:`conditional_power` gives the probability of a later
rejection given an interim Z (Jennison & Turnbull 2000, ch. 10).

Conventions (rpact's): the drift ``theta`` is the expected Z at full
information under H1; the maximum information is ``theta^2`` in units of a
fixed design's ``(z_{1-alpha/sided} + z_{1-beta})^2``; the power counts
rejections in the upper direction only; with non-binding futility the
efficacy bounds and the alpha spent ignore the futility bounds, while the
power, the stopping probabilities and the expected information include
them. Arrays in, arrays out: nothing here knows a scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

from .._lazy import special
from ..errors import ScenarioError
from .boundaries import (alpha_spending_bounds, beta_spending_bounds, crossings,
                         drift_for_power, lower_bounds, wang_tsiatis_bounds)
from .crossing import advance, exit_above, point_mass
from .sequential_inputs import DesignInputs, design_inputs
from .spending import spending

__all__ = ["SequentialDesign", "StoppingProbabilities", "group_sequential_design",
           "conditional_power"]


@dataclass(frozen=True, slots=True)
class StoppingProbabilities:
    """Probability of stopping at each look (not cumulative).

    ``efficacy_*`` has one entry a look (crossing an efficacy bound, either
    side when two-sided); ``futility_*`` one a look before the last
    (crossing a futility bound, zeros without one). ``h0``: under the null
    hypothesis, futility bounds included; ``h1``: under the design drift.
    """

    efficacy_h0: np.ndarray
    futility_h0: np.ndarray
    efficacy_h1: np.ndarray
    futility_h1: np.ndarray


@dataclass(frozen=True, slots=True)
class SequentialDesign:
    """A group-sequential design and its characteristics (arrays read-only).

    Attributes
    ----------
    information_rates : ndarray
        Information fractions of the K looks (the last is 1).
    alpha, beta : float
        Type I error and type II error at the design drift.
    sided : int
        1 or 2 (symmetric two-sided efficacy bounds).
    alpha_spending, beta_spending : str or None
        rpact names: ``asOF``, ``asP``, ``asKD``, ``asHSD``, ``asUser``, or
        the Wang-Tsiatis ``OF``, ``P``, ``WT``; ``bs*`` or None.
    binding : bool
        Whether the futility bounds are binding.
    critical_values : ndarray
        Efficacy bounds on the z scale (``inf`` where a look spends nothing;
        two-sided: reject when ``|Z| >= c``).
    futility_bounds : ndarray
        K - 1 futility bounds on the z scale (stop when ``Z <= a``; ``-inf``
        where there is none).
    alpha_spent : ndarray
        Cumulative type I error by look (futility included only if binding).
    beta_spent : ndarray
        Cumulative probability under H1 of stopping for futility by look; the
        last entry adds the final acceptance, so it is ``1 - power[-1]``.
    power : ndarray
        Cumulative probability of an (upper) rejection by look under H1.
    drift : float
        Expected Z at full information under H1.
    fixed_information, max_information : float
        ``(z_{1-alpha/sided} + z_{1-beta})^2`` and ``drift^2``: the
        information (in units of the per-unit variance) a fixed design and
        this design need (rpact's ``nFixed`` and ``shift``).
    inflation_factor : float
        ``max_information / fixed_information``.
    expected_information_h0, expected_information_h01, expected_information_h1 : float
        Expected information under H0, half the drift, and H1, relative to
        the fixed design (rpact's ``averageSampleNumber0``, ``01``, ``1``).
    stopping_probabilities : StoppingProbabilities
    nominal_p : ndarray
        The bounds on the p-value scale: nominal ``sided``-sided p-value of
        each efficacy bound.
    grid_points : int
        Jennison & Turnbull's ``r`` used for the integrals.
    """

    information_rates: np.ndarray
    alpha: float
    beta: float
    sided: int
    alpha_spending: str
    beta_spending: str | None
    binding: bool
    critical_values: np.ndarray
    futility_bounds: np.ndarray
    alpha_spent: np.ndarray
    beta_spent: np.ndarray
    power: np.ndarray
    drift: float
    fixed_information: float
    max_information: float
    inflation_factor: float
    expected_information_h0: float
    expected_information_h01: float
    expected_information_h1: float
    stopping_probabilities: StoppingProbabilities
    nominal_p: np.ndarray
    grid_points: int

    @property
    def kmax(self) -> int:
        """The number of looks."""
        return int(self.information_rates.size)

    @property
    def expected_fraction_h0(self) -> float:
        """Expected information under H0 relative to the maximum information."""
        return self.expected_information_h0 / self.inflation_factor

    @property
    def expected_fraction_h01(self) -> float:
        """Expected information under half the drift relative to the maximum information."""
        return self.expected_information_h01 / self.inflation_factor

    @property
    def expected_fraction_h1(self) -> float:
        """Expected information under H1 relative to the maximum information."""
        return self.expected_information_h1 / self.inflation_factor


def _efficacy_bounds(d: DesignInputs):
    """(critical values, futility bounds, drift or None) from the checked inputs."""
    t, r = d.t, d.grid_points
    binding_futility = d.futility if d.binding else None
    if d.alpha_spending in ("OF", "P", "WT"):
        delta = {"OF": 0.0, "P": 0.5}.get(d.alpha_spending, d.delta_wt)
        upper = wang_tsiatis_bounds(t, d.alpha, delta, d.sided, binding_futility, r)
        return upper, d.futility, None
    cum_alpha = spending(d.alpha_spending, t, d.alpha, sided=d.sided, gamma=d.gamma_a,
                         user=d.user_alpha)
    if d.beta_spending is None:
        return alpha_spending_bounds(t, cum_alpha, d.sided, binding_futility, r), d.futility, None
    cum_beta = spending(d.beta_spending, t, d.beta, gamma=d.gamma_b, user=d.user_beta)
    return beta_spending_bounds(t, cum_alpha, cum_beta, d.alpha, d.beta, d.binding, r)


def _expected_information(t: np.ndarray, passed) -> float:
    """Expected information relative to the maximum: ``1 - sum stop_k (1 - t_k)``."""
    stop = (passed.above + passed.below)[:-1]
    return float(1.0 - np.sum(stop * (1.0 - t[:-1])))


def _frozen(*arrays):
    for a in arrays:
        a.flags.writeable = False
    return arrays


@lru_cache(maxsize=256)
def _design(d: DesignInputs) -> SequentialDesign:
    """The design and its characteristics (cached on the hashable inputs)."""
    t = np.array(d.t)
    upper, futility, drift = _efficacy_bounds(d)
    upper = np.asarray(upper, float)
    futility = np.full(t.size - 1, -np.inf) if futility is None else np.asarray(futility, float)
    if np.any(futility >= upper[:-1]):
        if d.beta_spending is not None:
            raise ScenarioError(f"beta_spending = {d.beta_spending!r}: its futility bounds "
                                f"{futility.tolist()} reach the critical values "
                                f"{upper[:-1].tolist()} before the last look; spend less "
                                "beta early")
        raise ScenarioError(f"futility_bounds = {futility.tolist()}: each must lie below its "
                            f"look's critical value {upper[:-1].tolist()}")
    lower = lower_bounds(upper, futility, d.sided)
    r = d.grid_points
    if drift is None:
        drift = drift_for_power(t, upper, lower, 1.0 - d.beta, r)
    alpha_lower = lower if d.binding or d.sided == 2 else lower_bounds(upper, None, 1)
    h0_alpha = crossings(t, upper, alpha_lower, 0.0, r)
    h0, h01, h1 = (crossings(t, upper, lower, theta, r) for theta in (0.0, drift / 2, drift))
    fixed = float((special.ndtri(d.alpha / d.sided) + special.ndtri(d.beta)) ** 2)
    inflation = drift * drift / fixed
    two = d.sided == 2
    stopping = StoppingProbabilities(*_frozen(
        h0.above + (h0.below if two else 0.0), h0.below[:-1] * (not two),
        h1.above + (h1.below if two else 0.0), h1.below[:-1] * (not two)))
    alpha_spent = np.cumsum(h0_alpha.above + (h0_alpha.below if two else 0.0))
    if abs(alpha_spent[-1] - d.alpha) > 1e-8:
        name = (f"futility_bounds = {list(d.futility)}" if d.futility is not None
                else f"beta_spending = {d.beta_spending!r}")
        raise ScenarioError(f"{name}: binding, they stop so many trials under H0 that only "
                            f"{alpha_spent[-1]:.6g} of alpha = {d.alpha} can be spent")
    power = np.cumsum(h1.above)
    beta_spent = np.cumsum(np.append(stopping.futility_h1, 0.0))
    beta_spent[-1] = 1.0 - power[-1]
    nominal = d.sided * special.ndtr(-upper)
    return SequentialDesign(
        *_frozen(t), d.alpha, d.beta, d.sided, d.alpha_spending, d.beta_spending, d.binding,
        *_frozen(upper, futility, alpha_spent, beta_spent, power), float(drift), fixed,
        float(drift * drift), inflation, inflation * _expected_information(t, h0),
        inflation * _expected_information(t, h01), inflation * _expected_information(t, h1),
        stopping, *_frozen(nominal), r)


def group_sequential_design(
    information_rates=3, alpha: float = 0.025, beta: float = 0.2, sided: int = 1,
    alpha_spending: str = "asOF", beta_spending: str | None = None, binding: bool = False,
    *, gamma_a: float | None = None, gamma_b: float | None = None,
    delta_wt: float | None = None, user_alpha_spending=None, user_beta_spending=None,
    futility_bounds=None, grid_points: int = 32,
) -> SequentialDesign:
    """A group-sequential design with its bounds and characteristics (rpact's conventions).

    Parameters
    ----------
    information_rates : int or sequence of float
        The information fractions of the looks (strictly increasing, the
        last 1), or a number of equally spaced looks.
    alpha : float
        Type I error: one-sided, or two-sided in all when ``sided = 2``.
    beta : float
        Type II error at the design drift (power ``1 - beta``).
    sided : {1, 2}
        One-sided, or two-sided with symmetric efficacy bounds.
    alpha_spending : str
        ``asOF``, ``asP``, ``asKD``, ``asHSD``, ``asUser`` (spending
        functions) or ``OF``, ``P``, ``WT`` (Wang-Tsiatis bounds
        ``C t^(Delta - 1/2)`` with ``Delta`` 0, 1/2 or ``delta_wt``).
    beta_spending : str, optional
        ``bsOF``, ``bsP``, ``bsKD``, ``bsHSD``, ``bsUser``: futility bounds
        that spend beta under the alternative (one-sided, alpha spending).
    binding : bool
        Binding futility: the efficacy bounds take the futility bounds into
        account; non-binding (default) they ignore them.
    gamma_a, gamma_b : float, optional
        Parameter of the KD (rho > 0) or HSD (gamma) alpha / beta family.
    delta_wt : float, optional
        Delta of ``WT``, in [-0.5, 1].
    user_alpha_spending, user_beta_spending : sequence of float, optional
        Cumulative alpha / beta of ``asUser`` / ``bsUser``, one value a look,
        ending at alpha / beta.
    futility_bounds : sequence of float, optional
        Fixed futility bounds on the z scale, one a look before the last
        (one-sided, no beta spending; ``-inf`` for none).
    grid_points : int
        Jennison & Turnbull's ``r`` (grid points per look about ``12 r``);
        32 gives bounds within about 1e-7.

    Returns
    -------
    SequentialDesign

    Raises
    ------
    ScenarioError
        An invalid argument, named with its value and what is allowed.

    Examples
    --------
    >>> d = group_sequential_design(3, alpha=0.025, beta=0.2, alpha_spending="asOF")
    >>> d.critical_values.round(4).tolist()
    [3.7103, 2.5114, 1.993]
    >>> round(d.inflation_factor, 4), round(d.expected_information_h1, 4)
    (1.0128, 0.8656)
    """
    inputs = design_inputs(information_rates, alpha, beta, sided, alpha_spending,
                           beta_spending, binding, gamma_a, gamma_b, delta_wt,
                           user_alpha_spending, user_beta_spending, futility_bounds, grid_points)
    return _design(inputs)


def conditional_power(z: float, t: float, design: SequentialDesign,
                      theta: float | Literal["trend"] | None = None) -> float:
    """Probability of an (upper) rejection at a later look given ``Z(t) = z``.

    The trial goes on from information fraction ``t`` through the design's
    looks after ``t`` with their efficacy bounds (and futility bounds if
    they are binding); Jennison & Turnbull (2000), section 10.2.

    Parameters
    ----------
    z : float
        The interim Z statistic.
    t : float
        Its information fraction, in (0, 1) and before the last look.
    design : SequentialDesign
    theta : float, "trend" or None
        The drift (expected Z at full information) to assume: a number, the
        design's drift (None), or the current trend ``z / sqrt(t)``.

    Examples
    --------
    >>> d = group_sequential_design(2, alpha=0.025, alpha_spending="asOF")
    >>> round(conditional_power(1.0, 0.5, d, theta=0.0), 4)
    0.0372
    >>> round(conditional_power(1.0, 0.5, d, theta="trend"), 4)
    0.2165
    """
    if not isinstance(design, SequentialDesign):
        raise ScenarioError(f"design = {design!r}: must be a SequentialDesign")
    rates = design.information_rates
    if not (isinstance(t, (int, float)) and 0.0 < t < rates[-1]):
        raise ScenarioError(f"t = {t!r}: must be an information fraction in (0, 1)")
    if not (isinstance(z, (int, float)) and math.isfinite(z)):
        raise ScenarioError(f"z = {z!r}: must be a finite number")
    if theta is None:
        drift = design.drift
    elif isinstance(theta, str) and theta == "trend":
        drift = z / math.sqrt(t)
    elif (isinstance(theta, (int, float)) and not isinstance(theta, bool)
          and math.isfinite(theta)):
        drift = float(theta)
    else:
        raise ScenarioError(f"theta = {theta!r}: must be a finite drift, 'trend' or None")
    futility = design.futility_bounds if design.binding else np.full(rates.size - 1, -np.inf)
    lower = lower_bounds(design.critical_values, futility, design.sided)
    mass, total = point_mass(t, z), 0.0
    for k in np.flatnonzero(rates > t):
        total += float(exit_above(mass, rates[k], design.critical_values[k], drift))
        if k + 1 < rates.size:
            mass = advance(mass, rates[k], [(lower[k], design.critical_values[k])], drift,
                           design.grid_points)
    return total
