"""Closed forms of a scenario: the power and assurance its design should have.

The formulas on numbers live in :mod:`simulator.analysis.power`; this module
reads a scenario (its design, completion probabilities, analysis and prior)
and evaluates them. See :mod:`simulator.analysis.power` for the methods.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .._lazy import stats
from ..analysis.dunnett import any_rejection, lambdas_of
from ..analysis.multiplicity import dunnett_critical
from ..analysis.power import (
    ancova_power,
    average_over_completers,
    directed_power,
    t_test_power,
    two_proportion_power,
)
from ..analysis.quadrature import normal_prior_nodes
from ..models.crossover import crossover_sd
from ..models.outcomes import analysis_sd
from ..models.parameters import effect_prior
from ..models.truth import arm_truth
from ..models.withdrawal import needs_missing_path
from ..checks import check_flags
from ..errors import ScenarioError
from ..spec.bounds import MAX_ARM_SIZE
from ..spec.scenario import Scenario, require_scenario

__all__ = [
    "any_comparison_power",
    "AnalyticPower",
    "analytic_power",
    "completion_probabilities",
    "expected_completers",
    "too_few_completers",
    "ae_withdrawal_probabilities",
    "analytic_assurance",
    "comparison_powers",
]


@dataclass(frozen=True, slots=True)
class AnalyticPower:
    """A closed-form power and how it was obtained.

    Attributes
    ----------
    value : float or None
        Power by the same definition as the simulated ``power``; None when
        no closed form exists.
    method : str
        The formula, in words.
    exact : bool
        Whether the formula is exact for the scenario's data model (then the
        simulation must agree within Monte Carlo error).
    """

    value: float | None
    method: str
    exact: bool


def ae_withdrawal_probabilities(scenario: Scenario) -> tuple[float, ...]:
    """Probability that a patient of each arm withdraws after an adverse event.

    ``1 - prod(1 - risk * after_ae)`` over the adverse events, each at the
    arm's risk: the events and the withdrawals after them are independent,
    as the samplers draw them.
    """
    out = []
    for arm in range(len(scenario.design.arms)):
        stay = 1.0
        for ae in scenario.adverse_events:
            stay *= 1.0 - ae.risk_of(arm) * scenario.dropout.after_ae.get(ae.name, 0.0)
        out.append(1.0 - stay)
    return tuple(out)


def completion_probabilities(scenario: Scenario) -> tuple[float, ...]:
    """Probability that a patient of each arm (crossover: sequence) has a primary outcome.

    ``(1 - dropout.rate)``, times ``1 - washout_dropout`` for a crossover
    (both periods are needed), times ``1 - risk * after_ae`` for each adverse
    event at the arm's risk (the events and the withdrawals after them are
    independent, as the samplers draw them).
    """
    keep = []
    for arm in range(len(scenario.design.arms)):
        c = 1.0 - scenario.dropout.rate
        if scenario.design.kind == "crossover":  # both periods are needed
            c *= 1.0 - scenario.design.washout_dropout
        for ae in scenario.adverse_events:
            q = scenario.dropout.after_ae.get(ae.name, 0.0)
            risk = ae.risk_of(arm)
            c *= 1.0 - risk * q
        keep.append(c)
    return tuple(keep)


def size_of(scenario: Scenario, n_per_arm: int | None) -> int:
    """``n_per_arm``, or the scenario's own when None; ScenarioError naming it unless it
    is an integer in [2, MAX_ARM_SIZE] (0 is not None: it is refused, not the default)."""
    if n_per_arm is None:
        return scenario.design.n_per_arm
    if (isinstance(n_per_arm, bool) or not isinstance(n_per_arm, numbers.Integral)
            or not 2 <= n_per_arm <= MAX_ARM_SIZE):
        raise ScenarioError(f"n_per_arm = {n_per_arm!r}: must be an integer in "
                            f"[2, {MAX_ARM_SIZE}] (patients in the reference arm)")
    return int(n_per_arm)


def _checked(scenario: Scenario, average_completers, n_per_arm) -> int:
    """:func:`analytic_power`'s arguments checked; the size it is at."""
    require_scenario(scenario)
    check_flags(average_completers=average_completers)
    return size_of(scenario, n_per_arm)


