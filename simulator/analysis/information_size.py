"""Required information sizes of a meta-analysis, and their heterogeneity adjustments.

The required information size (RIS) of a trial sequential analysis is the
information a single adequately powered trial would need (Wetterslev,
Thorlund, Brok and Gluud 2008; Thorlund et al., *User manual for Trial
Sequential Analysis*, Copenhagen Trial Unit 2011, revised 2017):

* **continuous**, in information units (the inverse variance of the pooled
  effect): ``I* = (z_{1-alpha/sided} + z_{1-beta})^2 / delta^2``
  (:func:`required_information`); in participants (both arms, 1:1), ``4
  sigma^2 I*`` (:func:`required_participants`);
* **binary** (the TSA manual's formula for dichotomous outcomes), in
  participants: ``N = 4 (z_{1-alpha/sided} + z_{1-beta})^2 P (1 - P) /
  d^2`` with ``P_E = P_C (1 - RRR)``, ``P = (P_C + P_E) / 2`` and ``d = P_C -
  P_E`` (:func:`binary_information_size`, which also gives the information
  on the log risk ratio scale, ``(z + z)^2 / ln(RR)^2``).

Heterogeneity inflates it, in one of two named ways:

* **diversity** ``D^2 = (V_R - V_F) / V_R`` with ``V_F`` and ``V_R`` the
  variances of the fixed-effect and random-effects pooled estimates
  (Wetterslev, Thorlund, Brok and Gluud 2009): the diversity-adjusted RIS
  ``DARIS = RIS / (1 - D^2)`` (:func:`diversity`,
  :func:`diversity_adjusted_ris`);
* **inconsistency** ``I^2``: ``RIS / (1 - I^2)``
  (:func:`inconsistency_adjusted_ris`), which is smaller than DARIS
  whenever ``I^2 < D^2`` (always for DerSimonian-Laird, Wetterslev 2009).

Monitoring the random-effects information ``1 / V_R`` against the RIS is the
same as monitoring the fixed-effect information ``1 / V_F`` against the
DARIS computed with the same tau^2, since ``1 / V_R = (1 - D^2) / V_F``.
Numbers in, numbers out; nothing here knows a scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._lazy import special
from ..errors import ScenarioError

__all__ = ["required_information", "required_participants", "diversity",
           "diversity_adjusted_ris", "inconsistency_adjusted_ris", "BinaryInformationSize",
           "binary_information_size"]


def _number(value, name: str, low: float, high: float, allowed: str) -> float:
    if (isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
            or not low < value < high):
        raise ScenarioError(f"{name} = {value!r}: must be {allowed}")
    return float(value)


def _z_sum(alpha, beta, sided) -> float:
    """``z_{1-alpha/sided} + z_{1-beta}``, its arguments checked."""
    if sided not in (1, 2) or isinstance(sided, bool):
        raise ScenarioError(f"sided = {sided!r}: must be 1 or 2")
    alpha = _number(alpha, "alpha", 0.0, 1.0, "a number in (0, 1)")
    beta = _number(beta, "beta", 0.0, 1.0 - alpha / sided,
                   f"a number in (0, {1.0 - alpha / sided:g}) (power above alpha/sided)")
    return float(-special.ndtri(alpha / sided) - special.ndtri(beta))


def required_information(delta: float, *, alpha: float = 0.05, beta: float = 0.1,
                         sided: int = 2) -> float:
    """Information (inverse variance) that detects ``delta`` with power ``1 - beta``.

    ``(z_{1-alpha/sided} + z_{1-beta})^2 / delta^2``: the information of a
    single adequately powered trial (Wetterslev et al. 2008), in the units of
    ``1 / SE^2`` of the pooled effect.

    Parameters
    ----------
    delta : float
        The effect to detect (any sign, not 0), on the scale of the analysis.
    alpha : float
        Type I error, in all (two-sided: ``alpha / 2`` a side).
    beta : float
        Type II error (power ``1 - beta``).
    sided : {1, 2}

    Returns
    -------
    float

    Examples
    --------
    >>> round(required_information(1.0, alpha=0.05, beta=0.1), 6)  # (1.96 + 1.2816)^2
    10.507423
    """
    z = _z_sum(alpha, beta, sided)
    if (isinstance(delta, bool) or not isinstance(delta, (int, float, np.integer, np.floating))
            or not math.isfinite(delta) or delta == 0.0):
        raise ScenarioError(f"delta = {delta!r}: must be a finite number other than 0")
    return z * z / float(delta) ** 2


def required_participants(delta: float, sd: float, *, alpha: float = 0.05, beta: float = 0.1,
                          sided: int = 2) -> float:
    """Participants (both arms, 1:1) that detect a mean difference ``delta``.

    ``4 sd^2 (z_{1-alpha/sided} + z_{1-beta})^2 / delta^2``: the TSA manual's
    RIS for a continuous outcome (Thorlund et al. 2011, section 3.2).

    Examples
    --------
    >>> round(required_participants(1.0, 2.5, beta=0.1), 4)
    262.6856
    """
    sd = _number(sd, "sd", 0.0, math.inf, "a finite number > 0")
    return 4.0 * sd * sd * required_information(delta, alpha=alpha, beta=beta, sided=sided)


def diversity(v, tau2: float) -> float:
    """Diversity ``D^2 = (V_R - V_F) / V_R`` of a meta-analysis (Wetterslev et al. 2009).

    ``V_F = 1 / sum(1 / v_i)`` and ``V_R = 1 / sum(1 / (v_i + tau2))`` are
    the variances of the fixed-effect and random-effects pooled estimates,
    so ``D^2 = 1 - V_F / V_R``. Wetterslev et al. use the DerSimonian-Laird
    tau^2; any estimate (or an assumed value) can be given.

    Parameters
    ----------
    v : array_like
        Within-study variances (``se^2``), all > 0.
    tau2 : float
        Between-study variance, >= 0.

    Examples
    --------
    >>> round(diversity([0.25, 0.49, 0.81, 0.36, 0.16], 0.204606), 6)
    0.439446
    """
    v = np.asarray(v, float)
    if v.ndim != 1 or v.size < 1 or not np.all(np.isfinite(v)) or np.any(v <= 0.0):
        raise ScenarioError(f"v = {np.asarray(v).tolist()!r}: must be one or more finite "
                            "variances > 0")
    tau2 = _number(tau2, "tau2", -1e-300, math.inf, "a finite number >= 0")
    return float(1.0 - np.sum(1.0 / (v + tau2)) / np.sum(1.0 / v))


def _adjusted(ris, share, name: str, what: str) -> float:
    ris = _number(ris, "ris", 0.0, math.inf, "a finite number > 0")
    share = _number(share, name, -1e-300, 1.0, f"a proportion in [0, 1) ({what})")
    return ris / (1.0 - share)


def diversity_adjusted_ris(ris: float, d2: float) -> float:
    """The diversity-adjusted RIS, ``RIS / (1 - D^2)`` (DARIS; Wetterslev et al. 2009).

    Examples
    --------
    >>> round(diversity_adjusted_ris(10.0, 0.5), 6)
    20.0
    """
    return _adjusted(ris, d2, "d2", "the diversity D^2")


def inconsistency_adjusted_ris(ris: float, i2: float) -> float:
    """The RIS adjusted by inconsistency, ``RIS / (1 - I^2)`` (Wetterslev et al. 2008).

    Examples
    --------
    >>> round(inconsistency_adjusted_ris(10.0, 0.25), 6)
    13.333333
    """
    return _adjusted(ris, i2, "i2", "the inconsistency I^2")


@dataclass(frozen=True, slots=True)
class BinaryInformationSize:
    """The required information size of a binary outcome (TSA manual's formula).

    Attributes
    ----------
    participants : float
        ``4 (z_{1-alpha/sided} + z_{1-beta})^2 P (1 - P) / (P_C - P_E)^2``,
        both arms together (1:1).
    information : float
        ``(z_{1-alpha/sided} + z_{1-beta})^2 / ln(RR)^2``: the information
        (inverse variance of the pooled log risk ratio) that detects the
        risk ratio, for monitoring a log-RR meta-analysis by inverse variance.
    control_risk, active_risk, risk_ratio : float
        ``P_C``, ``P_E = P_C (1 - RRR)`` and ``RR = 1 - RRR``.
    """

    participants: float
    information: float
    control_risk: float
    active_risk: float
    risk_ratio: float

    def to_dict(self) -> dict:
        """JSON-ready values."""
        return {name: getattr(self, name) for name in self.__slots__}


def binary_information_size(control_risk: float, relative_risk_reduction: float, *,
                            alpha: float = 0.05, beta: float = 0.1,
                            sided: int = 2) -> BinaryInformationSize:
    """The RIS of a dichotomous outcome from the control risk and the relative risk reduction.

    The TSA manual's formula (Thorlund et al. 2011, section 3.1; Wetterslev
    et al. 2008): ``N = 4 (z_{1-alpha/sided} + z_{1-beta})^2 P (1 - P) /
    d^2``, ``P_E = P_C (1 - RRR)``, ``P = (P_C + P_E) / 2``, ``d = P_C -
    P_E``.

    Parameters
    ----------
    control_risk : float
        ``P_C``, the event risk in the control arm, in (0, 1).
    relative_risk_reduction : float
        ``RRR = 1 - RR``: positive for a reduction, negative for an increase
        (harm); not 0, below 1, and with ``P_C (1 - RRR) < 1``.
    alpha, beta : float
        Type I error (in all) and type II error.
    sided : {1, 2}

    Returns
    -------
    BinaryInformationSize

    Raises
    ------
    ScenarioError
        The active risk ``P_C (1 - RRR)`` would reach 1 (or 0), or another
        argument is out of range.

    Examples
    --------
    >>> size = binary_information_size(0.2, 0.2, alpha=0.05, beta=0.2)
    >>> round(size.participants, 4), round(size.active_risk, 4)
    (2896.2366, 0.16)
    """
    z = _z_sum(alpha, beta, sided)
    pc = _number(control_risk, "control_risk", 0.0, 1.0, "a risk in (0, 1)")
    rrr = _number(relative_risk_reduction, "relative_risk_reduction", -math.inf, 1.0,
                  "a finite number below 1 (1 - the risk ratio)")
    if rrr == 0.0:
        raise ScenarioError("relative_risk_reduction = 0.0: must not be 0 (no effect to "
                            "detect)")
    pe = pc * (1.0 - rrr)
    if not pe < 1.0:
        raise ScenarioError(f"relative_risk_reduction = {rrr!r}: with control_risk = {pc!r} "
                            f"the active risk P_C (1 - RRR) = {pe:.6g} must stay below 1 "
                            f"(RRR > {1.0 - 1.0 / pc:.6g})")
    p = 0.5 * (pc + pe)
    participants = 4.0 * z * z * p * (1.0 - p) / (pc - pe) ** 2
    information = z * z / math.log1p(-rrr) ** 2
    return BinaryInformationSize(participants, information, pc, pe, 1.0 - rrr)
