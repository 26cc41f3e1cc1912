"""Closed forms of resolving the review, beside the simulation.

Conditional power of the update with tau^2 fixed (Roloff, Higgins & Sutton
2013), the plateau one trial cannot pass when tau^2 > 0, the minimum number
of new trials ``k_min > tau^2 (I* - I0)`` and the size of each, and the
trial-sequential required information size ``RIS = 4 (z_a + z_b)^2 sigma^2 /
delta^2`` with its heterogeneity adjustment ``RIS / (1 - I^2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..mc import finite
from .._lazy import special
from ..analysis.quadrature import normal_prior_nodes
from ..spec import Scenario
from .review import (centre, existing_evidence, margin, required_information, trial_sd,
                     trial_variance)
from .review_binary import binary_ris
from .review_tau2 import tau2_distribution
from .review_tsa import heterogeneity_adjustments
from .update_closed import CLOSED_RULES, rule_probabilities

__all__ = ["ResolveClosedForms", "closed_forms", "rule_closed_forms", "trial_sd",
           "trial_variance"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolveClosedForms:
    """Closed forms of the information-size view.

    Attributes
    ----------
    conditional_power : float or None
        P(updated CI excludes 0) at the scenario's effect (averaged over its
        prior when it has one), tau^2 fixed (Roloff et al. 2013); None when the
        existing evidence is re-fitted from studies with tau^2 estimated, or
        with HKSJ intervals, or when no patient is expected to complete in an
        arm (the new trial has no variance).
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
    ris, daris, ris_i2 : float
        Trial-sequential required information size in participants,
        4 (z_a + z_b)^2 sigma^2 / delta^2; the diversity-adjusted RIS / (1 - D^2);
        and RIS / (1 - I^2) (D^2 and I^2 of the planned final meta-analysis:
        :func:`simulator.planning.review_tsa.heterogeneity_adjustments`; inf
        when the share is 1).
    d2, i2 : float
        Those D^2 and I^2.
    by_rule : dict of str to dict
        Per rule the closed form covers (:data:`~simulator.planning.update_closed.CLOSED_RULES`,
        those asked), ``{"p_conclusive", "plateau", "by_direction"}`` of the
        normal update with tau^2 fixed (:mod:`simulator.planning.update_closed`);
        empty where ``conditional_power`` is None. With ``tau2_prior``, it and
        ``conditional_power`` and ``plateau`` are integrated over the tau^2
        distribution (:mod:`simulator.planning.review_tau2`).
    conditional_power_fixed_tau2, by_rule_fixed_tau2 : float, dict or None
        With ``tau2_prior``: the same at the held tau^2, beside them.
    """

    conditional_power: float | None
    plateau: float | None
    required_information: float
    existing_information: float
    k_min: int
    n_per_arm_for_k: dict[int, int]
    ris: float
    daris: float
    ris_i2: float
    d2: float
    i2: float
    by_rule: dict[str, dict[str, Any]] = field(default_factory=dict)
    conditional_power_fixed_tau2: float | None = None
    by_rule_fixed_tau2: dict[str, dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary; an information size that is infinite is null (see
        :meth:`notes`)."""
        return {"conditional_power": self.conditional_power, "plateau": self.plateau,
                "required_information": self.required_information,
                "existing_information": self.existing_information, "k_min": self.k_min,
                "n_per_arm_for_k": {str(k): v for k, v in self.n_per_arm_for_k.items()},
                "ris": finite(self.ris), "daris": finite(self.daris),
                "ris_i2": finite(self.ris_i2), "d2": finite(self.d2), "i2": finite(self.i2),
                "closed_form": self.by_rule,
                **({} if self.by_rule_fixed_tau2 is None else {
                    "conditional_power_fixed_tau2": self.conditional_power_fixed_tau2,
                    "closed_form_fixed_tau2": self.by_rule_fixed_tau2})}


    def notes(self) -> tuple[str, ...]:
        """Why a value of :meth:`to_dict` is null."""
        shares = [name for name, x in (("daris", self.daris), ("ris_i2", self.ris_i2))
                  if not math.isfinite(x)]
        return (f"{' and '.join(shares)} null: the heterogeneity share (D^2 or I^2) is 1, so "
                "no finite information size reaches the planned power",) if shares else ()


def _cp(theta, w0, est0, w1, z):
    """Roloff conditional power of the update, vectorized over theta."""
    total = w0 + w1
    up = (w0 * est0 + w1 * theta - z * np.sqrt(total)) / np.sqrt(w1)
    down = (-w0 * est0 - w1 * theta - z * np.sqrt(total)) / np.sqrt(w1)
    return special.ndtr(up) + special.ndtr(down)  # stats.norm.cdf's values, at less cost


def _theta_nodes(scenario, w0, est0, w1, cuts):
    """Nodes over the centre's prior, refined where each rule's probability turns."""
    point, prior = centre(scenario)
    if prior is None:
        return np.array([point]), np.array([1.0])
    total = w0 + w1
    turns = [(c * total - w0 * est0) / w1 for c in cuts]
    return normal_prior_nodes(prior.mean, prior.sd, 1 / math.sqrt(w1), 0.0, turns=turns)


