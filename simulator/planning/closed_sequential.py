"""Closed forms of a group-sequential trial: power, stopping and expected n.

The looks' z statistics are taken as jointly normal with unit variances and
the canonical covariance ``sqrt(I_j / I_k)`` (Jennison & Turnbull 2000,
ch. 3), the information ``I_k = 1 / (1/m_0 + 1/m_1)`` at each look's expected
completers (so at the looks' actual sizes, not the planned fractions). For
a z test (responders: two proportions at their true rates) look ``k``'s z
has mean ``effect / SE_k`` and SD 1. A t test's z (its t at the same
p-value, as the simulation maps it) has a smaller mean and a larger SD at
small df: they are set so that the normal has the noncentral t's
probabilities at both bounds of the look, so each look's marginal chance
of crossing either is exact; the looks are then standardized (z / SD, and
its bounds). The exit probabilities come from the recursive integration of
:mod:`simulator.analysis.crossing`, with the drift of each step between
looks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._lazy import stats
from ..analysis.boundaries import lower_bounds
from ..analysis.crossing import advance, exit_above, exit_below, point_mass
from ..analysis.sequential import SequentialDesign
from ..engine.looks import look_sizes
from ..models.outcomes import analysis_sd
from ..models.truth import arm_truth
from ..spec.interim import sequential_design
from ..spec.scenario import Scenario
from .closed import completion_probabilities, size_of, too_few_for_t

__all__ = ["SequentialClosedForm", "sequential_closed_form", "design_of", "drift",
           "closed_form_undefined"]

METHOD = ("group-sequential boundaries: joint normal looks (canonical covariance) at the "
          "expected completers, each look's z mean matched to its t test (recursive "
          "integration)")


@dataclass(frozen=True, slots=True)
class SequentialClosedForm:
    """The closed-form operating characteristics of a sequential trial.

    Attributes
    ----------
    power, power_benefit : float
        P(reject at some look) in either direction, and in the benefit one.
    efficacy, futility : tuple of float
        P(stop at each look) for efficacy (either direction) and futility.
    expected_n : float
        Expected patients analysed at stopping, all arms.
    theta : float
        The expected z at the last look (benefit positive).
    method : str
    """

    power: float
    power_benefit: float
    efficacy: tuple[float, ...]
    futility: tuple[float, ...]
    expected_n: float
    theta: float
    method: str = METHOD


def design_of(scenario: Scenario) -> SequentialDesign:
    """The scenario's group-sequential design (bounds at its analysis' alpha)."""
    return sequential_design(scenario.interim, scenario.analysis.alpha, scenario.analysis.sided)


def drift(scenario: Scenario, n_per_arm: int | None = None) -> float:
    """Expected z of a z test of the primary analysis at ``n_per_arm``, benefit positive."""
    sizes = scenario.design.group_sizes_at(size_of(scenario, n_per_arm))
    return _drift_at(scenario, sizes)


def _drift_at(scenario: Scenario, sizes: tuple[int, ...]) -> float:
    pain = scenario.pain
    keep = completion_probabilities(scenario)
    m0, m1 = sizes[0] * keep[0], sizes[1] * keep[1]
    if pain.is_responder:
        c = pain.responder_cutoff
        p0 = arm_truth(pain, False).responder_rate[c]
        p1 = arm_truth(pain, True).responder_rate[c]
        return (p1 - p0) / math.sqrt(p0 * (1 - p0) / m0 + p1 * (1 - p1) / m1)
    return -pain.effect / (analysis_sd(pain) * math.sqrt(1 / m0 + 1 / m1))


def _t_quantile_of_z(scenario: Scenario, sizes: tuple[int, ...], z: float) -> float:
    """Phi^-1 of P(the look's z <= z) for its t test (z: the t at the same p-value)."""
    keep = completion_probabilities(scenario)
    ncp = _drift_at(scenario, sizes)
    df = sizes[0] * keep[0] + sizes[1] * keep[1] - 2 \
        - (1 if scenario.pain.analysis == "ancova" else 0)
    t = stats.t.isf(stats.norm.sf(z), df) if z > 0 else -stats.t.isf(stats.norm.cdf(z), df)
    lower = stats.nct.sf(-t, df, -ncp)  # P(T <= t), accurate in the lower tail
    if lower < 0.5:
        return float(stats.norm.ppf(lower))
    return float(stats.norm.isf(stats.nct.sf(t, df, ncp)))


def _look_normals(scenario: Scenario, looks: list[tuple[int, ...]], upper: np.ndarray,
                  lower: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each look's z as ``N(mean, sd^2)``: a z test's, or matched to its t test.

    For a t test the mean and SD are set so that the normal has the t test's
    probabilities below both bounds of the look (the efficacy bound, and the
    futility bound or 2 below the efficacy bound where there is none).
    """
    means, sds = [], []
    for sizes, c, a in zip(looks, upper, lower):
        ncp = _drift_at(scenario, sizes)
        keep = completion_probabilities(scenario)
        df = sizes[0] * keep[0] + sizes[1] * keep[1] - 2
        if scenario.pain.is_responder or df < 3:
            means.append(ncp)
            sds.append(1.0)
            continue
        z1 = float(c) if np.isfinite(c) else ncp + 1.0
        z2 = float(a) if np.isfinite(a) and a < z1 - 0.5 else z1 - 2.0
        with np.errstate(all="ignore"):
            w1, w2 = (_t_quantile_of_z(scenario, sizes, z) for z in (z1, z2))
            sd = (z1 - z2) / (w1 - w2)
        if not (math.isfinite(w1) and math.isfinite(w2) and math.isfinite(sd) and sd > 0):
            sd, w1 = 1.0, z1 - ncp  # far in a tail: the z test's normal
        means.append(z1 - sd * w1)
        sds.append(sd)
    return np.array(means), np.array(sds)


def _exits(t: np.ndarray, means: np.ndarray, upper: np.ndarray, lower: np.ndarray, r: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """P(exit above / below at each look) with look ``k``'s z of mean ``means[k]``."""
    mass, score = point_mass(), 0.0
    above, below = np.zeros(len(t)), np.zeros(len(t))
    for k, tk in enumerate(t):
        step = (means[k] * math.sqrt(tk) - score) / (tk - mass.t)  # the score's drift
        above[k] = exit_above(mass, tk, upper[k], step)
        below[k] = exit_below(mass, tk, lower[k], step) if lower[k] > -math.inf else 0.0
        if k + 1 < len(t):
            mass = advance(mass, tk, [(lower[k], upper[k])], step, r)
        score = means[k] * math.sqrt(tk)
    return above, below


def closed_form_undefined(scenario: Scenario, n_per_arm: int | None = None) -> str | None:
    """Why the sequential closed form has no value for the scenario (at ``n_per_arm``, by
    default its own size), or None.

    It needs expected completers in both arms, enough at the first look for a
    t statistic (one per arm and a residual df) and, for a responder
    analysis, a responder rate strictly between 0 and 1 in an arm (else the
    z statistic has no spread).
    """
    keep = completion_probabilities(scenario)
    if min(keep) <= 0:
        return "no patient of an arm is expected to complete"
    first = [s * c for s, c in zip(look_sizes(scenario, size_of(scenario, n_per_arm))[0], keep)]
    if too_few_for_t(scenario, first):  # at 99 % dropout it once gave 0.047 (simulated 0.009)
        shown = ", ".join(f"{m:.3g}" for m in first)
        return (f"too few patients are expected to complete by the first look (per arm: "
                f"{shown}) for its t statistic")
    pain = scenario.pain
    if pain.is_responder:
        c = pain.responder_cutoff
        rates = [arm_truth(pain, active).responder_rate[c] for active in (False, True)]
        if all(p * (1 - p) <= 0 for p in rates):
            return (f"the responder rates are {rates[0]:g} and {rates[1]:g}: a proportion of 0 "
                    "or 1 in both arms has no variance")
    return None


def sequential_closed_form(scenario: Scenario, n_per_arm: int | None = None, *,
                           t_test: bool = True) -> SequentialClosedForm | None:
    """Power, stopping probabilities and expected n of the scenario's sequential trial.

    ``t_test=False`` gives the z test's (every look's z of SD 1 and mean
    ``effect / SE``), as rpact's ``getPowerMeans(normalApproximation = TRUE)``
    computes it; the default matches each look's t test, as simulated. None
    where the closed form is undefined (:func:`closed_form_undefined`).

    Examples
    --------
    >>> from simulator import Scenario
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 100}, "pain": {"effect": 0.0},
    ...                         "interim": {"looks": [0.5, 1.0]}})
    >>> round(sequential_closed_form(s).power, 6)  # alpha under H0
    0.05
    """
    n = size_of(scenario, n_per_arm)
    if closed_form_undefined(scenario, n) is not None:
        return None
    design = design_of(scenario)
    looks = look_sizes(scenario, n)
    keep = completion_probabilities(scenario)
    info = np.array([1.0 / (1.0 / (s[0] * keep[0]) + 1.0 / (s[1] * keep[1])) for s in looks])
    upper = design.critical_values
    lower = lower_bounds(upper, design.futility_bounds if design.sided == 1 else None,
                         design.sided)
    # looks that coincide (a tiny n) analyse the same data: one look, the loosest bounds
    firsts = [k for k in range(len(looks)) if k == 0 or looks[k] != looks[k - 1]]
    groups = [range(a, b) for a, b in zip(firsts, firsts[1:] + [len(looks)])]
    m_upper = np.array([upper[list(g)].min() for g in groups])
    m_lower = np.array([lower[list(g)].max() if g[-1] < len(looks) - 1 else lower[-1]
                        for g in groups])
    if design.sided == 2:
        m_lower = -m_upper
    m_looks = [looks[g[0]] for g in groups]
    if t_test:
        means, sds = _look_normals(scenario, m_looks, m_upper, m_lower)
    else:
        means = np.array([_drift_at(scenario, sizes) for sizes in m_looks])
        sds = np.ones(len(m_looks))
    # standardized: z / sd is unit-normal with mean mean / sd, and so are its bounds
    m_info = info[firsts]
    m_above, m_below = _exits(m_info / m_info[-1], means / sds, m_upper / sds, m_lower / sds,
                              design.grid_points)
    above, below = np.zeros(len(looks)), np.zeros(len(looks))
    above[firsts], below[firsts] = m_above, m_below
    if len(groups[-1]) > 1:  # the last group's acceptance belongs to the last look
        below[-1], below[groups[-1][0]] = below[groups[-1][0]], 0.0
    k = len(upper)
    if design.sided == 2:
        efficacy, futility = above + below, np.zeros(k)
    else:
        efficacy, futility = above, np.append(below[:-1], 0.0)
    totals = [sum(s) for s in looks]
    stop = efficacy + futility
    stop[-1] = 1.0 - stop[:-1].sum()  # everyone left is analysed at the last look
    theta = drift(scenario, n)
    return SequentialClosedForm(
        power=float(efficacy.sum()), power_benefit=float(above.sum()),
        efficacy=tuple(float(x) for x in efficacy), futility=tuple(float(x) for x in futility[:-1]),
        expected_n=float(np.dot(stop, totals)), theta=float(theta))
