"""Comparison runs of a report: the same trials without dropout, without unblinding.

Asked for by a report (``comparisons=True``), never by a search. Each is a
pass on the run's own data stream, so it pairs with the main trials where the
two share their structure:

* ``complete``: nobody withdrawn (the hypothetical estimand); the power the
  dropout costs is the difference.
* ``blind``: the trials without the expectancy shift of functional
  unblinding, on the full-data model like the unblinded run; the unblinding
  bias is the difference of the mean estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.dispatch import FULL_DATA, choose_path
from ..engine.kernel import ChunkContext, Pass
from ..engine.sample import TrialSample
from ..mc import MonteCarloProbability
from ..spec.scenario import Scenario
from ..spec.variants import has_dropout, without_dropout, without_unblinding
from .decisions import decide_primary
from .plan import Plan, Point
from .primary import estimate_summary

__all__ = ["RejectCollector", "EstimateCollector", "Comparisons"]


@dataclass(frozen=True, slots=True)
class RejectCollector:
    """Rejections of the primary test (the original scenario's alpha and sides)."""

    scenario: Scenario

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        return {"reject": int(decide_primary(self.scenario, sample).reject.sum())}


@dataclass(frozen=True, slots=True)
class EstimateCollector:
    """Sum of the analysable estimates and their number."""

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        est = sample.primary.estimate
        return {"sum_est": float(np.nansum(est)), "valid": int(np.isfinite(est).sum())}


class Comparisons:
    """Power without dropout, and the bias that functional unblinding explains."""

    def passes(self, plan: Plan) -> list[Pass]:
        s = plan.scenario
        if not plan.comparisons:
            return []
        out = []
        if s.pain.unblinding_ae is not None:
            out.append(Pass(name="blind", scenario=without_unblinding(s), path=FULL_DATA,
                            collectors=(EstimateCollector(),)))
        if has_dropout(s):
            complete = without_dropout(s)
            path = choose_path(complete) if plan.path == "aggregate" else plan.path
            out.append(Pass(name="complete", scenario=complete, path=path,
                            collectors=(RejectCollector(s),)))
        return out

    def collectors(self, plan: Plan) -> dict:
        return {}

    def summarise(self, point: Point) -> dict[str, Any]:
        out: dict[str, Any] = {"power_no_dropout": None, "unblinding_bias": None}
        if "complete" in point.counts:
            out["power_no_dropout"] = MonteCarloProbability.from_counts(
                point.counts["complete"]["reject"], point.n_sims)
        blind = point.counts.get("blind")
        if blind is not None:
            mean, _ = estimate_summary(point)
            if mean is not None and blind["valid"]:
                out["unblinding_bias"] = mean - blind["sum_est"] / blind["valid"]
            else:
                out["notes"] = ("unblinding_bias is null: no trial could be analysed with or "
                                "without the unblinding",)
        return out
