"""The review being resolved: its existing evidence, its update, and the rules.

Each simulated future adds ``k`` new trials of the scenario's design (their
estimates and standard errors come from the engine, dropout included) to the
existing evidence and re-fits the meta-analysis:

* a pooled summary (estimate, SE) is updated with tau^2 held fixed: weight
  ``W0 = 1 / SE0^2`` plus ``1 / (se_j^2 + tau^2)`` per new trial;
* per-study estimates are re-fitted with the chosen estimator (and HKSJ).

The update is conclusive by the chosen rules (:data:`simulator.spec.RULES`),
reported by direction (:data:`DIRECTIONS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._lazy import special
from ..analysis.metaanalysis import meta_analyse
from ..analysis.tau2 import tau2_qprofile_ci
from ..errors import ScenarioError
from ..models.crossover import crossover_sd
from ..models.outcomes import analysis_sd
from ..spec import MetaSpec, Pain, Scenario
from ..spec.evidence import default_evidence
from ..spec.priors import NormalPrior
from .closed import completion_probabilities
from .review_binary import binary_centre, binary_unit_sd, binary_variance

__all__ = ["DIRECTIONS", "Existing", "existing_evidence", "prediction_quantile", "centre_prior",
           "centre", "margin", "trial_sd",
           "trial_variance", "Update", "update", "required_information", "grade_imprecision"]

#: Directions each rule reports.
DIRECTIONS: dict[str, tuple[str, ...]] = {
    "settled": ("benefit", "no-important-effect", "harm"),
    "settled (binary)": ("harm", "no-important-harm"),
    "ci-excludes-0": ("benefit", "harm"),
    "mcid": ("benefit", "no-important-effect", "harm"),
    "precision": ("precise",),
    "tsa": ("benefit", "harm", "futility"),
}


@dataclass(frozen=True, slots=True)
class Existing:
    """The existing evidence, summarised.

    Attributes
    ----------
    estimate, se : float
        Pooled effect (0-10 NRS) and its SE.
    tau2 : float
        Between-study variance used for new trials (held or fitted).
    i2 : float or None
        I^2 of the existing meta-analysis, where known.
    k : int or None
        Number of existing studies, where known.
    studies : tuple of (estimate, se) or None
        Per-study data (re-fitted in updates), or None for a summary.
    tau2_ci : tuple of float or None
        The Q-profile CI of tau^2 (Viechtbauer 2007), with at least 2 studies.
    prediction : tuple of float or None
        The prediction interval of a new study's true effect (Higgins,
        Thompson & Spiegelhalter 2009): ``estimate +- t_{k-2} sqrt(tau2 +
        se^2)``, the normal quantile when k is unknown; None when k < 3.
    ci_method, information_ratio : str, float
        How the review's CI of a pooled summary was computed, and the factor
        ``(t_{k-1} / z)^2`` by which its information exceeds what a z interval
        of the same width suggests (1 for z).
    """

    estimate: float
    se: float
    tau2: float
    i2: float | None
    k: int | None
    studies: tuple[tuple[float, float], ...] | None
    tau2_ci: tuple[float, float] | None = None
    prediction: tuple[float, float] | None = None
    ci_method: str = "z"
    information_ratio: float = 1.0


def prediction_quantile(k, alpha: float):
    """``t_{k-2, 1-alpha/2}`` (NaN where k < 3); the normal quantile where k is None."""
    if k is None:
        return float(special.ndtri(1 - alpha / 2))
    k = np.asarray(k, float)
    return np.where(k >= 3, special.stdtrit(np.maximum(k - 2, 1), 1 - alpha / 2), np.nan)


def _prediction(estimate: float, se: float, tau2: float, k: int | None, alpha: float):
    q = float(prediction_quantile(k, alpha))
    half = q * math.sqrt(tau2 + se * se)
    return None if math.isnan(q) else (estimate - half, estimate + half)


@lru_cache(maxsize=64)
def _existing(spec: MetaSpec, i2_entry: float | None, alpha: float) -> Existing:
    if spec.studies is not None:
        y, se = np.array(spec.studies).T
        fit = meta_analyse(y, se, method=spec.method, hksj=spec.hksj, tau2=spec.tau2,
                           hksj_truncate=spec.hksj_truncate)
        ci = tau2_qprofile_ci(y, se, alpha=alpha) if len(y) >= 2 else None
        est0, se0, tau2 = float(fit.estimate), float(fit.se), float(fit.tau2)
        if not (se0 > 0 and math.isfinite(se0)):  # HKSJ on studies that agree exactly
            raise ScenarioError(
                f"[meta_analysis] studies = {[list(r) for r in spec.studies]}: the existing "
                f"meta-analysis has a standard error of {se0:g} (the HKSJ variance factor is 0 "
                "when the studies agree exactly): set hksj_truncate = true (the modified "
                "HKSJ, never narrower than the plain random-effects interval) or hksj = false")
        return Existing(estimate=est0, se=se0, tau2=tau2, i2=float(fit.i2), k=len(y),
                        studies=spec.studies, tau2_ci=None if ci is None else (ci.low, ci.high),
                        prediction=_prediction(est0, se0, tau2, len(y), alpha))
    est, se, k = spec.pooled
    ratio = spec.ci_quantile_ratio()
    se = se / ratio  # a t-based CI holds more information than a z one of its width
    return Existing(estimate=est, se=se, tau2=float(spec.tau2), i2=i2_entry, k=k, studies=None,
                    prediction=_prediction(est, se, float(spec.tau2), k, alpha),
                    ci_method=spec.ci_method, information_ratio=ratio * ratio)


def existing_evidence(scenario: Scenario) -> Existing:
    """The scenario's existing meta-analysis (fitted once, cached)."""
    spec = scenario.meta_analysis
    i2 = None
    if spec.evidence is not None:
        i2 = (scenario.evidence or default_evidence())[spec.evidence].i2
    return _existing(spec, i2, scenario.analysis.alpha)


