"""Resolve the review: would the next trial(s) make the meta-analysis conclusive?

Each simulated future adds ``k`` new trials of the scenario's design (their
estimates and standard errors come from the engine, dropout included) to the
existing evidence and re-fits the meta-analysis:

* a pooled summary (estimate, SE) is updated with tau^2 held fixed: weight
  ``W0 = 1 / SE0^2`` plus ``1 / (se_j^2 + tau^2)`` per new trial;
* per-study estimates are re-fitted with the chosen estimator (and HKSJ).

New trials have their own true effects, ``theta + tau z_j`` (random effects),
around the scenario's effect (or a draw from its prior). The update is
conclusive by the chosen rules (:data:`simulator.scenario.RULES`).

Closed forms beside the simulation (../shared/evidence.md, section c):
conditional power of the update with tau^2 fixed (Roloff, Higgins & Sutton
2013), the plateau one trial cannot pass when tau^2 > 0, the minimum number of
new trials k_min > tau^2 (I* - I0) and the size of each, and the trial-
sequential required information size RIS = 4 (z_a + z_b)^2 sigma^2 / delta^2
with its heterogeneity adjustment RIS / (1 - I^2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import stats

from ..analysis.metaanalysis import meta_analyse
from ..analysis.quadrature import normal_prior_nodes
from ..mc import MonteCarloProbability
from ..models.crossover import crossover_sd
from ..models.outcomes import analysis_sd
from ..spec import MetaSpec, Pain, Scenario
from ..spec.evidence import NormalPrior, default_evidence
from .closed import completion_probabilities

__all__ = ["Existing", "existing_evidence", "conclusive", "ResolveClosedForms",
           "closed_forms", "ResolveResult", "centre_prior", "DIRECTIONS"]

#: Directions each rule reports.
DIRECTIONS: dict[str, tuple[str, ...]] = {
    "ci-excludes-0": ("benefit", "harm"),
    "mcid": ("benefit", "no-important-effect", "harm"),
    "precision": ("precise",),
    "tsa": ("benefit", "harm"),
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
    """

    estimate: float
    se: float
    tau2: float
    i2: float | None
    k: int | None
    studies: tuple[tuple[float, float], ...] | None


@lru_cache(maxsize=64)
def _existing(spec: MetaSpec, i2_entry: float | None) -> Existing:
    if spec.studies is not None:
        y, se = np.array(spec.studies).T
        fit = meta_analyse(y, se, method=spec.method, hksj=spec.hksj, tau2=spec.tau2)
        return Existing(estimate=float(fit.estimate), se=float(fit.se), tau2=float(fit.tau2),
                        i2=float(fit.i2), k=len(y), studies=spec.studies)
    est, se, k = spec.pooled
    return Existing(estimate=est, se=se, tau2=float(spec.tau2), i2=i2_entry, k=k, studies=None)


def existing_evidence(scenario: Scenario) -> Existing:
    """The scenario's existing meta-analysis (fitted once, cached)."""
    spec = scenario.meta_analysis
    i2 = None
    if spec.evidence is not None:
        i2 = (scenario.evidence or default_evidence())[spec.evidence].i2
    return _existing(spec, i2)


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


def _update(existing: Existing, spec: MetaSpec, est: np.ndarray, se: np.ndarray, alpha: float):
    """Updated estimate, SE and CI for each future; est, se of shape (futures, k)."""
    bad = ~(np.isfinite(est) & np.isfinite(se) & (se > 0))
    est = np.where(bad, 0.0, est)
    var = np.where(bad, 1e12, se * se)  # an unanalysable trial adds nothing
    if existing.studies is None:
        w0 = 1.0 / existing.se**2
        w = 1.0 / (var + existing.tau2)
        total = w0 + w.sum(axis=1)
        mu = (w0 * existing.estimate + (w * est).sum(axis=1)) / total
        sem = 1.0 / np.sqrt(total)
        crit = stats.norm.ppf(1 - alpha / 2)
        return mu, sem, mu - crit * sem, mu + crit * sem
    y0, s0 = np.array(existing.studies).T
    n = est.shape[0]
    y = np.concatenate([np.broadcast_to(y0, (n, len(y0))), est], axis=1)
    v = np.concatenate([np.broadcast_to(s0 * s0, (n, len(y0))), var], axis=1)
    fit = meta_analyse(y, v=v, method=spec.method, hksj=spec.hksj, alpha=alpha, tau2=spec.tau2)
    return fit.estimate, fit.se, fit.ci_low, fit.ci_high


