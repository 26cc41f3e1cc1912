"""The ``tsa`` rule: a full trial sequential analysis of each future's cumulative meta-analysis.

The looks are those of a TSA of the review (Wetterslev et al. 2008; the TSA
manual, Thorlund et al. 2011/2017): the existing studies in order (a pooled
summary is one look), then each new trial. The boundaries are planned once
per scenario, as a TSA protocol fixes its required information size (RIS) in
advance, from the planned information of every look:

* ``tsa_ris = "daris"`` (default): the looks' cumulative fixed-effect
  information ``sum 1 / v_i`` against the diversity-adjusted RIS, ``I* / (1 -
  D^2)``, with ``D^2 = 1 - V_F / V_R`` of the planned final meta-analysis at
  the existing tau^2 (Wetterslev et al. 2009);
* ``"i2"``: the same information against ``I* / (1 - I^2)``, with the
  existing meta-analysis's I^2 where it is known, else ``tau^2 / (tau^2 + s^2)``
  with Higgins and Thompson's typical within-study variance ``s^2`` of the
  planned final meta-analysis;
* ``"ris"``: the looks' random-effects information ``sum 1 / (v_i + tau^2)``
  against the unadjusted ``I*``.

``I* = (z_{1-alpha/2} + z_power)^2 / delta^2``; a new trial's planned variance
is ``sigma^2 (1/(n0 c0) + 1/(n1 c1))``; a pooled summary's information is
``1 / SE0^2`` on every scale. Efficacy boundaries spend alpha by Lan-DeMets
(``tsa_alpha_spending``); futility boundaries, when ``tsa_beta_spending`` is
given, spend beta (binding or not): :func:`simulator.analysis.tsa.tsa_boundaries`.

In each future the cumulative meta-analysis after each new trial is tested
against its look's boundary: a Z, or with HKSJ a t with ``k - 1`` degrees of
freedom against the boundary at the same nominal level
(:func:`simulator.analysis.tsa.boundary_quantile`). The first look that
crosses decides: ``benefit`` (negative = benefit), ``harm`` or ``futility``.
Every boundary is at least the plain CI's critical value at that look (a
binding design's lower final boundary is not used), so the rule never shows
an effect that the plain CI at the same look does not. The TSA-adjusted CI of
the last look is ``mu +- c_K se`` on the same scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ..mc import finite
from .._lazy import special
from ..analysis.tsa import TSABoundaries, boundary_quantile, tsa_boundaries
from ..spec import MetaSpec, Scenario
from .review import (Existing, existing_evidence, required_information, trial_variance,
                     update)

__all__ = ["TSAPlan", "tsa_plan", "tsa_decisions", "heterogeneity_adjustments"]


@dataclass(frozen=True, slots=True)
class TSAPlan:
    """The planned trial sequential analysis the futures are monitored with.

    Attributes
    ----------
    boundaries : TSABoundaries
        One entry a look: the existing looks, then each new trial.
    existing_looks : int
        Looks of the existing evidence (its studies, or 1 for a summary).
    required_information : float
        The RIS the fractions are taken of (inverse-variance units, adjusted
        as ``adjustment`` says).
    unadjusted : float
        I*.
    adjustment : {"daris", "i2", "ris"}
    d2, i2 : float
        The diversity and the inconsistency of the planned final meta-analysis.
    """

    boundaries: TSABoundaries
    existing_looks: int
    required_information: float
    unadjusted: float
    adjustment: str
    d2: float
    i2: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary; a value that is not finite is null (see :meth:`notes`)."""
        b = self.boundaries
        out = {"adjustment": self.adjustment,
               "required_information": finite(self.required_information),
               "unadjusted_required_information": finite(self.unadjusted),
               "d2": finite(self.d2), "i2": finite(self.i2),
               "existing_looks": self.existing_looks,
               "information": [finite(x) for x in b.information.tolist()],
               "fractions": [finite(x) for x in b.fractions.tolist()],
               "critical_values": [finite(x) for x in b.critical_values.tolist()],
               "futility_bounds": [finite(a) for a in b.futility_bounds],
               "alpha_spending": b.alpha_spending, "beta_spending": b.beta_spending,
               "binding": b.binding}
        if self.notes():
            out["notes"] = list(self.notes())
        return out

    def notes(self) -> tuple[str, ...]:
        """Why a value of :meth:`to_dict` is null."""
        out = []
        if not math.isfinite(self.required_information):
            out.append("required_information and the fractions are null: the heterogeneity "
                       f"share ({self.adjustment}) is 1, so no finite information size reaches "
                       "the planned power")
        if not np.all(np.isfinite(self.boundaries.critical_values)):
            out.append("a critical value is null where no alpha is spent at that look (the "
                       "boundary is infinite: the look cannot stop the monitoring)")
        return tuple(out)


def _typical_variance(v: np.ndarray) -> float:
    """Higgins and Thompson's typical within-study variance (v itself when all are equal)."""
    w = 1.0 / v
    spread = w.sum() ** 2 - (w * w).sum()
    if v.size < 2 or np.allclose(v, v[0]) or spread <= 0:
        return float(v.mean())
    return float((v.size - 1) * w.sum() / spread)


