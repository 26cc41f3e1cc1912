"""Error-spending functions of group-sequential designs: cumulative alpha or beta at t.

A spending function ``f(t)`` gives the error (type I for alpha spending,
type II for beta spending) spent up to information fraction ``t`` in
``(0, 1]``; ``f(1)`` is the total. The families and their names follow
rpact (``getDesignGroupSequential``):

* ``asOF`` / ``bsOF``: Lan & DeMets (1983) O'Brien-Fleming type,
  ``2 s (1 - Phi(z_{1 - a/(2 s)} / sqrt(t)))`` with ``s`` the number of sides
  (``s = 1`` for beta spending): one-sided ``2 - 2 Phi(z_{1-a/2}/sqrt t)``;
  two-sided ``4 - 4 Phi(z_{1-a/4}/sqrt t)`` in all, ``2 - 2 Phi(z_{1-a/4}/sqrt t)``
  on each side.
* ``asP`` / ``bsP``: Lan & DeMets (1983) Pocock type, ``a ln(1 + (e - 1) t)``.
* ``asKD`` / ``bsKD``: Kim & DeMets (1987) power family, ``a t^rho``
  (``gamma`` is rho, > 0).
* ``asHSD`` / ``bsHSD``: Hwang, Shih & DeCani (1990),
  ``a (1 - e^{-gamma t}) / (1 - e^{-gamma})`` (``gamma = 0``: its limit ``a t``).
* ``asUser`` / ``bsUser``: a user-given cumulative vector, one value a look.

Arrays in, arrays out; nothing here knows a scenario.
"""

from __future__ import annotations

import math

import numpy as np

from .._lazy import special
from ..errors import ScenarioError

__all__ = [
    "ALPHA_SPENDING",
    "BETA_SPENDING",
    "obrien_fleming_spending",
    "pocock_spending",
    "kim_demets_spending",
    "hwang_shih_decani_spending",
    "spending",
]

#: rpact's names of the alpha- and beta-spending families.
ALPHA_SPENDING = ("asOF", "asP", "asKD", "asHSD", "asUser")
BETA_SPENDING = ("bsOF", "bsP", "bsKD", "bsHSD", "bsUser")


def _fractions(t) -> np.ndarray:
    t = np.asarray(t, float)
    if not np.all((t > 0.0) & (t <= 1.0)):
        raise ScenarioError(f"information fraction t = {t.tolist()}: must be in (0, 1]")
    return t


def _total(total: float, name: str = "total") -> float:
    if not (isinstance(total, (int, float)) and 0.0 < total < 1.0):
        raise ScenarioError(f"{name} = {total!r}: must be a number in (0, 1)")
    return float(total)


def obrien_fleming_spending(t, total: float, sided: int = 1) -> np.ndarray:
    """Lan-DeMets O'Brien-Fleming type: ``2 s (1 - Phi(z_{1 - total/(2 s)} / sqrt t))``.

    Parameters
    ----------
    t : array_like
        Information fractions in (0, 1].
    total : float
        Error spent at ``t = 1`` (alpha or beta), in (0, 1).
    sided : {1, 2}
        Number of sides: a two-sided design spends half on each side.

    Returns
    -------
    ndarray
        Cumulative error spent at ``t`` (both sides together).

    Examples
    --------
    >>> round(float(obrien_fleming_spending(0.5, 0.025)), 10)
    0.0015253228
    >>> round(float(obrien_fleming_spending(1.0, 0.05, sided=2)), 12)
    0.05
    """
    t = _fractions(t)
    total = _total(total)
    if sided not in (1, 2):
        raise ScenarioError(f"sided = {sided!r}: must be 1 or 2")
    z = -special.ndtri(total / (2.0 * sided))
    return 2.0 * sided * special.ndtr(-z / np.sqrt(t))


def pocock_spending(t, total: float) -> np.ndarray:
    """Lan-DeMets Pocock type: ``total ln(1 + (e - 1) t)``.

    Examples
    --------
    >>> round(float(pocock_spending(0.5, 0.025)), 10)
    0.0155028627
    """
    t = _fractions(t)
    return _total(total) * np.log1p((math.e - 1.0) * t)