def expected_completers(scenario: Scenario, n_per_arm: int | None = None
                        ) -> tuple[float, ...]:
    """Expected patients with a primary outcome, per arm (crossover: per sequence), at
    the scenario's size or at ``n_per_arm`` in the reference arm."""
    sizes = scenario.design.group_sizes_at(size_of(scenario, n_per_arm))
    return tuple(n * c for n, c in zip(sizes, completion_probabilities(scenario)))


def too_few_for_t(scenario: Scenario, completers) -> bool:
    """Whether expected completers per arm are too few for the closed forms' t statistic:
    one in every arm and a residual df (one more for ANCOVA's slope)."""
    slope = 1 if scenario.pain.analysis == "ancova" else 0
    return min(completers) <= 0 or sum(completers) - len(completers) - slope < 1


def too_few_completers(scenario: Scenario, n_per_arm: int | None = None) -> str | None:
    """Why the closed forms at the expected completers cannot be evaluated, or None.

    They need at least one expected completer in every arm and a positive
    number of degrees of freedom.
    """
    m = expected_completers(scenario, n_per_arm)
    if not too_few_for_t(scenario, m):
        return None
    shown = ", ".join(f"{x:.3g}" for x in m)
    return (f"too few patients are expected to complete (expected completers per arm: "
            f"{shown}) for the t distribution of the closed form")


def _finite(compute) -> float | None:
    """``float(compute())``, or None when it is not a finite number."""
    with np.errstate(all="ignore"):
        value = float(compute())
    return value if math.isfinite(value) else None


def comparison_powers(scenario: Scenario) -> list[float | None]:
    """Multi-arm: each comparison's marginal power at its adjusted critical value.

    Noncentral t with the pooled df ``N - arms`` (ANCOVA: ``N - arms - 1``
    and the variance factor ``1 - r^2``, an approximation), at the expected
    completers; Dunnett's or Bonferroni's critical value (Holm's step-down
    has no marginal closed form: None; nor has a trial where too few patients
    are expected to complete, see :func:`too_few_completers`).
    """
    pain, spec = scenario.pain, scenario.analysis
    sizes = scenario.design.group_sizes
    m = list(expected_completers(scenario))
    if spec.multiplicity == "holm" or pain.is_responder or too_few_completers(scenario):
        return [None] * (len(sizes) - 1)
    sd_v = analysis_sd(pain)  # ANCOVA: residual SD, one more df for the slope
    df = sum(m) - len(m) - (1 if pain.analysis == "ancova" else 0)
    k = len(sizes) - 1
    if spec.multiplicity == "dunnett":
        crit = dunnett_critical(m[0], m[1:], df, spec.alpha, spec.sided)
    else:
        a = spec.alpha / (k if spec.multiplicity == "bonferroni" else 1)
        crit = float(stats.t.ppf(1 - a / spec.sided, df))
    out = []
    for j in range(1, len(sizes)):
        ncp = pain.effect_of(j) / (sd_v * math.sqrt(1 / m[0] + 1 / m[j]))
        out.append(float(directed_power(ncp, df, crit, spec.sided, -1)))
    return out