def centre_prior(pain: Pain) -> NormalPrior | None:
    """Distribution of the centre of the new trials' true effects.

    The new trials add their own heterogeneity (tau^2) around the centre, so
    the centre takes the pooled uncertainty only, ``N(effect, effect_sd^2)``,
    for a pooled or a predictive prior alike (the predictive prior's tau^2
    would otherwise be counted twice).
    """
    if pain.effect_prior == "fixed":
        return None
    return NormalPrior(mean=pain.effect, sd=pain.effect_sd)


def centre(scenario: Scenario) -> tuple[float, NormalPrior | None]:
    """The new trials' centre effect and its prior: the pain effect, or a binary
    outcome's log risk ratio (:mod:`simulator.planning.review_binary`)."""
    if scenario.meta_analysis.binary:
        return binary_centre(scenario)
    return scenario.pain.effect, centre_prior(scenario.pain)


def margin(scenario: Scenario) -> float:
    """The rules' margin: ``pain.mcid``, or ``ln(harm_margin)`` for a binary outcome."""
    spec = scenario.meta_analysis
    return math.log(spec.harm_margin) if spec.binary else scenario.pain.mcid


def trial_sd(scenario: Scenario) -> float:
    """SD of one patient's contribution to a new trial's estimate (NRS points; a binary
    outcome's :func:`~simulator.planning.review_binary.binary_unit_sd`)."""
    if scenario.meta_analysis is not None and scenario.meta_analysis.binary:
        return binary_unit_sd(scenario)
    if scenario.design.kind == "crossover":
        return crossover_sd(scenario)  # per half period difference, n per sequence
    return analysis_sd(scenario.pain)


def trial_variance(scenario: Scenario) -> float:
    """The planned variance of one new trial's estimate: sd^2 (1/(n0 c0) + 1/(n1 c1))
    (a binary outcome's log RR: the delta method over all randomised); inf when no
    patient of an arm is expected to complete (the trial adds no information)."""
    if scenario.meta_analysis is not None and scenario.meta_analysis.binary:
        return binary_variance(scenario)
    sd = trial_sd(scenario)
    n0, n1 = scenario.design.group_sizes
    c0, c1 = completion_probabilities(scenario)
    if min(n0 * c0, n1 * c1) <= 0:
        return math.inf
    return sd * sd * (1 / (n0 * c0) + 1 / (n1 * c1))



