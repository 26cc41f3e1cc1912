"""Assurance: the probability of success averaged over what the evidence knows.

With a prior on the effect (or on an adverse event's risk ratio) this
feature adds the ``prior`` pass: the same trials as the ``main`` pass (the
same data stream: common random numbers), each with its own true parameters
drawn from the prior on a stream of its own (O'Hagan, Stevens & Campbell
2005). It counts the trials that show a significant benefit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.kernel import ChunkContext, Pass
from ..engine.sample import TrialSample
from ..mc import MonteCarloProbability
from ..models.parameters import TrialParameters, assurance_ceiling, has_prior
from ..spec.scenario import Scenario
from .closed import analytic_assurance, too_few_completers
from .decisions import decide_primary
from .plan import Plan, Point

__all__ = ["DrawFromPrior", "AssuranceCollector", "Assurance"]


@dataclass(frozen=True, slots=True)
class DrawFromPrior:
    """One draw of the true parameters per trial from the scenario's priors."""

    scenario: Scenario

    def __call__(self, rng: np.random.Generator, n: int) -> TrialParameters:
        return TrialParameters.draw(self.scenario, n, rng)


@dataclass(frozen=True, slots=True)
class AssuranceCollector:
    """Trials with a significant benefit under drawn parameters."""

    scenario: Scenario

    def __call__(self, sample: TrialSample, chunk: ChunkContext) -> dict[str, Any]:
        return {"assurance": int(decide_primary(self.scenario, sample).reject_benefit.sum())}


class Assurance:
    """Assurance, its closed form and its ceiling (the ``prior`` pass)."""

    def passes(self, plan: Plan) -> list[Pass]:
        if not has_prior(plan.scenario):
            return []
        return [Pass(name="prior", scenario=plan.scenario, path=plan.path,
                     collectors=(AssuranceCollector(plan.scenario),),
                     params=DrawFromPrior(plan.scenario), params_stream="prior")]

    def collectors(self, plan: Plan) -> dict:
        return {}

    def summarise(self, point: Point) -> dict[str, Any]:
        scenario = point.scenario
        pain_prior = scenario.pain.effect_prior != "fixed"
        assurance = (MonteCarloProbability.from_counts(point.counts["prior"]["assurance"],
                                                       point.n_sims) if pain_prior else None)
        closed = (analytic_assurance(scenario)
                  if pain_prior and point.plan.closed_forms else None)
        why = too_few_completers(scenario) if pain_prior and point.plan.closed_forms else None
        return dict(effect_prior=scenario.pain.effect_prior, assurance=assurance,
                    assurance_ceiling=assurance_ceiling(scenario.pain),
                    analytic_assurance=closed,
                    notes=(f"analytic_assurance is null: {why}",) if why else ())