def any_comparison_power(scenario: Scenario) -> float | None:
    """Multi-arm: P(some comparison rejects) at the expected completers, the solver's guess.

    The comparisons' noncentral multivariate t (see
    :func:`simulator.analysis.dunnett.any_rejection`), with the df, SD and
    critical value of :func:`comparison_powers`; Holm's first step is
    Bonferroni's, so its P(any) is Bonferroni's. Exact for normal scores
    without dropout; None for responder analyses and where too few patients are
    expected to complete (:func:`too_few_completers`).
    """
    pain, spec = scenario.pain, scenario.analysis
    if pain.is_responder or too_few_completers(scenario):
        return None
    keep = completion_probabilities(scenario)
    m = [n * c for n, c in zip(scenario.design.group_sizes, keep)]
    sd_v, k = analysis_sd(pain), len(m) - 1
    df = sum(m) - len(m) - (1 if pain.analysis == "ancova" else 0)
    if spec.multiplicity == "dunnett":
        crit = dunnett_critical(m[0], m[1:], df, spec.alpha, spec.sided)
    else:
        a = spec.alpha / (1 if spec.multiplicity == "none" else k)
        crit = float(stats.t.isf(a / spec.sided, df))
    shifts = [-pain.effect_of(j) / (sd_v * math.sqrt(1 / m[0] + 1 / m[j])) for j in range(1, k + 1)]
    return any_rejection(crit, lambdas_of(m[0], m[1:]), shifts, df, spec.sided)


def _responder_power(scenario: Scenario, n_per_arm: int | None) -> AnalyticPower:
    """Two proportions at the true responder rates and the expected completers."""
    pain, spec = scenario.pain, scenario.analysis
    c = pain.responder_cutoff
    p0 = arm_truth(pain, False).responder_rate[c]
    p1 = arm_truth(pain, True).responder_rate[c]
    m0, m1 = expected_completers(scenario, n_per_arm)
    cc = spec.responder_test == "z-cc"
    value = None if too_few_completers(scenario, n_per_arm) else _finite(
        lambda: two_proportion_power(p0, p1, m0, m1, alpha=spec.alpha, sided=spec.sided,
                                     continuity=cc))
    return AnalyticPower(value=value, exact=False,
                         method="normal approximation, two proportions"
                                + (" (continuity-corrected)" if cc else "")
                                + ", at the true responder rates and expected completers")


def analytic_power(scenario: Scenario, *, average_completers: bool = True,
                   n_per_arm: int | None = None) -> AnalyticPower:
    """The closed-form power of the scenario's primary analysis.

    Exact for normal scores (ANCOVA, Student t on change or follow-up),
    averaged over the binomial number of completers. Bounded scores or a
    truncated baseline get the normal-model value, marked inexact; responder
    analyses get the normal approximation at the true responder rates.
    ``average_completers=False`` evaluates at the expected completers instead
    (fast, for a first guess; marked inexact when there is dropout).
    ``n_per_arm`` evaluates it at another size of the reference arm (the
    other arms by the allocation), as the solver does for many sizes.
    """
    n_per_arm = _checked(scenario, average_completers, n_per_arm)
    pain, spec = scenario.pain, scenario.analysis
    sizes = scenario.design.group_sizes_at(n_per_arm)
    keep = completion_probabilities(scenario)
    common = dict(alpha=spec.alpha, sided=spec.sided)
    if scenario.design.kind == "multiarm":
        return AnalyticPower(value=None, exact=False,
                             method="none for P(any comparison rejects); see each "
                                    "comparison's marginal power")
    if pain.is_responder:
        return _responder_power(scenario, n_per_arm)
    normal = not (pain.bounded or pain.truncated)
    note = "" if normal else "; normal model, ignores clipping, rounding and truncation"
    if needs_missing_path(scenario):  # the closed form is of complete data under MCAR
        normal = False
        note += ("; complete cases under MCAR at the expected completion, ignoring the "
                 "dropout mechanism, the estimand and unblinding")
    if scenario.design.kind == "crossover":
        delta = pain.effect - scenario.design.carryover / 2.0
        sd_half = crossover_sd(scenario)
        welch = spec.test == "welch"

        def power_at(m0, m1):
            return t_test_power(delta, sd_half, m0, m1, welch=welch, **common)
        method = ("noncentral t of the period-adjusted within-patient comparison, "
                  "sd^2 (1 - rho) / 2 per half difference")
        if any(k < 1 for k in keep):
            method += ", averaged over binomial completers"
        return AnalyticPower(value=average_over_completers(power_at, sizes, keep,
                                                           **_analysable(welch, 2)),
                             method=method + note, exact=normal and not welch)
    sd, r = pain.sd, pain.correlation
    rule = _analysable(False, 3)
    if pain.analysis == "ancova":
        def power_at(m0, m1):
            return ancova_power(pain.effect, sd, r, m0, m1, **common)
        method, exact = "noncentral t integrated over baseline imbalance (exact ANCOVA)", normal
    else:
        var = analysis_sd(pain) ** 2
        welch = spec.test == "welch"

        def power_at(m0, m1):
            return t_test_power(pain.effect, math.sqrt(var), m0, m1, welch=welch, **common)
        rule = _analysable(welch, 2)
        if welch:
            method, exact = "noncentral t with Welch-Satterthwaite df (approximation)", False
        else:
            method, exact = "noncentral t (Student)", normal
    if any(k < 1 for k in keep) and not average_completers:
        value = _finite(lambda: power_at(*(np.array([m]) for m in expected_completers(
            scenario, n_per_arm)))[0]) if not too_few_completers(scenario, n_per_arm) else None
        return AnalyticPower(value=value, exact=False,
                             method=method + ", at the expected completers" + note)
    if any(k < 1 for k in keep):
        method += ", averaged over binomial completers"
    value = average_over_completers(power_at, sizes, keep, **rule)
    return AnalyticPower(value=value, method=method + note, exact=exact)


