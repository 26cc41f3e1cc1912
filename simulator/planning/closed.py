"""Closed-form power: the independent reference beside every simulation.

* t-tests: the noncentral t (``scipy.stats.nct``), Student df, or Welch-
  Satterthwaite df for Welch's test (an approximation).
* ANCOVA: conditional on the baselines the t statistic is noncentral t with
  ``n0 + n1 - 3`` df and noncentrality ``delta / (sigma_e sqrt(1/n0 + 1/n1 +
  dx^2 / Sxx))``, ``sigma_e = sd sqrt(1 - r^2)``. With normal baselines
  ``dx^2 / Sxx = (1/n0 + 1/n1) F / (n0 + n1 - 2)``, ``F ~ F(1, n0 + n1 - 2)``,
  so the exact power is a one-dimensional integral over F (Gauss-Legendre on
  its quantile scale, substituted to handle the heavy tail). The common shortcut, the t-test power with variance
  factor ``1 - r^2``, is slightly higher.
* two proportions: normal approximation.
* risk ratio of an adverse event: exact, by enumerating both binomial counts.
* random completers (dropout): the power is averaged exactly over the
  binomial numbers of completers in each arm.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..analysis.estimates import decide
from ..analysis.twosample import log_risk_ratio
from ..models.outcomes import analysis_sd
from ..models.parameters import effect_prior
from ..models.truth import arm_truth
from ..spec.scenario import Scenario

__all__ = [
    "AnalyticPower",
    "t_test_power",
    "ancova_power",
    "two_proportion_power",
    "harm_detection_probability",
    "analytic_power",
    "completion_probabilities",
    "analytic_assurance",
    "comparison_powers",
]

_TAIL = 1e-7  # binomial mass left out when averaging power over completers
_TAIL_EXACT = 1e-13  # ... and when enumerating adverse-event counts
# Gauss-Legendre on the F-quantile scale u, with u = 1 - (1 - v)^3 to crowd
# nodes where F grows without bound (u -> 1): 16 nodes give ~1e-9.
_v, _w = np.polynomial.legendre.leggauss(16)
_v = 0.5 * (_v + 1.0)
_GL_U = 1.0 - (1.0 - _v) ** 3
_GL_W = 0.5 * _w * 3.0 * (1.0 - _v) ** 2


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


def _directed_power(ncp, df, crit, sided: int, benefit_sign: int, direction: str = "any"):
    """P(reject) for a statistic ~ noncentral t(df, ncp), critical value crit.

    ``direction="benefit"`` counts only rejections in the benefit direction.
    """
    if sided == 2 and direction == "any":
        # P(T > c) + P(T < -c) = sf(c; ncp) + sf(c; -ncp); the sf form avoids
        # the NaNs that nct.cdf gives far in the lower tail.
        return stats.nct.sf(crit, df, ncp) + stats.nct.sf(crit, df, -ncp)
    return stats.nct.sf(crit, df, benefit_sign * ncp)


def t_test_power(delta, sd, n0, n1, *, alpha=0.05, sided=2, benefit_sign=-1, welch=False,
                 direction="any"):
    """Power of the two-sample t-test (noncentral t), vectorized over n.

    Parameters
    ----------
    delta : float
        True difference in means (active minus placebo).
    sd : float
        Common standard deviation.
    n0, n1 : array_like
        Patients analysed per arm.
    alpha, sided, benefit_sign
        As in :func:`simulator.analysis.decide`.
    welch : bool
        Use Welch-Satterthwaite degrees of freedom (equal true variances).
    direction : {"any", "benefit"}
        Count rejections in either direction (two-sided test), or only those
        in the benefit direction.

    Examples
    --------
    >>> round(float(t_test_power(1.0, 2.5, 100, 100)), 4)
    0.8036
    """
    n0 = np.asarray(n0, float)
    n1 = np.asarray(n1, float)
    inv = 1.0 / n0 + 1.0 / n1
    if welch:
        df = inv**2 / (1.0 / (n0**2 * (n0 - 1.0)) + 1.0 / (n1**2 * (n1 - 1.0)))
    else:
        df = n0 + n1 - 2.0
    ncp = delta / (sd * np.sqrt(inv))
    crit = stats.t.ppf(1.0 - alpha / sided, df)
    return _directed_power(ncp, df, crit, sided, benefit_sign, direction)


def ancova_power(delta, sd, r, n0, n1, *, alpha=0.05, sided=2, benefit_sign=-1, direction="any"):
    """Exact power of ANCOVA on a normal baseline, vectorized over n.

    Integrates the conditional noncentral-t power over the baseline
    imbalance ``F ~ F(1, n0 + n1 - 2)`` (see the module notes).
    """
    delta, n0, n1 = (np.asarray(a, float)[..., None]
                     for a in np.broadcast_arrays(delta, np.asarray(n0, float), n1))
    df = n0 + n1 - 3.0
    ncp0 = delta / (sd * math.sqrt(1.0 - r * r) * np.sqrt(1.0 / n0 + 1.0 / n1))
    f = stats.f.ppf(_GL_U, 1.0, n0 + n1 - 2.0)
    ncp = ncp0 / np.sqrt(1.0 + f / (n0 + n1 - 2.0))
    crit = stats.t.ppf(1.0 - alpha / sided, df)
    return np.sum(_GL_W * _directed_power(ncp, df, crit, sided, benefit_sign, direction),
                  axis=-1)


def two_proportion_power(p0, p1, n0, n1, *, alpha=0.05, sided=2, benefit_sign=1,
                         direction="any"):
    """Power of the pooled two-proportion z-test, normal approximation."""
    n0 = np.asarray(n0, float)
    n1 = np.asarray(n1, float)
    z = stats.norm.ppf(1.0 - alpha / sided)
    pbar = (n0 * p0 + n1 * p1) / (n0 + n1)
    se0 = np.sqrt(pbar * (1 - pbar) * (1 / n0 + 1 / n1))
    se1 = np.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / n1)
    d = benefit_sign * (p1 - p0)
    up = stats.norm.sf((z * se0 - d) / se1)
    if sided == 1 or direction == "benefit":
        return up
    return up + stats.norm.cdf((-z * se0 - d) / se1)


def _support(n: int, p: float, tail: float = _TAIL) -> tuple[np.ndarray, np.ndarray]:
    """Values of Binomial(n, p) holding all but about ``tail`` of the mass, and pmf."""
    if p <= 0.0 or p >= 1.0:
        k = np.array([0 if p <= 0 else n])
        return k, np.ones(1)
    lo = int(stats.binom.ppf(tail, n, p))
    hi = int(stats.binom.isf(tail, n, p))
    k = np.arange(max(lo, 0), min(hi, n) + 1)
    pmf = stats.binom.pmf(k, n, p)
    return k, pmf / pmf.sum()


def harm_detection_probability(p0, p1, n0, n1, *, alpha=0.05, sided=2):
    """Exact probability that the log-risk-ratio test detects harm.

    Enumerates every pair of event counts ``(a0, a1)`` of the two binomials
    and applies the same decision the simulation applies.
    """
    a0, w0 = _support(n0, p0, _TAIL_EXACT)
    a1, w1 = _support(n1, p1, _TAIL_EXACT)
    A0, A1 = np.meshgrid(a0, a1, indexing="ij")
    est = log_risk_ratio(A1, n1, A0, n0)
    harm = decide(est, alpha=alpha, sided=sided, benefit_sign=1).reject_benefit
    return float(np.sum(np.outer(w0, w1) * harm))


def completion_probabilities(scenario: Scenario) -> tuple[float, ...]:
    """Probability that a patient of each arm (crossover: sequence) has a primary outcome."""
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


def _average_over_completers(power_at, sizes, keep):
    """E[power(m0, m1)] over independent binomial completers."""
    (m0, w0), (m1, w1) = (_support(n, c) for n, c in zip(sizes, keep))
    M0, M1 = np.meshgrid(m0, m1, indexing="ij")
    ok = (M0 >= 2) & (M1 >= 2)
    values = np.zeros(M0.shape)
    values[ok] = power_at(M0[ok], M1[ok])
    return float(np.sum(np.outer(w0, w1) * values))


def comparison_powers(scenario: Scenario) -> list[float | None]:
    """Multi-arm: each comparison's marginal power at its adjusted critical value.

    Noncentral t with the pooled df ``N - arms`` (ANCOVA: ``N - arms - 1``
    and the variance factor ``1 - r^2``, an approximation), at the expected
    completers; Dunnett's or Bonferroni's critical value (Holm's step-down
    has no marginal closed form: None).
    """
    from ..analysis.multiplicity import dunnett_critical

    pain, spec = scenario.pain, scenario.analysis
    sizes = scenario.design.group_sizes
    keep = completion_probabilities(scenario)
    m = [n * c for n, c in zip(sizes, keep)]
    if spec.multiplicity == "holm" or pain.is_responder:
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
        out.append(float(_directed_power(ncp, df, crit, spec.sided, -1)))
    return out


def analytic_power(scenario: Scenario, *, average_completers: bool = True) -> AnalyticPower:
    """The closed-form power of the scenario's primary analysis.

    Exact for normal scores (ANCOVA, Student t on change or follow-up),
    averaged over the binomial number of completers. Bounded scores or a
    truncated baseline get the normal-model value, marked inexact; responder
    analyses get the normal approximation at the true responder rates.
    ``average_completers=False`` evaluates at the expected completers instead
    (fast, for a first guess; marked inexact when there is dropout).
    """
    pain, spec = scenario.pain, scenario.analysis
    sizes = scenario.design.group_sizes
    keep = completion_probabilities(scenario)
    common = dict(alpha=spec.alpha, sided=spec.sided)
    if scenario.design.kind == "multiarm":
        return AnalyticPower(value=None, exact=False,
                             method="none for P(any comparison rejects); see each "
                                    "comparison's marginal power")
    if pain.is_responder:
        c = pain.responder_cutoff
        p0 = arm_truth(pain, False).responder_rate[c]
        p1 = arm_truth(pain, True).responder_rate[c]
        value = two_proportion_power(p0, p1, sizes[0] * keep[0], sizes[1] * keep[1], **common)
        return AnalyticPower(value=float(value), exact=False,
                             method="normal approximation, two proportions, at the true "
                                    "responder rates and expected completers")
    normal = not (pain.bounded or pain.truncated)
    note = "" if normal else "; normal model, ignores clipping, rounding and truncation"
    from ..models.withdrawal import needs_missing_path

    if needs_missing_path(scenario):  # the closed form is of complete data under MCAR
        normal = False
        note += ("; complete cases under MCAR at the expected completion, ignoring the "
                 "dropout mechanism, the estimand and unblinding")
    if scenario.design.kind == "crossover":
        from ..models.crossover import crossover_sd

        delta = pain.effect - scenario.design.carryover / 2.0
        sd_half = crossover_sd(scenario)
        welch = spec.test == "welch"

        def power_at(m0, m1):
            return t_test_power(delta, sd_half, m0, m1, welch=welch, **common)
        method = ("noncentral t of the period-adjusted within-patient comparison, "
                  "sd^2 (1 - rho) / 2 per half difference")
        if any(k < 1 for k in keep):
            method += ", averaged over binomial completers"
        return AnalyticPower(value=_average_over_completers(power_at, sizes, keep),
                             method=method + note, exact=normal and not welch)
    sd, r = pain.sd, pain.correlation
    if pain.analysis == "ancova":
        def power_at(m0, m1):
            return ancova_power(pain.effect, sd, r, m0, m1, **common)
        method, exact = "noncentral t integrated over baseline imbalance (exact ANCOVA)", normal
    else:
        var = analysis_sd(pain) ** 2
        welch = spec.test == "welch"

        def power_at(m0, m1):
            return t_test_power(pain.effect, math.sqrt(var), m0, m1, welch=welch, **common)
        if welch:
            method, exact = "noncentral t with Welch-Satterthwaite df (approximation)", False
        else:
            method, exact = "noncentral t (Student)", normal
    if any(k < 1 for k in keep) and not average_completers:
        value = float(power_at(np.array([sizes[0] * keep[0]]), np.array([sizes[1] * keep[1]]))[0])
        return AnalyticPower(value=value, exact=False,
                             method=method + ", at the expected completers" + note)
    if any(k < 1 for k in keep):
        method += ", averaged over binomial completers"
    value = _average_over_completers(power_at, sizes, keep)
    return AnalyticPower(value=value, method=method + note, exact=exact)


_PANEL_X, _PANEL_W = np.polynomial.legendre.leggauss(12)


def _prior_nodes(mean: float, sd: float, width: float, crit: float):
    """Quadrature nodes and weights for E[f(theta)], theta ~ N(mean, sd^2).

    Composite Gauss-Legendre on panels split at the prior's SDs and around
    the points where the power turns over (theta = +-crit * width, within a
    few widths): the power is a sigmoid of width ``width`` (the estimate's
    SE), far narrower than the prior for a large trial, where Gauss-Hermite
    would miss it.
    """
    lo, hi = mean - 9.0 * sd, mean + 9.0 * sd
    cuts = set(mean + sd * np.arange(-9.0, 9.5, 1.0))
    for centre in (-crit * width, crit * width):
        cuts |= set(centre + width * np.arange(-8.0, 8.5, 0.5))
    edges = np.array(sorted(c for c in cuts if lo <= c <= hi))
    a, b = edges[:-1], edges[1:]
    x = (0.5 * (b - a)[:, None] * _PANEL_X + 0.5 * (a + b)[:, None]).ravel()
    w = (0.5 * (b - a)[:, None] * _PANEL_W).ravel()
    w = w * stats.norm.pdf(x, mean, sd)
    return x, w / w.sum()


def analytic_assurance(scenario: Scenario) -> float | None:
    """Closed-form assurance: benefit-direction power averaged over the effect prior.

    ``A = E[P(significant benefit | theta)]``, ``theta ~ N(m, s^2)`` the
    scenario's prior, by quadrature of the closed-form power (noncentral t,
    exact ANCOVA, or two proportions at the responder rates) at the expected
    number of completers per arm. With known SD and large n it reduces to
    O'Hagan's ``Phi((m' - z sigma_n) / sqrt(sigma_n^2 + s^2))``. None when the
    effect is fixed.
    """
    prior = effect_prior(scenario.pain)
    if prior is None:
        return None
    pain, spec = scenario.pain, scenario.analysis
    keep = completion_probabilities(scenario)
    m0, m1 = (n * c for n, c in zip(scenario.design.group_sizes, keep))
    common = dict(alpha=spec.alpha, sided=spec.sided, direction="benefit")
    sd, r = pain.sd, pain.correlation
    shift = 0.0  # the estimate's offset from the true effect
    if scenario.design.kind == "crossover":
        from ..models.crossover import crossover_sd

        var = crossover_sd(scenario) ** 2
        shift = -scenario.design.carryover / 2.0
    else:
        var = analysis_sd(pain) ** 2
    width = math.sqrt(var * (1 / m0 + 1 / m1))
    effects, weights = _prior_nodes(prior.mean, prior.sd, width,
                                    float(stats.norm.ppf(1 - spec.alpha / spec.sided)))
    if pain.is_responder:
        c = pain.responder_cutoff
        powers = []
        for theta in effects:
            shifted = dataclasses.replace(pain, effect=float(theta))
            p0 = arm_truth(shifted, False).responder_rate[c]
            p1 = arm_truth(shifted, True).responder_rate[c]
            powers.append(two_proportion_power(p0, p1, m0, m1, **common))
        powers = np.array(powers)
    elif pain.analysis == "ancova" and scenario.design.kind != "crossover":
        powers = ancova_power(effects, sd, r, m0, m1, **common)
    else:
        powers = t_test_power(effects + shift, math.sqrt(var), m0, m1,
                              welch=spec.test == "welch", **common)
    return float(np.dot(weights, powers))
