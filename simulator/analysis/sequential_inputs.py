"""The checked inputs of a group-sequential design, hashable for caching.

:func:`design_inputs` checks every argument of
:func:`simulator.analysis.sequential.group_sequential_design` and raises
:class:`simulator.errors.ScenarioError` naming the parameter, its value and
what is allowed; what it returns holds only floats, strings and tuples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ScenarioError
from .spending import ALPHA_SPENDING, BETA_SPENDING

__all__ = ["DesignInputs", "design_inputs", "WANG_TSIATIS", "MAX_LOOKS"]

#: rpact's names of the Wang-Tsiatis family: O'Brien-Fleming, Pocock, any Delta.
WANG_TSIATIS = ("OF", "P", "WT")
MAX_LOOKS = 20


@dataclass(frozen=True, slots=True)
class DesignInputs:
    """Checked, hashable inputs (see :func:`design_inputs`)."""

    t: tuple[float, ...]
    alpha: float
    beta: float
    sided: int
    alpha_spending: str
    beta_spending: str | None
    binding: bool
    gamma_a: float | None
    gamma_b: float | None
    delta_wt: float | None
    user_alpha: tuple[float, ...] | None
    user_beta: tuple[float, ...] | None
    futility: tuple[float, ...] | None
    grid_points: int


def _information_rates(information_rates) -> tuple[float, ...]:
    if isinstance(information_rates, (int, np.integer)) and not isinstance(
            information_rates, bool):
        k = int(information_rates)
        if not 1 <= k <= MAX_LOOKS:
            raise ScenarioError(f"information_rates = {k}: a number of looks must be an "
                                f"integer in [1, {MAX_LOOKS}]")
        return tuple((i + 1) / k for i in range(k))
    try:
        t = np.asarray(information_rates, float)
    except (TypeError, ValueError):
        t = np.array([np.nan])
    if t.ndim != 1 or not 1 <= t.size <= MAX_LOOKS or not np.all(np.isfinite(t)):
        raise ScenarioError(f"information_rates = {information_rates!r}: must be 1 to "
                            f"{MAX_LOOKS} finite numbers (or a number of looks)")
    if t[0] <= 0.0 or np.any(np.diff(t) <= 0.0) or abs(t[-1] - 1.0) > 1e-12:
        raise ScenarioError(f"information_rates = {t.tolist()}: must increase strictly "
                            "from above 0 to exactly 1")
    return tuple(float(x) for x in t[:-1]) + (1.0,)


def _probability(value, name: str, upper: float = 1.0) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.floating))
            or not 0.0 < value < upper):
        raise ScenarioError(f"{name} = {value!r}: must be a number in (0, {upper:g})")
    return float(value)


def _parameter(value, name: str, family: str, positive: bool) -> float:
    allowed = "a finite number > 0" if positive else "a finite number"
    if (value is None or isinstance(value, bool)
            or not isinstance(value, (int, float, np.floating)) or not math.isfinite(value)
            or (positive and value <= 0.0)):
        shown = "(missing)" if value is None else repr(value)
        raise ScenarioError(f"{name} = {shown}: {family} needs {allowed}")
    return float(value)


def _cumulative(values, name: str, k: int, total: float, family: str) -> tuple[float, ...]:
    if values is None:
        raise ScenarioError(f"{name} = (missing): {family} needs one cumulative value a look")
    try:
        v = np.asarray(values, float)
    except (TypeError, ValueError):
        v = np.array([np.nan])
    if v.shape != (k,) or not np.all(np.isfinite(v)):
        raise ScenarioError(f"{name} = {values!r}: must be {k} finite numbers, one a look")
    if np.any(v < 0.0) or np.any(np.diff(v) < 0.0) or abs(v[-1] - total) > 1e-12:
        raise ScenarioError(f"{name} = {v.tolist()}: must be >= 0, non-decreasing and end "
                            f"at {total}")
    return tuple(float(x) for x in v)


def _futility(futility_bounds, k: int, sided: int, beta_spending) -> tuple[float, ...] | None:
    if futility_bounds is None:
        return None
    if sided != 1 or beta_spending is not None:
        raise ScenarioError(f"futility_bounds = {futility_bounds!r}: fixed futility bounds "
                            "need sided = 1 and no beta_spending")
    try:
        f = np.asarray(futility_bounds, float)
    except (TypeError, ValueError):
        f = np.array([np.nan])
    if f.shape != (k - 1,) or np.any(np.isnan(f)) or np.any(f == np.inf):
        raise ScenarioError(f"futility_bounds = {futility_bounds!r}: must be {k - 1} numbers "
                            "on the z scale (one a look before the last; -inf for none)")
    return tuple(float(x) for x in f)


def _check_families(alpha_spending, beta_spending, sided: int) -> None:
    if alpha_spending not in ALPHA_SPENDING + WANG_TSIATIS:
        raise ScenarioError(f"alpha_spending = {alpha_spending!r}: must be one of "
                            f"{', '.join(ALPHA_SPENDING + WANG_TSIATIS)}")
    if beta_spending is None:
        return
    if beta_spending not in BETA_SPENDING:
        raise ScenarioError(f"beta_spending = {beta_spending!r}: must be None or one of "
                            f"{', '.join(BETA_SPENDING)}")
    if sided != 1:
        raise ScenarioError(f"beta_spending = {beta_spending!r}: beta spending needs "
                            f"sided = 1, not {sided}")
    if alpha_spending in WANG_TSIATIS:
        raise ScenarioError(f"beta_spending = {beta_spending!r}: needs an alpha-spending "
                            f"family (as*), not alpha_spending = {alpha_spending!r}")


def design_inputs(information_rates, alpha, beta, sided, alpha_spending, beta_spending, binding,
                  gamma_a, gamma_b, delta_wt, user_alpha_spending, user_beta_spending,
                  futility_bounds, grid_points) -> DesignInputs:
    """Check and normalise the arguments of a group-sequential design.

    Examples
    --------
    >>> design_inputs(2, 0.025, 0.2, 1, "asOF", None, False, None, None, None, None,
    ...               None, None, 32).t
    (0.5, 1.0)
    """
    t = _information_rates(information_rates)
    if sided not in (1, 2) or isinstance(sided, bool):
        raise ScenarioError(f"sided = {sided!r}: must be 1 or 2")
    alpha = _probability(alpha, "alpha", 0.5 * sided)
    beta = _probability(beta, "beta", 1.0 - alpha / sided)
    _check_families(alpha_spending, beta_spending, sided)
    if not isinstance(binding, (bool, np.bool_)):
        raise ScenarioError(f"binding = {binding!r}: must be True or False")
    if (isinstance(grid_points, bool) or not isinstance(grid_points, (int, np.integer))
            or not 8 <= grid_points <= 256):
        raise ScenarioError(f"grid_points = {grid_points!r}: must be an integer in [8, 256]")
    family_a = f"alpha_spending = {alpha_spending!r}"
    family_b = f"beta_spending = {beta_spending!r}"
    gamma_a = (_parameter(gamma_a, "gamma_a", family_a, alpha_spending == "asKD")
               if alpha_spending in ("asKD", "asHSD") else None)
    gamma_b = (_parameter(gamma_b, "gamma_b", family_b, beta_spending == "bsKD")
               if beta_spending in ("bsKD", "bsHSD") else None)
    delta_wt = (_parameter(delta_wt, "delta_wt", family_a, False)
                if alpha_spending == "WT" else None)
    if delta_wt is not None and not -0.5 <= delta_wt <= 1.0:
        raise ScenarioError(f"delta_wt = {delta_wt!r}: must be in [-0.5, 1]")
    user_alpha = (_cumulative(user_alpha_spending, "user_alpha_spending", len(t), alpha,
                              family_a) if alpha_spending == "asUser" else None)
    user_beta = (_cumulative(user_beta_spending, "user_beta_spending", len(t), beta, family_b)
                 if beta_spending == "bsUser" else None)
    futility = _futility(futility_bounds, len(t), sided, beta_spending)
    return DesignInputs(t, alpha, beta, int(sided), alpha_spending, beta_spending,
                        bool(binding), gamma_a, gamma_b, delta_wt, user_alpha, user_beta,
                        futility, int(grid_points))