def rule_closed_forms(scenario: Scenario, w0: float, est0: float, tau2: float
                      ) -> dict[str, dict[str, Any]]:
    """P(conclusive) and its plateau per closed-form rule, at one tau^2 (module notes)."""
    spec = scenario.meta_analysis
    z = float(special.ndtri(1 - scenario.analysis.alpha / 2))
    k, m = spec.new_trials, margin(scenario)
    rules = [r for r in spec.rules if r in CLOSED_RULES]
    out: dict[str, dict[str, Any]] = {}
    for label, w1 in (("p_conclusive", k / (trial_variance(scenario) + tau2)),
                      ("plateau", k / max(tau2, 1e-12))):  # tau^2 = 0: W1 -> inf
        h = z / math.sqrt(w0 + w1)
        thetas, weights = _theta_nodes(scenario, w0, est0, w1,
                                       (-h, h, -m - h, -m + h, m - h, m + h))
        probs = rule_probabilities(thetas, w0, est0, w1, z, m, spec.precision, spec.binary)
        for r in rules:
            by = {d: float(np.dot(weights, p)) for d, p in probs[r].items()}
            entry = out.setdefault(r, {})
            entry[label] = float(sum(by.values()))
            if label == "p_conclusive":
                entry["by_direction"] = by
    return {r: {"p_conclusive": out[r]["p_conclusive"], "plateau": out[r]["plateau"],
                "by_direction": out[r]["by_direction"]} for r in rules}


def closed_forms(scenario: Scenario) -> ResolveClosedForms:
    """The information-size view and the conditional power of the update."""
    spec, pain, alpha = scenario.meta_analysis, scenario.pain, scenario.analysis.alpha
    existing = existing_evidence(scenario)
    tau2 = existing.tau2
    z = float(special.ndtri(1 - alpha / 2))
    info_star = required_information(spec, pain, alpha)
    info0 = 1.0 / existing.se**2
    gap = info_star - info0
    sd = trial_sd(scenario)
    k_min = 0 if gap <= 0 else (1 if tau2 == 0 else math.floor(tau2 * gap) + 1)
    sizes = {}
    if gap > 0:
        for k in sorted({*range(max(k_min, 1), max(k_min, 1) + 5), spec.new_trials}):
            denom = k / gap - tau2
            if denom > 0:
                sizes[k] = max(2, math.ceil(2 * sd * sd / denom))
    if spec.binary:  # the TSA manual's binary formula at the event's placebo risk
        ris = binary_ris(scenario).participants
    else:
        delta = spec.delta if spec.delta is not None else pain.mcid
        ris = 4 * (z + special.ndtri(spec.power)) ** 2 * sd * sd / delta**2
    d2, i2 = heterogeneity_adjustments(existing, trial_variance(scenario), spec.new_trials)
    daris, ris_i2 = (ris / (1 - x) if x < 1 else math.inf for x in (d2, i2))

    cp = plateau = cp_fixed = None
    by_rule: dict[str, dict[str, Any]] = {}
    by_rule_fixed: dict[str, dict[str, Any]] | None = None
    if (existing.studies is None or spec.tau2 is not None) and not spec.hksj \
            and math.isfinite(trial_variance(scenario)):
        cp, plateau, by_rule = _at_tau2(scenario, existing, tau2)
        dist = tau2_distribution(scenario)
        if dist is not None:
            cp_fixed, by_rule_fixed = cp, by_rule
            cp, plateau, by_rule = _integrated(scenario, existing, dist)
    return ResolveClosedForms(conditional_power=cp, plateau=plateau,
                              required_information=info_star, existing_information=info0,
                              k_min=k_min, n_per_arm_for_k=sizes, ris=ris, daris=daris,
                              ris_i2=ris_i2, d2=d2, i2=i2, by_rule=by_rule,
                              conditional_power_fixed_tau2=cp_fixed,
                              by_rule_fixed_tau2=by_rule_fixed)


def _at_tau2(scenario: Scenario, existing, tau2: float):
    """(conditional power, its plateau, the rules' closed forms) at one tau^2.

    With ``studies`` held at tau^2, the existing estimate and its weight are
    those of the studies re-fitted at this tau^2.
    """
    z = float(special.ndtri(1 - scenario.analysis.alpha / 2))
    if existing.studies is None:
        w0, est0 = 1.0 / existing.se**2, existing.estimate
    else:
        y, se = np.array(existing.studies).T
        w = 1.0 / (se * se + tau2)
        w0, est0 = float(w.sum()), float(np.dot(w, y) / w.sum())
    v, k = trial_variance(scenario), scenario.meta_analysis.new_trials
    point, prior = centre(scenario)
    if prior is None:
        thetas, weights = np.array([point]), np.array([1.0])
    else:
        thetas, weights = normal_prior_nodes(prior.mean, prior.sd, math.sqrt(v + tau2), z)
    cp = float(np.dot(weights, _cp(thetas, w0, est0, k / (v + tau2), z)))
    # tau^2 below 1e-12 as 0: k / tau^2 overflows (a W1 of 1e12 is already the limit)
    plateau = 1.0 if tau2 == 0 else float(np.dot(weights, _cp(thetas, w0, est0,
                                                              k / max(tau2, 1e-12), z)))
    return cp, plateau, rule_closed_forms(scenario, w0, est0, tau2)


def _integrated(scenario: Scenario, existing, dist):
    """The closed forms integrated over tau^2 by the distribution's quadrature nodes."""
    nodes, weights = dist.nodes(96)
    parts = [_at_tau2(scenario, existing, float(t)) for t in nodes]
    cp = float(np.dot(weights, [p[0] for p in parts]))
    plateau = float(np.dot(weights, [p[1] for p in parts]))
    by_rule = {}
    for r, first in parts[0][2].items():
        by_rule[r] = {key: float(np.dot(weights, [p[2][r][key] for p in parts]))
                      for key in ("p_conclusive", "plateau")}
        by_rule[r]["by_direction"] = {
            d: float(np.dot(weights, [p[2][r]["by_direction"][d] for p in parts]))
            for d in first["by_direction"]}
    return cp, plateau, by_rule