@dataclass(frozen=True, slots=True)
class Update:
    """The updated meta-analysis of each future (arrays of shape (futures,)).

    Attributes
    ----------
    estimate, se, ci_low, ci_high : ndarray
        Pooled estimate, its SE and the ``1 - alpha`` CI (normal, or t with HKSJ).
    df : ndarray or None
        Degrees of freedom of a t-based (HKSJ) statistic; None for a Z.
    fixed_information : ndarray
        The update's total information ``sum 1 / v_i`` (existing studies, or
        ``1 / SE0^2`` for a summary, plus every analysable new trial): what
        GRADE's optimal information size is compared with.
    tau2 : ndarray
        The update's tau^2 (held, drawn or re-estimated).
    k : int or None
        Studies in the update (None: a summary of an unknown number of studies).
    """

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    df: np.ndarray | None
    fixed_information: np.ndarray
    tau2: np.ndarray
    k: int | None

    def prediction(self, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        """The prediction interval of a new study's true effect (:func:`prediction_quantile`)."""
        half = prediction_quantile(self.k, alpha) * np.sqrt(self.tau2 + self.se**2)
        return self.estimate - half, self.estimate + half


def update(existing: Existing, spec: MetaSpec, est: np.ndarray, se: np.ndarray,
           alpha: float, tau2: np.ndarray | None = None) -> Update:
    """The updated meta-analysis of each future; ``est``, ``se`` of shape (futures, k).

    ``tau2`` (one per future, drawn) replaces the held tau^2: a pooled
    summary's, or ``studies`` with ``tau2`` given; re-estimated tau^2 stays so.
    """
    bad = ~(np.isfinite(est) & np.isfinite(se) & (se > 0))
    est = np.where(bad, 0.0, est)
    var = np.where(bad, 1e12, se * se)  # an unanalysable trial adds nothing
    n, k_new = est.shape
    new_info = (1.0 / var).sum(axis=1)
    if existing.studies is None:
        t2 = np.full(n, existing.tau2) if tau2 is None else np.asarray(tau2, float)
        w0 = 1.0 / existing.se**2
        w = 1.0 / (var + t2[:, None])
        total = w0 + w.sum(axis=1)
        mu = (w0 * existing.estimate + (w * est).sum(axis=1)) / total
        sem = 1.0 / np.sqrt(total)
        crit = special.ndtri(1 - alpha / 2)  # stats.norm.ppf's value, without its overhead
        k = None if existing.k is None else existing.k + k_new
        return Update(mu, sem, mu - crit * sem, mu + crit * sem, None, w0 + new_info, t2, k)
    y0, s0 = np.array(existing.studies).T
    y = np.concatenate([np.broadcast_to(y0, (n, len(y0))), est], axis=1)
    v = np.concatenate([np.broadcast_to(s0 * s0, (n, len(y0))), var], axis=1)
    held = spec.tau2 if tau2 is None or spec.tau2 is None else tau2
    fit = meta_analyse(y, v=v, method=spec.method, hksj=spec.hksj, alpha=alpha, tau2=held,
                       hksj_truncate=spec.hksj_truncate)
    df = np.full(n, y.shape[1] - 1.0) if spec.hksj else None
    return Update(fit.estimate, fit.se, fit.ci_low, fit.ci_high, df,
                  float(np.sum(1.0 / (s0 * s0))) + new_info,
                  np.broadcast_to(np.asarray(fit.tau2, float), (n,)), y.shape[1])


def required_information(spec: MetaSpec, pain: Pain, alpha: float) -> float:
    """I* = (z_{1-alpha/2} + z_power)^2 / delta^2: also GRADE's optimal information size.

    delta is ``meta_analysis.delta``, else ``pain.mcid``; for a binary outcome
    ``ln(harm_margin)``.
    """
    delta = (math.log(spec.harm_margin) if spec.binary else
             spec.delta if spec.delta is not None else pain.mcid)
    return (special.ndtri(1 - alpha / 2) + special.ndtri(spec.power)) ** 2 / delta**2


def grade_imprecision(scenario: Scenario, up: Update) -> dict[str, np.ndarray]:
    """Whether GRADE would still rate each future's update down for imprecision.

    Rated down when the CI includes a threshold, the minimal important
    difference on either side (``-m`` or ``+m``), or when the update's total
    information is below the optimal information size, the required
    information of a single adequately powered trial (Guyatt et al. 2011,
    GRADE 6; Schünemann et al. 2022, GRADE 35). ``crosses-both``: the CI
    includes both thresholds (a reason to rate down twice).
    """
    m = margin(scenario)
    lo, hi = up.ci_low, up.ci_high
    crosses_low, crosses_high = (lo <= -m) & (hi >= -m), (lo <= m) & (hi >= m)
    crosses = crosses_low | crosses_high
    below = up.fixed_information < required_information(
        scenario.meta_analysis, scenario.pain, scenario.analysis.alpha)
    return {"not-rated-down": ~crosses & ~below, "crosses-threshold": crosses,
            "crosses-both": crosses_low & crosses_high, "below-ois": below}