def _analysable(welch: bool, df_lost: int) -> dict[str, int | None]:
    """The completers the simulated test analyses (:func:`average_over_completers`'s
    rule): Welch's t needs two per arm; Student's t and ANCOVA take an arm of one with a
    residual df (``df_lost``: the parameters they estimate, 2 and 3)."""
    return {"min_arm": 2, "df_lost": None} if welch else {"min_arm": 1, "df_lost": df_lost}


def analytic_assurance(scenario: Scenario) -> float | None:
    """Closed-form assurance: benefit-direction power averaged over the effect prior.

    ``A = E[P(significant benefit | theta)]``, ``theta ~ N(m, s^2)`` the
    scenario's prior, by quadrature of the closed-form power (noncentral t,
    exact ANCOVA, or two proportions at the responder rates) at the expected
    number of completers per arm. With known SD and large n it reduces to
    O'Hagan's ``Phi((m' - z sigma_n) / sqrt(sigma_n^2 + s^2))``. None when the
    effect is fixed, or when too few patients are expected to complete
    (:func:`too_few_completers`).
    """
    require_scenario(scenario)
    prior = effect_prior(scenario.pain)
    if prior is None or too_few_completers(scenario):
        return None
    pain, spec = scenario.pain, scenario.analysis
    m0, m1 = expected_completers(scenario)
    common = dict(alpha=spec.alpha, sided=spec.sided, direction="benefit")
    sd, r = pain.sd, pain.correlation
    shift = 0.0  # the estimate's offset from the true effect
    if scenario.design.kind == "crossover":
        var = crossover_sd(scenario) ** 2
        shift = -scenario.design.carryover / 2.0
    else:
        var = analysis_sd(pain) ** 2
    width = math.sqrt(var * (1 / m0 + 1 / m1))
    effects, weights = normal_prior_nodes(prior.mean, prior.sd, width,
                                    float(stats.norm.ppf(1 - spec.alpha / spec.sided)))
    if pain.is_responder:
        c = pain.responder_cutoff
        p0 = arm_truth(pain, False).responder_rate[c]
        powers = np.array([two_proportion_power(
            p0, arm_truth(pain, True, float(theta)).responder_rate[c], m0, m1, **common,
            continuity=spec.responder_test == "z-cc") for theta in effects])
    elif pain.analysis == "ancova" and scenario.design.kind != "crossover":
        powers = ancova_power(effects, sd, r, m0, m1, **common)
    else:
        powers = t_test_power(effects + shift, math.sqrt(var), m0, m1,
                              welch=spec.test == "welch", **common)
    return _finite(lambda: np.dot(weights, powers))
