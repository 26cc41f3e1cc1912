"""Comparison run of a report: the same trials without dropout.

Asked for by a report (``comparisons=True``), never by a search. The
``complete`` pass runs the trials on the run's own data stream with nobody
withdrawn (the hypothetical estimand); the power the dropout costs is the
difference. (The runs without functional unblinding are
:mod:`simulator.planning.unblinding`'s.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.dispatch import choose_path
from ..engine.kernel import ChunkContext, Collector, Pass
from ..engine.sample import TrialSample
from ..mc import MonteCarloProbability
from ..spec.scenario import Scenario
from ..spec.variants import has_dropout, without_dropout
from .closed_sequential import design_of
from .decisions import decide_primary
from .plan import Plan, Point
from .sequential import SequentialReject

__all__ = ["RejectCollector", "EstimateCollector", "Comparisons", "reject_collector"]


@dataclass(frozen=True, slots=True)
class RejectCollector:
    """Rejections of the primary test (the original scenario's alpha and sides)."""

    scenario: Scenario

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        return {"reject": int(decide_primary(self.scenario, sample).reject.sum())}


def reject_collector(scenario: Scenario) -> Collector:
    """Rejections of the scenario's trial: at its interim looks too, with ``[interim]``."""
    if scenario.interim is not None:
        return SequentialReject(scenario, design_of(scenario))
    return RejectCollector(scenario)


@dataclass(frozen=True, slots=True)
class EstimateCollector:
    """Sum of the analysable estimates and their number."""

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        est = sample.primary.estimate
        return {"sum_est": float(np.nansum(est)), "valid": int(np.isfinite(est).sum())}


class Comparisons:
    """Power without dropout."""

    def passes(self, plan: Plan) -> list[Pass]:
        s = plan.scenario
        if not (plan.comparisons and has_dropout(s)):
            return []
        complete = without_dropout(s)
        path = choose_path(complete) if plan.path == "aggregate" else plan.path
        return [Pass(name="complete", scenario=complete, path=path,
                     collectors=(reject_collector(s),))]

    def collectors(self, plan: Plan) -> dict:
        return {}

    def summarise(self, point: Point) -> dict[str, Any]:
        if "complete" not in point.counts:
            return {"power_no_dropout": None}
        return {"power_no_dropout": MonteCarloProbability.from_counts(
            point.counts["complete"]["reject"], point.n_sims)}