def kim_demets_spending(t, total: float, rho: float) -> np.ndarray:
    """Kim-DeMets power family: ``total t^rho`` (rho > 0; 3 is close to O'Brien-Fleming).

    Examples
    --------
    >>> round(float(kim_demets_spending(0.5, 0.025, 2.0)), 10)
    0.00625
    """
    t = _fractions(t)
    if not (isinstance(rho, (int, float)) and math.isfinite(rho) and rho > 0.0):
        raise ScenarioError(f"gamma (Kim-DeMets rho) = {rho!r}: must be a finite number > 0")
    return _total(total) * t**rho


def hwang_shih_decani_spending(t, total: float, gamma: float) -> np.ndarray:
    """Hwang-Shih-DeCani: ``total (1 - exp(-gamma t)) / (1 - exp(-gamma))``.

    ``gamma = -4`` is close to O'Brien-Fleming, ``gamma = 1`` to Pocock;
    ``gamma = 0`` gives the limit, ``total t``.

    Examples
    --------
    >>> round(float(hwang_shih_decani_spending(0.5, 0.025, -4.0)), 10)
    0.0029800731
    """
    t = _fractions(t)
    total = _total(total)
    if not (isinstance(gamma, (int, float)) and math.isfinite(gamma)):
        raise ScenarioError(f"gamma (Hwang-Shih-DeCani) = {gamma!r}: must be a finite number")
    if gamma == 0.0:
        return total * t
    return total * np.expm1(-gamma * t) / math.expm1(-gamma)


def _user(t: np.ndarray, total: float, user, name: str) -> np.ndarray:
    if user is None:
        raise ScenarioError(f"{name} = None: a user spending family needs one cumulative "
                            "value per look")
    values = np.asarray(user, float)
    if values.shape != t.shape:
        raise ScenarioError(f"{name} = {list(user)}: must have one value per look "
                            f"({t.size})")
    if not (np.all(np.isfinite(values)) and np.all(values >= 0.0)
            and np.all(np.diff(values) >= 0.0)):
        raise ScenarioError(f"{name} = {values.tolist()}: must be finite, >= 0 and "
                            "non-decreasing")
    if abs(values[-1] - total) > 1e-12:
        raise ScenarioError(f"{name} = {values.tolist()}: the last value must equal the "
                            f"total error {total}")
    return values


def spending(family: str, t, total: float, *, sided: int = 1, gamma: float | None = None,
             user=None) -> np.ndarray:
    """Cumulative error spent at each information fraction, by rpact family name.

    Parameters
    ----------
    family : str
        One of :data:`ALPHA_SPENDING` or :data:`BETA_SPENDING`.
    t : array_like
        Information fractions in (0, 1].
    total : float
        The error at ``t = 1`` (alpha or beta).
    sided : {1, 2}
        Sides of the test (``asOF`` only; beta spending is always one-sided).
    gamma : float, optional
        rho of ``asKD``/``bsKD`` and gamma of ``asHSD``/``bsHSD``.
    user : array_like, optional
        The cumulative values of ``asUser``/``bsUser``, one per entry of ``t``.

    Examples
    --------
    >>> spending("asKD", [0.5, 1.0], 0.025, gamma=1.0).tolist()
    [0.0125, 0.025]
    """
    t = _fractions(t)
    if family not in ALPHA_SPENDING + BETA_SPENDING:
        raise ScenarioError(f"spending family = {family!r}: must be one of "
                            f"{', '.join(ALPHA_SPENDING + BETA_SPENDING)}")
    kind = family[2:]
    if kind in ("KD", "HSD") and gamma is None:
        raise ScenarioError(f"gamma = None: spending family {family!r} needs its parameter")
    if kind == "OF":
        return obrien_fleming_spending(t, total, sided if family == "asOF" else 1)
    if kind == "P":
        return pocock_spending(t, total)
    if kind == "KD":
        return kim_demets_spending(t, total, gamma)
    if kind == "HSD":
        return hwang_shih_decani_spending(t, total, gamma)
    name = "user_alpha_spending" if family == "asUser" else "user_beta_spending"
    return _user(t, _total(total), user, name)
