"""Clinical relevance of a trial's result: the smallest difference it can detect,
and how often its estimate is as large as the minimal clinically important one.

A worked example of a statistic added as a feature (see ``docs/architecture.md``):
one collector on the ``main`` pass, one result part, one table row.

* The **minimal detectable difference** of a trial is the smallest observed
  effect its test would call significant: ``t_crit x SE`` of its own
  estimate. Its mean over the simulated trials is reported; for a t-test on
  normal scores without dropout it equals ``t_crit sigma sqrt(1/n0 + 1/n1)
  c4(df)``, with ``c4`` the bias factor of the sample SD.
* **P(estimate beyond the MCID)**: the proportion of trials whose estimate
  lies at least ``pain.mcid`` in the benefit direction. It says how often a
  trial's own point estimate would look clinically important, whatever its
  p-value. (Responder analyses estimate a difference in proportions, on
  another scale than the MCID: there it is not reported.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analysis.estimates import critical_values
from ..engine.kernel import ChunkContext
from ..engine.sample import TrialSample
from ..mc import MonteCarloProbability
from ..spec.scenario import Scenario
from .plan import Plan, Point

__all__ = ["RelevanceCollector", "ClinicalRelevance", "Relevance"]


@dataclass(frozen=True, slots=True)
class RelevanceCollector:
    """Trials whose estimate is beyond the MCID, and the sum of their detectable differences."""

    scenario: Scenario

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        est = sample.primary
        spec = self.scenario.analysis
        valid = est.valid
        crit = critical_values(1.0 - spec.alpha / spec.sided, est.df)
        detectable, estimate = crit * est.se, est.estimate
        if not valid.all():
            detectable, estimate = detectable[valid], estimate[valid]
        beyond = -estimate >= self.scenario.pain.mcid
        return {"beyond_mcid": int(beyond.sum()), "sum_mdd": float(detectable.sum())}

    def grid(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        """The same counts from (sizes, trials) arrays, one value per size."""
        est = sample.primary
        spec = self.scenario.analysis
        valid = est.valid
        crit = critical_values(1.0 - spec.alpha / spec.sided, est.df)
        every = bool(valid.all())
        with np.errstate(invalid="ignore"):
            detectable = crit * est.se
            beyond = est.estimate <= -self.scenario.pain.mcid  # (negation is exact)
            if not every:
                detectable, beyond = np.where(valid, detectable, 0.0), valid & beyond
        return {"beyond_mcid": beyond.sum(axis=-1), "sum_mdd": detectable.sum(axis=-1)}


@dataclass(frozen=True, slots=True, kw_only=True)
class ClinicalRelevance:
    """The minimal detectable difference and P(estimate beyond the MCID).

    Attributes
    ----------
    mcid : float
        The minimal clinically important difference (NRS points).
    p_estimate_beyond_mcid : MonteCarloProbability
        Proportion of trials whose estimate is at least ``mcid`` in the
        benefit direction.
    minimal_detectable_difference : float or None
        Mean over the analysable trials of ``t_crit x SE`` (NRS points).
    """

    mcid: float
    p_estimate_beyond_mcid: MonteCarloProbability
    minimal_detectable_difference: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"mcid": self.mcid,
                **self.p_estimate_beyond_mcid.to_dict("p_estimate_beyond_mcid"),
                "minimal_detectable_difference": self.minimal_detectable_difference}


class Relevance:
    """The ``relevance`` part: MCID and minimal detectable difference (continuous analyses)."""

    def passes(self, plan: Plan) -> list:
        return []

    def collectors(self, plan: Plan) -> dict[str, list]:
        if plan.scenario.pain.is_responder or plan.scenario.design.kind == "multiarm":
            return {}
        return {"main": [RelevanceCollector(plan.scenario)]}

    def summarise(self, point: Point) -> dict[str, Any]:
        main = point.counts["main"]
        if "beyond_mcid" not in main:
            return {}
        valid = main["valid"]
        part = ClinicalRelevance(
            mcid=point.scenario.pain.mcid,
            p_estimate_beyond_mcid=MonteCarloProbability.from_counts(main["beyond_mcid"],
                                                                     point.n_sims),
            minimal_detectable_difference=float(main["sum_mdd"] / valid) if valid else None)
        return {"parts": {"relevance": part}}
