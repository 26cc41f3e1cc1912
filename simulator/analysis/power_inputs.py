"""The checked inputs of the closed-form power functions (:mod:`simulator.analysis.power`).

Each check raises :class:`simulator.errors.ScenarioError` naming the argument,
its value and what is allowed, before any work: a level of 1.5 once gave a
power of 1.0155, a ``direction`` of ``"harm"`` counted as ``"benefit"``, and a
standard deviation of 0 or an arm of no patients gave NaN. Numbers may be
arrays (the functions are vectorized over the arm sizes): every element is
checked.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import ScenarioError

__all__ = ["check_test", "check_number", "check_sizes", "check_count"]

#: Directions a power counts rejections in.
DIRECTIONS = ("any", "benefit")


def check_test(alpha, sided, benefit_sign=1, direction="any") -> None:
    """The test: ``alpha`` in (0, 1), ``sided`` 1 or 2, ``benefit_sign`` -1 or 1,
    ``direction`` ``"any"`` or ``"benefit"``."""
    if not _real(alpha) or not 0.0 < alpha < 1.0:
        raise ScenarioError(f"alpha = {alpha!r}: must be a number in (0, 1)")
    if sided not in (1, 2) or isinstance(sided, bool):
        raise ScenarioError(f"sided = {sided!r}: must be 1 or 2")
    if benefit_sign not in (-1, 1) or isinstance(benefit_sign, bool):
        raise ScenarioError(f"benefit_sign = {benefit_sign!r}: must be -1 or 1 (the sign of "
                            "an estimate that favours the active arm)")
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise ScenarioError(f"direction = {direction!r}: must be one of "
                            f"{', '.join(DIRECTIONS)}")


def check_number(name: str, value, low: float = -np.inf, high: float = np.inf, *,
                 closed: bool = True, what: str = "a finite number") -> None:
    """Every element of ``value`` a finite real number in ``[low, high]`` (``closed``)
    or ``(low, high)``."""
    array = _array(name, value, what)
    inside = ((array >= low) & (array <= high)) if closed else ((array > low) & (array < high))
    if not (np.isfinite(array).all() and inside.all()):
        raise ScenarioError(f"{name} = {_shown(value)}: must be {what}")


def check_sizes(n0, n1, *, least: float = 1.0, df_lost: float = 2.0) -> None:
    """Patients per arm: finite, at least ``least`` each, and at least one residual df
    (``n0 + n1 - df_lost >= 1``)."""
    for name, n in (("n0", n0), ("n1", n1)):
        check_number(name, n, least, np.inf, what=f"a number of patients >= {least:g}")
    total = np.asarray(n0, float) + np.asarray(n1, float)
    if not (total - df_lost >= 1.0).all():
        raise ScenarioError(f"n0 + n1 = {_shown(total)}: the test needs at least "
                            f"{df_lost + 1:g} patients in all (one residual df)")


def check_count(name: str, value, least: int = 1, most: int = 100_000) -> None:
    """A whole number of patients (an integer, not a bool) in ``[least, most]``."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or not least <= value <= most):
        raise ScenarioError(f"{name} = {value!r}: must be an integer in [{least}, {most}]")


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _array(name: str, value, what: str) -> np.ndarray:
    if isinstance(value, (bool, str, bytes)) or value is None:
        raise ScenarioError(f"{name} = {value!r}: must be {what}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ScenarioError(f"{name} = {_shown(value)}: must be {what}") from None
    if array.dtype == bool:
        raise ScenarioError(f"{name} = {_shown(value)}: must be {what}")
    return array


def _shown(value) -> str:
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