def _required_information(spec: MetaSpec, pain: Pain, alpha: float) -> float:
    delta = spec.delta if spec.delta is not None else pain.mcid
    return (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(spec.power)) ** 2 / delta**2


def conclusive(scenario: Scenario, est: np.ndarray, se: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Per rule and direction, the futures whose updated meta-analysis is conclusive.

    Parameters
    ----------
    scenario : Scenario
        With a ``meta_analysis`` table.
    est, se : ndarray, shape (futures, k)
        The new trials' estimates and standard errors.
    """
    spec, pain, alpha = scenario.meta_analysis, scenario.pain, scenario.analysis.alpha
    existing = existing_evidence(scenario)
    mu, sem, lo, hi = _update(existing, spec, est, se, alpha)
    out: dict[str, dict[str, np.ndarray]] = {}
    for rule in spec.rules:
        if rule == "ci-excludes-0":
            out[rule] = {"benefit": hi < 0, "harm": lo > 0}
        elif rule == "mcid":
            m = pain.mcid
            out[rule] = {"benefit": hi < -m, "no-important-effect": (lo > -m) & (hi < m),
                         "harm": lo > m}
        elif rule == "precision":
            out[rule] = {"precise": (hi - lo) / 2 < spec.precision}
        else:  # tsa: O'Brien-Fleming-type boundary at the information fraction
            fraction = np.minimum(1.0 / sem**2 / _required_information(spec, pain, alpha), 1.0)
            bound = stats.norm.ppf(1 - alpha / 2) / np.sqrt(fraction)
            z = mu / sem
            out[rule] = {"benefit": z < -bound, "harm": z > bound}
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveClosedForms:
    """Closed forms of the information-size view.

    Attributes
    ----------
    conditional_power : float or None
        P(updated CI excludes 0) at the scenario's effect (averaged over its
        prior when it has one), tau^2 fixed (Roloff et al. 2013); None when the
        existing evidence is re-fitted from studies with tau^2 estimated, or
        with HKSJ intervals.
    plateau : float or None
        The limit of ``conditional_power`` as the new trials grow without
        bound: below 1 whenever tau^2 > 0.
    required_information : float
        I* = (z_{1-alpha/2} + z_power)^2 / delta^2 (inverse-variance units).
    existing_information : float
        I0 = 1 / SE0^2.
    k_min : int
        Fewest new trials that can supply I* - I0: the smallest k > tau^2 (I* - I0)
        (0 if the review already has the information).
    n_per_arm_for_k : dict of int to int
        Per-arm size (at least 2) of each of k equal new trials that supply
        I* - I0, for k = k_min .. k_min + 4 (and for ``new_trials``), from
        v = 2 sigma^2 / n: equal arms, no dropout.
    ris, daris : float or None
        Trial-sequential required information size in participants,
        4 (z_a + z_b)^2 sigma^2 / delta^2, and RIS / (1 - I^2) (None when I^2 is
        unknown).
    """

    conditional_power: float | None
    plateau: float | None
    required_information: float
    existing_information: float
    k_min: int
    n_per_arm_for_k: dict[int, int]
    ris: float
    daris: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"conditional_power": self.conditional_power, "plateau": self.plateau,
                "required_information": self.required_information,
                "existing_information": self.existing_information, "k_min": self.k_min,
                "n_per_arm_for_k": {str(k): v for k, v in self.n_per_arm_for_k.items()},
                "ris": self.ris, "daris": self.daris}


def _cp(theta, w0, est0, w1, z):
    """Roloff conditional power of the update, vectorized over theta."""
    total = w0 + w1
    up = (w0 * est0 + w1 * theta - z * np.sqrt(total)) / np.sqrt(w1)
    down = (-w0 * est0 - w1 * theta - z * np.sqrt(total)) / np.sqrt(w1)
    return stats.norm.cdf(up) + stats.norm.cdf(down)


def closed_forms(scenario: Scenario) -> ResolveClosedForms:
    """The information-size view and the conditional power of the update."""
    spec, pain, alpha = scenario.meta_analysis, scenario.pain, scenario.analysis.alpha
    existing = existing_evidence(scenario)
    tau2 = existing.tau2
    z = float(stats.norm.ppf(1 - alpha / 2))
    info_star = _required_information(spec, pain, alpha)
    info0 = 1.0 / existing.se**2
    gap = info_star - info0
    if scenario.design.kind == "crossover":
        sd = crossover_sd(scenario)  # per half period difference, n per sequence
    else:
        sd = analysis_sd(pain)
    k_min = 0 if gap <= 0 else (1 if tau2 == 0 else math.floor(tau2 * gap) + 1)
    sizes = {}
    if gap > 0:
        for k in sorted({*range(max(k_min, 1), max(k_min, 1) + 5), spec.new_trials}):
            denom = k / gap - tau2
            if denom > 0:
                sizes[k] = max(2, math.ceil(2 * sd * sd / denom))
    delta = spec.delta if spec.delta is not None else pain.mcid
    ris = 4 * (z + stats.norm.ppf(spec.power)) ** 2 * sd * sd / delta**2
    daris = None if existing.i2 is None or existing.i2 >= 1 else ris / (1 - existing.i2)

    cp = plateau = None
    if (existing.studies is None or spec.tau2 is not None) and not spec.hksj:
        n0, n1 = scenario.design.group_sizes
        c0, c1 = completion_probabilities(scenario)
        v = sd * sd * (1 / (n0 * c0) + 1 / (n1 * c1))
        k = spec.new_trials
        w1 = k / (v + tau2)
        prior = centre_prior(pain)
        if prior is None:
            thetas, weights = np.array([pain.effect]), np.array([1.0])
        else:
            thetas, weights = normal_prior_nodes(prior.mean, prior.sd, math.sqrt(v + tau2), z)
        cp = float(np.dot(weights, _cp(thetas, info0, existing.estimate, w1, z)))
        plateau = 1.0 if tau2 == 0 else float(
            np.dot(weights, _cp(thetas, info0, existing.estimate, k / tau2, z)))
    return ResolveClosedForms(conditional_power=cp, plateau=plateau,
                              required_information=info_star, existing_information=info0,
                              k_min=k_min, n_per_arm_for_k=sizes, ris=ris, daris=daris)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveResult:
    """How often the updated meta-analysis becomes conclusive.

    Attributes
    ----------
    rules : tuple of str
        The rules, the first being the headline.
    p_conclusive : dict of str to MonteCarloProbability
        Per rule, P(conclusive in any direction).
    by_direction : dict of str to dict of str to MonteCarloProbability
        Per rule and direction (see :data:`DIRECTIONS`).
    new_trials : int
    existing : Existing
    closed : ResolveClosedForms or None
        None when closed forms were not asked for (inside the solver).
    """

    rules: tuple[str, ...]
    p_conclusive: dict[str, MonteCarloProbability]
    by_direction: dict[str, dict[str, MonteCarloProbability]]
    new_trials: int
    existing: Existing
    closed: ResolveClosedForms | None

    def to_dict(self) -> dict[str, Any]:
        """Flat keys for the headline rule, then every rule in detail."""
        head = self.rules[0]
        out: dict[str, Any] = {
            "rule": head,
            **self.p_conclusive[head].to_dict("p_conclusive"),
        }
        for direction, p in self.by_direction[head].items():
            out[f"p_conclusive_{direction.replace('-', '_')}"] = p.value
            out[f"p_conclusive_{direction.replace('-', '_')}_se"] = p.se
        if self.closed is not None:
            out.update(self.closed.to_dict())
        out["new_trials"] = self.new_trials
        out["existing"] = {"estimate": self.existing.estimate, "se": self.existing.se,
                           "tau2": self.existing.tau2, "i2": self.existing.i2,
                           "k": self.existing.k}
        out["rules"] = {rule: {**self.p_conclusive[rule].to_dict("p_conclusive"),
                               "by_direction": {d: p.value for d, p in
                                                self.by_direction[rule].items()}}
                        for rule in self.rules}
        return out