def heterogeneity_adjustments(existing: Existing, v_new: float, k: int) -> tuple[float, float]:
    """D^2 and I^2 of the planned final meta-analysis at the existing tau^2 (module notes)."""
    tau2 = existing.tau2
    if existing.studies is None:
        w0 = 1.0 / existing.se**2
        fixed, random = w0 + k / v_new, w0 + k / (v_new + tau2)
        variances = np.full(k, v_new)
    else:
        variances = np.append(np.square([s for _, s in existing.studies]), np.full(k, v_new))
        fixed, random = np.sum(1.0 / variances), np.sum(1.0 / (variances + tau2))
    d2 = float(1.0 - random / fixed)
    i2 = existing.i2 if existing.i2 is not None else tau2 / (tau2 + _typical_variance(variances))
    return d2, float(i2)


def _looks(existing: Existing, v_new: float, k: int, random: bool) -> np.ndarray:
    tau2 = existing.tau2 if random else 0.0
    if existing.studies is None:
        first = np.array([1.0 / existing.se**2])
    else:
        first = np.cumsum([1.0 / (s * s + tau2) for _, s in existing.studies])
    return np.concatenate([first, first[-1] + np.arange(1, k + 1) / (v_new + tau2)])


@lru_cache(maxsize=64)
def _plan(spec: MetaSpec, existing: Existing, v_new: float, info_star: float,
          alpha: float) -> TSAPlan:
    k = spec.new_trials
    d2, i2 = heterogeneity_adjustments(existing, v_new, k)
    share = {"daris": d2, "i2": i2, "ris": 0.0}[spec.tsa_ris]
    ris = info_star / (1.0 - share) if share < 1 else math.inf
    info = _looks(existing, v_new, k, random=spec.tsa_ris == "ris")
    beta = None if spec.tsa_beta_spending == "none" else spec.tsa_beta_spending
    bounds = tsa_boundaries(info, min(ris, 1e300), alpha=alpha, beta=1.0 - spec.power, sided=2,
                            alpha_spending=spec.tsa_alpha_spending, beta_spending=beta,
                            binding=spec.tsa_binding, gamma_a=spec.tsa_gamma_a,
                            gamma_b=spec.tsa_gamma_b)
    looks = 1 if existing.studies is None else len(existing.studies)
    return TSAPlan(bounds, looks, ris, info_star, spec.tsa_ris, d2, i2)


def tsa_plan(scenario: Scenario) -> TSAPlan:
    """The scenario's planned TSA (computed once per design, cached)."""
    spec, alpha = scenario.meta_analysis, scenario.analysis.alpha
    return _plan(spec, existing_evidence(scenario), trial_variance(scenario),
                 required_information(spec, scenario.pain, alpha), alpha)


def tsa_decisions(scenario: Scenario, est: np.ndarray, se: np.ndarray,
                  tau2: np.ndarray | None = None
                  ) -> tuple[dict[str, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Each future's TSA: where it first crosses, and the TSA-adjusted CI of its last look.

    Parameters
    ----------
    scenario : Scenario
    est, se : ndarray, shape (futures, k)
        The new trials' estimates and standard errors, in the order they arrive.
    tau2 : ndarray, optional
        Each future's drawn tau^2 (the boundaries stay planned at the held one).

    Returns
    -------
    (directions, (low, high))
        ``benefit``, ``harm`` (and ``futility`` with beta spending): boolean
        arrays of futures; the TSA-adjusted CI of the last look.
    """
    spec, alpha = scenario.meta_analysis, scenario.analysis.alpha
    plan, existing = tsa_plan(scenario), existing_evidence(scenario)
    b = plan.boundaries
    n, k = est.shape
    stopped = np.zeros(n, bool)
    out = {d: np.zeros(n, bool) for d in ("benefit", "harm")}
    if spec.tsa_beta_spending != "none":
        out["futility"] = np.zeros(n, bool)
    for j in range(1, k + 1):
        up = update(existing, spec, est[:, :j], se[:, :j], alpha, tau2)
        look = plan.existing_looks + j - 1
        plain = (special.ndtri(1 - alpha / 2) if up.df is None  # the values of stats'
                 else special.stdtrit(up.df, 1 - alpha / 2))  # ppf, without its overhead
        crit = np.maximum(boundary_quantile(b.critical_values[look], up.df), plain)
        stat = up.estimate / up.se
        benefit, harm = ~stopped & (-stat >= crit), ~stopped & (stat >= crit)
        out["benefit"] |= benefit
        out["harm"] |= harm
        stopped |= benefit | harm
        if "futility" in out and not math.isnan(b.futility_bounds[look]):
            wedge = boundary_quantile(b.futility_bounds[look], up.df)
            futile = ~stopped & (np.abs(stat) < wedge)
            out["futility"] |= futile
            stopped |= futile
    return out, (up.estimate - crit * up.se, up.estimate + crit * up.se)
