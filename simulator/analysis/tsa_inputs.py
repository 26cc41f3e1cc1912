"""The checked inputs of a trial sequential analysis.

:func:`tsa_looks` checks the looks and the required information size,
:func:`tsa_design_inputs` the design of
:func:`simulator.analysis.tsa.tsa_boundaries`; each raises
:class:`simulator.errors.ScenarioError` naming the parameter, its value and
what is allowed. Unlike a group-sequential design
(:mod:`simulator.analysis.sequential_inputs`) a TSA has any number of looks
and two-sided futility (the inner wedge).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ScenarioError

__all__ = ["TSADesign", "tsa_looks", "tsa_design_inputs", "ALPHA_FAMILIES", "BETA_FAMILIES"]

#: The spending families a TSA takes (user-given spending has no meaning for unplanned looks).
ALPHA_FAMILIES = ("asOF", "asP", "asKD", "asHSD")
BETA_FAMILIES = ("bsOF", "bsP", "bsKD", "bsHSD")


def tsa_looks(information, required_information, beta_spending, alpha_spending):
    """Check the looks and the RIS; return (information, ris, fractions).

    Examples
    --------
    >>> tsa_looks([2.0, 12.0], 10.0, None, "asOF")[2].tolist()
    [0.2, 1.0]
    """
    try:
        info = np.asarray(information, float)
    except (TypeError, ValueError):
        info = np.array([np.nan])
    if (info.ndim != 1 or info.size < 1 or not np.all(np.isfinite(info))
            or np.any(info <= 0.0) or np.any(np.diff(info) <= 0.0)):
        raise ScenarioError(f"information = {information!r}: must be one or more finite "
                            "numbers > 0, strictly increasing (cumulative, one a look)")
    if (isinstance(required_information, bool)
            or not isinstance(required_information, (int, float, np.integer, np.floating))
            or not 0.0 < required_information < math.inf):
        raise ScenarioError(f"required_information = {required_information!r}: must be a "
                            "finite number > 0 (in the units of information)")
    if alpha_spending not in ALPHA_FAMILIES:
        raise ScenarioError(f"alpha_spending = {alpha_spending!r}: must be one of "
                            f"{', '.join(ALPHA_FAMILIES)} (spending functions over the fractions)")
    if beta_spending is not None and beta_spending not in BETA_FAMILIES:
        raise ScenarioError(f"beta_spending = {beta_spending!r}: must be None or one of "
                            f"{', '.join(BETA_FAMILIES)}")
    ris = float(required_information)
    return info, ris, np.minimum(info / ris, 1.0)


@dataclass(frozen=True, slots=True)
class TSADesign:
    """The checked design of a trial sequential analysis (see :func:`tsa_design_inputs`)."""

    alpha: float
    beta: float
    sided: int
    alpha_spending: str
    beta_spending: str | None
    binding: bool
    gamma_a: float | None
    gamma_b: float | None
    grid_points: int


def _real(value) -> bool:
    return (not isinstance(value, bool)
            and isinstance(value, (int, float, np.integer, np.floating))
            and math.isfinite(value))


def tsa_design_inputs(alpha, beta, sided, alpha_spending, beta_spending, binding, gamma_a, gamma_b,
               grid_points) -> TSADesign:
    """Check the design arguments (the families are checked by :func:`tsa_looks`).

    Examples
    --------
    >>> tsa_design_inputs(0.05, 0.1, 2, "asOF", None, False, None, None, 32).sided
    2
    """
    if sided not in (1, 2) or isinstance(sided, bool):
        raise ScenarioError(f"sided = {sided!r}: must be 1 or 2")
    if not (_real(alpha) and 0.0 < alpha < 0.5 * sided):
        raise ScenarioError(f"alpha = {alpha!r}: must be a number in (0, {0.5 * sided:g})")
    if not (_real(beta) and 0.0 < beta < 1.0 - alpha / sided):
        raise ScenarioError(f"beta = {beta!r}: must be a number in (0, {1 - alpha / sided:g})")
    if not isinstance(binding, (bool, np.bool_)):
        raise ScenarioError(f"binding = {binding!r}: must be True or False")
    if (isinstance(grid_points, bool) or not isinstance(grid_points, (int, np.integer))
            or not 8 <= grid_points <= 256):
        raise ScenarioError(f"grid_points = {grid_points!r}: must be an integer in [8, 256]")
    gammas = []
    for name, family, value in (("gamma_a", alpha_spending, gamma_a),
                                ("gamma_b", beta_spending, gamma_b)):
        needs = family is not None and family[2:] in ("KD", "HSD")
        if needs and not (_real(value) and (family[2:] == "HSD" or value > 0.0)):
            allowed = "a finite number > 0" if family[2:] == "KD" else "a finite number"
            raise ScenarioError(f"{name} = {value!r}: {family!r} needs {allowed}")
        gammas.append(float(value) if needs else None)
    return TSADesign(float(alpha), float(beta), int(sided), alpha_spending, beta_spending,
                   bool(binding), gammas[0], gammas[1], int(grid_points))
